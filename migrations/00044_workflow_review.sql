-- What a coordinator approves is exactly what was reviewed (issue 13, item 4).
--
-- 1. RETURNED → DRAFT is a step for analysts: correcting a returned value
--    makes it a draft again, and its return reason stays on it (status_reason)
--    until it is submitted again. Before, the write paths set DRAFT themselves
--    and the trigger refused the step ("illegal transition RETURNED -> DRAFT").
-- 2. workflow_edits says what a change of a value's content (value,
--    qualifier, comment) does to its status, for whom: an edit of a SUBMITTED
--    value withdraws it (DRAFT), so a changed number can never be approved
--    without being submitted, and seen, again. Released values (APPROVED,
--    PUBLISHED) have no row: they are never changed in place, a correction
--    is a new version (internal/postgres/bulk.go) while the old one stays
--    released. Other roles have no row: only analysts edit values.
-- 3. enforce_workflow now fires on every UPDATE by hub_app (not only when
--    status is SET), applies workflow_edits and workflow_transitions, bumps
--    the version of every content change (so an expected version names the
--    content a reviewer saw), keeps a value's key, and lets only a released
--    head be replaced by a correction. Its refusals carry their own SQLSTATE,
--    which internal/postgres maps to the hub's codes:
--      WF001 FORBIDDEN        the role never takes this step or edits values
--      WF002 CONFLICT         not from the value's current status (it changed)
--      WF003 BAD_USER_INPUT   the value cannot take this step at all

-- +goose Up
INSERT INTO workflow_transitions (from_status, to_status, role, rule) VALUES
  ('RETURNED', 'DRAFT', 'analyst', '分析员修改退回的数值，使其重新成为草稿（保留退回原因）/ analysts correct returned values, which become drafts again (the reason stays)');
UPDATE workflow_transitions
SET rule = '分析员撤回已提交的数值（修改即撤回）/ analysts withdraw submitted values (an edit withdraws too)'
WHERE from_status = 'SUBMITTED' AND to_status = 'DRAFT' AND role = 'analyst';

CREATE TABLE workflow_edits (
  from_status text NOT NULL,
  role        text NOT NULL,
  to_status   text NOT NULL,
  rule        text NOT NULL,
  PRIMARY KEY (from_status, role)
);
INSERT INTO workflow_edits (from_status, role, to_status, rule) VALUES
  ('DRAFT',     'analyst', 'DRAFT', '分析员修改草稿 / analysts edit drafts'),
  ('SUBMITTED', 'analyst', 'DRAFT', '修改已提交的数值即撤回提交，须重新提交审核 / editing a submitted value withdraws it: it is reviewed again'),
  ('RETURNED',  'analyst', 'DRAFT', '修改退回的数值使其成为草稿，退回原因保留 / correcting a returned value makes it a draft; the return reason stays');
GRANT SELECT ON workflow_edits TO hub_app;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION enforce_workflow() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  from_s text := OLD.status;
  edit_to text;
