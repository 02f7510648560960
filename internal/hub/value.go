package hub

import (
	"context"
	"time"
)

// DataValue is the value of an indicator for a region and period, as the
// reader may see it: the department's working copy, or the last approved
// version for readers outside it.
type DataValue struct {
	ID           int
	IndicatorKey string
	RegionCode   string
	Period       string
	// Value is nil when the figure is not reported, which is not 0.
	Value        *float64
	Qualifier    Qualifier
	Status       Status
	StatusReason *string
	Version      int
	Comment      *string
	Source       string
	UpdatedAt    time.Time
	UpdatedBy    *string
	// Indicator and Region are the value's indicator and region once a
	// reader attached them from the catalogue (the GraphQL layer does, for
	// what a query selects); services leave them nil.
	Indicator *Indicator
	Region    *Region
}

// ValueFilter selects data values; empty slices do not filter.
type ValueFilter struct {
	Indicators  []string
	Regions     []string
	Periods     []string
	Statuses    []Status
	Departments []string
	Protections []Protection
	// IDs selects values by the id of a version (Relay's node(id:)): the
	// version itself when it is the one the reader sees of its key, else
	// nothing.
	IDs []int
	// Changed, when set, keeps only the keys (indicator, region, period)
	// of these rows, and only of those the reader may read itself (live
	// updates: a row the reader may not read tells it nothing).
	Changed []int
}

// ValueKey identifies a value independently of its versions; it orders
// pages of values (indicator, then period, then region).
type ValueKey struct {
	Indicator string
	Period    string
	Region    string
}

// ValuePage asks for at most First values after the key After or, when
// Last is set (First is then 0), the Last values just before the key
// Before (the last ones of all without Before); either way After and
// Before bound the range and the page is in key order.
type ValuePage struct {
	First  int
	After  *ValueKey
	Last   int
	Before *ValueKey
	// SkipCount leaves TotalCount 0: counting is a second pass over every
	// matching value, which a caller that does not show it should not pay.
	SkipCount bool
}

// ValueConnection is one page of values.
type ValueConnection struct {
	Values []*DataValue
	// HasNextPage: more values follow the page (forward pages);
	// HasPreviousPage: more values come before it (backward pages).
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// Key returns the value's key.
func (v *DataValue) Key() ValueKey {
	return ValueKey{Indicator: v.IndicatorKey, Period: v.Period, Region: v.RegionCode}
}

// ValueService reads data values, under the access rules of the principal
// in the context.
type ValueService interface {
	FindValues(ctx context.Context, f ValueFilter, page ValuePage) (*ValueConnection, error)
}

// ValueRecord is a value with its workflow state and source, as bulk
// loaders (the demo, data generators) write it.
type ValueRecord struct {
	Indicator string
	Region    string
	Period    string
	Value     *float64
	Qualifier Qualifier
	Comment   *string
	Status    Status
	// StatusReason is why a RETURNED value went back.
	StatusReason *string
	// Source is "seed", "synthetic" (SourceSynthetic), "import" or "api".
	Source string
}

// SourceSynthetic is the source of generated demo values: every view of
// such a value marks it (模拟).
const SourceSynthetic = "synthetic"
