-- Access control, stated once: the table "Who may do what" of DESIGN.md as
-- row-level security policies. The server runs every request as hub_app with
-- the request's principal set by set_config(..., true) in the same
-- transaction; internal/access explains these rules in words.

-- +goose Up

-- The principal of the current transaction. Unset means nobody: the scope
-- then matches no region, so nothing is visible.
CREATE FUNCTION hub_user() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(current_setting('hub.user', true), '') $$;
CREATE FUNCTION hub_role() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(current_setting('hub.role', true), '') $$;
CREATE FUNCTION hub_department() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(current_setting('hub.department', true), '') $$;
CREATE FUNCTION hub_scope() RETURNS ltree LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(nullif(current_setting('hub.scope', true), ''), 'nobody')::ltree $$;
CREATE FUNCTION hub_channel() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(nullif(current_setting('hub.channel', true), ''), 'sql') $$;

-- hub_scope_is_everything reports that the scope is the root of the only
-- tree, so that a city-wide principal's queries skip the subtree test and,
-- more important, the planner does not take "in scope" for a rare
-- condition (it cannot know a parameter's value, and would estimate a
-- small fraction of the rows and choose plans for few rows).
CREATE FUNCTION hub_scope_is_everything() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nlevel(hub_scope()) = 1 AND EXISTS (SELECT 1 FROM regions WHERE path = hub_scope())
          AND NOT EXISTS (SELECT 1 FROM regions WHERE parent_code IS NULL AND path <> hub_scope()) $$;

-- hub_shared_indicators lists the indicators other departments share with
-- the current principal's department. Policies use it in an uncorrelated
-- IN (SELECT ...), which PostgreSQL evaluates once per statement.
CREATE FUNCTION hub_shared_indicators() RETURNS SETOF text LANGUAGE sql STABLE PARALLEL SAFE AS
$$
  SELECT i.key
  FROM shares s
  JOIN indicators i ON i.department_code = s.owner_department
                   AND (s.indicator_key IS NULL OR s.indicator_key = i.key)
  WHERE s.grantee_department = hub_department()
$$;

ALTER TABLE data_values ENABLE ROW LEVEL SECURITY;

-- Reads. Only current rows (head or released) are values; history is in audit_log.
-- The principal's settings are wrapped in scalar subqueries, which PostgreSQL
-- evaluates once per statement (an InitPlan) instead of once per row: that
-- keeps the policies' cost near a plain WHERE clause.
CREATE POLICY data_values_read ON data_values FOR SELECT TO hub_app USING (
  (is_head OR is_released)
  AND ((SELECT hub_scope_is_everything()) OR region_path <@ (SELECT hub_scope()))
  AND CASE (SELECT hub_role())
        WHEN 'admin' THEN true
        WHEN 'leader' THEN is_released
        WHEN 'coordinator' THEN is_released OR status IN ('SUBMITTED', 'RETURNED')
        WHEN 'analyst' THEN department_code = (SELECT hub_department())
                            OR (is_released AND indicator_key IN (SELECT hub_shared_indicators()))
        WHEN 'media' THEN is_released AND status = 'PUBLISHED' AND publish_at <= now()
                          AND indicator_key IN (SELECT key FROM indicators WHERE publicity)
        ELSE false
      END
);

-- New values: an analyst, for the own department, in the own subtree, as a
-- draft or submitted.
CREATE POLICY data_values_insert ON data_values FOR INSERT TO hub_app WITH CHECK (
  (SELECT hub_role()) = 'analyst'
  AND department_code = (SELECT hub_department())
  AND region_path <@ (SELECT hub_scope())
  AND status IN ('DRAFT', 'SUBMITTED')
);

-- Changes: analysts edit and submit their department's values; coordinators
-- move values through the workflow. Which status may follow which, for whom,
-- is the workflow table's business (migration 00003).
CREATE POLICY data_values_update ON data_values FOR UPDATE TO hub_app
USING (
  region_path <@ (SELECT hub_scope())
  AND (((SELECT hub_role()) = 'analyst' AND department_code = (SELECT hub_department()))
       OR (SELECT hub_role()) = 'coordinator')
)
WITH CHECK (
  region_path <@ (SELECT hub_scope())
  AND (((SELECT hub_role()) = 'analyst' AND department_code = (SELECT hub_department()))
       OR (SELECT hub_role()) = 'coordinator')
);

