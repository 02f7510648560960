package media

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// A small tree: city C with districts A (towns a1, a2), B (town b1) and D
// (no towns).
var tree = []Region{
	{Code: "C", Path: "C", Level: hub.LevelCity},
	{Code: "A", Parent: "C", Path: "C.A", Level: hub.LevelCounty},
	{Code: "B", Parent: "C", Path: "C.B", Level: hub.LevelCounty},
	{Code: "D", Parent: "C", Path: "C.D", Level: hub.LevelCounty},
	{Code: "a1", Parent: "A", Path: "C.A.a1", Level: hub.LevelTown},
	{Code: "a2", Parent: "A", Path: "C.A.a2", Level: hub.LevelTown},
	{Code: "b1", Parent: "B", Path: "C.B.b1", Level: hub.LevelTown},
}

var pathOf = func() map[string]string {
	m := map[string]string{}
	for _, r := range tree {
		m[r.Code] = r.Path
	}
	return m
}()

// fig is a figure of indicator "k" (SUM) in region code, collected at level.
func fig(code string, v *float64, q hub.Qualifier, level hub.RegionLevel) Figure {
	path := pathOf[code]
	parent := ""
	if i := strings.LastIndex(path, "."); i >= 0 {
		parent = path[:i][strings.LastIndex(path[:i], ".")+1:]
	}
	return Figure{Stat: hub.PublicityStat{IndicatorKey: "k", Period: "2022", RegionCode: code, Value: v, Qualifier: q},
		Parent: parent, Path: path, Aggregation: hub.Sum, CollectionLevel: level}
}

func totalOf(t *testing.T, cells []Cell, code string) *hub.PublicityStat {
	t.Helper()
	for _, c := range cells {
		if c.Stat.RegionCode == code && c.Stat.Aggregated {
			return c.Stat
		}
	}
	t.Fatalf("no total for %s", code)
	return nil
}

