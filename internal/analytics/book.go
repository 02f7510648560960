package analytics

import (
	"fmt"

	"github.com/sixprot/hub/internal/hub"
)

// Cell is a value as the principal may see it: a rollup, or a derived
// value computed from rollups.
type Cell struct {
	Value     *float64
	Qualifier hub.Qualifier
	Status    hub.Status
}

// Rollup is one row of value_rollups: an indicator's released value
// aggregated at a region and period.
type Rollup struct {
	Indicator, Region, Period string
	Cell
}

// cellKey names one rollup.
type cellKey struct{ indicator, region, period string }

// Book holds a request's catalogue and the rollups it read, and answers
// what a value is at a region and period.
type Book struct {
	indicators map[string]*hub.Indicator
	deps       map[string][]string
	cells      map[cellKey]Cell
	counts     map[string]hub.TreeCounts
}

// RegionCount is how many towns and villages a region's subtree holds:
// what the names towns and villages stand for in a formula there.
type RegionCount struct {
	Region string
	hub.TreeCounts
}

// AddCounts files the tree counts of regions, which formulas read as towns
// and villages (hub.TreeCounts). A count is EXACT and, the tree being
// public, never lowers a derived value's status.
func (b *Book) AddCounts(counts []RegionCount) {
	if b.counts == nil {
		b.counts = make(map[string]hub.TreeCounts, len(counts))
	}
	for _, c := range counts {
		b.counts[c.Region] = c.TreeCounts
	}
}

// NewBook files the rollups under the catalogue inds, which must hold
// every derived indicator a value is asked of and the inputs of their
// formulas. It refuses a catalogue whose formulas do not parse or refer to
// themselves.
func NewBook(inds []*hub.Indicator, rollups []Rollup) (*Book, error) {
	b := &Book{indicators: map[string]*hub.Indicator{}, deps: map[string][]string{}, cells: map[cellKey]Cell{}}
	formulas := map[string]string{}
	for _, i := range inds {
		b.indicators[i.Key] = i
		if i.Formula != nil {
			formulas[i.Key] = *i.Formula
		}
	}
	if err := CheckFormulas(formulas); err != nil {
		return nil, fmt.Errorf("indicator catalogue: %w", err)
	}
	for k, f := range formulas {
		d, err := Dependencies(f)
		if err != nil {
			return nil, fmt.Errorf("indicator %s: %w", k, err)
		}
		b.deps[k] = d
	}
	for _, r := range rollups {
		b.cells[cellKey{r.Indicator, r.Region, r.Period}] = r.Cell
	}
	return b, nil
}

// Indicator returns the catalogue entry of key, or nil.
func (b *Book) Indicator(key string) *hub.Indicator { return b.indicators[key] }

// Value returns an indicator's value at a region and period: a rollup, or
// for a derived indicator its formula over the values of its inputs there
// (towns and villages are the region's tree counts, see AddCounts).
// ok is false when nothing is visible, and for a derived indicator when an
// input is missing. A derived value takes the lowest status of its inputs
// (APPROVED below PUBLISHED) and is APPROX when any input is not EXACT.
func (b *Book) Value(key, region, period string) (c Cell, ok bool, err error) {
	ind := b.indicators[key]
	if ind == nil && hub.IsTreeCount(key) {
		tc, ok := b.counts[region]
		n, _ := tc.Count(key)
		return Cell{Value: &n, Qualifier: hub.Exact, Status: hub.Published}, ok, nil
	}
	if ind == nil || ind.Formula == nil {
		c, ok := b.cells[cellKey{key, region, period}]
		return c, ok, nil
	}
	out := Cell{Qualifier: hub.Exact, Status: hub.Published}
	inputs := map[string]*float64{}
	for _, d := range b.deps[key] {
		c, ok, err := b.Value(d, region, period)
		if err != nil || !ok {
			return Cell{}, false, err
		}
		inputs[d] = c.Value
		if c.Qualifier != hub.Exact {
			out.Qualifier = hub.Approx
		}
		if c.Status == hub.Approved {
			out.Status = hub.Approved
		}
	}
	v, err := Evaluate(*ind.Formula, inputs)
	if err != nil {
		return Cell{}, false, fmt.Errorf("indicator %s: %w", key, err)
	}
	out.Value = v
	return out, true, nil
}

