package hub

// Bounds of what one request may ask for. They are checked before any SQL
// runs (graph's argument bounds for the API; the services check the ones
// they own again), and a request over a bound is refused with EINVALID
// naming the argument and the bound, never answered slowly.
const (
	// MaxPageSize is the largest page of a paged list (first: 1–1000 of
	// dataValues and auditLog).
	MaxPageSize = 1000
	// MaxRegionsPerQuery bounds the regions of one trend or
	// protectionProfile: every region is a series (a chart shows a few;
	// a province has about 140 counties).
	MaxRegionsPerQuery = 200
	// MaxComparisonRows bounds the regions one comparison ranks: every
	// town of a province (2,119 in the generated one) or the villages of a
	// county (青州市 1,080) fit; the villages of a city (Weifang 7,060) or
	// of a province (~125,000) do not, and are refused before their
	// rollups are read: compare them under a county or a town.
	MaxComparisonRows = 2500
	// MaxIDsPerRequest bounds the value ids of one transition, publish or
	// setReleasable.
	MaxIDsPerRequest = 1000
	// MaxFilterValues bounds each list of a filter (DataValueFilter,
	// AuditFilter): indicators, regions, periods, statuses, departments,
	// protections, actors, actions.
	MaxFilterValues = 1000
	// MaxSubmitValues bounds the inputs of one submitValues; larger loads
	// go through importValues or hub import, which stream.
	MaxSubmitValues = 5000
	// MaxListArgument bounds any other list argument of the API.
	MaxListArgument = 1000
	// MaxNodeIDs bounds the global ids of one nodes(ids:) (Relay).
	MaxNodeIDs = 100
)

// Bounds of validation rules: what a coordinator can write is evaluated
// inside every later submission of its region, so its cost is bounded when
// it is created (expressions are arithmetic over indicator keys, without
// loops, strings or ranges) and the number of rules per scope is too.
const (
	// MaxRuleExpressionBytes bounds each side of a rule.
	MaxRuleExpressionBytes = 1000
	// MaxRuleNodes bounds the syntax-tree nodes of each side of a rule.
	MaxRuleNodes = 200
	// MaxActiveRulesPerRegion bounds the active rules whose scope is one
	// region (rules of the regions above apply too, each bounded alike).
	MaxActiveRulesPerRegion = 100
)
