package dashboard

import (
	"context"
	"fmt"
	"html/template"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

// Row is one region of the comparison.
type Row struct {
	Region    *hub.Region
	Name      string
	Value     *float64
	Qualifier *hub.Qualifier
	PerTenK   *float64
	Status    *hub.Status
	Rank      int
	// Link opens the region's own page (empty below counties).
	Link string
	// Synthetic marks invented demo figures (模拟).
	Synthetic bool
	// Shown is the value as readers see it: 万, ≥/≈, 模拟.
	Shown string
}

// Model is everything a page shows.
type Model struct {
	View       View
	L          labels
	Parent     *hub.Region
	Children   []*hub.Region
	Indicator  *hub.Indicator
	Indicators []*hub.Indicator
	Rows       []*Row
	KPIs       []KPI
	// Heat is the heatmap: indicators of the protection × children.
	HeatIndicators []*hub.Indicator
	Heat           map[string]map[string]*hub.DataValue
	Selected       []*hub.Region
	Profiles       []*hub.ProtectionProfile
	Trends         []*hub.TrendSeries
	Periods        []string
	// PeriodChoices are the period list's options, latest first.
	PeriodChoices []PeriodChoice
	// TrendPerTenK says the trend shows values per 10,000 minors.
	TrendPerTenK bool
	// ProfileOfParent says the radar shows the page's own region (a
	// county among its peers), its towns having no profile.
	ProfileOfParent bool
	// TrendSynthetic marks the trend's generated demo figures, by region
	// and period: their tooltips say 模拟 as the bar chart's do.
	TrendSynthetic map[string]map[string]bool
	HasAnalytics   bool
	// all is the whole catalogue; Indicators the ones the page offers.
	all []*hub.Indicator
	// released counts the children's released values of the period.
	released int
	User     string
	CSRF     string
	Role     hub.Role
	// Department is the viewer's department ("" for none): an analyst
	// reads other departments' figures only where shared.
	Department string
	// Empty says, per chart id, why the chart has no figure.
	Empty map[string]string
	// Missing says why the ranking's "—" have no figure ("" when every
	// row has one).
	Missing string
	// Replaced names the indicator the URL asked for when the page's
	// regions do not carry it and another is shown instead.
	Replaced string
	// Synthetic is set when the period's values of the page's regions
	// include generated demo values (source synthetic): the page says so,
	// the region names being real.
	Synthetic bool
	// Ups are the links up the tree from a district's or a town's page.
	Ups []upLink
	// HasMap is set when the parent has boundaries for its children (the
	// district map); NoBoundary names the children without one.
	HasMap     bool
	NoBoundary []string
}

var released = []hub.Status{hub.Approved, hub.Published}

const (
	directorsKey = "child_directors"
	hopeKey      = "hope_rooms"
)

// build gathers a page's figures through the services, as the viewer.
func (d *Dashboard) build(ctx context.Context, v View) (*Model, error) {
	p, err := hub.Signed(ctx)
	if err != nil {
		return nil, err
	}
	if d.cfg.Analytics == nil {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "分析服务尚未接入 / the analytics service is not wired")
	}
	m := &Model{View: v, L: labelsFor(v.Lang), HasAnalytics: true, User: p.Name, Role: p.Role, Empty: map[string]string{}}
	if p.Department != nil {
		m.Department = *p.Department
	}
	if s := hub.SessionFrom(ctx); s != nil {
		m.CSRF = s.CSRF
	}
	parentCode := v.Parent
	if parentCode == "" {
		parentCode = p.Region
	}
	rs, err := d.cfg.Catalogue.RegionsByCode(ctx, []string{parentCode})
	if err != nil {
		return nil, fmt.Errorf("dashboard region: %w", err)
	}
	if len(rs) == 0 || rs[0] == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", parentCode, parentCode)
	}
	m.Parent = rs[0]
	if err := access.ScopeBlockedBy(p, m.Parent); err != nil {
		return nil, err
	}
	children, err := d.cfg.Catalogue.RegionChildren(ctx, []string{parentCode})
	if err != nil {
		return nil, fmt.Errorf("dashboard regions: %w", err)
	}
	m.Children = children[0]
	if m.Indicators, err = d.cfg.Catalogue.Indicators(ctx, hub.IndicatorFilter{}); err != nil {
		return nil, fmt.Errorf("dashboard indicators: %w", err)
	}
	m.offerCollected()
	m.pickIndicator()
	m.protectionOfIndicator()
	if err := m.periodChoices(ctx, d.cfg.Analytics, d.cfg.Now().Year()); err != nil {
		return nil, err
	}
	v = m.View
	codes := make([]string, len(m.Children))
	byCode := map[string]*hub.Region{}
	for i, c := range m.Children {
		codes[i], byCode[c.Code] = c.Code, c
	}

	// One read of the period's released values of the children serves the
	// heatmap and the count of approved values.
	values, total, err := d.allValues(ctx, hub.ValueFilter{Regions: codes, Periods: []string{v.Period}, Statuses: released})
	if err != nil {
		return nil, err
	}
	byKey := map[string]map[string]*hub.DataValue{}
	for _, dv := range values {
		m.Synthetic = m.Synthetic || dv.Source == "synthetic"
		if byKey[dv.IndicatorKey] == nil {
			byKey[dv.IndicatorKey] = map[string]*hub.DataValue{}
		}
		byKey[dv.IndicatorKey][dv.RegionCode] = dv
	}
	m.released = total
	if err := m.kpis(ctx, d, total); err != nil {
		return nil, err
	}
	if err := m.comparison(ctx, d.cfg.Analytics, byCode, byKey[m.Indicator.Key]); err != nil {
		return nil, err
	}
	m.Heat = byKey
	offered := false
	// others is the protection's first offered indicator while every one
	// of them is another department's (nil once one is the viewer's own).
	var others *hub.Indicator
	own := false
	for _, ind := range m.Indicators {
		if ind.Protection == v.Protection {
			offered = true
			if len(byKey[ind.Key]) > 0 {
				m.HeatIndicators = append(m.HeatIndicators, ind)
			}
			if ind.DepartmentCode == m.Department {
				own = true
			} else if others == nil {
				others = ind
			}
		}
	}
	if len(m.HeatIndicators) == 0 {
		var ind *hub.Indicator
		if offered && !own && m.Role == hub.Analyst {
			// An analyst's heatmap of other departments' indicators only:
			// their reason, not "nothing approved".
			ind = others
		}
		if !offered {
			// No indicator of the protection is collected at this level.
			for _, i := range m.all {
				if i.Protection == v.Protection {
					ind = i
					break
				}
			}
		}
		m.Empty[chartHeatmap] = emptyReason(ind, m.childLevel(), m.Role, m.Department, v.Lang)
	}

	for _, c := range v.Regions {
		if r := byCode[c]; r != nil {
			m.Selected = append(m.Selected, r)
		}
	}
	if len(m.Selected) == 0 {
		for _, r := range m.Rows {
			if len(m.Selected) < 3 && r.Rank > 0 {
				m.Selected = append(m.Selected, r.Region)
			}
		}
	}
	sel := make([]string, len(m.Selected))
	for i, r := range m.Selected {
		sel[i] = r.Code
	}
	from, to := fmtPeriodRange(v.Period, 5)
	if len(sel) > 0 {
		if m.Profiles, err = d.cfg.Analytics.Profile(ctx, sel, v.Period); err != nil {
			return nil, fmt.Errorf("dashboard profile: %w", err)
		}
		if m.Trends, err = d.cfg.Analytics.Trend(ctx, m.Indicator.Key, sel, from, to); err != nil {
			return nil, fmt.Errorf("dashboard trend: %w", err)
		}
		if err := m.trendSynthetic(ctx, d, byCode); err != nil {
			return nil, err
		}
		if err := m.trendPerTenK(ctx, d.cfg.Analytics, sel, from, to); err != nil {
			return nil, err
		}
	}
	if err := m.ownProfile(ctx, d, p.Region); err != nil {
		return nil, err
	}
	m.explainEmpty()
	m.prepareMap()
	for _, t := range m.Trends {
		if len(t.Points) > len(m.Periods) {
			m.Periods = m.Periods[:0]
			for _, pt := range t.Points {
				m.Periods = append(m.Periods, pt.Period)
			}
		}
	}
	m.trimTrend()
	// Last: the links up keep the view as it was settled (indicator,
	// protection and period chosen above).
	if err := m.upLinks(ctx, d, p.Region); err != nil {
		return nil, err
	}
	return m, nil
}

