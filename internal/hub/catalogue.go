package hub

import (
	"context"
	"strings"
	"time"
)

// Region is a node of the administrative hierarchy, identified by its
// GB/T 2260 style code (Weifang 370700, Kuiwen 370705; towns and villages
// by longer codes).
type Region struct {
	Code       string
	Name       string
	NameEn     *string
	Level      RegionLevel
	ParentCode *string
	// Path is the chain of codes from the root, dot separated
	// ("370700.370705"); a region's subtree is every region whose path
	// lies Within it.
	Path string
	// Synthetic marks generated demo regions, never real ones.
	Synthetic bool
}

// Within reports whether the region with path lies in the subtree of the
// region with path scope (scope itself included): ltree's path <@ scope,
// the subtree test of the row policies, over the paths as text
// ("370700.370702" lies within "370700", "3707001" does not). Unlike
// ltree, an empty scope holds nothing but the empty path, so a principal
// without a region reaches no region.
func Within(path, scope string) bool {
	return path == scope || (scope != "" && strings.HasPrefix(path, scope+"."))
}

// Department is a member unit of the minor-protection committee.
type Department struct {
	Code   string
	Name   string
	NameEn *string
	// RetiredAt is when the department was retired (it has no active
	// indicators); nil for an active one.
	RetiredAt *time.Time
}

// Indicator is a figure departments report.
type Indicator struct {
	Key             string
	Name            string
	NameEn          *string
	Protection      Protection
	Unit            string
	DepartmentCode  string
	ValueType       ValueType
	Aggregation     Aggregation
	PeriodType      PeriodType
	CollectionLevel RegionLevel
	Publicity       bool
	Sensitive       bool
	// LowerIsBetter marks indicators where fewer is better (case counts of
	// crimes and disputes): the protection profile scores them the other way.
	LowerIsBetter bool
	// RAGAmber and RAGGreen are the dashboard's red-amber-green thresholds
	// (both or neither; nil: from the peers' distribution). For a
	// higher-is-better indicator a figure ≥ RAGGreen is green and ≥ RAGAmber
	// amber; for a lower-is-better one ≤ RAGGreen is green and ≤ RAGAmber
	// amber. They apply per 10,000 minors for counts.
	RAGAmber, RAGGreen *float64
	// Formula is set for derived indicators, computed from others.
	Formula     *string
	Description *string
	// RetiredAt is when the indicator was retired: its values and audit
	// trail stay, new values are refused (ERETIRED). Nil for an active one.
	RetiredAt *time.Time
}

// RegionFilter selects regions; zero fields do not filter.
type RegionFilter struct {
	Level  *RegionLevel
	Parent *string
	// Search keeps regions whose name or code contains it; the answer is
	// then at most MaxRegionSearch regions.
	Search *string
}

// IndicatorFilter selects indicators; zero fields do not filter.
type IndicatorFilter struct {
	Protection *Protection
	Department *string
	// IncludeRetired lists retired indicators too.
	IncludeRetired bool
}

// IndicatorPatch changes an indicator: nil fields stay as they are. The
// key never changes.
type IndicatorPatch struct {
	Name            *string
	NameEn          *string
	Protection      *Protection
	Unit            *string
	DepartmentCode  *string
	ValueType       *ValueType
	Aggregation     *Aggregation
	PeriodType      *PeriodType
	CollectionLevel *RegionLevel
	Publicity       *bool
	Sensitive       *bool
	LowerIsBetter   *bool
	// RAGAmber and RAGGreen replace the thresholds given; ClearRAG removes
	// both.
	RAGAmber, RAGGreen *float64
	ClearRAG           *bool
	// Formula "" removes the formula (the indicator is entered again).
	Formula     *string
	Description *string
}

// DepartmentPatch changes a department's names; nil fields stay.
type DepartmentPatch struct {
	Name   *string
	NameEn *string
}

// CatalogueResult counts what a catalogue change did (or would do, on a
// dry run). With any conflict nothing is written; Conflicts name the
// input (Index, or Row and Column of an imported file) and the field.
type CatalogueResult struct {
	Created, Updated, Unchanged int
	Conflicts                   []Conflict
	Indicators                  []*Indicator
}

