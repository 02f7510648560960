package analytics

import (
	"fmt"
	"slices"

	"github.com/sixprot/hub/internal/hub"
)

// ComparisonScope checks a comparison query and fills in its defaults:
// level COUNTY, parent the root of the caller's scope.
func ComparisonScope(q hub.ComparisonQuery, scope string) (hub.ComparisonQuery, error) {
	if _, err := hub.ParsePeriod(q.Period); err != nil {
		return q, err
	}
	if q.Level == "" {
		q.Level = hub.LevelCounty
	}
	if !q.Level.Valid() {
		return q, hub.Errorf(hub.EINVALID, "未知层级 %q / unknown level %q", q.Level, q.Level)
	}
	if q.Parent == nil {
		q.Parent = &scope
	}
	return q, nil
}

// ComparisonInput is what a comparison reads.
type ComparisonInput struct {
	// Query is the query as ComparisonScope returned it.
	Query hub.ComparisonQuery
	// Indicators are the compared indicator and every derived one.
	Indicators []*hub.Indicator
	// Parents is the region Query.Parent names, if it exists.
	Parents []*hub.Region
	// Regions are the regions at Query.Level under Query.Parent, by code:
	// at most hub.MaxComparisonRows + 1 (the store stops reading there),
	// more than the bound being refused.
	Regions []*hub.Region
	// Rollups are those of Inputs(Query.Indicator) and the formula inputs
	// for WithYears(Query.Period) at Regions.
	Rollups []Rollup
	// Counts are the tree counts of the regions, read when a formula
	// needs towns or villages.
	Counts []RegionCount
}

// Comparison ranks the regions of in on the indicator in the period (see
// RankRows) and returns them in rank order.
func Comparison(in ComparisonInput) ([]*hub.ComparisonRow, error) {
	q := in.Query
	if len(in.Parents) == 0 {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", *q.Parent, *q.Parent)
	}
	if len(in.Regions) > hub.MaxComparisonRows {
		return nil, hub.Errorf(hub.EINVALID, "比较的地区过多：%s 下的 %s 级地区超过 %d 个，请用 parent 指定县或镇街 / too many regions to compare: more than %d at level %s under %s; name a county or town as parent",
			*q.Parent, q.Level, hub.MaxComparisonRows, hub.MaxComparisonRows, q.Level, *q.Parent)
	}
	// Only the indicators the figures are computed from are booked: each
	// formula booked is parsed and checked, per request.
	keys, _, err := Reads(in.Indicators, q.Indicator)
	if err != nil {
		return nil, err
	}
	bk, err := NewBook(only(in.Indicators, keys), in.Rollups)
	if err != nil {
		return nil, err
	}
	bk.AddCounts(in.Counts)
	ind := bk.Indicator(q.Indicator)
	if ind == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有指标 %q / no indicator %q", q.Indicator, q.Indicator)
	}
	out := make([]*hub.ComparisonRow, len(in.Regions))
	for i, r := range in.Regions {
		row := &hub.ComparisonRow{RegionCode: r.Code, Region: r}
		c, ok, err := bk.Value(ind.Key, r.Code, q.Period)
		if err != nil {
			return nil, fmt.Errorf("comparison: %w", err)
		}
		if ok {
			st, ql := c.Status, c.Qualifier
			row.Value, row.Status, row.Qualifier = c.Value, &st, &ql
			row.PerTenThousandMinors = bk.PerTenK(ind, c.Value, r.Code, q.Period)
		}
		out[i] = row
	}
	return RankRows(out), nil
}

// RankRows sets the rank of each row (Rank) on the figures RankKeys
// chooses and returns the rows in rank order, those without a value last.
func RankRows(rows []*hub.ComparisonRow) []*hub.ComparisonRow {
	ranks, order := Rank(RankKeys(rows))
	out := make([]*hub.ComparisonRow, len(rows))
	for pos, i := range order {
		rows[i].Rank = ranks[i]
		out[pos] = rows[i]
	}
	return out
}

// RankKeys are the figures a comparison ranks by: values per 10,000
// minors when every region with a value has one (a count whose minors are
// known), else the values themselves, so that regions are never ranked on
// two scales at once.
func RankKeys(rows []*hub.ComparisonRow) []*float64 {
	keys := make([]*float64, len(rows))
	perTenK := false
	for _, r := range rows {
		if r.Value != nil {
			if r.PerTenThousandMinors == nil {
				perTenK = false
				break
			}
			perTenK = true
		}
	}
	for i, r := range rows {
		keys[i] = r.Value
		if perTenK {
			keys[i] = r.PerTenThousandMinors
		}
	}
	return keys
}

// only returns the indicators of inds whose keys are among keys.
func only(inds []*hub.Indicator, keys []string) []*hub.Indicator {
	out := make([]*hub.Indicator, 0, len(keys))
	for _, i := range inds {
		if slices.Contains(keys, i.Key) {
			out = append(out, i)
		}
	}
	return out
}
