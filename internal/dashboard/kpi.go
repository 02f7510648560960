package dashboard

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

// KPI is a headline card: the page region's own total of an indicator,
// its change on the same period a year before (同比) and on the previous
// period where the period type has one (环比: months, quarters), when the
// latest approval of the figures shown was (数据截至) and who reports them.
type KPI struct {
	Label, Value, Note string
	// YoY and MoM are 同比 and 环比; nil when the card has none (环比 of a
	// year, or the approved-values count).
	YoY, MoM *Change
	// AsOf is the time of the latest approval among the values the figure
	// is made of, in Asia/Shanghai ("" when none is shown).
	AsOf string
	// Source names the reporting department.
	Source string
	// Synthetic marks a figure made of generated demo values (模拟).
	Synthetic bool
	// SimMark is 模拟 in the page's language when Synthetic.
	SimMark string
}

// Change is a card's 同比 or 环比 as readers see it: "同比 ↑8.0%（+80）",
// with the class its colour comes from: good or bad by the indicator's
// direction, flat, or none without a figure to compare.
type Change struct {
	Text  string
	Class string
}

// mark says a change compares with generated demo figures (模拟) when the
// card's own figure is real: the card then shows no 模拟 mark of its own.
func (c *Change) mark(yes bool, word string) {
	if yes && c != nil {
		c.Text += " " + word
	}
}

// shanghai is China Standard Time, UTC+8 all year.
var shanghai = time.FixedZone("CST", 8*60*60)

// asOfText writes the time of the latest approval.
func asOfText(t time.Time, lang string) string {
	if t.IsZero() {
		return ""
	}
	s := t.In(shanghai).Format("2006-01-02 15:04")
	if lang == "en" {
		return "Data as of " + s + " (UTC+08:00 Asia/Shanghai)"
	}
	return "数据截至 " + s + "（北京时间）"
}

// previous returns the period a year before p (同比) and, for months and
// quarters, the period before it (环比; "" for a year).
func previous(p hub.Period) (yearAgo, before string) {
	y := p
	y.Year--
	yearAgo = y.String()
	switch p.Type() {
	case hub.Quarter:
		b := p
		if b.Quarter--; b.Quarter == 0 {
			b.Year, b.Quarter = b.Year-1, 4
		}
		before = b.String()
	case hub.Month:
		b := p
		if b.Month--; b.Month == 0 {
			b.Year, b.Month = b.Year-1, 12
		}
		before = b.String()
	}
	return yearAgo, before
}

// change compares cur with prev: the arrow, the relative change to one
// decimal (and the absolute one), coloured by the indicator's direction:
// a rise is good unless lower is better. A qualifier on either side (≥,
// ≈) makes the change approximate (≈). Without both figures, or from 0,
// there is no percentage.
func change(word string, cur, prev *float64, curQ, prevQ *hub.Qualifier, lowerIsBetter bool, lang string) *Change {
	if cur == nil || prev == nil {
		return &Change{Text: word + " —", Class: "none"}
	}
	d := *cur - *prev
	approx := ""
	if qualifierMark(curQ) != "" || qualifierMark(prevQ) != "" {
		approx = "≈"
	}
	arrow, class := "→", "flat"
	switch {
	case d > 0:
		arrow, class = "↑", "good"
		if lowerIsBetter {
			class = "bad"
		}
	case d < 0:
		arrow, class = "↓", "bad"
		if lowerIsBetter {
			class = "good"
		}
	}
	abs := formatNumber(math.Abs(d), lang)
	sign := "+"
	if d < 0 {
		sign = "-"
	}
	open, shut := "（", "）"
	if lang == "en" {
		open, shut = " (", ")"
	}
	if *prev == 0 {
		return &Change{Text: fmt.Sprintf("%s %s%s%s%s%s%s", word, arrow, approx, open, sign, abs, shut), Class: class}
	}
	pct := math.Abs(d) / math.Abs(*prev) * 100
	return &Change{Text: fmt.Sprintf("%s %s%s%.1f%%%s%s%s%s", word, arrow, approx, pct, open, sign, abs, shut), Class: class}
}