-- The audit trail: coordinators and admins read it within their subtree.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_read ON audit_log FOR SELECT TO hub_app USING (
  (SELECT hub_role()) IN ('coordinator', 'admin')
  AND (region_path IS NULL OR region_path <@ (SELECT hub_scope()))
);
CREATE POLICY audit_log_insert ON audit_log FOR INSERT TO hub_app WITH CHECK (
  actor = hub_user() AND actor_role = hub_role()
);

-- Sharing agreements: everyone may see them (that is what explains access);
-- the owning department's analysts, coordinators and admins change them.
ALTER TABLE shares ENABLE ROW LEVEL SECURITY;
CREATE POLICY shares_read ON shares FOR SELECT TO hub_app USING (true);
CREATE POLICY shares_write ON shares FOR ALL TO hub_app
USING (
  hub_role() IN ('coordinator', 'admin')
  OR (hub_role() = 'analyst' AND owner_department = hub_department())
)
WITH CHECK (
  hub_role() IN ('coordinator', 'admin')
  OR (hub_role() = 'analyst' AND owner_department = hub_department())
);

-- data_values_audit writes one audit row per change of a value, whatever
-- wrote it. It runs as the table owner so that the trail is complete even
-- for rows the writer may no longer read; flag-only updates (is_head,
-- is_released) are bookkeeping of a change already recorded.
-- +goose StatementBegin
CREATE FUNCTION data_values_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  prev data_values%ROWTYPE;
  act text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    act := 'create';
    IF NEW.version > 1 THEN
      act := 'update';
      SELECT * INTO prev FROM data_values
      WHERE indicator_key = NEW.indicator_key AND period = NEW.period
        AND region_code = NEW.region_code AND version = NEW.version - 1;
    END IF;
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    act := 'transition';
    prev := OLD;
  ELSIF NEW.value IS DISTINCT FROM OLD.value OR NEW.qualifier IS DISTINCT FROM OLD.qualifier
     OR NEW.comment IS DISTINCT FROM OLD.comment OR NEW.version IS DISTINCT FROM OLD.version THEN
    act := 'update';
    prev := OLD;
  ELSE
    RETURN NULL;
  END IF;
  INSERT INTO audit_log (actor, actor_role, channel, action, value_id, indicator_key, department_code,
                         region_code, region_path, period, old_value, new_value, old_qualifier,
                         new_qualifier, old_status, new_status, detail)
  VALUES (coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'),
          hub_channel(), act, NEW.id, NEW.indicator_key, NEW.department_code, NEW.region_code,
          NEW.region_path, NEW.period, prev.value, NEW.value, prev.qualifier, NEW.qualifier,
          prev.status, NEW.status, NEW.status_reason);
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER data_values_audit AFTER INSERT OR UPDATE ON data_values
  FOR EACH ROW EXECUTE FUNCTION data_values_audit();

-- What hub_app may touch at all. Everything not granted is refused.
GRANT USAGE ON SCHEMA public TO hub_app;
GRANT SELECT ON regions, departments, indicators TO hub_app;
GRANT SELECT, INSERT, UPDATE ON data_values TO hub_app;
GRANT SELECT, INSERT ON audit_log TO hub_app;
GRANT SELECT, INSERT, DELETE ON shares TO hub_app;
GRANT SELECT (id, name, role, department_code, region_code, disabled, created_at) ON users TO hub_app;
GRANT SELECT (id, user_id, hash, created_at, revoked_at), UPDATE (last_used_at) ON tokens TO hub_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO hub_app;
-- readiness checks that no migration is pending
GRANT SELECT ON goose_db_version TO hub_app;

-- +goose Down
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM hub_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM hub_app;
DROP TRIGGER data_values_audit ON data_values;
DROP FUNCTION data_values_audit();
DROP POLICY shares_write ON shares;
DROP POLICY shares_read ON shares;
ALTER TABLE shares DISABLE ROW LEVEL SECURITY;
DROP POLICY audit_log_insert ON audit_log;
DROP POLICY audit_log_read ON audit_log;
ALTER TABLE audit_log DISABLE ROW LEVEL SECURITY;
DROP POLICY data_values_update ON data_values;
DROP POLICY data_values_insert ON data_values;
DROP POLICY data_values_read ON data_values;
ALTER TABLE data_values DISABLE ROW LEVEL SECURITY;
DROP FUNCTION hub_scope_is_everything(), hub_shared_indicators(), hub_channel(), hub_scope(), hub_department(), hub_role(), hub_user();
