package graph

import (
	"context"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
)

// The cost of an operation estimates the work and the size of its answer
// before it runs: a field costs 1 plus the cost of its selection, and a
// field that returns many objects multiplies its selection's cost by how
// many it can return. Aliases and fragment spreads add up naturally, so
// thirty aliases of dataValues(first: 1000) cost thirty pages of 1,000.
//
// How many a list field returns:
//   - a paged field (an argument first or last): that page size, checked
//     by argumentBounds to be 1–hub.MaxPageSize; its connection's edges
//     then count once;
//   - a field whose list follows an argument list (trend's regions,
//     transition's ids, submitValues' input): that list's length;
//   - any other list: a realistic size of what it lists (listSizes), or
//     defaultListSize for a list added to the schema later.
//
// Introspection fields (__schema, __type and everything under them) cost
// nothing: they read the schema, bounded by its size, and schema tools
// (graphql-js's getIntrospectionQuery with every option) must pass.

// listSizes are the sizes counted for lists that are neither paged nor
// follow an argument, by "Type.field".
var listSizes = map[string]int{
	// The catalogue: a city has ~150 regions down to its towns (12
	// counties, up to ~20 towns each), a province more; ~15 departments
	// with ~5 indicators each (at most ~10); ~75 indicators.
	"Query.regions":         200,
	"Region.children":       20,
	"Query.departments":     20,
	"Department.indicators": 10,
	"Query.indicators":      100,
	// One row per region at a level under a parent.
	"Query.comparison": hub.MaxRegionsPerQuery,
	// Published figures of one period; findings of one period and subtree.
	"Query.publicityStats":      500,
	"Query.validationReport":    500,
	"Query.validationRules":     hub.MaxActiveRulesPerRegion * 2,
	"Query.publications":        100,
	"Query.shares":              100,
	"Query.myTokens":            200, // the newest 200 (postgres.MyTokens)
	"Publication.periods":       12,
	"TrendSeries.points":        20,
	"ProtectionProfile.scores":  7,
	"AccessExplanation.rules":   10,
	"ValidationRule.indicators": 10,
	// Connections: the page size was counted at the paged field.
	"DataValueConnection.edges": 1,
	"AuditConnection.edges":     1,
	// A submission answers for its inputs, counted at submitValues.
	"SubmitResult.values":     1,
	"SubmitResult.conflicts":  1,
	"SubmitResult.warnings":   1,
	"ImportSummary.conflicts": importer.MaxListedConflicts,
	"ImportSummary.warnings":  importer.MaxListedConflicts,
}

// argumentLists name the argument whose length a list field's answer
// follows, by "Type.field".
var argumentLists = map[string]string{
	"Query.trend":             "regions",
	"Query.protectionProfile": "regions",
	"Mutation.transition":     "ids",
	"Mutation.submitValues":   "input",
	"Query.nodes":             "ids",
}

// Region lists whose size follows the level they ask for: a city holds
// ~7,200 regions (Weifang: 122 towns, 7,060 villages), a province ~2,000
// towns, a county up to ~1,100 villages (青州市 1,080), a town up to ~200.
const (
	treeVillages = 8000
	treeTowns    = 2500
)

// treeListSize is the size of Query.regions and Query.comparison by their
// arguments: a search answers at most hub.MaxRegionSearch, a parent's
// children are few, and the village and town levels are large; a
// comparison ranks at most hub.MaxComparisonRows.
func treeListSize(key string, args map[string]any) (int, bool) {
	level, _ := args["level"].(string)
	switch key {
	case "Query.regions":
		switch {
		case args["search"] != nil:
			return hub.MaxRegionSearch, true
		case args["parent"] != nil:
			return 200, true
		case level == "" || level == string(hub.LevelVillage):
			return treeVillages, true
		case level == string(hub.LevelTown):
			return treeTowns, true
		}
	case "Query.comparison":
		// Towns and villages: as many as a comparison may rank (more are
		// refused with BAD_USER_INPUT before their rollups are read).
		if level == string(hub.LevelVillage) || level == string(hub.LevelTown) {
			return hub.MaxComparisonRows, true
		}
	}
	return 0, false
}

