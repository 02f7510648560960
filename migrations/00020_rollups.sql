-- Precomputed aggregates for analytics (comparison, profile, trend).
--
-- value_rollups holds, for every indicator, region and period, the value
-- aggregated from the RELEASED values below it: up the region tree from the
-- indicator's collection level, and over time from its native period type
-- (months → quarters → years). A trigger on data_values refreshes the rows a
-- change touches in the same transaction, so an approval is visible to the
-- next query after its commit.
--
-- Who may read a rollup is the data_values_read policy for released rows,
-- restated for rollups: a rollup of region R contains only values of R's
-- subtree and of one indicator (one department), so a principal who may read
-- the rollup may read every released value in it. Media principals read a
-- rollup only when they may read every part (all published, past their
-- embargo, a publicity indicator or all parts releasable) and the indicator
-- is not sensitive: small counts reach them only through publicityStats,
-- with small-cell suppression.

-- +goose Up

-- hub_period_type tells a year (2022) from a quarter (2022Q3) and a month (2022-07).
CREATE FUNCTION hub_period_type(p text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN p LIKE '%Q%' THEN 'QUARTER' WHEN p LIKE '%-%' THEN 'MONTH' ELSE 'YEAR' END $$;

-- hub_periods_within lists a period and the periods it is made of: a year
-- its quarters and months, a quarter its months.
-- +goose StatementBegin
CREATE FUNCTION hub_periods_within(p text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE hub_period_type(p)
    WHEN 'YEAR' THEN ARRAY[p]
      || ARRAY(SELECT p || 'Q' || q FROM generate_series(1, 4) q)
      || ARRAY(SELECT p || '-' || lpad(m::text, 2, '0') FROM generate_series(1, 12) m)
    WHEN 'QUARTER' THEN ARRAY[p]
      || ARRAY(SELECT left(p, 4) || '-' || lpad(m::text, 2, '0')
               FROM generate_series((substr(p, 6, 1)::int - 1) * 3 + 1, substr(p, 6, 1)::int * 3) m)
    ELSE ARRAY[p]
  END
$$;
-- +goose StatementEnd

-- hub_periods_above lists a period and the periods it belongs to: a month
-- its quarter and year, a quarter its year.
-- +goose StatementBegin
CREATE FUNCTION hub_periods_above(p text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE hub_period_type(p)
    WHEN 'MONTH' THEN ARRAY[p, left(p, 4) || 'Q' || ((substr(p, 6, 2)::int - 1) / 3 + 1), left(p, 4)]
    WHEN 'QUARTER' THEN ARRAY[p, left(p, 4)]
    ELSE ARRAY[p]
  END
$$;
-- +goose StatementEnd

-- hub_periods_expected is how many periods of type native make up p.
-- +goose StatementBegin
CREATE FUNCTION hub_periods_expected(p text, native text) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN hub_period_type(p) = native THEN 1
    WHEN hub_period_type(p) = 'YEAR' AND native = 'MONTH' THEN 12
    WHEN hub_period_type(p) = 'YEAR' AND native = 'QUARTER' THEN 4
    WHEN hub_period_type(p) = 'QUARTER' AND native = 'MONTH' THEN 3
    ELSE 0
  END
$$;
-- +goose StatementEnd

-- hub_qualifier_rank orders qualifiers by how much they weaken a figure;
-- an aggregate takes the weakest of its parts (EXACT < AT_LEAST < APPROX).
CREATE FUNCTION hub_qualifier_rank(q text) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE q WHEN 'EXACT' THEN 0 WHEN 'AT_LEAST' THEN 1 ELSE 2 END $$;

CREATE TABLE value_rollups (
  indicator_key    text NOT NULL,
  department_code  text NOT NULL,
  region_code      text NOT NULL,
  region_path      ltree NOT NULL,
  period           text NOT NULL,
  -- NULL when the released parts carry no number.
  value            double precision,
  qualifier        text NOT NULL CHECK (qualifier IN ('EXACT', 'AT_LEAST', 'APPROX')),
  -- the lowest status of the parts: APPROVED unless every part is PUBLISHED.
  status           text NOT NULL CHECK (status IN ('APPROVED', 'PUBLISHED')),
  -- the latest embargo of the parts, and whether every part is releasable.
  publish_at       timestamptz,
  releasable       boolean NOT NULL,
  -- parts with a number, and collection-level regions below region_code.
  values_used      int NOT NULL,
  regions_expected int NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (indicator_key, period, region_code),
  FOREIGN KEY (indicator_key, department_code) REFERENCES indicators (key, department_code) ON UPDATE CASCADE ON DELETE CASCADE,
  FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path)
);
CREATE INDEX value_rollups_region_path ON value_rollups USING gist (region_path);
-- comparison and trend give region, period and indicator; profile region and period.
CREATE INDEX value_rollups_region_period ON value_rollups (region_code, period, indicator_key);

ALTER TABLE value_rollups ENABLE ROW LEVEL SECURITY;
CREATE POLICY value_rollups_read ON value_rollups FOR SELECT TO hub_app USING (
  ((SELECT hub_scope_is_everything()) OR region_path <@ (SELECT hub_scope()))
  AND CASE (SELECT hub_role())
        WHEN 'admin' THEN true
        WHEN 'leader' THEN true
        WHEN 'coordinator' THEN true
        WHEN 'analyst' THEN department_code = (SELECT hub_department())
                            OR indicator_key IN (SELECT hub_shared_indicators())
        WHEN 'media' THEN status = 'PUBLISHED' AND publish_at <= now()
                          AND indicator_key NOT IN (SELECT key FROM indicators WHERE sensitive)
                          AND (releasable OR indicator_key IN (SELECT key FROM indicators WHERE publicity))
        ELSE false
      END
);
GRANT SELECT ON value_rollups TO hub_app;

-- value_rollup_keys expands changed values (indicator, period, region path)
-- to the rollups they are part of: every ancestor region and every period
-- above (for NONE, only the value's own region and period), with the
-- periods each is made of and how many of the native type it should have.
-- It is plain SQL so that the planner inlines it into its callers.
-- +goose StatementBegin
CREATE FUNCTION value_rollup_keys(inds text[], pers text[], paths ltree[])
RETURNS TABLE (indicator_key text, department_code text, region_code text, region_path ltree, period text,
               aggregation text, collection_level text, period_type text, regions_expected int,
               periods text[], periods_expected int)
LANGUAGE sql STABLE AS $$
  WITH changed AS (
    SELECT DISTINCT c.ind, c.per, c.path FROM unnest(inds, pers, paths) AS c(ind, per, path)
  ), k AS (
    -- regions r.path @> c.path are the value's region and its ancestors.
    SELECT DISTINCT c.ind, r.code, p
    FROM changed c
    JOIN public.indicators i ON i.key = c.ind
    JOIN public.regions r ON r.path @> c.path AND (i.aggregation <> 'NONE' OR r.path = c.path)
    CROSS JOIN LATERAL unnest(CASE WHEN i.aggregation = 'NONE' THEN ARRAY[c.per] ELSE public.hub_periods_above(c.per) END) p
  )
  SELECT k.ind, i.department_code, r.code, r.path, k.p, i.aggregation, i.collection_level, i.period_type,
         (SELECT count(*)::int FROM public.regions x WHERE x.path <@ r.path AND x.level = i.collection_level),
         public.hub_periods_within(k.p), public.hub_periods_expected(k.p, i.period_type)
  FROM k
  JOIN public.indicators i ON i.key = k.ind
  JOIN public.regions r ON r.code = k.code
$$;
-- +goose StatementEnd

-- value_rollups_refresh recomputes the rollups that values (indicator,
-- period, region path) are part of. It runs as the owner: a rollup sums
-- every released value, whoever changed one; readers are filtered by the
-- policy above. JIT is off: the planner's guesses for the array arguments
-- pass its cost threshold, and compiling took 100 ms of a 3 ms refresh.
--
-- Over time (per collection-level region): SUM adds the periods, AVERAGE
-- averages them, LAST takes the latest period with a number. Over regions:
-- AVERAGE averages the regions, SUM and LAST add them (DHIS2's "last value,
-- sum in the hierarchy"). NONE is never aggregated. The qualifier is the
-- weakest of the parts; a SUM over fewer periods, or a SUM/LAST over fewer
-- regions, than there are is AT_LEAST.
-- +goose StatementBegin
CREATE FUNCTION value_rollups_refresh(inds text[], pers text[], paths ltree[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp SET jit = off AS $$
BEGIN
  DELETE FROM value_rollups v
  USING value_rollup_keys(inds, pers, paths) k
  WHERE v.indicator_key = k.indicator_key AND v.period = k.period AND v.region_code = k.region_code;

  INSERT INTO value_rollups (indicator_key, department_code, region_code, region_path, period, value, qualifier,
                             status, publish_at, releasable, values_used, regions_expected)
  SELECT l.indicator_key, l.department_code, l.region_code, l.region_path, l.period,
         CASE WHEN l.aggregation = 'AVERAGE' THEN avg(l.value) ELSE sum(l.value) END,
         (ARRAY['EXACT', 'AT_LEAST', 'APPROX'])[1 + greatest(coalesce(max(l.qrank), 0),
            CASE WHEN l.aggregation IN ('SUM', 'LAST') AND count(l.value) < l.regions_expected THEN 1 ELSE 0 END)],
         CASE WHEN bool_or(l.approved) THEN 'APPROVED' ELSE 'PUBLISHED' END,
         CASE WHEN bool_and(l.embargo IS NOT NULL) THEN max(l.embargo) END, bool_and(l.releasable),
         count(l.value), l.regions_expected
  FROM (
    SELECT k.indicator_key, k.department_code, k.region_code, k.region_path, k.period, k.aggregation,
           k.regions_expected, v.region_code AS leaf,
           CASE k.aggregation
             WHEN 'SUM' THEN sum(v.value)
             WHEN 'AVERAGE' THEN avg(v.value)
             ELSE (array_agg(v.value ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
           END AS value,
           greatest(
             CASE WHEN k.aggregation IN ('LAST', 'NONE')
                  THEN (array_agg(hub_qualifier_rank(v.qualifier) ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
                  ELSE max(hub_qualifier_rank(v.qualifier)) FILTER (WHERE v.value IS NOT NULL) END,
             CASE WHEN k.aggregation = 'SUM' AND count(v.value) < k.periods_expected THEN 1 ELSE 0 END
           ) AS qrank,
           bool_or(v.status = 'APPROVED') AS approved,
           CASE WHEN bool_and(v.publish_at IS NOT NULL) THEN max(v.publish_at) END AS embargo,
           bool_and(v.releasable) AS releasable
    FROM value_rollup_keys(inds, pers, paths) k
    -- per key, its collection-level regions (GiST on the path), then each
    -- one's released values by the index on (indicator, period, region):
    -- work in proportion to the parts. OFFSET 0 keeps this join order.
    CROSS JOIN LATERAL (
      SELECT r.code FROM regions r WHERE r.path <@ k.region_path AND r.level = k.collection_level OFFSET 0) r
    CROSS JOIN LATERAL (
      SELECT v.region_code, v.period, v.value, v.qualifier, v.status, v.publish_at, v.releasable
      FROM data_values v
      WHERE v.is_released AND v.indicator_key = k.indicator_key AND v.region_code = r.code
        AND v.period = ANY (k.periods) AND hub_period_type(v.period) = k.period_type
      OFFSET 0) v
    GROUP BY k.indicator_key, k.department_code, k.region_code, k.region_path, k.period, k.aggregation,
             k.regions_expected, k.periods_expected, v.region_code
  ) l
  GROUP BY l.indicator_key, l.department_code, l.region_code, l.region_path, l.period, l.aggregation, l.regions_expected;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION value_rollups_refresh(text[], text[], ltree[]) FROM PUBLIC;

-- value_rollups_apply refreshes the rollups of changed values: key by key
-- for the few values of a request, or by rebuilding the indicators
-- concerned when a statement changed many (a bulk load), where one pass
-- of hash aggregation beats a lookup per rollup.
-- +goose StatementBegin
CREATE FUNCTION value_rollups_apply(inds text[], pers text[], paths ltree[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF cardinality(inds) <= 2000 THEN
    PERFORM value_rollups_refresh(inds, pers, paths);
  ELSE
    PERFORM value_rollups_rebuild(ARRAY(SELECT DISTINCT x FROM unnest(inds) x));
  END IF;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION value_rollups_apply(text[], text[], ltree[]) FROM PUBLIC;

-- The triggers hand the changed released values of a statement to
-- value_rollups_apply, once per statement. They run as the owner, who
-- alone may call the refresh: trigger functions cannot be called directly,
-- so a request can change rollups only by changing values.
-- +goose StatementBegin
CREATE FUNCTION value_rollups_after_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM value_rollups_apply(array_agg(c.indicator_key), array_agg(c.period), array_agg(c.region_path))
  FROM (SELECT DISTINCT indicator_key, period, region_path FROM new_rows WHERE is_released) c
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION value_rollups_after_update() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM value_rollups_apply(array_agg(c.indicator_key), array_agg(c.period), array_agg(c.region_path))
  FROM (SELECT DISTINCT x.indicator_key, x.period, x.region_path
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.indicator_key, o.period, o.region_path),
                                   (n.indicator_key, n.period, n.region_path)) x(indicator_key, period, region_path)
        WHERE (o.is_released OR n.is_released)
          AND (o.is_released, o.value, o.qualifier, o.status, o.publish_at, o.releasable, o.indicator_key)
              IS DISTINCT FROM (n.is_released, n.value, n.qualifier, n.status, n.publish_at, n.releasable, n.indicator_key)) c
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION value_rollups_after_delete() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM value_rollups_apply(array_agg(c.indicator_key), array_agg(c.period), array_agg(c.region_path))
  FROM (SELECT DISTINCT indicator_key, period, region_path FROM old_rows WHERE is_released) c
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION value_rollups_after_insert(), value_rollups_after_update(), value_rollups_after_delete() FROM PUBLIC;
CREATE TRIGGER value_rollups_insert AFTER INSERT ON data_values REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION value_rollups_after_insert();
CREATE TRIGGER value_rollups_update AFTER UPDATE ON data_values REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION value_rollups_after_update();
CREATE TRIGGER value_rollups_delete AFTER DELETE ON data_values REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION value_rollups_after_delete();

-- value_rollups_rebuild recomputes every rollup (of the indicators inds
-- when given) in one pass: each released value is aggregated over time into the
-- periods above it per collection-level region, then each of those into
-- the region's ancestors. It gives the same rows as value_rollups_refresh
-- (a test compares them) with hash aggregation instead of one lookup per
-- rollup: for bulk loads (the triggers call it for statements that change
-- many values), after loading with the triggers disabled, and when an
-- indicator's aggregation changes.
-- +goose StatementBegin
CREATE FUNCTION value_rollups_rebuild(inds text[] DEFAULT NULL) RETURNS void
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
REVOKE ALL ON FUNCTION value_rollups_rebuild(text[]) FROM PUBLIC;

-- A change of how an indicator aggregates rebuilds its rollups.
-- +goose StatementBegin
CREATE FUNCTION value_rollups_indicator_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM value_rollups_rebuild(ARRAY[NEW.key]);
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER value_rollups_indicator AFTER UPDATE ON indicators FOR EACH ROW
  WHEN ((OLD.aggregation, OLD.period_type, OLD.collection_level)
        IS DISTINCT FROM (NEW.aggregation, NEW.period_type, NEW.collection_level))
  EXECUTE FUNCTION value_rollups_indicator_changed();

SELECT value_rollups_rebuild();

-- +goose Down
DROP TRIGGER value_rollups_indicator ON indicators;
DROP TRIGGER value_rollups_delete ON data_values;
DROP TRIGGER value_rollups_update ON data_values;
DROP TRIGGER value_rollups_insert ON data_values;
DROP FUNCTION value_rollups_indicator_changed(), value_rollups_rebuild(text[]), value_rollups_after_delete(),
  value_rollups_after_update(), value_rollups_after_insert(), value_rollups_apply(text[], text[], ltree[]),
  value_rollups_refresh(text[], text[], ltree[]),
  value_rollup_keys(text[], text[], ltree[]);
DROP TABLE value_rollups;
DROP FUNCTION hub_qualifier_rank(text), hub_periods_expected(text, text), hub_periods_above(text),
  hub_periods_within(text), hub_period_type(text);
