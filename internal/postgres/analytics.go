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
	//
	// The regions at a level under a parent are found by walking down
	// from the parent by parent_code, no further than the level: each
	// level of the tree lies exactly one below its parent's (migration
	// 00050), so that is where level = $1 AND path <@ the parent's path
	// finds them. Asked that way, the path index gave every region of the
	// subtree (7,196 of a city for its 13 counties, 9,405 at province
	// scale) to be filtered by level.
	comparisonRegions = `WITH RECURSIVE down AS (
  SELECT code, name, name_en, level, parent_code, path, synthetic FROM regions WHERE code = $2
  UNION ALL
  SELECT r.code, r.name, r.name_en, r.level, r.parent_code, r.path, r.synthetic
  FROM down d JOIN regions r ON r.parent_code = d.code WHERE d.level <> $1
) SELECT ` + regionColumns + ` FROM down WHERE level = $1 ORDER BY code LIMIT $3`
	comparisonRollups = `WITH RECURSIVE down AS (
  SELECT code, level FROM regions WHERE code = $4
  UNION ALL
  SELECT r.code, r.level FROM down d JOIN regions r ON r.parent_code = d.code WHERE d.level <> $3
) SELECT ` + rollupColumns + ` FROM value_rollups r
WHERE r.period = ANY($2)
  AND r.indicator_key = ANY(ARRAY(` + neededIndicators + `))
  AND r.region_code = ANY(ARRAY(SELECT code FROM down WHERE level = $3 ORDER BY code LIMIT $5))`

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

	// peerQuartiles: for each of the regions $1 whose peers (the regions
	// under its parent) lie outside the caller's scope, the quartiles of
	// the peers' values per indicator in period $2 (hub_peer_quartiles,
	// migration 00063: leaders and admins, over at least 5 peers, no
	// values); one row without an indicator when none has enough peers,
	// or when the caller is of another role. Every role gets that row:
	// without it, a county analyst's or coordinator's region was scaled
	// across the one peer it reads and scored 100 on every axis.
	peerQuartiles = `SELECT a.code, coalesce(q.indicator_key, ''), coalesce(q.peers, 0),
       coalesce(q.q1, 0), coalesce(q.median, 0), coalesce(q.q3, 0)
FROM regions a
LEFT JOIN LATERAL hub_peer_quartiles(a.code, $2) q ON true
WHERE a.code = ANY($1) AND nlevel(a.path) > 1
  AND NOT (hub_scope_is_everything() OR subpath(a.path, 0, nlevel(a.path) - 1) <@ hub_scope())
ORDER BY a.code, q.indicator_key`

	// needsTreeCounts: whether a formula among the keys $1 and their
	// inputs reads towns or villages; the counts are read only then.
	needsTreeCounts = `EXISTS (SELECT 1 FROM indicators d WHERE d.key = ANY(ARRAY(` + neededIndicators + `))
  AND d.formula ~ '\m(towns|villages)\M')`
	comparisonCounts = `WITH RECURSIVE down AS (
  SELECT code, level FROM regions WHERE code = $3
  UNION ALL
  SELECT r.code, r.level FROM down d JOIN regions r ON r.parent_code = d.code WHERE d.level <> $2
) ` + countsOfRegions + `
WHERE a.code = ANY(ARRAY(SELECT code FROM down WHERE level = $2 ORDER BY code LIMIT $4))
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

func scanQuartiles(row pgx.CollectableRow) (analytics.PeerQuartiles, error) {
	var q analytics.PeerQuartiles
	err := row.Scan(&q.Region, &q.Indicator, &q.Peers, &q.Q1, &q.Median, &q.Q3)
	return q, err
}

func scanCount(row pgx.CollectableRow) (analytics.RegionCount, error) {
	c, err := scanRegionCount(row)
	return analytics.RegionCount{Region: c.code, TreeCounts: c.TreeCounts}, err
}

// Comparison ranks the regions at q.Level under q.Parent on an indicator in
// a period, in one round trip (analytics.Comparison). With the process
// caches (DB.Cache) the catalogue's part, the indicators, the parent and
// the regions, comes from them and the round trip reads only the rollups
// of those regions by key; otherwise, and to fill the caches, one batch
// reads it all.
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
	gens, ok := s.db.caches.comparisonCatalogue(&in)
	if ok {
		err = s.cachedComparison(ctx, &in)
	} else {
		err = s.db.read(ctx, func(b *pgx.Batch) {
			limit := hub.MaxComparisonRows + 1
			b.Queue(genericPlans)
			collect(b, &in.Indicators, scanIndicator, formulaIndicators, []string{q.Indicator})
			collect(b, &in.Parents, scanRegion, regionsByCodes, []string{*q.Parent})
			collect(b, &in.Regions, scanRegion, comparisonRegions, q.Level, *q.Parent, limit)
			collect(b, &in.Rollups, scanRollup, comparisonRollups, analytics.Inputs(q.Indicator), analytics.WithYears(q.Period), q.Level, *q.Parent, limit)
			collect(b, &in.Counts, scanCount, comparisonCounts, []string{q.Indicator}, q.Level, *q.Parent, limit)
		})
		if err == nil {
			s.db.caches.keepComparison(&in, gens)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("comparison: %w", err)
	}
	return analytics.Comparison(in)
}

// rollupsByKey are the rollups of the keys ($1[i], $2[i], $3[i]):
// indicator, period, region. One lookup of the whole key each: written as
// r.indicator_key = ANY($1) AND r.period = ANY($2) AND r.region_code =
// ANY($3), the generic plan (genericPlans) costs three arrays of unknown
// size as a thousand index scans and reads all the regions' rollups of
// every indicator and period instead (3,823 rows for 26 at city scale).
const rollupsByKey = `SELECT ` + rollupColumns + `
FROM unnest($1::text[], $2::text[], $3::text[]) AS k(indicator_key, period, region_code)
JOIN value_rollups r USING (indicator_key, period, region_code)`

// rollupKeys are the keys of rollupsByKey: every indicator of keys in
// every period at every region.
func rollupKeys(keys, periods, regions []string) (inds, pers, regs []string) {
	n := len(keys) * len(periods) * len(regions)
	inds, pers, regs = make([]string, 0, n), make([]string, 0, n), make([]string, 0, n)
	for _, k := range keys {
		for _, p := range periods {
			for _, r := range regions {
				inds, pers, regs = append(inds, k), append(pers, p), append(regs, r)
			}
		}
	}
	return inds, pers, regs
}

// cachedComparison reads the rollups of in's regions, which the caches
// gave with the indicators, and the tree counts the caches lack when a
// formula reads them, in one round trip.
func (s *AnalyticsService) cachedComparison(ctx context.Context, in *analytics.ComparisonInput) error {
	q := in.Query
	if len(in.Regions) > hub.MaxComparisonRows {
		return nil // refused by analytics.Comparison, without reading
	}
	keys, needCounts, err := analytics.Reads(in.Indicators, q.Indicator)
	if err != nil {
		return err
	}
	codes := make([]string, len(in.Regions))
	for i, r := range in.Regions {
		codes[i] = r.Code
	}
	var missing []string
	var gen uint64
	if needCounts {
		in.Counts, missing, gen = s.db.caches.countsOf(codes)
	}
	var read []analytics.RegionCount
	err = s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(genericPlans)
		inds, pers, regs := rollupKeys(keys, analytics.WithYears(q.Period), codes)
		collect(b, &in.Rollups, scanRollup, rollupsByKey, inds, pers, regs)
		if len(missing) > 0 {
			collect(b, &read, scanCount, treeCounts, missing)
		}
	})
	if err != nil {
		return err
	}
	s.db.caches.keepTreeCounts(read, gen)
	in.Counts = append(in.Counts, read...)
	return nil
}

// comparisonGens are the generations of the caches a comparison missed in,
// which what it read instead is stored with.
type comparisonGens struct{ indicator, formulas, parent, regions, trees uint64 }

// comparisonCatalogue fills in's indicators (the compared one and every
// derived one), parent and regions from the caches, copies of their
// entries; ok is false unless all were there.
func (c *caches) comparisonCatalogue(in *analytics.ComparisonInput) (gens comparisonGens, ok bool) {
	if c == nil {
		return gens, false
	}
	q := in.Query
	ind, g1, ok1 := c.indicators.get(q.Indicator)
	fs, g2, ok2 := c.formulas.get(struct{}{})
	parent, g3, ok3 := c.regions.get(*q.Parent)
	rs, g4, ok4 := c.levels.get(levelKey{q.Level, *q.Parent})
	gens = comparisonGens{indicator: g1, formulas: g2, parent: g3, regions: g4, trees: generation(c.trees)}
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return gens, false
	}
	in.Indicators = make([]*hub.Indicator, 0, len(fs)+1)
	if ind.Formula == nil {
		in.Indicators = append(in.Indicators, &ind)
	}
	for _, f := range fs {
		in.Indicators = append(in.Indicators, &f)
	}
	in.Parents = []*hub.Region{&parent}
	in.Regions = make([]*hub.Region, len(rs))
	for i := range rs {
		r := rs[i]
		in.Regions[i] = &r
	}
	return gens, true
}

// keepComparison stores what a comparison read of the catalogue: the
// compared indicator and the parent when they exist, the derived
// indicators, the regions, and the tree counts when a formula read them.
func (c *caches) keepComparison(in *analytics.ComparisonInput, gens comparisonGens) {
	if c == nil {
		return
	}
	q := in.Query
	var fs []hub.Indicator
	for _, i := range in.Indicators {
		if i.Key == q.Indicator {
			c.indicators.put(i.Key, gens.indicator, *i)
		}
		if i.Formula != nil {
			fs = append(fs, *i)
		}
	}
	c.formulas.put(struct{}{}, gens.formulas, fs)
	if len(in.Parents) > 0 {
		c.regions.put(*q.Parent, gens.parent, *in.Parents[0])
	}
	rs := make([]hub.Region, len(in.Regions))
	for i, r := range in.Regions {
		rs[i] = *r
	}
	c.levels.put(levelKey{q.Level, *q.Parent}, gens.regions, rs)
	c.keepTreeCounts(in.Counts, gens.trees)
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
		collect(b, &in.Quartiles, scanQuartiles, peerQuartiles, regions, period)
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

// countsOf returns the cached tree counts of codes, the codes missing
// and the generation their counts, once read, are stored with.
func (c *caches) countsOf(codes []string) (counts []analytics.RegionCount, missing []string, gen uint64) {
	for i, code := range codes {
		tc, g, ok := c.trees.get(code)
		if i == 0 || g < gen {
			gen = g
		}
		if ok {
			counts = append(counts, analytics.RegionCount{Region: code, TreeCounts: tc})
		} else {
			missing = append(missing, code)
		}
	}
	return counts, missing, gen
}

// keepTreeCounts stores tree counts read after gen was.
func (c *caches) keepTreeCounts(counts []analytics.RegionCount, gen uint64) {
	for _, tc := range counts {
		c.trees.put(tc.Region, gen, tc.TreeCounts)
	}
}
