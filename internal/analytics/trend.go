package analytics

import (
	"fmt"

	"github.com/sixprot/hub/internal/hub"
)

// MaxTrendPoints bounds the periods of one trend.
const MaxTrendPoints = 240

// Periods lists the periods from..to, both included, which must be of one
// type (years, quarters or months) and at most MaxTrendPoints.
func Periods(from, to string) ([]string, error) {
	f, err := hub.ParsePeriod(from)
	if err != nil {
		return nil, err
	}
	t, err := hub.ParsePeriod(to)
	if err != nil {
		return nil, err
	}
	if f.Type() != t.Type() {
		return nil, hub.Errorf(hub.EINVALID, "起止期间类型不同：%s、%s / from and to must be periods of one type: %s, %s", from, to, from, to)
	}
	var out []string
	for p := f; p.String() <= t.String(); p = next(p) {
		if len(out) == MaxTrendPoints {
			return nil, hub.Errorf(hub.EINVALID, "期间过多（最多 %d）/ too many periods (at most %d)", MaxTrendPoints, MaxTrendPoints)
		}
		out = append(out, p.String())
	}
	if len(out) == 0 {
		return nil, hub.Errorf(hub.EINVALID, "起始期间晚于结束期间 / from %s is after to %s", from, to)
	}
	return out, nil
}

// next returns the period after p, of p's type.
func next(p hub.Period) hub.Period {
	switch p.Type() {
	case hub.Quarter:
		if p.Quarter == 4 {
			return hub.Period{Year: p.Year + 1, Quarter: 1}
		}
		return hub.Period{Year: p.Year, Quarter: p.Quarter + 1}
	case hub.Month:
		if p.Month == 12 {
			return hub.Period{Year: p.Year + 1, Month: 1}
		}
		return hub.Period{Year: p.Year, Month: p.Month + 1}
	default:
		return hub.Period{Year: p.Year + 1}
	}
}

// TrendInput is what a trend reads.
type TrendInput struct {
	Indicator string
	// Regions are the codes asked for, in the order of the answer.
	Regions []string
	// Periods are the trend's periods, as Periods returned them.
	Periods []string
	// Indicators are the indicator and every derived one.
	Indicators []*hub.Indicator
	// Known are the regions of Regions that exist.
	Known []*hub.Region
	// Rollups are those of Inputs(Indicator) and the formula inputs for
	// WithYears(Periods...) at Regions.
	Rollups []Rollup
	// Counts are the tree counts of the regions, read when a formula
	// needs towns or villages.
	Counts []RegionCount
}

// Trend returns the indicator's value for each region and period; a
// period without a visible value is a point without one.
func Trend(in TrendInput) ([]*hub.TrendSeries, error) {
	bk, err := NewBook(in.Indicators, in.Rollups)
	if err != nil {
		return nil, err
	}
	bk.AddCounts(in.Counts)
	if bk.Indicator(in.Indicator) == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有指标 %q / no indicator %q", in.Indicator, in.Indicator)
	}
	exists := map[string]bool{}
	for _, r := range in.Known {
		exists[r.Code] = true
	}
	out := make([]*hub.TrendSeries, len(in.Regions))
	for i, code := range in.Regions {
		if !exists[code] {
			return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", code, code)
		}
		ts := &hub.TrendSeries{IndicatorKey: in.Indicator, RegionCode: code, Points: make([]hub.TrendPoint, len(in.Periods))}
		for j, per := range in.Periods {
			pt := hub.TrendPoint{Period: per}
			c, ok, err := bk.Value(in.Indicator, code, per)
			if err != nil {
				return nil, fmt.Errorf("trend: %w", err)
			}
			if ok {
				st, ql := c.Status, c.Qualifier
				pt.Value, pt.Status, pt.Qualifier = c.Value, &st, &ql
			}
			ts.Points[j] = pt
		}
		out[i] = ts
	}
	return out, nil
}
