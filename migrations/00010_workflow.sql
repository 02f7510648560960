-- +goose Up
-- workflow_transitions is the one table that says which status may follow
-- which, and for which role. The trigger below enforces it for requests
-- (role hub_app); the Go service reads the same table to explain refusals.
CREATE TABLE workflow_transitions (
  from_status text NOT NULL,
  to_status   text NOT NULL,
  role        text NOT NULL,
  rule        text NOT NULL,
  PRIMARY KEY (from_status, to_status, role)
);
INSERT INTO workflow_transitions (from_status, to_status, role, rule) VALUES
  ('DRAFT',     'SUBMITTED', 'analyst',     '分析员提交草稿 / analysts submit drafts'),
  ('RETURNED',  'SUBMITTED', 'analyst',     '分析员重新提交退回的数值 / analysts resubmit returned values'),
  ('SUBMITTED', 'DRAFT',     'analyst',     '分析员撤回已提交的数值 / analysts withdraw submitted values'),
  ('SUBMITTED', 'APPROVED',  'coordinator', '协调员审核通过 / coordinators approve submitted values'),
  ('SUBMITTED', 'RETURNED',  'coordinator', '协调员退回（须说明理由）/ coordinators return with a reason'),
  ('APPROVED',  'PUBLISHED', 'coordinator', '协调员发布公开指标 / coordinators publish publicity indicators'),
  ('APPROVED',  'RETURNED',  'coordinator', '协调员退回已审核的数值（须说明理由）/ coordinators return approved values with a reason');
GRANT SELECT ON workflow_transitions TO hub_app;

-- +goose StatementBegin
-- unrelease_previous retires the released version of a key when its
-- correction (the head) is approved. The old row is no longer visible to
-- the coordinator afterwards, which RLS would refuse; the function runs as
-- the owner and touches only the released non-head row of that key.
CREATE FUNCTION unrelease_previous(ind text, per text, reg text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
  UPDATE data_values SET is_released = false
  WHERE indicator_key = ind AND period = per AND region_code = reg AND is_released AND NOT is_head
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION unrelease_previous(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION unrelease_previous(text, text, text) TO hub_app;

-- +goose StatementBegin
CREATE FUNCTION enforce_workflow() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER data_values_workflow BEFORE UPDATE OF status ON data_values
  FOR EACH ROW EXECUTE FUNCTION enforce_workflow();

-- +goose Down
DROP TRIGGER data_values_workflow ON data_values;
DROP FUNCTION enforce_workflow();
DROP FUNCTION unrelease_previous(text, text, text);
DROP TABLE workflow_transitions;
