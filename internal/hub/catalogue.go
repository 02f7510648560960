package hub

import (
	"context"
	"strings"
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
	// Formula is set for derived indicators, computed from others.
	Formula     *string
	Description *string
}

// RegionFilter selects regions; zero fields do not filter.
type RegionFilter struct {
	Level  *RegionLevel
	Parent *string
}

// IndicatorFilter selects indicators; zero fields do not filter.
type IndicatorFilter struct {
	Protection *Protection
	Department *string
}

// CatalogueService reads the hierarchy and the indicator catalogue. The
// batch methods return one result per key, in the order of the keys, for
// the request dataloaders.
type CatalogueService interface {
	Regions(ctx context.Context, f RegionFilter) ([]*Region, error)
	Departments(ctx context.Context) ([]*Department, error)
	Indicators(ctx context.Context, f IndicatorFilter) ([]*Indicator, error)

	RegionsByCode(ctx context.Context, codes []string) ([]*Region, error)
	RegionChildren(ctx context.Context, parents []string) ([][]*Region, error)
	DepartmentsByCode(ctx context.Context, codes []string) ([]*Department, error)
	IndicatorsByKey(ctx context.Context, keys []string) ([]*Indicator, error)
	IndicatorsByDepartment(ctx context.Context, departments []string) ([][]*Indicator, error)
}
