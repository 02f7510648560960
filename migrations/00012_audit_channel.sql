-- The audit trail records the channel a change came through (API, IMPORT,
-- CLI; sql for psql and other direct writers) and, for imports, the file
-- name. The server sets both with set_config in each request's transaction
-- (hub.channel, hub.file); data_values_audit is redefined to write them.

-- +goose Up
ALTER TABLE audit_log ADD COLUMN file_name text;

CREATE FUNCTION hub_file() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('hub.file', true), '') $$;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION data_values_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
  INSERT INTO audit_log (actor, actor_role, channel, file_name, action, value_id, indicator_key, department_code,
                         region_code, region_path, period, old_value, new_value, old_qualifier,
                         new_qualifier, old_status, new_status, detail)
  VALUES (coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'),
          hub_channel(), hub_file(), act, NEW.id, NEW.indicator_key, NEW.department_code, NEW.region_code,
          NEW.region_path, NEW.period, prev.value, NEW.value, prev.qualifier, NEW.qualifier,
          prev.status, NEW.status, NEW.status_reason);
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION validation_rules_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO audit_log (actor, actor_role, channel, file_name, action, detail)
  VALUES (coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'), hub_channel(),
          hub_file(), 'rule',
          format('%s %s: %s %s %s (±%s) %s %s%s', lower(TG_OP), NEW.name, NEW.left_expr, NEW.operator, NEW.right_expr,
                 NEW.tolerance, NEW.severity, NEW.missing_values, CASE WHEN NEW.active THEN '' ELSE ' inactive' END));
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Append-only, stated as grants too: hub_app may read and add, never change
-- or remove (the trigger of 00001 refuses UPDATE and DELETE for everyone).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM hub_app;

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION data_values_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION validation_rules_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO audit_log (actor, actor_role, channel, action, detail)
  VALUES (coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'), hub_channel(), 'rule',
          format('%s %s: %s %s %s (±%s) %s %s%s', lower(TG_OP), NEW.name, NEW.left_expr, NEW.operator, NEW.right_expr,
                 NEW.tolerance, NEW.severity, NEW.missing_values, CASE WHEN NEW.active THEN '' ELSE ' inactive' END));
  RETURN NULL;
END
$$;
-- +goose StatementEnd
DROP FUNCTION hub_file();
ALTER TABLE audit_log DROP COLUMN file_name;
