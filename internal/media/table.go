package media

import (
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// Figure is a published figure as stored, with what totals and
// suppression need to know of its region and indicator.
type Figure struct {
	Stat hub.PublicityStat
	// Parent is the code of the region above, "" at the top; Path the
	// region's path (codes from the root, joined by dots).
	Parent, Path    string
	Sensitive       bool
	Aggregation     hub.Aggregation
	CollectionLevel hub.RegionLevel
}

// Region is a region of the tree that totals are checked against: a total
// is complete only when every region below it that collects the indicator
// contributes.
type Region struct {
	Code, Parent, Path string
	Level              hub.RegionLevel
}

// Table is the media office's table of one period: the published figures,
// totals above them, and small cells withheld. It is built from the whole
// published table, whatever part of it a caller asks for, so that every
// answer is a part of one suppressed table: two answers for different
// regions agree on every cell they share, and what one withholds the other
// withholds too. Subtracting answers recovers nothing that the table
// itself does not give away, and the table gives none away (Suppress).
type Table struct {
	cells []Cell
}

// NewTable builds the table of figures (all published figures of a period,
// of every region) over the region tree, and suppresses sensitive small
// cells below threshold.
func NewTable(figures []Figure, tree []Region, threshold float64) *Table {
	cells := Totals(figures, tree)
	Suppress(cells, threshold)
	return &Table{cells: cells}
}

// Within returns the cells of the regions in the subtree of path (every
// path given must contain the region: the requested subtree and the
// caller's scope), in table order.
func (t *Table) Within(paths ...string) []*hub.PublicityStat {
	out := []*hub.PublicityStat{}
	for _, c := range t.cells {
		in := true
		for _, p := range paths {
			in = in && hub.Within(c.Path, p)
		}
		if in {
			st := *c.Stat
			out = append(out, &st)
		}
	}
	return out
}

// Totals returns the figures as cells plus, for SUM indicators, a total
// for every region above a figure that has no figure of its own, up to the
// top of the tree. A total adds the published figures below it; where a
// region has a figure of its own, that figure stands for its subtree.
//
// A total's qualifier is the weakest of its terms (Combine), and AT_LEAST
// when it is partial: it is EXACT only when every child region that
// collects the indicator (at its collection level, or above it with
// collecting regions below) contributes a figure or a complete total, and
// the total's region lies above the collection level. So a city total of
// the districts that published is "at least", as the leader's rollup says.
//
// Totals are computed before suppression, so that complementary suppression
// protects the cells they contain.
func Totals(figures []Figure, tree []Region) []Cell {
	type key struct{ indicator, period, code string }
	cells := make([]Cell, 0, len(figures))
	stored := map[key]*hub.PublicityStat{}
	for i := range figures {
		f := &figures[i]
		st := f.Stat
		cells = append(cells, Cell{Stat: &st, Parent: f.Parent, Path: f.Path, Sensitive: f.Sensitive})
		stored[key{st.IndicatorKey, st.Period, st.RegionCode}] = &st
	}

	totals := map[key]*Cell{}
	level := map[key]hub.RegionLevel{} // collection level of a total's indicator
	var order []key
	for i := range figures {
		f := &figures[i]
		if f.Aggregation != hub.Sum || f.Stat.Value == nil {
			continue
		}
		codes := strings.Split(f.Path, ".")
		// Ancestors from the parent up to the top, each with its own parent.
		for j := len(codes) - 2; j >= 0; j-- {
			k := key{f.Stat.IndicatorKey, f.Stat.Period, codes[j]}
			if stored[k] != nil {
				break // a published figure of its own: no total above it either
			}
			t := totals[k]
			if t == nil {
				parent := ""
				if j > 0 {
					parent = codes[j-1]
				}
				v := 0.0
				t = &Cell{Parent: parent, Path: strings.Join(codes[:j+1], "."), Sensitive: f.Sensitive, Stat: &hub.PublicityStat{
					IndicatorKey: f.Stat.IndicatorKey, RegionCode: codes[j], Period: f.Stat.Period,
					Value: &v, Qualifier: hub.Exact, Aggregated: true, PublishAt: f.Stat.PublishAt}}
				totals[k] = t
				level[k] = f.CollectionLevel
				order = append(order, k)
			}
			*t.Stat.Value += *f.Stat.Value
			t.Stat.Synthetic = t.Stat.Synthetic || f.Stat.Synthetic
			t.Stat.Qualifier = Combine(t.Stat.Qualifier, f.Stat.Qualifier)
			if f.Stat.PublishAt != nil && (t.Stat.PublishAt == nil || f.Stat.PublishAt.After(*t.Stat.PublishAt)) {
				t.Stat.PublishAt = f.Stat.PublishAt
			}
		}
	}

	// Which levels each region has in its subtree (itself included), and
	// each region's children.
	byCode := make(map[string]*Region, len(tree))
	children := map[string][]*Region{}
	has := map[string]map[hub.RegionLevel]bool{}
	for i := range tree {
		r := &tree[i]
		byCode[r.Code] = r
		if r.Parent != "" {
			children[r.Parent] = append(children[r.Parent], r)
		}
		for _, a := range strings.Split(r.Path, ".") {
			if has[a] == nil {
				has[a] = map[hub.RegionLevel]bool{}
			}
			has[a][r.Level] = true
		}
	}
	complete := map[key]bool{}
	var isComplete func(k key) bool
	isComplete = func(k key) bool {
		if c, ok := complete[k]; ok {
			return c
		}
		l := level[k]
		r := byCode[k.code]
		ok := r != nil && r.Level != l && has[k.code][l]
		for _, c := range children[k.code] {
			if !ok {
				break
			}
			if !has[c.Code][l] {
				continue // collects nothing of this indicator
			}
			ck := key{k.indicator, k.period, c.Code}
			switch {
			case stored[ck] != nil:
				ok = stored[ck].Value != nil
			case totals[ck] != nil:
				ok = isComplete(ck)
			default:
				ok = false
			}
		}
		complete[k] = ok
		return ok
	}
	for _, k := range order {
		t := totals[k]
		if !isComplete(k) {
			t.Stat.Qualifier = Combine(t.Stat.Qualifier, hub.AtLeast)
		}
		cells = append(cells, *t)
	}
	return cells
}

// Combine gives the qualifier of a sum: approximate if any term is, else
// at least if any term is.
func Combine(a, b hub.Qualifier) hub.Qualifier {
	switch {
	case a == hub.Approx || b == hub.Approx:
		return hub.Approx
	case a == hub.AtLeast || b == hub.AtLeast:
		return hub.AtLeast
	}
	return hub.Exact
}