// ownProfile shows a county page's own six-protections profile when its
// towns have none (the profile's indicators are collected per county): the
// county among its city's counties. A county leader, whose peers lie
// outside its scope, is scored against their quartiles (analytics'
// PEER_QUARTILES, docs/analytics.md); it saw "画像指标按县级采集" on its own
// page and its profile only on a city page it had no link to. A profile
// scored against peers the viewer cannot read (a county analyst's: 100 on
// every axis with a figure) is not shown.
func (m *Model) ownProfile(ctx context.Context, d *Dashboard, root string) error {
	if m.Parent.Level != hub.LevelCounty || scored(m.Profiles) {
		return nil
	}
	own, err := d.cfg.Analytics.Profile(ctx, []string{m.Parent.Code}, m.View.Period)
	if err != nil {
		return fmt.Errorf("dashboard own profile: %w", err)
	}
	if !scored(own) || (own[0].Basis != hub.PeerQuartilesBasis && m.Parent.Code == root) {
		return nil
	}
	m.Profiles, m.ProfileOfParent = own, true
	return nil
}

// scored reports whether any profile has a score.
func scored(ps []*hub.ProtectionProfile) bool {
	for _, pr := range ps {
		for _, s := range pr.Scores {
			if s.Score != nil {
				return true
			}
		}
	}
	return false
}

