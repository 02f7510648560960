package postgres

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
)

// AnalyticsService answers comparison, profile and trend questions from
// value_rollups (migration 00020): released values aggregated up the
// region tree and over time, kept fresh by a trigger on data_values and
// filtered by a row policy, so the principal's access rules decide what
// enters every answer. Derived indicators are computed here, from the
// rollups of their inputs at the same region and period.
type AnalyticsService struct{ db *DB }

// NewAnalyticsService returns the analytics service on db (the hub_app pool).
func NewAnalyticsService(db *DB) *AnalyticsService { return &AnalyticsService{db: db} }

var _ hub.AnalyticsService = (*AnalyticsService)(nil)

// MinorsKey is the indicator counts are normalised by.
const MinorsKey = "minors_total"

// MaxTrendPoints bounds the periods of one trend.
const MaxTrendPoints = 240

// genericPlans lets PostgreSQL reuse one plan of each analytics query for
// the rest of the transaction's statements instead of planning them anew
// (custom plans) on every request: with the row policies' subqueries,
// planning cost more than running them.
const genericPlans = `SELECT set_config('plan_cache_mode', 'force_generic_plan', true)`

const (
	// neededIndicators closes the keys $1 over formula inputs: a key named
	// in a formula (a substring match may add a key too many, never one too
	// few). Queries that use it take the keys as $1, and the result as an
	// array (= ANY(ARRAY(...))) so that the planner looks rollups up by
	// key instead of guessing the recursion's size.
	neededIndicators = `WITH RECURSIVE need(key) AS (
  SELECT unnest($1::text[])
  UNION
  SELECT i.key FROM need n
  JOIN indicators d ON d.key = n.key AND d.formula IS NOT NULL
  JOIN indicators i ON position(i.key IN d.formula) > 0
) SELECT key FROM need`
	rollupColumns = `r.indicator_key, r.region_code, r.period, r.value, r.qualifier, r.status`

	allIndicators = `SELECT ` + indicatorColumns + ` FROM indicators`
	// formulaIndicators are the indicators $1 and every derived one: what
	// evaluating and checking formulas needs.
	formulaIndicators = `SELECT ` + indicatorColumns + ` FROM indicators WHERE key = ANY($1) OR formula IS NOT NULL`
	regionsByCodes    = `SELECT ` + regionColumns + ` FROM regions WHERE code = ANY($1)`

	comparisonRegions = `SELECT ` + regionColumns + ` FROM regions
WHERE level = $1 AND path <@ (SELECT path FROM regions WHERE code = $2)
ORDER BY code`
	comparisonRollups = `SELECT ` + rollupColumns + ` FROM value_rollups r
WHERE r.period = ANY($2)
  AND r.indicator_key = ANY(ARRAY(` + neededIndicators + `))
  AND r.region_code = ANY(ARRAY(SELECT code FROM regions WHERE level = $3 AND path <@ (SELECT path FROM regions WHERE code = $4)))`

	// peerRegions are the regions at the level of, and under the parent
	// of, any of $1: the peers a profile is scaled across.
	peerRegions = `SELECT ` + regionColumns + ` FROM regions s
WHERE EXISTS (SELECT 1 FROM regions q WHERE q.code = ANY($1)
              AND q.level = s.level AND q.parent_code IS NOT DISTINCT FROM s.parent_code)
ORDER BY code`
	profileRollups = `SELECT ` + rollupColumns + ` FROM value_rollups r
WHERE r.period = ANY($1)
  AND r.region_code = ANY(ARRAY(SELECT s.code FROM regions s
    WHERE EXISTS (SELECT 1 FROM regions q WHERE q.code = ANY($2)
                  AND q.level = s.level AND q.parent_code IS NOT DISTINCT FROM s.parent_code)))`

	trendRollups = `SELECT ` + rollupColumns + ` FROM value_rollups r
WHERE r.indicator_key = ANY(ARRAY(` + neededIndicators + `))
  AND r.period = ANY($2) AND r.region_code = ANY($3)`
)

// rollupKey names one rollup.
type rollupKey struct{ indicator, region, period string }

// rollupCell is a value as the principal may see it.
type rollupCell struct {
	value     *float64
	qualifier hub.Qualifier
	status    hub.Status
}