// Inputs are the indicator keys to read for figures of keys: the keys
// and the minors they may be counted per 10,000 of. (Formula inputs are
// closed over by the query that reads them.)
func Inputs(keys ...string) []string {
	return append(append([]string{}, keys...), hub.MinorsKey)
}

// Reads returns what figures of key are computed from, given the
// catalogue inds (which must hold every derived indicator): the keys of
// the rollups to read (key, the inputs of its formula and of theirs, and
// the minors, see Inputs) and whether a formula on the way reads towns or
// villages, the tree counts. It is the exact form of the closure
// neededIndicators computes in SQL.
func Reads(inds []*hub.Indicator, key string) (keys []string, treeCounts bool, err error) {
	formulas := make(map[string]string, len(inds))
	for _, i := range inds {
		if i.Formula != nil {
			formulas[i.Key] = *i.Formula
		}
	}
	seen := map[string]bool{}
	var walk func(k string) error
	walk = func(k string) error {
		if seen[k] {
			return nil
		}
		seen[k] = true
		if hub.IsTreeCount(k) {
			treeCounts = true
			return nil
		}
		keys = append(keys, k)
		f, ok := formulas[k]
		if !ok {
			return nil
		}
		deps, err := Dependencies(f)
		if err != nil {
			return fmt.Errorf("indicator %s: %w", k, err)
		}
		for _, d := range deps {
			if err := walk(d); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(key); err != nil {
		return nil, false, err
	}
	if !seen[hub.MinorsKey] {
		keys = append(keys, hub.MinorsKey)
	}
	return keys, treeCounts, nil
}

// WithYears returns periods and the years they lie in, whose minors a
// value per 10,000 minors of a quarter or month is computed with.
func WithYears(periods ...string) []string {
	out := append([]string{}, periods...)
	seen := map[string]bool{}
	for _, p := range periods {
		seen[p] = true
	}
	for _, p := range periods {
		if y := p[:4]; !seen[y] {
			seen[y] = true
			out = append(out, y)
		}
	}
	return out
}

// Minors returns the number of minors of a region in a period: of the
// period itself, else of its year (a quarter or month has its year's
// minors); nil when unknown or not positive.
func (b *Book) Minors(region, period string) *float64 {
	m, ok := b.cells[cellKey{hub.MinorsKey, region, period}]
	if !ok {
		m, ok = b.cells[cellKey{hub.MinorsKey, region, period[:4]}]
	}
	if !ok || m.Value == nil || *m.Value <= 0 {
		return nil
	}
	return m.Value
}

// PerTenThousand returns value per 10,000 minors; ok is false without a
// positive number of minors. It is the one place the hub computes the
// figure, for comparisons, profiles and outlier checks alike.
func PerTenThousand(value, minors float64) (float64, bool) {
	if minors <= 0 {
		return 0, false
	}
	return value / minors * 10000, true
}

// perTenK returns v per 10,000 of the region's minors in the period, or
// nil when v or the minors are unknown.
func (b *Book) perTenK(v *float64, region, period string) *float64 {
	if v == nil {
		return nil
	}
	m := b.Minors(region, period)
	if m == nil {
		return nil
	}
	x, ok := PerTenThousand(*v, *m)
	if !ok {
		return nil
	}
	return &x
}

// PerCapita reports whether an indicator is compared per 10,000 minors:
// counts other than the base figures.
func PerCapita(ind *hub.Indicator) bool {
	return ind.ValueType == hub.Count && ind.Protection != hub.Base
}

// PerTenK returns v, a value of ind at the region and period, per 10,000
// minors there when ind is compared per capita (PerCapita) and the minors
// are known; else nil.
func (b *Book) PerTenK(ind *hub.Indicator, v *float64, region, period string) *float64 {
	if !PerCapita(ind) {
		return nil
	}
	return b.perTenK(v, region, period)
}

// Normalised is an indicator's rollup as the profile scores it: counts and
// amounts per 10,000 minors (nil when the minors are unknown), percentages
// and rates as they are.
func (b *Book) Normalised(ind *hub.Indicator, region, period string) *float64 {
	c, ok := b.cells[cellKey{ind.Key, region, period}]
	if !ok || c.Value == nil {
		return nil
	}
	switch ind.ValueType {
	case hub.Count, hub.Amount:
		return b.perTenK(c.Value, region, period)
	default:
		return c.Value
	}
}
