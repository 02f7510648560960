// Package media decides what reaches the media office, over plain values:
// totals of published figures and their qualifiers, small-cell suppression
// of sensitive counts, the part of the one suppressed table a request sees
// (Stats), the checks of a publication, and Chinese press wording of
// figures ("2万余份"). internal/postgres reads the published table and
// hands it here.
package media

import (
	"sort"

	"github.com/sixprot/hub/internal/hub"
)

// DefaultThreshold is the smallest count of a sensitive indicator that is
// shown: 1–4 vulnerable children in a town can identify them.
const DefaultThreshold = 5

// Cell is one figure with what suppression needs to know about it.
type Cell struct {
	Stat *hub.PublicityStat
	// Parent is the code of the region above, "" at the top; Path is the
	// region's path.
	Parent, Path string
	Sensitive    bool
}

// Suppress withholds small cells and their complements, in place.
//
// Primary suppression: a sensitive figure v with 0 < v < threshold is
// withheld (0 is shown: it identifies nobody). Complementary suppression:
// for each indicator and period, a parent figure together with its
// children forms an equation total = Σ children. Whenever exactly one term
// of such an equation is withheld, it could be recovered by subtraction,
// so the smallest other shown term is withheld too; this repeats until no
// equation has exactly one withheld term. Children that are not all
// present (the parent total includes figures not published) still count:
// the subtraction would give an upper bound only when more than one term
// is missing, which is what the rule ensures.
func Suppress(cells []Cell, threshold float64) {
	for _, c := range cells {
		if c.Sensitive && c.Stat.Value != nil && *c.Stat.Value > 0 && *c.Stat.Value < threshold {
			withhold(c.Stat, hub.SmallCount, "")
		}
	}
	type group struct{ indicator, period, parent string }
	byCode := map[[3]string]*hub.PublicityStat{}
	children := map[group][]*hub.PublicityStat{}
	for _, c := range cells {
		s := c.Stat
		byCode[[3]string{s.IndicatorKey, s.Period, s.RegionCode}] = s
		if c.Parent != "" {
			g := group{s.IndicatorKey, s.Period, c.Parent}
			children[g] = append(children[g], s)
		}
	}
	// Deterministic order, so the same data always hide the same cells.
	groups := make([]group, 0, len(children))
	for g := range children {
		groups = append(groups, g)
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.indicator != b.indicator {
			return a.indicator < b.indicator
		}
		if a.period != b.period {
			return a.period < b.period
		}
		return a.parent < b.parent
	})
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			parent := byCode[[3]string{g.indicator, g.period, g.parent}]
			if parent == nil {
				continue // no published total: nothing to subtract from
			}
			terms := append([]*hub.PublicityStat{parent}, children[g]...)
			hidden := 0
			var lone *hub.PublicityStat
			for _, t := range terms {
				if t.Suppressed {
					hidden++
					lone = t
				}
			}
			if hidden != 1 {
				continue
			}
			if next := smallestShown(terms); next != nil {
				withhold(next, hub.Complementary, lone.RegionCode)
				changed = true
			}
		}
	}
}

// withhold withholds s for reason; protects names the region of the
// withheld figure a complementary one protects.
func withhold(s *hub.PublicityStat, reason hub.Suppression, protects string) {
	s.Suppressed = true
	s.Value = nil
	s.Suppression, s.Protects = reason, protects
}

// smallestShown returns the shown term with the smallest value; the
// parent total is last in line, as the figure readers want most.
func smallestShown(terms []*hub.PublicityStat) *hub.PublicityStat {
	var best *hub.PublicityStat
	for _, t := range terms[1:] {
		if t.Suppressed || t.Value == nil {
			continue
		}
		if best == nil || *t.Value < *best.Value || (*t.Value == *best.Value && t.RegionCode < best.RegionCode) {
			best = t
		}
	}
	if best == nil && !terms[0].Suppressed {
		best = terms[0]
	}
	return best
}
