-- Facts for explainAccess: the workflow stage of one value, read past the
-- policies so that the explanation can name the rule that hides it. It
-- returns no value, only its stage, and only to a signed-in principal;
-- the Go side (internal/access) reveals the stage only when the region is
-- in the caller's scope.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION hub_value_facts(p_indicator text, p_region text, p_period text)
RETURNS TABLE (head_status text, released boolean, released_status text, publish_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT (SELECT status FROM data_values
          WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_head),
         EXISTS (SELECT 1 FROM data_values
                 WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_released),
         (SELECT status FROM data_values
          WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_released),
         (SELECT publish_at FROM data_values
          WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_released)
  WHERE hub_role() <> ''
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_value_facts(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_value_facts(text, text, text) TO hub_app;

-- +goose Down
DROP FUNCTION hub_value_facts(text, text, text);
