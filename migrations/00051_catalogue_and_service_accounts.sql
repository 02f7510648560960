-- Catalogue management and machine accounts (issue 15, items 4 and 5).
--
-- 1. Admins change the catalogue through the API: hub_app may INSERT and
--    UPDATE indicators and departments, and the row policies allow it to
--    admins whose scope is the whole tree only (the catalogue is the whole
--    hub's). Nobody deletes: an indicator or department is retired
--    (retired_at), keeping its values and its audit trail.
-- 2. The last line behind internal/catalogue's checks: a retired indicator
--    takes no new values (CT001), cannot be retired while an active derived
--    indicator reads it, and an active formula cannot read a retired one
--    (CT002); a department with active indicators cannot be retired, and a
--    retired department gets no new indicators (CT002).
-- 3. Every change of the catalogue is one audit row, action 'catalogue',
--    written by a trigger whatever path made it (API, hub indicators
--    import, the demo loader, psql).
-- 4. Service accounts (users.service): machine identities of a department,
--    without a password (so they cannot log in to the dashboard), tokens
--    only; tokens get an expiry (tokens.expires_at, NULL = none).

-- +goose Up
ALTER TABLE indicators ADD COLUMN retired_at timestamptz;
ALTER TABLE departments ADD COLUMN retired_at timestamptz;
COMMENT ON COLUMN indicators.retired_at IS
  'when the indicator was retired: its values and audit trail stay, new values are refused';
COMMENT ON COLUMN departments.retired_at IS 'when the department was retired (it has no active indicators)';

ALTER TABLE users ADD COLUMN service boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD CONSTRAINT users_service_without_password CHECK (NOT service OR password_hash IS NULL);
ALTER TABLE users ADD CONSTRAINT users_service_of_a_department CHECK (NOT service OR department_code IS NOT NULL);
COMMENT ON COLUMN users.service IS 'a machine identity of a department: tokens only, never a password';
ALTER TABLE tokens ADD COLUMN expires_at timestamptz;
ALTER TABLE tokens ADD CONSTRAINT tokens_expiry_after_creation CHECK (expires_at IS NULL OR expires_at > created_at);
GRANT SELECT (service) ON users TO hub_app;
GRANT SELECT (expires_at) ON tokens TO hub_app;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'transition', 'import', 'share', 'unshare', 'rule',
  'releasable', 'publish', 'user', 'token', 'login', 'login_failure', 'catalogue'));

-- Who may change the catalogue: admins of the whole tree. Everybody reads it.
ALTER TABLE indicators ENABLE ROW LEVEL SECURITY;
ALTER TABLE departments ENABLE ROW LEVEL SECURITY;
CREATE POLICY indicators_read ON indicators FOR SELECT TO hub_app USING (true);
CREATE POLICY indicators_insert ON indicators FOR INSERT TO hub_app
  WITH CHECK ((SELECT hub_role()) = 'admin' AND (SELECT hub_scope_is_everything()));
CREATE POLICY indicators_update ON indicators FOR UPDATE TO hub_app
  USING ((SELECT hub_role()) = 'admin' AND (SELECT hub_scope_is_everything()))
  WITH CHECK ((SELECT hub_role()) = 'admin' AND (SELECT hub_scope_is_everything()));
CREATE POLICY departments_read ON departments FOR SELECT TO hub_app USING (true);
CREATE POLICY departments_insert ON departments FOR INSERT TO hub_app
  WITH CHECK ((SELECT hub_role()) = 'admin' AND (SELECT hub_scope_is_everything()));
CREATE POLICY departments_update ON departments FOR UPDATE TO hub_app
  USING ((SELECT hub_role()) = 'admin' AND (SELECT hub_scope_is_everything()))
  WITH CHECK ((SELECT hub_role()) = 'admin' AND (SELECT hub_scope_is_everything()));
-- Keys and codes are identities (values, shares and rules refer to them):
-- they never change, so the column grants leave them out.
GRANT INSERT ON indicators, departments TO hub_app;
GRANT UPDATE (name, name_en, protection, unit, department_code, value_type, aggregation, period_type,
              collection_level, publicity, sensitive, formula, description, lower_is_better, retired_at)
  ON indicators TO hub_app;
