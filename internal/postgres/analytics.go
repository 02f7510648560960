package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
)

// AnalyticsService answers comparison, profile and trend questions from
// value_rollups (migration 00020): released values aggregated up the
// region tree and over time, kept fresh by a trigger on data_values and
// filtered by a row policy, so the principal's access rules decide what
// enters every answer. It only reads: each request's catalogue, regions
// and rollups in one round trip, handed to internal/analytics, which
// computes derived values, per-10,000 figures, ranks and scores.
type AnalyticsService struct{ db *DB }

// NewAnalyticsService returns the analytics service on db (the hub_app pool).
func NewAnalyticsService(db *DB) *AnalyticsService { return &AnalyticsService{db: db} }

var _ hub.AnalyticsService = (*AnalyticsService)(nil)

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

	// The regions of a comparison, and the rollups and tree counts read
	// for them, stop at the bound + 1 (the last argument): a comparison
	// over the bound (hub.MaxComparisonRows) is refused without reading
	// the rest of a city's or province's villages.
	comparisonRegions = `SELECT ` + regionColumns + ` FROM regions
WHERE level = $1 AND path <@ (SELECT path FROM regions WHERE code = $2)
ORDER BY code LIMIT $3`
	comparisonRollups = `SELECT ` + rollupColumns + ` FROM value_rollups r
WHERE r.period = ANY($2)
  AND r.indicator_key = ANY(ARRAY(` + neededIndicators + `))
  AND r.region_code = ANY(ARRAY(SELECT code FROM regions WHERE level = $3 AND path <@ (SELECT path FROM regions WHERE code = $4) LIMIT $5))`

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

	// needsTreeCounts: whether a formula among the keys $1 and their
	// inputs reads towns or villages; the counts are read only then.
	needsTreeCounts = `EXISTS (SELECT 1 FROM indicators d WHERE d.key = ANY(ARRAY(` + neededIndicators + `))
  AND d.formula ~ '\m(towns|villages)\M')`
	comparisonCounts = countsOfRegions + `
WHERE a.code = ANY(ARRAY(SELECT code FROM regions WHERE level = $2 AND path <@ (SELECT path FROM regions WHERE code = $3) LIMIT $4))
  AND ` + needsTreeCounts + `
GROUP BY a.code`
	trendCounts = countsOfRegions + `
WHERE a.code = ANY($2) AND ` + needsTreeCounts + `
GROUP BY a.code`

	trendRollups = `SELECT ` + rollupColumns + ` FROM value_rollups r
WHERE r.indicator_key = ANY(ARRAY(` + neededIndicators + `))
  AND r.period = ANY($2) AND r.region_code = ANY($3)`
)

func scanRollup(row pgx.CollectableRow) (analytics.Rollup, error) {
	var r analytics.Rollup
	err := row.Scan(&r.Indicator, &r.Region, &r.Period, &r.Value, &r.Qualifier, &r.Status)
	return r, err
}

func scanCount(row pgx.CollectableRow) (analytics.RegionCount, error) {
	c, err := scanRegionCount(row)
	return analytics.RegionCount{Region: c.code, TreeCounts: c.TreeCounts}, err
}

// Comparison ranks the regions at q.Level under q.Parent on an indicator in
// a period, in one round trip (analytics.Comparison).
func (s *AnalyticsService) Comparison(ctx context.Context, q hub.ComparisonQuery) ([]*hub.ComparisonRow, error) {
	p, err := hub.Signed(ctx)
	if err != nil {
		return nil, err
	}
	q, err = analytics.ComparisonScope(q, p.Region)
	if err != nil {
		return nil, err
	}
	in := analytics.ComparisonInput{Query: q}
	limit := hub.MaxComparisonRows + 1
	err = s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(genericPlans)
		collect(b, &in.Indicators, scanIndicator, formulaIndicators, []string{q.Indicator})
		collect(b, &in.Parents, scanRegion, regionsByCodes, []string{*q.Parent})
		collect(b, &in.Regions, scanRegion, comparisonRegions, q.Level, *q.Parent, limit)
		collect(b, &in.Rollups, scanRollup, comparisonRollups, analytics.Inputs(q.Indicator), analytics.WithYears(q.Period), q.Level, *q.Parent, limit)
		collect(b, &in.Counts, scanCount, comparisonCounts, []string{q.Indicator}, q.Level, *q.Parent, limit)
	})
	if err != nil {
		return nil, fmt.Errorf("comparison: %w", err)
	}
	return analytics.Comparison(in)
}

// Profile scores each region 0–100 on the six protections against its
// peers (the regions at its level under its parent), in one round trip
// (analytics.Profile; docs/analytics.md).
func (s *AnalyticsService) Profile(ctx context.Context, regions []string, period string) ([]*hub.ProtectionProfile, error) {
	if _, err := hub.Signed(ctx); err != nil {
		return nil, err
	}
	if _, err := hub.ParsePeriod(period); err != nil {
		return nil, err
	}
	if len(regions) == 0 {
		return []*hub.ProtectionProfile{}, nil
	}
	in := analytics.ProfileInput{Regions: regions, Period: period}
	err := s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(genericPlans)
		collect(b, &in.Indicators, scanIndicator, allIndicators)
		collect(b, &in.Asked, scanRegion, regionsByCodes, regions)
		collect(b, &in.Peers, scanRegion, peerRegions, regions)
		collect(b, &in.Rollups, scanRollup, profileRollups, analytics.WithYears(period), regions)
	})
	if err != nil {
		return nil, fmt.Errorf("protection profile: %w", err)
	}
	return analytics.Profile(in)
}

// Trend returns an indicator's values for each region over the periods
// from..to, which must be of one type (years, quarters or months), in one
// round trip (analytics.Trend).
func (s *AnalyticsService) Trend(ctx context.Context, indicator string, regions []string, from, to string) ([]*hub.TrendSeries, error) {
	if _, err := hub.Signed(ctx); err != nil {
		return nil, err
	}
	periods, err := analytics.Periods(from, to)
	if err != nil {
		return nil, err
	}
	in := analytics.TrendInput{Indicator: indicator, Regions: regions, Periods: periods}
	err = s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(genericPlans)
		collect(b, &in.Indicators, scanIndicator, formulaIndicators, []string{indicator})
		collect(b, &in.Known, scanRegion, regionsByCodes, regions)
		collect(b, &in.Rollups, scanRollup, trendRollups, analytics.Inputs(indicator), analytics.WithYears(periods...), regions)
		collect(b, &in.Counts, scanCount, trendCounts, []string{indicator}, regions)
	})
	if err != nil {
		return nil, fmt.Errorf("trend: %w", err)
	}
	return analytics.Trend(in)
}