BEGIN
  IF current_user <> 'hub_app' THEN
    RETURN NEW;
  END IF;
  IF (NEW.indicator_key, NEW.department_code, NEW.region_code, NEW.region_path, NEW.period)
     IS DISTINCT FROM (OLD.indicator_key, OLD.department_code, OLD.region_code, OLD.region_path, OLD.period) THEN
    RAISE EXCEPTION '数值的指标、地区和期间不能修改 / a value''s indicator, region and period cannot change'
      USING ERRCODE = 'WF003';
  END IF;
  IF OLD.is_head AND NOT NEW.is_head AND OLD.status NOT IN ('APPROVED', 'PUBLISHED') THEN
    RAISE EXCEPTION '只有已审核或已发布的数值可由更正版本取代 / only an APPROVED or PUBLISHED value is replaced by a correction'
      USING ERRCODE = 'WF003';
  END IF;

  IF (NEW.value, NEW.qualifier, NEW.comment) IS DISTINCT FROM (OLD.value, OLD.qualifier, OLD.comment) THEN
    SELECT e.to_status INTO edit_to FROM workflow_edits e WHERE e.from_status = OLD.status AND e.role = hub_role();
    IF edit_to IS NULL THEN
      IF NOT EXISTS (SELECT 1 FROM workflow_edits WHERE role = hub_role()) THEN
        RAISE EXCEPTION '% 角色不能修改数值 / % users may not change values', hub_role(), hub_role()
          USING ERRCODE = 'WF001';
      END IF;
      RAISE EXCEPTION '% 状态的数值不能直接修改（更正须作为新版本提交）/ a value in status % cannot be changed in place (a correction is a new version)',
        OLD.status, OLD.status USING ERRCODE = 'WF002';
    END IF;
    -- The edit's own step; the writer may take one more (edit and submit).
    from_s := edit_to;
    IF NEW.status = OLD.status THEN
      NEW.status := edit_to;
    END IF;
    IF NEW.version <= OLD.version THEN
      NEW.version := OLD.version + 1;
    END IF;
    NEW.updated_at := now();
    NEW.updated_by := nullif(hub_user(), '');
    IF from_s <> OLD.status AND NOT EXISTS (SELECT 1 FROM workflow_transitions
        WHERE from_status = OLD.status AND to_status = from_s AND role = hub_role()) THEN
      RAISE EXCEPTION '修改会使数值由 % 转为 %，此转换未被允许 / the edit would move the value % -> %, which is not allowed',
        OLD.status, from_s, OLD.status, from_s USING ERRCODE = 'WF002';
    END IF;
  END IF;

  IF NEW.status IS DISTINCT FROM from_s THEN
    IF NOT EXISTS (SELECT 1 FROM workflow_transitions
                   WHERE from_status = from_s AND to_status = NEW.status AND role = hub_role()) THEN
      IF NOT EXISTS (SELECT 1 FROM workflow_transitions WHERE to_status = NEW.status AND role = hub_role()) THEN
        RAISE EXCEPTION '% 角色不能将数值转为 % / % users may not move values to %', hub_role(), NEW.status, hub_role(), NEW.status
          USING ERRCODE = 'WF001';
      END IF;
      RAISE EXCEPTION '数值当前为 %，不能转为 %（可能已被修改）/ illegal transition % -> %: the value is % now (it may have changed)',
        from_s, NEW.status, from_s, NEW.status, from_s USING ERRCODE = 'WF002';
    END IF;
    IF NEW.status = 'PUBLISHED' AND NOT NEW.releasable
       AND NOT (SELECT publicity FROM indicators WHERE key = NEW.indicator_key) THEN
      RAISE EXCEPTION '只有公开指标或已标记可发布的数值可以发布 / only publicity indicators and values marked releasable may be published'
        USING ERRCODE = 'WF003';
    END IF;
  END IF;
  RETURN NEW;
END $$;
-- +goose StatementEnd

-- Every UPDATE, not only those that SET status: an edit moves the status.
DROP TRIGGER data_values_workflow ON data_values;
CREATE TRIGGER data_values_workflow BEFORE UPDATE ON data_values
  FOR EACH ROW EXECUTE FUNCTION enforce_workflow();

-- +goose Down
DROP TRIGGER data_values_workflow ON data_values;
CREATE TRIGGER data_values_workflow BEFORE UPDATE OF status ON data_values
  FOR EACH ROW EXECUTE FUNCTION enforce_workflow();
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
DROP TABLE workflow_edits;
UPDATE workflow_transitions
SET rule = '分析员撤回已提交的数值 / analysts withdraw submitted values'
WHERE from_status = 'SUBMITTED' AND to_status = 'DRAFT' AND role = 'analyst';
DELETE FROM workflow_transitions WHERE from_status = 'RETURNED' AND to_status = 'DRAFT' AND role = 'analyst';