func scanRollup(row pgx.CollectableRow) (rollupRow, error) {
	var c rollupRow
	err := row.Scan(&c.key.indicator, &c.key.region, &c.key.period, &c.value, &c.qualifier, &c.status)
	return c, err
}

type rollupRow struct {
	key rollupKey
	rollupCell
}

// book holds a request's catalogue and the rollups it read.
type book struct {
	indicators map[string]*hub.Indicator
	deps       map[string][]string
	cells      map[rollupKey]rollupCell
}

func newBook(inds []*hub.Indicator, rows []rollupRow) (*book, error) {
	b := &book{indicators: map[string]*hub.Indicator{}, deps: map[string][]string{}, cells: map[rollupKey]rollupCell{}}
	formulas := map[string]string{}
	for _, i := range inds {
		b.indicators[i.Key] = i
		if i.Formula != nil {
			formulas[i.Key] = *i.Formula
		}
	}
	if err := analytics.CheckFormulas(formulas); err != nil {
		return nil, fmt.Errorf("indicator catalogue: %w", err)
	}
	for k, f := range formulas {
		d, err := analytics.Dependencies(f)
		if err != nil {
			return nil, err
		}
		b.deps[k] = d
	}
	for _, r := range rows {
		b.cells[r.key] = r.rollupCell
	}
	return b, nil
}

// value returns an indicator's value at a region and period: a rollup, or
// for a derived indicator its formula over the values of its inputs there.
// ok is false when nothing is visible. A derived value takes the lowest
// status of its inputs and is APPROX when any input is not EXACT.
func (b *book) value(key, region, period string) (rollupCell, bool, error) {
	ind := b.indicators[key]
	if ind == nil || ind.Formula == nil {
		c, ok := b.cells[rollupKey{key, region, period}]
		return c, ok, nil
	}
	out := rollupCell{qualifier: hub.Exact, status: hub.Published}
	inputs := map[string]*float64{}
	for _, d := range b.deps[key] {
		c, ok, err := b.value(d, region, period)
		if err != nil || !ok {
			return rollupCell{}, false, err
		}
		inputs[d] = c.value
		if c.qualifier != hub.Exact {
			out.qualifier = hub.Approx
		}
		if c.status == hub.Approved {
			out.status = hub.Approved
		}
	}
	v, err := analytics.Evaluate(*ind.Formula, inputs)
	if err != nil {
		return rollupCell{}, false, fmt.Errorf("indicator %s: %w", key, err)
	}
	out.value = v
	return out, true, nil
}

// perTenK returns v per 10,000 minors of the region and period, when the
// indicator is a count (other than the base figures) and minors are known.
func (b *book) perTenK(ind *hub.Indicator, v *float64, region, period string) *float64 {
	if v == nil || !perCapita(ind) {
		return nil
	}
	m := b.minors(region, period)
	if m == nil {
		return nil
	}
	x := *v / *m * 10000
	return &x
}

// minors returns the number of minors of a region in a period: of the
// period itself, else of its year (a quarter or month has its year's
// minors); nil when unknown or not positive.
func (b *book) minors(region, period string) *float64 {
	m, ok := b.cells[rollupKey{MinorsKey, region, period}]
	if !ok {
		m, ok = b.cells[rollupKey{MinorsKey, region, period[:4]}]
	}
	if !ok || m.value == nil || *m.value <= 0 {
		return nil
	}
	return m.value
}

// withYears returns periods and the years they lie in, for the minors.
func withYears(periods ...string) []string {
	out := append([]string{}, periods...)
	seen := map[string]bool{}
	for _, p := range periods {
		seen[p] = true
	}
	for _, p := range periods {
		if y := p[:4]; !seen[y] {
			seen[y] = true
			out = append(out, y)
		}
	}
	return out
}

// perCapita reports whether an indicator is compared per 10,000 minors.
func perCapita(ind *hub.Indicator) bool {
	return ind.ValueType == hub.Count && ind.Protection != hub.Base
}

func principalOrFail(ctx context.Context) (*hub.Principal, error) {
	p := hub.PrincipalFrom(ctx)
	if p == nil {
		return nil, hub.Errorf(hub.EUNAUTHENTICATED, "请先登录 / sign in first")
	}
	return p, nil
}

