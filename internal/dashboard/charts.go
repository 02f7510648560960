package dashboard

import (
	"math"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/components"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/sixprot/hub/internal/hub"
)

// Chart ids, stable for the page, the script and the tests.
const (
	chartBar     = "bar"
	chartRadar   = "radar"
	chartTrend   = "trend"
	chartHeatmap = "heatmap"
)

var chartIDs = []string{chartBar, chartRadar, chartTrend, chartHeatmap, chartMap}

func initOpts(id string) charts.GlobalOpts {
	return charts.WithInitializationOpts(opts.Initialization{ChartID: id, AssetsHost: AssetsHost, Width: "100%", Height: "360px"})
}

func toolbox() charts.GlobalOpts {
	return charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Feature: &opts.ToolBoxFeature{
		SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Type: "png", Name: "hub-chart"}}})
}

// wholeTicks gives a chart of counts shown raw (not per 10,000 minors) a
// value axis ticking at whole numbers: a village's 0 to 2 homes ticked at
// 0.2. No option for any other chart, whose axis ECharts chooses.
func wholeTicks(ind *hub.Indicator, perTenK bool) []charts.GlobalOpts {
	if ind.ValueType != hub.Count || perTenK {
		return nil
	}
	return []charts.GlobalOpts{charts.WithYAxisOpts(opts.YAxis{MinInterval: 1})}
}

func num(v *float64) any {
	if v == nil {
		return "-"
	}
	return math.Round(*v*100) / 100
}

// page collects the charts of a model with go-echarts; its JS assets are
// the hub's own.
// chartData is what data.json answers: the charts' options, the links
// their clicks open, the values as readers see them (per chart, series and
// point: ≥, ≈, 万, 模拟) for the tooltips, and why a chart is empty.
type chartData struct {
	Charts map[string]map[string]any `json:"charts"`
	Links  map[string][]string       `json:"links"`
	Shown  map[string][][]string     `json:"shown"`
	Empty  map[string]string         `json:"empty"`
	// Maps are the boundaries a map chart needs registered, by chart id.
	Maps map[string]*mapInfo `json:"maps,omitempty"`
	// KPIs are the headline cards and Ranking the ranking's rows, for a
	// refresh without reloading.
	KPIs    []KPI        `json:"kpis"`
	Ranking []rankingRow `json:"ranking"`
}

