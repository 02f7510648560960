package dashboard

import (
	"fmt"
	"math"
	"slices"

	"github.com/sixprot/hub/internal/hub"
)

// Red-amber-green: what a figure means for a leader, not how big it is.
// A region is green when it does well on the indicator, red when it needs
// attention; for an indicator where fewer is better (crime cases), many is
// red.
type rag int

const (
	ragNone rag = iota - 1
	ragRed
	ragAmber
	ragGreen
)

// ragColours are the map's and the heatmap's colours, red to green.
var ragColours = [3]string{"#d9534f", "#f0ad4e", "#5cb85c"}

var ragWords = map[rag][2]string{ragRed: {"需关注", "needs attention"}, ragAmber: {"一般", "fair"}, ragGreen: {"良好", "good"}}

// Thresholds split an indicator's figures into red, amber and green. For
// a higher-is-better indicator a figure ≥ Green is green, ≥ Amber amber,
// else red; for a lower-is-better one a figure ≤ Green is green, ≤ Amber
// amber, else red. They apply to the figure the chart colours: per 10,000
// minors for counts where the minors are known, the value otherwise.
type Thresholds struct {
	Amber, Green  float64
	LowerIsBetter bool
	// Configured is set when the catalogue gives them (rag_amber,
	// rag_green); else they come from the peers' distribution.
	Configured bool
}

// thresholdsFor returns the indicator's configured thresholds, or by
// default the peers' tertiles: the lower third of the peers is red for a
// higher-is-better indicator and green for a lower-is-better one. With
// fewer than three peer figures there is no distribution to judge by.
func thresholdsFor(ind *hub.Indicator, peers []float64) (Thresholds, bool) {
	t := Thresholds{LowerIsBetter: ind.LowerIsBetter}
	if ind.RAGAmber != nil && ind.RAGGreen != nil {
		t.Amber, t.Green, t.Configured = *ind.RAGAmber, *ind.RAGGreen, true
		return t, true
	}
	if len(peers) < 3 {
		return t, false
	}
	low, high := quantile(peers, 1.0/3), quantile(peers, 2.0/3)
	if t.LowerIsBetter {
		t.Green, t.Amber = low, high
	} else {
		t.Amber, t.Green = low, high
	}
	return t, true
}

// quantile is the q-quantile of xs by linear interpolation between order
// statistics (type 7, as spreadsheets compute it).
func quantile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	h := q * float64(len(s)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}

// classify places v.
func (t Thresholds) classify(v float64) rag {
	if t.LowerIsBetter {
		switch {
		case v <= t.Green:
			return ragGreen
		case v <= t.Amber:
			return ragAmber
		}
		return ragRed
	}
	switch {
	case v >= t.Green:
		return ragGreen
	case v >= t.Amber:
		return ragAmber
	}
	return ragRed
}

// legend is the three classes with their ranges, as the map's visual-map
// pieces: [{min, max, label, color}], red first.
func (t Thresholds) legend(lang string) []map[string]any {
	a, g := round2(t.Amber), round2(t.Green)
	label := func(r rag, rng string) string { return pick(ragWords[r], lang) + " " + rng }
	fa, fg := formatNumber(a, lang), formatNumber(g, lang)
	if t.LowerIsBetter {
		return []map[string]any{
			{"gt": a, "label": label(ragRed, "> "+fa), "color": ragColours[ragRed]},
			{"gt": g, "lte": a, "label": label(ragAmber, fg+"–"+fa), "color": ragColours[ragAmber]},
			{"lte": g, "label": label(ragGreen, "≤ "+fg), "color": ragColours[ragGreen]},
		}
	}
	return []map[string]any{
		{"lt": a, "label": label(ragRed, "< "+fa), "color": ragColours[ragRed]},
		{"gte": a, "lt": g, "label": label(ragAmber, fa+"–"+fg), "color": ragColours[ragAmber]},
		{"gte": g, "label": label(ragGreen, "≥ "+fg), "color": ragColours[ragGreen]},
	}
}