// kpis are the page's headline figures: the parent region's own totals
// from the analytics service (the rollups the API's trend and comparison
// read, aggregated up the tree and over time, with their qualifier), so a
// district page shows its county-level figures and a city page its
// town-level ones; with 同比, 环比, 数据截至 and source; and how many
// released values the children have.
func (m *Model) kpis(ctx context.Context, d *Dashboard, total int) error {
	lang := m.View.Lang
	note := regionName(m.Parent, lang) + " " + m.View.Period
	p, err := hub.ParsePeriod(m.View.Period)
	if err != nil {
		return err
	}
	yearAgo, before := previous(p)
	from := yearAgo
	heads := []struct{ key, label string }{{hub.MinorsKey, "minors"}, {directorsKey, "directors"}, {hopeKey, "hope"}}
	keys := make([]string, len(heads))
	for i, h := range heads {
		keys[i] = h.key
	}
	// The released values the cards are made of, this period and the ones
	// compared with: the parent's own (a county's county-level figures)
	// and its children's. They give 数据截至 and the 模拟 marks.
	periods := []string{m.View.Period, yearAgo}
	if before != "" {
		periods = append(periods, before)
	}
	regions := []string{m.Parent.Code}
	for _, c := range m.Children {
		regions = append(regions, c.Code)
	}
	parts, _, err := d.allValues(ctx, hub.ValueFilter{Indicators: keys, Regions: regions, Periods: periods, Statuses: released})
	if err != nil {
		return err
	}
	type kp struct{ key, period string }
	latest := map[kp]time.Time{}
	synthetic := map[kp]bool{}
	for _, dv := range parts {
		if dv.Value == nil {
			continue
		}
		k := kp{dv.IndicatorKey, dv.Period}
		if dv.UpdatedAt.After(latest[k]) {
			latest[k] = dv.UpdatedAt
		}
		synthetic[k] = synthetic[k] || dv.Source == "synthetic" || m.Parent.Synthetic
	}
	// The catalogue the page read already has the cards' indicators.
	inds := make([]*hub.Indicator, len(keys))
	for i, k := range keys {
		for _, ind := range m.all {
			if ind.Key == k {
				inds[i] = ind
			}
		}
	}
	var deptCodes []string
	for _, ind := range inds {
		if ind != nil {
			deptCodes = append(deptCodes, ind.DepartmentCode)
		}
	}
	depts, err := d.cfg.Catalogue.DepartmentsByCode(ctx, deptCodes)
	if err != nil {
		return fmt.Errorf("dashboard headline departments: %w", err)
	}
	deptName := map[string]string{}
	for _, dp := range depts {
		if dp != nil {
			deptName[dp.Code] = dp.Name
			if lang == "en" && dp.NameEn != nil {
				deptName[dp.Code] = *dp.NameEn
			}
		}
	}
	for i, h := range heads {
		ind := inds[i]
		if ind == nil {
			ind = &hub.Indicator{Key: h.key}
		}
		series, err := d.cfg.Analytics.Trend(ctx, h.key, []string{m.Parent.Code}, from, m.View.Period)
		if err != nil {
			return fmt.Errorf("dashboard headline %s: %w", h.key, err)
		}
		pts := map[string]hub.TrendPoint{}
		if len(series) == 1 {
			for _, pt := range series[0].Points {
				pts[pt.Period] = pt
			}
		}
		kpi := KPI{Label: m.L[h.label], Value: formatValue(nil, nil, lang), Note: note}
		cur, ok := pts[m.View.Period]
		if ok && cur.Value != nil {
			kpi.Value = formatValue(cur.Value, cur.Qualifier, lang)
			ya := pts[yearAgo]
			now := kp{h.key, m.View.Period}
			kpi.YoY = change(m.L["yoy"], cur.Value, ya.Value, cur.Qualifier, ya.Qualifier, ind.LowerIsBetter, lang)
			kpi.YoY.mark(synthetic[kp{h.key, yearAgo}] && !synthetic[now], m.L["simulated"])
			if before != "" {
				b := pts[before]
				kpi.MoM = change(m.L["mom"], cur.Value, b.Value, cur.Qualifier, b.Qualifier, ind.LowerIsBetter, lang)
				kpi.MoM.mark(synthetic[kp{h.key, before}] && !synthetic[now], m.L["simulated"])
			}
			// 数据截至: the latest approval among the values the figure is
			// made of (the parent's own, or its children's).
			kpi.AsOf = asOfText(latest[now], lang)
			kpi.Synthetic = synthetic[now]
		}
		if n := deptName[ind.DepartmentCode]; n != "" {
			kpi.Source = m.L["source"] + n
		}
		if kpi.Synthetic {
			kpi.SimMark = m.L["simulated"]
		}
		m.KPIs = append(m.KPIs, kpi)
	}
	m.KPIs = append(m.KPIs, KPI{Label: m.L["approved"], Value: formatNumber(float64(total), lang), Note: m.View.Period})
	return nil
}
