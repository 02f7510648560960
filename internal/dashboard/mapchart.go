package dashboard

import (
	"fmt"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/sixprot/hub/internal/analytics"
)

// chartMap is the district map: the page's regions drawn from their real
// boundaries, coloured red-amber-green by the indicator.
const chartMap = "map"

// mapInfo tells dashboard.js which boundaries to register for the map.
type mapInfo struct {
	// Name is the name the boundaries are registered under (the parent's
	// code) and the series' map.
	Name string `json:"name"`
	// URL is the boundary file on the hub (never outside it).
	URL string `json:"url"`
}

// prepareMap decides whether the page has a map (its parent has
// boundaries for its children) and which children have no boundary: they
// are named under the map and stay in the bar chart and the ranking.
func (m *Model) prepareMap() {
	names := boundaryNames(m.Parent.Code)
	if names == nil || len(m.Children) == 0 {
		return
	}
	m.HasMap = true
	for _, c := range m.Children {
		if !names[c.Name] {
			m.NoBoundary = append(m.NoBoundary, regionName(c, m.View.Lang))
		}
	}
}

// mapped is the figure the map colours for a row: per 10,000 minors where
// the comparison gives it (counts), the value otherwise.
func mapped(r *Row) (*float64, bool) {
	if r.PerTenK != nil {
		return r.PerTenK, true
	}
	return r.Value, false
}

// mapOption returns the map's options: one data item per region with a
// boundary, carrying the figure it is coloured by, its tooltip (value with
// ≥/≈, rank, status, red-amber-green, 模拟) and the link a click opens;
// a piecewise visual map shows the thresholds as the legend.
func (m *Model) mapOption() map[string]any {
	lang := m.View.Lang
	names := boundaryNames(m.Parent.Code)
	perTenK := false
	var peers []float64
	for _, r := range m.Rows {
		if v, p := mapped(r); v != nil && names[r.Region.Name] {
			peers = append(peers, *v)
			perTenK = perTenK || p
		}
	}
	measureName := m.L["value"]
	if perTenK {
		measureName = m.L["per10k"]
	}
	t, judged := thresholdsFor(m.Indicator, peers)
	// The rank the tooltip gives is the rank of the figure the map shows:
	// per 10,000 minors where it colours by that, even when the table
	// ranks raw values (青州市 has the most child directors, but is fifth
	// per 10,000 minors).
	keys := make([]*float64, len(m.Rows))
	for i, r := range m.Rows {
		keys[i], _ = mapped(r)
	}
	ranks, _ := analytics.Rank(keys)
	rankOf := map[*Row]int{}
	ranked := 0
	for i, r := range m.Rows {
		if ranks[i] != nil {
			rankOf[r] = *ranks[i]
			ranked++
		}
	}
	colon := m.L["colon"]
	nameMap := map[string]string{}
	var data []map[string]any
	for _, r := range m.Rows {
		if !names[r.Region.Name] {
			continue
		}
		shown := regionName(r.Region, lang)
		nameMap[r.Region.Name] = shown
		v, _ := mapped(r)
		tip := []string{shown}
		item := map[string]any{"name": shown, "link": r.Link}
		if v == nil {
			tip = append(tip, measureName+colon+"—")
		} else {
			item["value"] = round2(*v)
			if perTenK {
				tip = append(tip, measureName+colon+formatRate(v, r.Qualifier, lang))
			} else {
				tip = append(tip, measureName+colon+formatValue(v, r.Qualifier, lang))
			}
			if perTenK {
				tip = append(tip, m.L["value"]+colon+formatValue(r.Value, r.Qualifier, lang))
			}
			if rank := rankOf[r]; rank > 0 {
				tip = append(tip, fmt.Sprintf("%s%s%d / %d", m.L["rank"], colon, rank, ranked))
			}
			if judged {
				tip = append(tip, m.L["rag"]+colon+pick(ragWords[t.classify(*v)], lang))
			}
		}
		if r.Status != nil {
			tip = append(tip, m.L["status"]+colon+m.statusCell(r.Status).Text)
		}
		if r.Synthetic {
			tip = append(tip, m.L["simulated"])
		}
		item["tip"] = tip
		data = append(data, item)
	}

	mp := charts.NewMap()
	sub := m.View.Period + " · " + measureName
	mp.SetGlobalOptions(initOpts(chartMap), toolbox(),
		charts.WithTitleOpts(opts.Title{Title: m.L["map"] + " · " + indicatorName(m.Indicator, lang), Subtitle: sub}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		// The visual map is the legend; a series legend would only repeat
		// the subtitle.
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}))
	mp.AddSeries(measureName, nil)
	mp.Validate()
	o := mp.JSON()
	o["series"] = []map[string]any{{"type": "map", "name": measureName, "map": m.Parent.Code, "roam": false,
		"nameMap": nameMap, "data": data, "selectedMode": false, "showLegendSymbol": false, "layoutCenter": []string{"50%", "55%"}, "layoutSize": "88%",
		"label": map[string]any{"show": true, "fontSize": 11}, "labelLayout": map[string]any{"hideOverlap": true}, "itemStyle": map[string]any{"areaColor": "#e6e9ee", "borderColor": "#fff"},
		"emphasis": map[string]any{"label": map[string]any{"show": true}, "itemStyle": map[string]any{"areaColor": "#6fa8dc"}}}}
	if judged {
		o["visualMap"] = []map[string]any{{"type": "piecewise", "pieces": t.legend(lang), "left": "left", "bottom": "0",
			"text": []string{t.basis(lang)}, "showLabel": true, "textStyle": map[string]any{"fontSize": 11}}}
	}
	return o
}

// MapNote names the regions the map cannot draw.
func (m *Model) MapNote() string {
	if len(m.NoBoundary) == 0 {
		return ""
	}
	return strings.Join(m.NoBoundary, "、") + m.L["noboundary"]
}

// mapInfoOf is the boundary file the page's map needs.
func (m *Model) mapInfoOf() *mapInfo {
	if !m.HasMap {
		return nil
	}
	return &mapInfo{Name: m.Parent.Code, URL: AssetsHost + boundaryFiles[m.Parent.Code]}
}
