-- Two fixes to the workflow of 00010.
-- 1. unrelease_previous is SECURITY DEFINER and was executable by hub_app,
--    so any signed-in user could unrelease any value by calling it. Only a
--    trigger calls it now: data_values_release runs as the owner when a
--    head becomes released, and trigger functions cannot be called directly.
-- 2. APPROVED → PUBLISHED is allowed for publicity indicators and for
--    values a coordinator marked releasable (headline figures, issue 7).

-- +goose Up
REVOKE EXECUTE ON FUNCTION unrelease_previous(text, text, text) FROM PUBLIC, hub_app;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enforce_workflow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'hub_app' OR NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM workflow_transitions
                 WHERE from_status = OLD.status AND to_status = NEW.status AND role = hub_role()) THEN
    RAISE EXCEPTION 'illegal transition % -> % for role %', OLD.status, NEW.status, hub_role()
      USING ERRCODE = '22023';
  END IF;
  IF NEW.status = 'PUBLISHED' AND NOT NEW.releasable
     AND NOT (SELECT publicity FROM indicators WHERE key = NEW.indicator_key) THEN
    RAISE EXCEPTION 'only publicity indicators and values marked releasable may be published' USING ERRCODE = '22023';
  END IF;
  RETURN NEW;
END $$;
-- +goose StatementEnd

-- data_values_release retires the released version of a key when its
-- correction (the head) becomes released; it runs after enforce_workflow
-- (triggers fire in name order), so only for legal steps.
-- +goose StatementBegin
CREATE FUNCTION data_values_release() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.is_head AND NEW.status IN ('APPROVED', 'PUBLISHED') AND OLD.status NOT IN ('APPROVED', 'PUBLISHED') THEN
    PERFORM unrelease_previous(NEW.indicator_key, NEW.period, NEW.region_code);
  END IF;
  RETURN NEW;
END $$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION data_values_release() FROM PUBLIC;
CREATE TRIGGER data_values_workflow_release BEFORE UPDATE OF status ON data_values
  FOR EACH ROW EXECUTE FUNCTION data_values_release();

UPDATE workflow_transitions
SET rule = '协调员发布公开指标或已标记可发布的数值 / coordinators publish publicity indicators and values marked releasable'
WHERE from_status = 'APPROVED' AND to_status = 'PUBLISHED';

-- +goose Down
UPDATE workflow_transitions
SET rule = '协调员发布公开指标 / coordinators publish publicity indicators'
WHERE from_status = 'APPROVED' AND to_status = 'PUBLISHED';
DROP TRIGGER data_values_workflow_release ON data_values;
DROP FUNCTION data_values_release();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enforce_workflow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user <> 'hub_app' OR NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM workflow_transitions
                 WHERE from_status = OLD.status AND to_status = NEW.status AND role = hub_role()) THEN
    RAISE EXCEPTION 'illegal transition % -> % for role %', OLD.status, NEW.status, hub_role()
      USING ERRCODE = '22023';
  END IF;
  IF NEW.status = 'PUBLISHED' AND NOT (SELECT publicity FROM indicators WHERE key = NEW.indicator_key) THEN
    RAISE EXCEPTION 'only publicity indicators may be published' USING ERRCODE = '22023';
  END IF;
  IF NEW.is_head AND NEW.status IN ('APPROVED', 'PUBLISHED') AND OLD.status NOT IN ('APPROVED', 'PUBLISHED') THEN
    PERFORM unrelease_previous(NEW.indicator_key, NEW.period, NEW.region_code);
  END IF;
  RETURN NEW;
END $$;
-- +goose StatementEnd
GRANT EXECUTE ON FUNCTION unrelease_previous(text, text, text) TO hub_app;