func (m *Model) page() (*components.Page, chartData) {
	page := components.NewPage()
	page.SetAssetsHost(AssetsHost)
	lang := m.View.Lang
	measure := m.L["value"]
	if m.View.PerCapita {
		measure = m.L["per10k"]
	}

	bar := charts.NewBar()
	bar.SetGlobalOptions(initOpts(chartBar), toolbox(),
		charts.WithTitleOpts(opts.Title{Title: indicatorName(m.Indicator, lang), Subtitle: m.View.Period + " · " + measure}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		// One series: a legend would only repeat the subtitle.
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Rotate: 35, Interval: "0"}}),
		// containLabel: the grid makes room for the rotated names (cut to
		// a width by dashboard.js) instead of clipping them at the bottom.
		charts.WithGridOpts(opts.Grid{Bottom: "40", Left: "20", Right: "20", ContainLabel: opts.Bool(true)}))
	bar.SetGlobalOptions(wholeTicks(m.Indicator, m.View.PerCapita)...)
	var names []string
	var data []opts.BarData
	var links []string
	// shown are the bars' values as readers see them (≥, ≈, 万, 模拟), for
	// the tooltip of dashboard.js.
	var shown []string
	for _, r := range m.Rows {
		names = append(names, r.Name)
		v, q := r.Value, r.Qualifier
		s := formatValue(v, q, lang)
		if m.View.PerCapita {
			v, q = r.PerTenK, nil
			s = formatRate(v, q, lang)
		}
		bd := opts.BarData{Name: r.Name, Value: num(v)}
		if r.Synthetic {
			// Invented demo figures are drawn pale and say so.
			bd.ItemStyle = &opts.ItemStyle{Opacity: opts.Float(0.45)}
			s += " " + m.L["simulated"]
		}
		data = append(data, bd)
		shown = append(shown, s)
		links = append(links, r.Link)
	}
	bar.SetXAxis(names).AddSeries(measure, data)

	radar := charts.NewRadar()
	var indicators []*opts.Indicator
	for _, p := range hub.Protections[:6] {
		indicators = append(indicators, &opts.Indicator{Name: protectionName(p, lang), Max: 100})
	}
	radar.SetGlobalOptions(initOpts(chartRadar), toolbox(),
		charts.WithTitleOpts(opts.Title{Title: m.L["radar"], Subtitle: subtitleRadar(m)}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithRadarComponentOpts(opts.RadarComponent{Indicator: indicators}))
	for _, pr := range m.Profiles {
		scores := map[hub.Protection]*float64{}
		for _, s := range pr.Scores {
			scores[s.Protection] = s.Score
		}
		var vals []any
		for _, p := range hub.Protections[:6] {
			vals = append(vals, num(scores[p]))
		}
		radar.AddSeries(m.regionLabel(pr.RegionCode), []opts.RadarData{{Name: m.regionLabel(pr.RegionCode), Value: vals}})
	}
	if len(m.Profiles) == 0 {
		radar.AddSeries("—", []opts.RadarData{})
	}

	trend := charts.NewLine()
	trendSub := indicatorName(m.Indicator, lang)
	if m.TrendPerTenK {
		trendSub += " · " + m.L["per10k"]
	}
	trend.SetGlobalOptions(initOpts(chartTrend), toolbox(),
		charts.WithTitleOpts(opts.Title{Title: m.L["trend"], Subtitle: trendSub}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}))
	trend.SetGlobalOptions(wholeTicks(m.Indicator, m.TrendPerTenK)...)
	trend.SetXAxis(m.Periods)
	var trendShown [][]string
	for _, s := range m.Trends {
		var pts []opts.LineData
		var labels []string
		for _, p := range s.Points {
			pts = append(pts, opts.LineData{Value: num(p.Value)})
			label := formatValue(p.Value, p.Qualifier, lang)
			if m.TrendPerTenK {
				label = formatRate(p.Value, p.Qualifier, lang)
			}
			if p.Value != nil && m.TrendSynthetic[s.RegionCode][p.Period] {
				label += " " + m.L["simulated"]
			}
			labels = append(labels, label)
		}
		trend.AddSeries(m.regionLabel(s.RegionCode), pts)
		trendShown = append(trendShown, labels)
	}
	if len(m.Trends) == 0 {
		trend.AddSeries("—", []opts.LineData{})
	}

	heat := charts.NewHeatMap()
	heatSub := protectionName(m.View.Protection, lang)
	if m.View.PerCapita && m.minorsKnown() {
		heatSub += " · " + m.L["heatpercap"]
	}
	var xs, ys []string
	for _, r := range m.Children {
		xs = append(xs, regionName(r, lang))
	}
	var hd []opts.HeatMapData
	for y, ind := range m.HeatIndicators {
		ys = append(ys, indicatorName(ind, lang))
		for _, c := range m.heatRow(ind) {
			// [x, y, red-amber-green class, the value as readers see it,
			// share of the row's highest value in %, the class's word]: the
			// visual map colours by the class, the tooltip of dashboard.js
			// shows the rest.
			hd = append(hd, opts.HeatMapData{Value: [6]any{c.x, y, int(c.class), c.shown, c.share, c.word}})
		}
	}
	heat.SetGlobalOptions(initOpts(chartHeatmap), toolbox(),
		charts.WithTitleOpts(opts.Title{Title: m.L["heatmap"], Subtitle: heatSub}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: xs, AxisLabel: &opts.AxisLabel{Rotate: 35, Interval: "0"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: ys, AxisLabel: &opts.AxisLabel{Interval: "0", FontSize: 11}}),
		charts.WithGridOpts(opts.Grid{Left: "10", Bottom: "60", Right: "20", ContainLabel: opts.Bool(true)}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithVisualMapOpts(opts.VisualMap{Orient: "horizontal", Left: "center", Bottom: "0", Dimension: "2"}))
	heat.AddSeries(protectionName(m.View.Protection, lang), hd)

	page.AddCharts(bar, radar, trend, heat)
	page.Validate()
	heatOpt := heat.JSON()
	// The legend: one piece per class, each row judged by thresholds of
	// its own (colors.go).
	heatOpt["visualMap"] = []map[string]any{{"type": "piecewise", "dimension": 2, "orient": "horizontal", "left": "center", "bottom": 0,
		"pieces": append(classLegend(lang), map[string]any{"value": int(ragNone), "label": m.L["unjudged"], "color": "#c8ced6"})}}
	out := map[string]map[string]any{chartBar: bar.JSON(), chartRadar: radar.JSON(), chartTrend: trend.JSON(), chartHeatmap: heatOpt}
	var maps map[string]*mapInfo
	if m.HasMap {
		out[chartMap] = m.mapOption()
		maps = map[string]*mapInfo{chartMap: m.mapInfoOf()}
	}
	for id, reason := range m.Empty {
		if o := out[id]; o != nil {
			o["graphic"] = emptyGraphic(reason)
		}
	}
	return page, chartData{Charts: out, Links: map[string][]string{chartBar: links},
		Shown: map[string][][]string{chartBar: {shown}, chartTrend: trendShown}, Empty: m.Empty, Maps: maps, KPIs: m.KPIs, Ranking: m.rankingRows()}
}

// emptyGraphic writes reason across the middle of an empty chart.
func emptyGraphic(reason string) []map[string]any {
	return []map[string]any{{"type": "text", "left": "center", "top": "middle", "silent": true,
		"style": map[string]any{"text": reason, "fontSize": 16, "fill": "#8a99ab"}}}
}

func subtitleRadar(m *Model) string {
	if !m.HasAnalytics {
		return m.L["noanalytic"]
	}
	sub := m.View.Period
	if m.ProfileOfParent {
		sub = regionName(m.Parent, m.View.Lang) + " · " + sub
	}
	for _, pr := range m.Profiles {
		if pr.Basis == hub.PeerQuartilesBasis {
			sub += " · " + m.L["quartiles"]
			break
		}
	}
	// The scores are made of the period's figures: generated ones make
	// them generated too (the radar was the one chart without 模拟).
	if m.Synthetic && len(m.Profiles) > 0 {
		sub += " · " + m.L["simincl"]
	}
	return sub
}

func (m *Model) regionLabel(code string) string {
	if code == m.Parent.Code {
		return regionName(m.Parent, m.View.Lang)
	}
	for _, r := range m.Children {
		if r.Code == code {
			return regionName(r, m.View.Lang)
		}
	}
	return code
}