func TestTotals_QualifierSaysWhetherEveryCollectingRegionContributes(t *testing.T) {
	county, town := hub.LevelCounty, hub.LevelTown
	exact, atLeast, approx := hub.Exact, hub.AtLeast, hub.Approx
	tests := []struct {
		name    string
		figures []Figure
		want    map[string]struct {
			v float64
			q hub.Qualifier
		}
	}{
		{"every district published: exact",
			[]Figure{fig("A", f(10), exact, county), fig("B", f(20), exact, county), fig("D", f(5), exact, county)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"C": {35, exact}}},
		{"district D missing: at least",
			[]Figure{fig("A", f(10), exact, county), fig("B", f(20), exact, county)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"C": {30, atLeast}}},
		{"an approximate term wins over a missing district",
			[]Figure{fig("A", f(10), approx, county), fig("B", f(20), exact, county)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"C": {30, approx}}},
		{"an at-least term makes a complete total at least",
			[]Figure{fig("A", f(10), atLeast, county), fig("B", f(20), exact, county), fig("D", f(1), exact, county)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"C": {31, atLeast}}},
		{"a published district without a number is missing",
			[]Figure{fig("A", f(10), exact, county), fig("B", f(20), exact, county), fig("D", nil, exact, county)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"C": {30, atLeast}}},
		// Town level: D has no towns, so it collects nothing and is not missing.
		{"every town published: exact up to the city",
			[]Figure{fig("a1", f(1), exact, town), fig("a2", f(2), exact, town), fig("b1", f(4), exact, town)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"A": {3, exact}, "B": {4, exact}, "C": {7, exact}}},
		{"a town missing: its district and the city are at least, the other district exact",
			[]Figure{fig("a1", f(1), exact, town), fig("b1", f(4), exact, town)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"A": {1, atLeast}, "B": {4, exact}, "C": {5, atLeast}}},
		{"a district's own figure stands for its towns",
			[]Figure{fig("A", f(9), exact, town), fig("a1", f(1), exact, town), fig("b1", f(4), exact, town)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"B": {4, exact}, "C": {13, exact}}},
		{"a district missing altogether: at least",
			[]Figure{fig("a1", f(1), exact, town), fig("a2", f(2), exact, town)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"A": {3, exact}, "C": {3, atLeast}}},
		// Figures below the collection level add up to a total that cannot
		// know it is complete.
		{"towns of a district-level indicator: at least",
			[]Figure{fig("a1", f(1), exact, county), fig("a2", f(2), exact, county), fig("B", f(4), exact, county), fig("D", f(4), exact, county)},
			map[string]struct {
				v float64
				q hub.Qualifier
			}{"A": {3, atLeast}, "C": {11, atLeast}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells := Totals(tt.figures, tree)
			totals := 0
			for _, c := range cells {
				if c.Stat.Aggregated {
					totals++
				}
			}
			if totals != len(tt.want) {
				t.Errorf("%d totals, want %d", totals, len(tt.want))
			}
			for code, w := range tt.want {
				got := totalOf(t, cells, code)
				if got.Value == nil || *got.Value != w.v || got.Qualifier != w.q {
					t.Errorf("total of %s = %v %s, want %v %s", code, deref(got.Value), got.Qualifier, w.v, w.q)
				}
			}
		})
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}

// The differencing attack: per-query suppression asked for the
// district that complements a small cell showed it, since that query has
// no equation to protect; subtracting it from the city's answer gave the
// small cell back. Cut from one table, every answer withholds it.
func TestTable_ComplementStaysWithheldInEverySubtree(t *testing.T) {
	county := hub.LevelCounty
	figures := []Figure{fig("A", f(3), hub.Exact, county), fig("B", f(12), hub.Exact, county), fig("D", f(15), hub.Exact, county)}
	for i := range figures {
		figures[i].Sensitive = true
	}
	table := NewTable(figures, tree, DefaultThreshold)
	city := map[string]*hub.PublicityStat{}
	for _, s := range table.Within("C") {
		city[s.RegionCode] = s
	}
	if !city["A"].Suppressed || !city["B"].Suppressed || city["D"].Suppressed || city["C"].Suppressed {
		t.Fatalf("city answer: A %+v B %+v D %+v C %+v", city["A"], city["B"], city["D"], city["C"])
	}
	if *city["C"].Value != 30 {
		t.Errorf("city total %v, want 30", *city["C"].Value)
	}
	b := table.Within("C.B")
	if len(b) != 1 || !b[0].Suppressed || b[0].Value != nil {
		t.Errorf("district B asked alone shows %+v: 30 - 15 - 12 gives A's 3", b[0])
	}
	if got := table.Within("C.B", "C.A"); len(got) != 0 {
		t.Errorf("cells outside the caller's scope: %+v", got)
	}
}

// For random tables over a random tree, any two answers agree on every
// cell they share, every equation (total = Σ children) of the whole table
// has no or at least two withheld terms, and every sensitive small cell is
// withheld, so no set of answers gives a withheld cell by subtraction.
func TestTable_AnswersArePartsOfOneSafeTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 42))
	for round := range 200 {
		tree := []Region{{Code: "R", Path: "R", Level: hub.LevelCity}}
		for c := range 1 + rng.IntN(5) {
			code := fmt.Sprintf("c%d", c)
			tree = append(tree, Region{Code: code, Parent: "R", Path: "R." + code, Level: hub.LevelCounty})
			for tw := range rng.IntN(4) {
				tc := fmt.Sprintf("%st%d", code, tw)
				tree = append(tree, Region{Code: tc, Parent: code, Path: "R." + code + "." + tc, Level: hub.LevelTown})
			}
		}
		var figures []Figure
		for _, r := range tree {
			if r.Level != hub.LevelCity && rng.IntN(4) > 0 {
				v := float64(rng.IntN(20))
				figures = append(figures, Figure{Stat: hub.PublicityStat{IndicatorKey: "k", Period: "2022", RegionCode: r.Code, Value: &v},
					Parent: r.Parent, Path: r.Path, Sensitive: true, Aggregation: hub.Sum, CollectionLevel: hub.LevelTown})
			}
		}
		table := NewTable(figures, tree, DefaultThreshold)
		whole := map[string]*hub.PublicityStat{}
		for _, s := range table.Within("R") {
			whole[s.RegionCode] = s
			if s.Value != nil && *s.Value > 0 && *s.Value < DefaultThreshold {
				t.Fatalf("round %d: small cell %s = %v shown", round, s.RegionCode, *s.Value)
			}
		}
		for _, r := range tree {
			for _, s := range table.Within(r.Path) {
				w := whole[s.RegionCode]
				if w == nil || w.Suppressed != s.Suppressed || (s.Value == nil) != (w.Value == nil) || (s.Value != nil && *s.Value != *w.Value) {
					t.Fatalf("round %d: %s asked from %s = %+v, from the top %+v", round, s.RegionCode, r.Code, s, w)
				}
			}
		}
		for _, r := range tree {
			parent := whole[r.Code]
			if parent == nil {
				continue
			}
			hidden, terms := 0, 0
			if parent.Suppressed {
				hidden++
			}
			for _, c := range tree {
				if c.Parent == r.Code && whole[c.Code] != nil {
					terms++
					if whole[c.Code].Suppressed {
						hidden++
					}
				}
			}
			if terms > 0 && hidden == 1 {
				t.Fatalf("round %d: the equation of %s has exactly one withheld term", round, r.Code)
			}
		}
	}
}