// upLink is a link up the region tree, named for where it goes.
type upLink struct {
	Href  template.URL
	Label string
}

// upLinks are the ways up from a page below the viewer's own (root): to
// its parent region's page when that is below root too (a town's page to
// its county's), and to the viewer's own page, /dashboard. Each says where
// it goes: "返回全市" led a county leader to its own county, and a town's
// page had no way back to its county.
func (m *Model) upLinks(ctx context.Context, d *Dashboard, root string) error {
	if m.View.Parent == "" || m.Parent.Code == root {
		return nil
	}
	codes := []string{root}
	up := ""
	if pc := m.Parent.ParentCode; pc != nil && *pc != root {
		up = *pc
		codes = append(codes, up)
	}
	rs, err := d.cfg.Catalogue.RegionsByCode(ctx, codes)
	if err != nil {
		return fmt.Errorf("dashboard regions above: %w", err)
	}
	if len(rs) > 1 && rs[1] != nil && (rs[0] == nil || hub.Within(rs[1].Path, rs[0].Path)) {
		m.Ups = append(m.Ups, upLink{Href: m.View.Href("/dashboard/region/"+up, "parent", "", "regions", ""), Label: m.L["back"] + regionName(rs[1], m.View.Lang)})
	}
	if len(rs) > 0 && rs[0] != nil {
		m.Ups = append(m.Ups, upLink{Href: m.View.Href("/dashboard", "parent", "", "regions", ""), Label: m.L["back"] + regionName(rs[0], m.View.Lang)})
	}
	return nil
}