// defaultListSize is counted for a list field listed nowhere above.
const defaultListSize = 100

// defaultPageSize is the page of a paged field without first (the
// schema's default).
const defaultPageSize = 100

// costLimit refuses operations that cost more than Max, with
// QUERY_TOO_COMPLEX, before any resolver runs.
type costLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = costLimit{}

func (costLimit) ExtensionName() string                   { return "CostLimit" }
func (costLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (c costLimit) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if c.Max <= 0 || rc.Operation == nil {
		return nil
	}
	if n := operationCost(rc.Operation, rc.Variables, c.Max); n > c.Max {
		err := gqlerror.Errorf("查询代价过高（约 %d，上限 %d）：请减少别名、分页大小或嵌套 / the operation costs about %d, the limit is %d: use fewer aliases, smaller pages or less nesting",
			n, c.Max, n, c.Max)
		err.Extensions = map[string]any{"code": hub.ETOOCOMPLEX}
		return err
	}
	return nil
}

// operationCost returns the cost of op, or a number above limit as soon
// as it is known to exceed it. Each fragment's cost is computed once.
func operationCost(op *ast.OperationDefinition, vars map[string]any, limit int) int {
	c := coster{vars: vars, limit: limit, frags: map[string]int{}}
	return c.set(op.SelectionSet)
}

type coster struct {
	vars  map[string]any
	limit int
	frags map[string]int
}

// cap keeps the sums and products from overflowing: anything above limit
// is as refused as anything else.
func (c *coster) cap(n int) int { return min(n, c.limit+1) }

func (c *coster) set(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			total += c.field(s)
		case *ast.InlineFragment:
			total += c.set(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition == nil {
				continue
			}
			n, ok := c.frags[s.Name]
			if !ok {
				c.frags[s.Name] = c.limit + 1 // a cycle (refused by validation) costs too much
				n = c.set(s.Definition.SelectionSet)
				c.frags[s.Name] = n
			}
			total += n
		}
		total = c.cap(total)
	}
	return total
}

func (c *coster) field(f *ast.Field) int {
	if isIntrospection(f) {
		return 0
	}
	child := c.set(f.SelectionSet)
	return c.cap(1 + c.cap(c.multiplier(f)*child))
}

// multiplier is how many objects f returns at most, for its selection's cost.
func (c *coster) multiplier(f *ast.Field) int {
	if f.Definition == nil || f.ObjectDefinition == nil || len(f.SelectionSet) == 0 {
		return 1
	}
	parent := f.ObjectDefinition.Name
	if strings.HasPrefix(parent, "__") || strings.HasPrefix(f.Name, "__") {
		return 1
	}
	key := parent + "." + f.Name
	if f.Definition.Arguments.ForName("first") != nil || f.Definition.Arguments.ForName("last") != nil {
		args := f.ArgumentMap(c.vars)
		// last first: first has a schema default, which does not apply
		// when last is given (the two together are refused).
		for _, name := range []string{"last", "first"} {
			if n, ok := intValue(args[name]); ok {
				return int(max(1, min(n, hub.MaxPageSize)))
			}
		}
		return defaultPageSize
	}
	if arg, ok := argumentLists[key]; ok {
		v := reflect.ValueOf(f.ArgumentMap(c.vars)[arg])
		if v.Kind() == reflect.Slice {
			return max(1, v.Len())
		}
		return 1
	}
	if n, ok := treeListSize(key, f.ArgumentMap(c.vars)); ok {
		return n
	}
	if n, ok := listSizes[key]; ok {
		return n
	}
	if f.Definition.Type.Elem != nil {
		return defaultListSize
	}
	return 1
}