// CatalogueAdmin changes the catalogue: admins of the whole tree on the
// API (the row policies decide; everybody else is FORBIDDEN), the owner on
// the command line. Every change is audited (action 'catalogue').
type CatalogueAdmin interface {
	// UpsertIndicators creates the indicators whose key is new and updates
	// the others, all or nothing; an input equal to the stored indicator
	// is unchanged.
	UpsertIndicators(ctx context.Context, in []*Indicator, dryRun bool) (*CatalogueResult, error)
	// CreateIndicator creates one indicator; an existing key is a CONFLICT.
	CreateIndicator(ctx context.Context, in *Indicator) (*Indicator, error)
	UpdateIndicator(ctx context.Context, key string, p IndicatorPatch) (*Indicator, error)
	// RetireIndicator hides an indicator from new values; it refuses
	// (CONFLICT) while an active derived indicator reads it.
	RetireIndicator(ctx context.Context, key string) (*Indicator, error)
	CreateDepartment(ctx context.Context, d Department) (*Department, error)
	UpdateDepartment(ctx context.Context, code string, p DepartmentPatch) (*Department, error)
	// RetireDepartment refuses (CONFLICT) while the department has active indicators.
	RetireDepartment(ctx context.Context, code string) (*Department, error)
}

// CatalogueService reads the hierarchy and the indicator catalogue. The
// batch methods return one result per key, in the order of the keys, for
// the request dataloaders.
type CatalogueService interface {
	CatalogueAdmin

	Regions(ctx context.Context, f RegionFilter) ([]*Region, error)
	// Departments lists the active departments, and the retired ones too
	// with includeRetired.
	Departments(ctx context.Context, includeRetired bool) ([]*Department, error)
	Indicators(ctx context.Context, f IndicatorFilter) ([]*Indicator, error)

	RegionsByCode(ctx context.Context, codes []string) ([]*Region, error)
	RegionChildren(ctx context.Context, parents []string) ([][]*Region, error)
	// RegionCounts returns how many towns and villages each region's
	// subtree holds (zero for an unknown code).
	RegionCounts(ctx context.Context, codes []string) ([]TreeCounts, error)
	DepartmentsByCode(ctx context.Context, codes []string) ([]*Department, error)
	IndicatorsByKey(ctx context.Context, keys []string) ([]*Indicator, error)
	IndicatorsByDepartment(ctx context.Context, departments []string) ([][]*Indicator, error)
}

// Tree counts: in derived-indicator formulas and validation rules, towns
// and villages stand for the number of TOWN and VILLAGE regions in the
// subtree of the region a value is computed for (the region itself
// included: a village has villages = 1). The tree is data, so coverage
// such as child directors per village needs no indicator of its own.
// No indicator may take these keys (a CHECK in migration 00050).
const (
	TownsCount    = "towns"
	VillagesCount = "villages"
)

// TreeCounts is how many towns and villages a region's subtree holds.
type TreeCounts struct {
	Towns, Villages int
}

// IsTreeCount reports whether name is one of the tree counts (towns,
// villages) rather than an indicator key.
func IsTreeCount(name string) bool { return name == TownsCount || name == VillagesCount }

// Count returns the number a tree-count name stands for; ok is false for
// any other name.
func (c TreeCounts) Count(name string) (n float64, ok bool) {
	switch name {
	case TownsCount:
		return float64(c.Towns), true
	case VillagesCount:
		return float64(c.Villages), true
	}
	return 0, false
}

// MaxRegionSearch bounds the regions regions(search:) returns: a search
// picks a region by name or code, it does not list the tree.
const MaxRegionSearch = 50

// RegionChange is one change a region import made (or would make).
type RegionChange struct {
	Code string
	// Kind is create, rename or move.
	Kind string
	// Old and New are the names (rename) or parent codes (move); for a
	// create New is the name.
	Old, New string
}

// Kinds of RegionChange.
const (
	RegionCreate = "create"
	RegionRename = "rename"
	RegionMove   = "move"
)

// RegionImport says what importing a region tree changed. A second import
// of the same file changes nothing: every row is Unchanged.
type RegionImport struct {
	Created, Renamed, Moved, Unchanged int
	Changes                            []RegionChange
}

// Changed reports whether the import changed anything.
func (r *RegionImport) Changed() bool { return r.Created+r.Renamed+r.Moved > 0 }