// classLegend is the heatmap's legend: one piece per class (its rows have
// thresholds of their own).
func classLegend(lang string) []map[string]any {
	var out []map[string]any
	for r := ragRed; r <= ragGreen; r++ {
		out = append(out, map[string]any{"value": int(r), "label": pick(ragWords[r], lang), "color": ragColours[r]})
	}
	return out
}

// basis says what the thresholds were drawn from, for the legend's title.
func (t Thresholds) basis(lang string) string {
	if t.Configured {
		return pick([2]string{"阈值：指标目录设定", "thresholds: set in the catalogue"}, lang)
	}
	return pick([2]string{"阈值：同级地区三分位", "thresholds: tertiles of the peers"}, lang)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// measure is the figure a chart colours for a region: per 10,000 minors
// for counts where the minors are known, the value itself otherwise.
func measure(ind *hub.Indicator, v *float64, minors *float64) (*float64, bool) {
	if v == nil {
		return nil, false
	}
	if ind.ValueType == hub.Count && minors != nil && *minors > 0 {
		x := *v / *minors * 10000
		return &x, true
	}
	return v, false
}

func (t Thresholds) String() string {
	return fmt.Sprintf("amber %g green %g lower-is-better %v configured %v", t.Amber, t.Green, t.LowerIsBetter, t.Configured)
}

// heatCell is one coloured cell of the heatmap.
type heatCell struct {
	x           int
	class       rag
	shown, word string
	share       float64
}

// heatRow colours an indicator's row of the heatmap: each region's figure
// (per 10,000 minors for counts, where the minors are known) judged by the
// indicator's thresholds, configured or from this row's distribution.
func (m *Model) heatRow(ind *hub.Indicator) []heatCell {
	lang := m.View.Lang
	minors := m.Heat[hub.MinorsKey]
	figure := func(c *hub.Region) (*float64, *hub.DataValue, bool) {
		dv := m.Heat[ind.Key][c.Code]
		if dv == nil || dv.Value == nil {
			return nil, dv, false
		}
		var mv *float64
		if n := minors[c.Code]; n != nil {
			mv = n.Value
		}
		v, rate := measure(ind, dv.Value, mv)
		return v, dv, rate
	}
	var peers []float64
	var top float64
	for _, c := range m.Children {
		if v, _, _ := figure(c); v != nil {
			peers = append(peers, *v)
			top = max(top, *v)
		}
	}
	t, judged := thresholdsFor(ind, peers)
	var out []heatCell
	for x, c := range m.Children {
		v, dv, rate := figure(c)
		if v == nil {
			continue
		}
		q := dv.Qualifier
		cell := heatCell{x: x, class: ragNone, shown: formatValue(dv.Value, &q, lang), word: m.L["unjudged"]}
		// With 每万名 on, the cell shows the figure per 10,000 minors
		// (heatValue), as the bar chart and the trend do.
		perTenKShown := false
		if hv := m.heatValue(ind, c.Code); hv != nil && hv != dv.Value {
			cell.shown = formatRate(hv, &q, lang) + " / " + m.L["per10k"]
			perTenKShown = true
		}
		if isSynthetic(c, dv) {
			cell.shown += " " + m.L["simulated"]
		}
		if top > 0 {
			cell.share = math.Round(*v / top * 100)
		}
		if judged {
			cell.class = t.classify(*v)
			cell.word = pick(ragWords[cell.class], lang)
			// A count is judged (and its share taken) per 10,000 minors: a
			// raw cell says so, else 滨海's one case read 需关注 beside
			// 诸城市's three read 良好.
			if rate && !perTenKShown {
				cell.word += pick([2]string{"（按每万名未成年人 ", " (per 10,000 minors: "}, lang) + formatRate(v, nil, lang) + pick([2]string{"）", ")"}, lang)
			}
		}
		out = append(out, cell)
	}
	return out
}