GRANT UPDATE (name, name_en, retired_at) ON departments TO hub_app;

-- A change of how an indicator aggregates rebuilds its rollups (00020),
-- now also when an admin makes it through hub_app, who may not write
-- value_rollups itself.
ALTER FUNCTION value_rollups_indicator_changed() SECURITY DEFINER SET search_path = public, pg_temp;

-- formula_keys: the identifiers a formula names (indicator keys, and
-- function names such as abs, which are no indicator keys).
CREATE FUNCTION formula_keys(f text) RETURNS SETOF text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT DISTINCT m[1] FROM regexp_matches(coalesce(f, ''), '([a-z][a-z0-9_]*)', 'g') AS m $$;

-- +goose StatementBegin
CREATE FUNCTION indicators_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  user_of text;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.key <> OLD.key THEN
    RAISE EXCEPTION '指标代码不能修改 / an indicator key never changes (%)', OLD.key USING ERRCODE = 'CT002';
  END IF;
  IF NEW.retired_at IS NULL THEN
    IF EXISTS (SELECT 1 FROM departments WHERE code = NEW.department_code AND retired_at IS NOT NULL) THEN
      RAISE EXCEPTION '部门 % 已停用 / department % is retired', NEW.department_code, NEW.department_code
        USING ERRCODE = 'CT002';
    END IF;
    SELECT i.key INTO user_of FROM formula_keys(NEW.formula) k JOIN indicators i ON i.key = k
    WHERE i.retired_at IS NOT NULL AND i.key <> NEW.key LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION '公式引用了已停用的指标 % / the formula of % reads retired indicator %', user_of, NEW.key, user_of
        USING ERRCODE = 'CT002';
    END IF;
  ELSIF TG_OP = 'UPDATE' AND OLD.retired_at IS NULL THEN
    SELECT d.key INTO user_of FROM indicators d
    WHERE d.retired_at IS NULL AND d.key <> NEW.key AND NEW.key IN (SELECT formula_keys(d.formula)) LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION '派生指标 % 仍在使用 %，不能停用 / % cannot be retired: active derived indicator % reads it',
        user_of, NEW.key, NEW.key, user_of USING ERRCODE = 'CT002';
    END IF;
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER indicators_guard BEFORE INSERT OR UPDATE ON indicators FOR EACH ROW EXECUTE FUNCTION indicators_guard();

-- +goose StatementBegin
CREATE FUNCTION departments_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.code <> OLD.code THEN
    RAISE EXCEPTION '部门代码不能修改 / a department code never changes (%)', OLD.code USING ERRCODE = 'CT002';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.retired_at IS NOT NULL AND OLD.retired_at IS NULL
     AND EXISTS (SELECT 1 FROM indicators WHERE department_code = NEW.code AND retired_at IS NULL) THEN
    RAISE EXCEPTION '部门 % 仍有在用指标，不能停用 / department % has active indicators: retire them first', NEW.code, NEW.code
      USING ERRCODE = 'CT002';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER departments_guard BEFORE INSERT OR UPDATE ON departments FOR EACH ROW EXECUTE FUNCTION departments_guard();

-- A retired indicator takes no new values: no insert, and no change of
-- the value, qualifier or comment of a stored row (workflow steps of the
-- values entered before stay possible). One check per statement, over the
-- rows it wrote.
-- +goose StatementBegin
CREATE FUNCTION data_values_retired_guard() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  k text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT n.indicator_key INTO k FROM new_rows n JOIN indicators i ON i.key = n.indicator_key
    WHERE i.retired_at IS NOT NULL LIMIT 1;
  ELSE
    SELECT n.indicator_key INTO k FROM new_rows n JOIN old_rows o ON o.id = n.id JOIN indicators i ON i.key = n.indicator_key
    WHERE i.retired_at IS NOT NULL
      AND (n.value, n.qualifier, n.comment) IS DISTINCT FROM (o.value, o.qualifier, o.comment) LIMIT 1;
  END IF;
  IF k IS NOT NULL THEN
    RAISE EXCEPTION '指标 % 已停用，不再接收数据 / indicator % is retired: it takes no new values', k, k USING ERRCODE = 'CT001';
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER data_values_retired_insert AFTER INSERT ON data_values REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION data_values_retired_guard();
CREATE TRIGGER data_values_retired_update AFTER UPDATE ON data_values REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION data_values_retired_guard();

