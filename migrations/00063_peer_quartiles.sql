-- A county leader's six-protections profile against the city (issue 18,
-- item 9). The profile scales each indicator across the region's peers
-- (the counties of its city); a county leader reads only its own county, so
-- every indicator had one value and every axis scored 100.
--
-- hub_peer_quartiles(region, period) gives, for one region in the caller's
-- scope, the distribution of its peers' values WITHOUT the values: per
-- scored indicator (not derived, not BASE, not retired) the number of peers
-- with a released value and the lower quartile, median and upper quartile
-- (percentile_cont) of those values, per 10,000 minors for COUNT and AMOUNT
-- indicators as the profile normalises them. Rules:
--   * leaders and admins only (they read released values: the rollups);
--     any other role gets no rows;
--   * the region must lie in the caller's scope;
--   * an indicator is answered only over at least 5 peers with a value
--     (hub_peer_quartiles_min_peers), so the quartiles are never one or two
--     counties' own figures;
--   * the peer set is fixed by the region tree (every region at the level
--     under the same parent, the caller's own included): a caller cannot
--     pick the peers, so it cannot difference two answers over different
--     sets of regions within one period.
-- No minimum, maximum, sum, count of a value or region code is returned.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION hub_peer_quartiles_min_peers() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 5 $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION hub_peer_quartiles(p_region text, p_period text)
RETURNS TABLE (indicator_key text, peers integer, q1 double precision, median double precision, q3 double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH asked AS (
    SELECT r.code, r.level, r.parent_code
    FROM regions r
    WHERE r.code = p_region
      AND hub_role() IN ('leader', 'admin')
      AND (hub_scope_is_everything() OR r.path <@ hub_scope())
  ), peers AS (
    SELECT s.code
    FROM regions s JOIN asked a ON s.level = a.level AND s.parent_code IS NOT DISTINCT FROM a.parent_code
  ), minors AS (
    SELECT m.region_code, m.period, m.value
    FROM value_rollups m
    WHERE m.indicator_key = 'minors_total' AND m.region_code IN (SELECT code FROM peers)
      AND m.period IN (p_period, left(p_period, 4)) AND m.value > 0
  ), normalised AS (
    SELECT v.indicator_key,
           CASE WHEN i.value_type IN ('COUNT', 'AMOUNT')
                THEN v.value / coalesce(
                       (SELECT n.value FROM minors n WHERE n.region_code = v.region_code AND n.period = p_period),
                       (SELECT n.value FROM minors n WHERE n.region_code = v.region_code AND n.period = left(p_period, 4))) * 10000
                ELSE v.value END AS x
    FROM value_rollups v
    JOIN indicators i ON i.key = v.indicator_key
    WHERE v.period = p_period AND v.region_code IN (SELECT code FROM peers) AND v.value IS NOT NULL
      AND i.formula IS NULL AND i.protection <> 'BASE' AND i.retired_at IS NULL
  )
  SELECT indicator_key, count(*)::integer,
         percentile_cont(0.25) WITHIN GROUP (ORDER BY x),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY x),
         percentile_cont(0.75) WITHIN GROUP (ORDER BY x)
  FROM normalised
  WHERE x IS NOT NULL
  GROUP BY indicator_key
  HAVING count(*) >= hub_peer_quartiles_min_peers()
  ORDER BY indicator_key
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_peer_quartiles(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_peer_quartiles(text, text) TO hub_app;

-- +goose Down
DROP FUNCTION hub_peer_quartiles(text, text);
DROP FUNCTION hub_peer_quartiles_min_peers();
