package dashboard

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
)

// choiceYears is how many years back the period list looks for released
// figures.
const choiceYears = 12

// PeriodChoice is one option of the period list.
type PeriodChoice struct {
	Period string
	// Released is false for the period the URL asked for when the page's
	// indicator has no released figure in it: it stays selectable, marked.
	Released bool
}

// periodChoices lists the years in which the page's indicator has a
// released figure for the page's region (what the viewer may read: the
// analytics service's rollups under the viewer's principal), latest
// first, and picks the view's period: the one asked for, else the latest
// released one, else DefaultPeriod.
func (m *Model) periodChoices(ctx context.Context, a hub.AnalyticsService, now int) error {
	from, to := strconv.Itoa(now-choiceYears+1), strconv.Itoa(now)
	series, err := a.Trend(ctx, m.Indicator.Key, []string{m.Parent.Code}, from, to)
	if err != nil {
		return fmt.Errorf("dashboard periods: %w", err)
	}
	var released []string
	if len(series) == 1 {
		for _, pt := range series[0].Points {
			if pt.Value != nil {
				released = append(released, pt.Period)
			}
		}
	}
	slices.Reverse(released)
	if m.View.Period == "" {
		m.View.Period = DefaultPeriod
		if len(released) > 0 {
			m.View.Period = released[0]
		}
	}
	for _, p := range released {
		m.PeriodChoices = append(m.PeriodChoices, PeriodChoice{Period: p, Released: true})
	}
	if !slices.Contains(released, m.View.Period) {
		// Asked for (or the default) without released figures: kept, in
		// its place among the others, and marked.
		at := len(m.PeriodChoices)
		for i, c := range m.PeriodChoices {
			if c.Period < m.View.Period {
				at = i
				break
			}
		}
		m.PeriodChoices = slices.Insert(m.PeriodChoices, at, PeriodChoice{Period: m.View.Period})
	}
	return nil
}

// protectionOfIndicator makes the view's protection the indicator's own
// when the URL did not choose one, so that the indicator list the
// protection narrows holds the indicator shown.
func (m *Model) protectionOfIndicator() {
	if !m.View.ProtectionSet && m.Indicator != nil && m.Indicator.Protection.NameZh() != "" {
		m.View.Protection = m.Indicator.Protection
	}
}

// trendPerTenK turns the trend into values per 10,000 minors of each
// region and period, for an indicator compared per capita
// (analytics.PerCapita); a point whose minors are unknown has no value.
// Qualifiers stay: ≥ of a count is ≥ of its rate.
func (m *Model) trendPerTenK(ctx context.Context, a hub.AnalyticsService, regions []string, from, to string) error {
	if !m.View.PerCapita || !analytics.PerCapita(m.Indicator) || len(m.Trends) == 0 {
		return nil
	}
	minors, err := a.Trend(ctx, hub.MinorsKey, regions, from, to)
	if err != nil {
		return fmt.Errorf("dashboard trend minors: %w", err)
	}
	byRegion := map[string]map[string]*float64{}
	for _, s := range minors {
		byRegion[s.RegionCode] = map[string]*float64{}
		for _, pt := range s.Points {
			byRegion[s.RegionCode][pt.Period] = pt.Value
		}
	}
	for _, s := range m.Trends {
		for i := range s.Points {
			pt := &s.Points[i]
			if pt.Value == nil {
				continue
			}
			v, mn := *pt.Value, byRegion[s.RegionCode][pt.Period]
			pt.Value = nil
			if mn != nil {
				if x, ok := analytics.PerTenThousand(v, *mn); ok {
					pt.Value = &x
				}
			}
		}
	}
	m.TrendPerTenK = true
	return nil
}

// SelectedCodes are the codes of the regions the radar and trend show:
// the region checkboxes that are ticked.
func (m *Model) SelectedCodes() []string {
	out := make([]string, len(m.Selected))
	for i, r := range m.Selected {
		out[i] = r.Code
	}
	return out
}

// heatValue is the heatmap's figure of ind at a region: the value, or with
// 每万名 on and a count compared per capita (analytics.PerCapita), the
// value per 10,000 of the region's minors in the period. Only when every
// region of the page has its minors: else the shading would mix rates and
// raw counts (a district's towns often have no minors count), and the
// figures stay raw.
func (m *Model) heatValue(ind *hub.Indicator, region string) *float64 {
	dv := m.Heat[ind.Key][region]
	if dv == nil || dv.Value == nil {
		return nil
	}
	if !m.View.PerCapita || !analytics.PerCapita(ind) || !m.minorsKnown() {
		return dv.Value
	}
	x, ok := analytics.PerTenThousand(*dv.Value, *m.Heat[hub.MinorsKey][region].Value)
	if !ok {
		return nil
	}
	return &x
}

// minorsKnown reports whether every region of the page has a released
// minors count in the period.
func (m *Model) minorsKnown() bool {
	for _, c := range m.Children {
		mn := m.Heat[hub.MinorsKey][c.Code]
		if mn == nil || mn.Value == nil || *mn.Value <= 0 {
			return false
		}
	}
	return len(m.Children) > 0
}