// Comparison ranks the regions at q.Level under q.Parent on an indicator in
// a period, in one round trip.
func (s *AnalyticsService) Comparison(ctx context.Context, q hub.ComparisonQuery) ([]*hub.ComparisonRow, error) {
	p, err := principalOrFail(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := hub.ParsePeriod(q.Period); err != nil {
		return nil, err
	}
	if q.Level == "" {
		q.Level = hub.LevelCounty
	}
	if !q.Level.Valid() {
		return nil, hub.Errorf(hub.EINVALID, "未知层级 %q / unknown level %q", q.Level, q.Level)
	}
	parent := p.Region
	if q.Parent != nil {
		parent = *q.Parent
	}
	var inds []*hub.Indicator
	var parents, regions []*hub.Region
	var rows []rollupRow
	err = s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(genericPlans)
		collect(b, &inds, scanIndicator, formulaIndicators, []string{q.Indicator})
		collect(b, &parents, scanRegion, regionsByCodes, []string{parent})
		collect(b, &regions, scanRegion, comparisonRegions, q.Level, parent)
		collect(b, &rows, scanRollup, comparisonRollups, []string{q.Indicator, MinorsKey}, withYears(q.Period), q.Level, parent)
	})
	if err != nil {
		return nil, fmt.Errorf("comparison: %w", err)
	}
	if len(parents) == 0 {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", parent, parent)
	}
	bk, err := newBook(inds, rows)
	if err != nil {
		return nil, err
	}
	ind := bk.indicators[q.Indicator]
	if ind == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有指标 %q / no indicator %q", q.Indicator, q.Indicator)
	}
	out := make([]*hub.ComparisonRow, len(regions))
	for i, r := range regions {
		row := &hub.ComparisonRow{RegionCode: r.Code, Region: r}
		c, ok, err := bk.value(ind.Key, r.Code, q.Period)
		if err != nil {
			return nil, err
		}
		if ok {
			st, ql := c.status, c.qualifier
			row.Value, row.Status, row.Qualifier = c.value, &st, &ql
			row.PerTenThousandMinors = bk.perTenK(ind, c.value, r.Code, q.Period)
		}
		out[i] = row
	}
	for i, r := range analytics.Rank(rankKeys(out)) {
		out[i].Rank = r
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Rank != nil && b.Rank != nil:
			return *a.Rank < *b.Rank
		case a.Rank != nil || b.Rank != nil:
			return a.Rank != nil
		default:
			return a.Value != nil && b.Value == nil
		}
	})
	return out, nil
}

// rankKeys are the figures a comparison ranks by: values per 10,000
// minors when every region with a value has one (a count whose minors are
// known), else the values themselves, so that regions are never ranked on
// two scales at once.
func rankKeys(rows []*hub.ComparisonRow) []*float64 {
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

// profileProtections are the protections a profile scores.
var profileProtections = []hub.Protection{hub.Family, hub.School, hub.Society, hub.Online, hub.Government, hub.Judicial}

// Profile scores each region 0–100 on the six protections against its
// peers (the regions at its level under its parent); see docs/analytics.md.
func (s *AnalyticsService) Profile(ctx context.Context, regions []string, period string) ([]*hub.ProtectionProfile, error) {
	if _, err := principalOrFail(ctx); err != nil {
		return nil, err
	}
	if _, err := hub.ParsePeriod(period); err != nil {
		return nil, err
	}
	if len(regions) == 0 {
		return []*hub.ProtectionProfile{}, nil
	}
	var inds []*hub.Indicator
	var asked, peers []*hub.Region
	var rows []rollupRow
	err := s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(genericPlans)
		collect(b, &inds, scanIndicator, allIndicators)
		collect(b, &asked, scanRegion, regionsByCodes, regions)
		collect(b, &peers, scanRegion, peerRegions, regions)
		collect(b, &rows, scanRollup, profileRollups, withYears(period), regions)
	})
	if err != nil {
		return nil, fmt.Errorf("protection profile: %w", err)
	}
	byCode := map[string]*hub.Region{}
	for _, r := range asked {
		byCode[r.Code] = r
	}
	for _, c := range regions {
		if byCode[c] == nil {
			return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", c, c)
		}
	}
	bk, err := newBook(inds, rows)
	if err != nil {
		return nil, err
	}
	// Scores per region and protection, computed per group of peers.
	type group struct{ parent, level string }
	groupOf := func(r *hub.Region) group {
		g := group{level: string(r.Level)}
		if r.ParentCode != nil {
			g.parent = *r.ParentCode
		}
		return g
	}
	members := map[group][]string{}
	for _, r := range peers {
		members[groupOf(r)] = append(members[groupOf(r)], r.Code)
	}
	sort.Slice(inds, func(i, j int) bool { return inds[i].Key < inds[j].Key })
	scaled := map[string]map[hub.Protection][]*float64{} // region → protection → scaled indicator values
	for _, codes := range members {
		for _, ind := range inds {
			if ind.Formula != nil || ind.Protection == hub.Base {
				continue
			}
			vals := make([]*float64, len(codes))
			for i, c := range codes {
				vals[i] = bk.normalised(ind, c, period)
			}
			if ind.LowerIsBetter {
				// scaled on the negated values: the fewest score 100, and
				// peers that are all equal still score 100 each
				for i, v := range vals {
					if v != nil {
						neg := -*v
						vals[i] = &neg
					}
				}
			}
			for i, sc := range analytics.ScaleScores(vals) {
				if scaled[codes[i]] == nil {
					scaled[codes[i]] = map[hub.Protection][]*float64{}
				}
				scaled[codes[i]][ind.Protection] = append(scaled[codes[i]][ind.Protection], sc)
			}
		}
	}
	out := make([]*hub.ProtectionProfile, len(regions))
	for i, c := range regions {
		pr := &hub.ProtectionProfile{RegionCode: c}
		for _, prot := range profileProtections {
			score, used := analytics.MeanScore(scaled[c][prot])
			pr.Scores = append(pr.Scores, hub.ProtectionScore{Protection: prot, Score: score, IndicatorsUsed: used})
		}
		out[i] = pr
	}
	return out, nil
}