// trendSynthetic finds which of the trend's figures are generated demo
// values (of a synthetic region, or with source synthetic), from the
// released values of the shown regions in the trend's periods. A point
// that is a rollup of its region's children, without a value of its own,
// is not marked.
func (m *Model) trendSynthetic(ctx context.Context, d *Dashboard, byCode map[string]*hub.Region) error {
	var regions, periods []string
	seen := map[string]bool{}
	for _, s := range m.Trends {
		regions = append(regions, s.RegionCode)
		for _, pt := range s.Points {
			if pt.Value != nil && !seen[pt.Period] {
				seen[pt.Period] = true
				periods = append(periods, pt.Period)
			}
		}
	}
	if len(periods) == 0 {
		return nil
	}
	values, _, err := d.allValues(ctx, hub.ValueFilter{Indicators: []string{m.Indicator.Key}, Regions: regions, Periods: periods, Statuses: released})
	if err != nil {
		return fmt.Errorf("dashboard trend sources: %w", err)
	}
	m.TrendSynthetic = map[string]map[string]bool{}
	for _, code := range regions {
		if r := byCode[code]; r != nil && r.Synthetic {
			m.TrendSynthetic[code] = map[string]bool{}
			for _, p := range periods {
				m.TrendSynthetic[code][p] = true
			}
		}
	}
	for _, dv := range values {
		if dv.Value != nil && isSynthetic(byCode[dv.RegionCode], dv) {
			if m.TrendSynthetic[dv.RegionCode] == nil {
				m.TrendSynthetic[dv.RegionCode] = map[string]bool{}
			}
			m.TrendSynthetic[dv.RegionCode][dv.Period] = true
		}
	}
	return nil
}

// trimTrend drops the leading periods in which no series has a value, so
// that the trend's axis starts where its lines do (it started at an empty
// 2018 when the data begin in 2019).
func (m *Model) trimTrend() {
	first := len(m.Periods)
	for _, t := range m.Trends {
		for i, pt := range t.Points {
			if pt.Value != nil {
				first = min(first, i)
				break
			}
		}
	}
	if first == 0 || first >= len(m.Periods) {
		return // starts with a value, or has none at all (the chart says why)
	}
	m.Periods = m.Periods[first:]
	for _, t := range m.Trends {
		if len(t.Points) > first {
			t.Points = t.Points[first:]
		}
	}
}

// childLevel is the level of the page's regions (towns below a county).
func (m *Model) childLevel() hub.RegionLevel {
	if len(m.Children) > 0 {
		return m.Children[0].Level
	}
	return m.Parent.Level
}

// offerCollected keeps, of the catalogue, the indicators the page's
// regions carry: those collected at their level or below it (a district
// page offers its towns' indicators, not the county-level ones). The
// whole catalogue stays in all, for the reasons of empty charts.
func (m *Model) offerCollected() {
	m.all = m.Indicators
	level := m.childLevel()
	var keep []*hub.Indicator
	for _, ind := range m.Indicators {
		if collectedAt(ind, level) {
			keep = append(keep, ind)
		}
	}
	m.Indicators = keep
	if want := m.View.Indicator; want != "" {
		known := false
		for _, ind := range m.all {
			if ind.Key == want {
				known = true
				if !collectedAt(ind, level) {
					m.Replaced = indicatorName(ind, m.View.Lang) + m.L["colon"] + emptyReason(ind, level, m.Role, m.Department, m.View.Lang)
				}
			}
		}
		if !known {
			// An unknown key (a typo, a retired indicator's bookmark) was
			// replaced without a word.
			m.Replaced = want + m.L["colon"] + m.L["noind"]
		}
	}
}

// explainEmpty gives every chart without a figure, and the ranking's
// "—", their true reason.
func (m *Model) explainEmpty() {
	reason := emptyReason(m.Indicator, m.childLevel(), m.Role, m.Department, m.View.Lang)
	shown := 0
	for _, r := range m.Rows {
		if r.Value != nil {
			shown++
		}
	}
	if shown == 0 {
		m.Empty[chartBar] = reason
	}
	if shown < len(m.Rows) || len(m.Rows) == 0 {
		m.Missing = "—" + m.L["colon"] + reason
	}
	points := 0
	for _, t := range m.Trends {
		for _, p := range t.Points {
			if p.Value != nil {
				points++
			}
		}
	}
	if points == 0 {
		m.Empty[chartTrend] = reason
	}
	scores := 0
	for _, pr := range m.Profiles {
		for _, s := range pr.Scores {
			if s.Score != nil {
				scores++
			}
		}
	}
	if scores == 0 {
		m.Empty[chartRadar] = profileEmptyReason(m.released, m.childLevel(), m.View.Lang)
	}
}