-- The audit rows of the catalogue: what changed, field by field, for the
-- whole tree (no region: admins and coordinators of the whole tree read them).
-- +goose StatementBegin
CREATE FUNCTION catalogue_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  o jsonb := CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) ELSE '{}'::jsonb END;
  n jsonb := to_jsonb(NEW);
  changes text[];
  what text;
  k text;
BEGIN
  SELECT array_agg(format('%s: %s → %s', e.key, coalesce(o ->> e.key, '-'), coalesce(e.value #>> '{}', '-')) ORDER BY e.key)
  INTO changes FROM jsonb_each(n) e WHERE e.value IS DISTINCT FROM o -> e.key AND e.key <> 'retired_at';
  IF TG_OP = 'UPDATE' AND OLD.retired_at IS NULL AND NEW.retired_at IS NOT NULL THEN
    what := 'retire';
  ELSIF TG_OP = 'UPDATE' AND OLD.retired_at IS NOT NULL AND NEW.retired_at IS NULL THEN
    what := 'restore';
  ELSIF TG_OP = 'INSERT' THEN
    what := 'create';
  ELSIF changes IS NOT NULL THEN
    what := 'update';
  ELSE
    RETURN NULL;
  END IF;
  IF TG_TABLE_NAME = 'indicators' THEN
    k := NEW.key;
    PERFORM hub_audit_append('catalogue', NEW.department_code, NEW.key, NULL,
      format('指标 / indicator %s: %s%s', k, what, CASE WHEN changes IS NULL THEN '' ELSE '; ' || array_to_string(changes, '; ') END));
  ELSE
    k := NEW.code;
    PERFORM hub_audit_append('catalogue', NEW.code, NULL, NULL,
      format('部门 / department %s: %s%s', k, what, CASE WHEN changes IS NULL THEN '' ELSE '; ' || array_to_string(changes, '; ') END));
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER indicators_audit AFTER INSERT OR UPDATE ON indicators FOR EACH ROW EXECUTE FUNCTION catalogue_audit();
CREATE TRIGGER departments_audit AFTER INSERT OR UPDATE ON departments FOR EACH ROW EXECUTE FUNCTION catalogue_audit();
REVOKE ALL ON FUNCTION indicators_guard(), departments_guard(), data_values_retired_guard(), catalogue_audit() FROM PUBLIC;

-- +goose Down
DROP TRIGGER departments_audit ON departments;
DROP TRIGGER indicators_audit ON indicators;
DROP TRIGGER data_values_retired_update ON data_values;
DROP TRIGGER data_values_retired_insert ON data_values;
DROP TRIGGER departments_guard ON departments;
DROP TRIGGER indicators_guard ON indicators;
DROP FUNCTION catalogue_audit(), data_values_retired_guard(), departments_guard(), indicators_guard(), formula_keys(text);
ALTER FUNCTION value_rollups_indicator_changed() SECURITY INVOKER RESET search_path;
REVOKE INSERT, UPDATE ON indicators, departments FROM hub_app;
DROP POLICY departments_update ON departments;
DROP POLICY departments_insert ON departments;
DROP POLICY departments_read ON departments;
DROP POLICY indicators_update ON indicators;
DROP POLICY indicators_insert ON indicators;
DROP POLICY indicators_read ON indicators;
ALTER TABLE departments DISABLE ROW LEVEL SECURITY;
ALTER TABLE indicators DISABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'transition', 'import', 'share', 'unshare', 'rule',
  'releasable', 'publish', 'user', 'token', 'login', 'login_failure'));
ALTER TABLE tokens DROP COLUMN expires_at;
ALTER TABLE users DROP COLUMN service;
ALTER TABLE departments DROP COLUMN retired_at;
ALTER TABLE indicators DROP COLUMN retired_at;
