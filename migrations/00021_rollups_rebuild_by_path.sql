-- value_rollups_rebuild without containment joins.
--
-- The first version (00020) found a value's ancestors by joining regions on
-- path @> (GiST) and counted each ancestor's collection-level regions by a
-- self-join of regions on <@. On the generated province data set (10.5
-- million values, 2,200 regions) that took 3.2 s for a county-level
-- indicator and more than 3 minutes for a town-level one, and a full
-- rebuild did not finish. A region's path is the chain of codes from the
-- root, so the ancestor at depth d of a region is the label at d - 1 of its
-- path: the ancestors (and how many collection-level regions each has)
-- are a few thousand rows computed from regions alone, joined to the
-- values by code, with equality joins and text keys throughout. The values
-- are read by the index on (indicator_key, period, region_code) in one
-- pass, where joining regions for their level had made the planner probe
-- that index once per town. The rebuild goes one indicator
-- at a time, so each aggregation is small and a caller may report progress
-- by calling it per indicator. Town-level indicator on the province: 18 s
-- with the joins, 1.9 s like this. The rows are the same as before
-- (TestRollups_IncrementalEqualsRebuild compares them with the key-by-key
-- refresh).

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION value_rollups_rebuild(inds text[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
DECLARE
  ind record;
BEGIN
  FOR ind IN SELECT key, department_code, aggregation, collection_level, period_type
             FROM indicators WHERE inds IS NULL OR key = ANY (inds) ORDER BY key LOOP
    DELETE FROM value_rollups WHERE indicator_key = ind.key;
    INSERT INTO value_rollups (indicator_key, department_code, region_code, region_path, period, value, qualifier,
                               status, publish_at, releasable, values_used, regions_expected)
    WITH leaf AS (
      -- per region, the values over time: its own periods and those above
      -- them (for NONE only its own). Values of regions off the collection
      -- level are dropped by the join with up below: a filter on region
      -- level here makes the planner probe the values index region by region.
      SELECT v.region_code AS leaf, p AS period,
             CASE ind.aggregation
               WHEN 'SUM' THEN sum(v.value)
               WHEN 'AVERAGE' THEN avg(v.value)
               ELSE (array_agg(v.value ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
             END AS value,
             greatest(
               CASE WHEN ind.aggregation IN ('LAST', 'NONE')
                    THEN (array_agg(hub_qualifier_rank(v.qualifier) ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
                    ELSE max(hub_qualifier_rank(v.qualifier)) FILTER (WHERE v.value IS NOT NULL) END,
               CASE WHEN ind.aggregation = 'SUM' AND count(v.value) < hub_periods_expected(p, ind.period_type) THEN 1 ELSE 0 END
             ) AS qrank,
             bool_or(v.status = 'APPROVED') AS approved,
             CASE WHEN bool_and(v.publish_at IS NOT NULL) THEN max(v.publish_at) END AS embargo,
             bool_and(v.releasable) AS releasable
      FROM data_values v
      CROSS JOIN LATERAL unnest(CASE WHEN ind.aggregation = 'NONE' THEN ARRAY[v.period] ELSE hub_periods_above(v.period) END) p
      WHERE v.is_released AND v.indicator_key = ind.key AND hub_period_type(v.period) = ind.period_type
      GROUP BY v.region_code, p
    ), up AS (
      -- each collection-level region (leaf) and the regions of its path,
      -- itself included (code: the label at depth d), with how many
      -- collection-level regions each of those has below it.
      SELECT x.code AS leaf, ltree2text(subpath(x.path, d - 1, 1)) AS code,
             count(*) OVER (PARTITION BY ltree2text(subpath(x.path, d - 1, 1)))::int AS n
      FROM regions x
      CROSS JOIN LATERAL generate_series(1, nlevel(x.path)) d
      WHERE x.level = ind.collection_level
    )
    SELECT ind.key, ind.department_code, a.code, a.path, g.period, g.value, g.qualifier,
           g.status, g.publish_at, g.releasable, g.values_used, g.n
    FROM (
      SELECT u.code, l.period, u.n,
             CASE WHEN ind.aggregation = 'AVERAGE' THEN avg(l.value) ELSE sum(l.value) END AS value,
             (ARRAY['EXACT', 'AT_LEAST', 'APPROX'])[1 + greatest(coalesce(max(l.qrank), 0),
                CASE WHEN ind.aggregation IN ('SUM', 'LAST') AND count(l.value) < u.n THEN 1 ELSE 0 END)] AS qualifier,
             CASE WHEN bool_or(l.approved) THEN 'APPROVED' ELSE 'PUBLISHED' END AS status,
             CASE WHEN bool_and(l.embargo IS NOT NULL) THEN max(l.embargo) END AS publish_at,
             bool_and(l.releasable) AS releasable,
             count(l.value)::int AS values_used
      FROM leaf l
      -- NONE is never aggregated: a value's rollup is its own region's.
      JOIN up u ON u.leaf = l.leaf AND (ind.aggregation <> 'NONE' OR u.code = l.leaf)
      GROUP BY u.code, l.period, u.n
    ) g
    JOIN regions a ON a.code = g.code;
  END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION value_rollups_rebuild(inds text[] DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
  DELETE FROM value_rollups WHERE inds IS NULL OR indicator_key = ANY (inds);
  INSERT INTO value_rollups (indicator_key, department_code, region_code, region_path, period, value, qualifier,
                             status, publish_at, releasable, values_used, regions_expected)
  WITH leaf AS (
    SELECT v.indicator_key, i.department_code, i.aggregation, i.collection_level, v.region_path AS leaf_path, p AS period,
           CASE i.aggregation
             WHEN 'SUM' THEN sum(v.value)
             WHEN 'AVERAGE' THEN avg(v.value)
             ELSE (array_agg(v.value ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
           END AS value,
           greatest(
             CASE WHEN i.aggregation IN ('LAST', 'NONE')
                  THEN (array_agg(hub_qualifier_rank(v.qualifier) ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
                  ELSE max(hub_qualifier_rank(v.qualifier)) FILTER (WHERE v.value IS NOT NULL) END,
             CASE WHEN i.aggregation = 'SUM' AND count(v.value) < hub_periods_expected(p, i.period_type) THEN 1 ELSE 0 END
           ) AS qrank,
           bool_or(v.status = 'APPROVED') AS approved,
           CASE WHEN bool_and(v.publish_at IS NOT NULL) THEN max(v.publish_at) END AS embargo,
           bool_and(v.releasable) AS releasable
    FROM data_values v
    JOIN indicators i ON i.key = v.indicator_key AND hub_period_type(v.period) = i.period_type
    JOIN regions r ON r.code = v.region_code AND r.level = i.collection_level
    CROSS JOIN LATERAL unnest(CASE WHEN i.aggregation = 'NONE' THEN ARRAY[v.period] ELSE hub_periods_above(v.period) END) p
    WHERE v.is_released AND (inds IS NULL OR v.indicator_key = ANY (inds))
    GROUP BY v.indicator_key, i.department_code, i.aggregation, i.collection_level, i.period_type, v.region_path, p
  ), expected AS (
    SELECT a.code, x.level, count(*)::int AS n
    FROM regions a JOIN regions x ON x.path <@ a.path
    GROUP BY a.code, x.level
  )
  SELECT l.indicator_key, l.department_code, a.code, a.path, l.period,
         CASE WHEN l.aggregation = 'AVERAGE' THEN avg(l.value) ELSE sum(l.value) END,
         (ARRAY['EXACT', 'AT_LEAST', 'APPROX'])[1 + greatest(coalesce(max(l.qrank), 0),
            CASE WHEN l.aggregation IN ('SUM', 'LAST') AND count(l.value) < e.n THEN 1 ELSE 0 END)],
         CASE WHEN bool_or(l.approved) THEN 'APPROVED' ELSE 'PUBLISHED' END,
         CASE WHEN bool_and(l.embargo IS NOT NULL) THEN max(l.embargo) END, bool_and(l.releasable),
         count(l.value), e.n
  FROM leaf l
  JOIN regions a ON a.path @> l.leaf_path AND (l.aggregation <> 'NONE' OR a.path = l.leaf_path)
  JOIN expected e ON e.code = a.code AND e.level = l.collection_level
  GROUP BY l.indicator_key, l.department_code, l.aggregation, a.code, a.path, l.period, e.n;
END
$$;
-- +goose StatementEnd