// pickIndicator resolves the indicator of the view: the one asked for, or
// child directors for districts and the first town-level one for towns.
func (m *Model) pickIndicator() {
	want := m.View.Indicator
	townLevel := len(m.Children) > 0 && m.Children[0].Level == hub.LevelTown
	for _, ind := range m.Indicators {
		if ind.Key == want {
			m.Indicator = ind
			return
		}
	}
	for _, ind := range m.Indicators {
		if (!townLevel && ind.Key == directorsKey) || (townLevel && ind.CollectionLevel == hub.LevelTown) {
			m.Indicator = ind
			break
		}
	}
	if m.Indicator == nil && len(m.Indicators) > 0 {
		m.Indicator = m.Indicators[0]
	}
	if m.Indicator == nil {
		m.Indicator = &hub.Indicator{Key: want, Name: want}
	}
	m.View.Indicator = m.Indicator.Key
}

// allValues pages through FindValues.
func (d *Dashboard) allValues(ctx context.Context, f hub.ValueFilter) ([]*hub.DataValue, int, error) {
	var out []*hub.DataValue
	page := hub.ValuePage{First: 1000}
	total := 0
	for {
		conn, err := d.cfg.Values.FindValues(ctx, f, page)
		if err != nil {
			return nil, 0, fmt.Errorf("dashboard values: %w", err)
		}
		if !page.SkipCount {
			total = conn.TotalCount
		}
		out = append(out, conn.Values...)
		if !conn.HasNextPage || len(conn.Values) == 0 {
			return out, total, nil
		}
		// The first page counted them all; later pages need not.
		k := conn.Values[len(conn.Values)-1].Key()
		page.After, page.SkipCount = &k, true
	}
}

// comparison fills the ranking from the analytics service: the same
// values, per-10,000 figures, qualifiers, statuses and ranks as the API's
// comparison. The API ranks counts per 10,000 minors; when the viewer asks
// for raw values instead, the rows are ranked on those with the same
// ranking rule (analytics.Rank).
func (m *Model) comparison(ctx context.Context, a hub.AnalyticsService, byCode map[string]*hub.Region, own map[string]*hub.DataValue) error {
	// A district page shows its towns: the link keeps the indicator only
	// when towns carry it.
	keep := m.View.Indicator
	if !collectedAt(m.Indicator, hub.LevelTown) {
		keep = ""
	}
	link := func(r *hub.Region) string {
		if r.Level == hub.LevelCounty {
			return "/dashboard/region/" + r.Code + "?" + m.View.Query("regions", "", "parent", "", "indicator", keep)
		}
		return ""
	}
	if len(m.Children) == 0 {
		return nil
	}
	parent := m.Parent.Code
	rows, err := a.Comparison(ctx, hub.ComparisonQuery{Indicator: m.Indicator.Key, Period: m.View.Period,
		Parent: &parent, Level: m.Children[0].Level})
	if err != nil {
		return fmt.Errorf("dashboard comparison: %w", err)
	}
	apiPerTenK := false
	for _, cr := range rows {
		r := byCode[cr.RegionCode]
		if r == nil {
			continue
		}
		row := &Row{Region: r, Name: regionName(r, m.View.Lang), Value: cr.Value,
			Qualifier: cr.Qualifier, PerTenK: cr.PerTenThousandMinors, Status: cr.Status, Link: link(r),
			Synthetic: cr.Value != nil && isSynthetic(r, own[r.Code])}
		row.Shown = formatValue(row.Value, row.Qualifier, m.View.Lang)
		if cr.Rank != nil {
			row.Rank = *cr.Rank
		}
		if cr.Value != nil && cr.PerTenThousandMinors != nil {
			apiPerTenK = true
		}
		m.Rows = append(m.Rows, row)
	}
	if m.View.PerCapita != apiPerTenK {
		rankRows(m.Rows, m.View.PerCapita)
	}
	return nil
}
