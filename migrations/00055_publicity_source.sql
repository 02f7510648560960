-- The publicity statistics say which figures are synthetic demo data
-- (issue 15: labelled wherever a value is shown): hub_published_table
-- (migration 00042) also returns each value's source, so that
-- publicityStats, /export/publicity.csv and .json can mark them. The
-- function is otherwise unchanged: same roles, same rows, same order.

-- +goose Up
DROP FUNCTION hub_published_table(text);
-- +goose StatementBegin
CREATE FUNCTION hub_published_table(p_period text)
RETURNS TABLE (indicator_key text, region_code text, parent_code text, region_path text, period text,
               value double precision, qualifier text, publish_at timestamptz,
               sensitive boolean, aggregation text, collection_level text, publication_id bigint, source text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT v.indicator_key, v.region_code, coalesce(r.parent_code, ''), r.path::text, v.period,
         v.value, v.qualifier, v.publish_at, i.sensitive, i.aggregation, i.collection_level, v.publication_id, v.source
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