// normalised is an indicator's value for the profile: counts and amounts
// per 10,000 minors, percentages and rates as they are.
func (b *book) normalised(ind *hub.Indicator, region, period string) *float64 {
	c, ok := b.cells[rollupKey{ind.Key, region, period}]
	if !ok || c.value == nil {
		return nil
	}
	switch ind.ValueType {
	case hub.Count, hub.Amount:
		m := b.minors(region, period)
		if m == nil {
			return nil
		}
		x := *c.value / *m * 10000
		return &x
	default:
		return c.value
	}
}

// Trend returns an indicator's values for each region over the periods
// from..to, which must be of one type (years, quarters or months).
func (s *AnalyticsService) Trend(ctx context.Context, indicator string, regions []string, from, to string) ([]*hub.TrendSeries, error) {
	if _, err := principalOrFail(ctx); err != nil {
		return nil, err
	}
	periods, err := periodRange(from, to)
	if err != nil {
		return nil, err
	}
	var inds []*hub.Indicator
	var known []*hub.Region
	var rows []rollupRow
	err = s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(genericPlans)
		collect(b, &inds, scanIndicator, formulaIndicators, []string{indicator})
		collect(b, &known, scanRegion, regionsByCodes, regions)
		collect(b, &rows, scanRollup, trendRollups, []string{indicator, MinorsKey}, withYears(periods...), regions)
	})
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	bk, err := newBook(inds, rows)
	if err != nil {
		return nil, err
	}
	if bk.indicators[indicator] == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有指标 %q / no indicator %q", indicator, indicator)
	}
	exists := map[string]bool{}
	for _, r := range known {
		exists[r.Code] = true
	}
	out := make([]*hub.TrendSeries, len(regions))
	for i, code := range regions {
		if !exists[code] {
			return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", code, code)
		}
		ts := &hub.TrendSeries{IndicatorKey: indicator, RegionCode: code, Points: make([]hub.TrendPoint, len(periods))}
		for j, per := range periods {
			pt := hub.TrendPoint{Period: per}
			c, ok, err := bk.value(indicator, code, per)
			if err != nil {
				return nil, err
			}
			if ok {
				st, ql := c.status, c.qualifier
				pt.Value, pt.Status, pt.Qualifier = c.value, &st, &ql
			}
			ts.Points[j] = pt
		}
		out[i] = ts
	}
	return out, nil
}

// periodRange lists the periods from..to, both included.
func periodRange(from, to string) ([]string, error) {
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
	for p := f; p.String() <= t.String(); p = nextPeriod(p) {
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

func nextPeriod(p hub.Period) hub.Period {
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
