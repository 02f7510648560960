-- Minors' small cells reach the media office only suppressed, on every path
-- (issue 13). Until now suppression lived in publicityStats alone, while the
-- media role read the raw counts of sensitive indicators wherever values are
-- read: dataValues, the dashboard, exports, the import template, the
-- validation report.
--
-- 1. The row policies keep every sensitive value and rollup from the media
--    role. They are RESTRICTIVE, so they hold whatever the permissive read
--    policies (data_values_read, value_rollups_read) say now or later: a
--    row is visible only when a permissive policy AND every restrictive one
--    let it through.
-- 2. The one service that suppresses (internal/postgres MediaService with
--    internal/media) reads the published table of a period through
--    hub_published_table, a narrow SECURITY DEFINER function: only for the
--    roles that may pull publicity statistics, only PUBLISHED values past
--    their embargo, only publicity indicators or released headline figures.
--    It returns the WHOLE published table of the period, all regions, not
--    the caller's subtree: complementary suppression is computed over that
--    whole table and the answer is then cut to the requested subtree (and
--    the caller's scope, in Go), so every answer, for any region, principal
--    or export, is part of one and the same safely suppressed table, and no
--    combination of answers recovers a withheld cell. What it returns is
--    published; only hub_app (the server) may call it, and the server
--    hands nothing on before suppression. Called for all periods (NULL),
--    it also counts what a publication holds for the media office once
--    its embargo has passed (and nothing before).

-- +goose Up
CREATE POLICY data_values_media_not_sensitive ON data_values AS RESTRICTIVE FOR SELECT TO hub_app USING (
  (SELECT hub_role()) <> 'media'
  OR indicator_key NOT IN (SELECT key FROM indicators WHERE sensitive)
);
CREATE POLICY value_rollups_media_not_sensitive ON value_rollups AS RESTRICTIVE FOR SELECT TO hub_app USING (
  (SELECT hub_role()) <> 'media'
  OR indicator_key NOT IN (SELECT key FROM indicators WHERE sensitive)
);

-- +goose StatementBegin
CREATE FUNCTION hub_published_table(p_period text)
RETURNS TABLE (indicator_key text, region_code text, parent_code text, region_path text, period text,
               value double precision, qualifier text, publish_at timestamptz,
               sensitive boolean, aggregation text, collection_level text, publication_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT v.indicator_key, v.region_code, coalesce(r.parent_code, ''), r.path::text, v.period,
         v.value, v.qualifier, v.publish_at, i.sensitive, i.aggregation, i.collection_level, v.publication_id
  FROM data_values v
  JOIN indicators i ON i.key = v.indicator_key
  JOIN regions r ON r.code = v.region_code
  WHERE hub_role() IN ('media', 'coordinator', 'leader', 'admin')
    AND v.is_released AND v.status = 'PUBLISHED' AND v.publish_at <= now()
    AND (i.publicity OR v.releasable)
    AND (p_period IS NULL OR v.period = p_period)
  ORDER BY v.indicator_key, r.path
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_published_table(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_published_table(text) TO hub_app;

-- +goose Down
DROP FUNCTION hub_published_table(text);
DROP POLICY value_rollups_media_not_sensitive ON value_rollups;
DROP POLICY data_values_media_not_sensitive ON data_values;
