-- Validation rules: left expression, operator, right expression over the
-- indicators of one region and period (expr-lang syntax, compiled by the
-- service against the catalogue before they are stored).
-- Admins and coordinators read, create and change the rules; for everybody
-- else the table is invisible. Submissions and the validation report apply
-- the active rules as the caller, through active_validation_rules (security
-- definer: the active rules' expressions and texts, nothing more, which a
-- refusal quotes anyway). Rules are never deleted, only deactivated, so
-- that the audit trail keeps explaining old findings.

-- +goose Up
CREATE TABLE validation_rules (
  id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{0,63}$'),
  left_expr      text NOT NULL CHECK (btrim(left_expr) <> ''),
  operator       text NOT NULL CHECK (operator IN ('==', '!=', '<', '<=', '>', '>=')),
  right_expr     text NOT NULL CHECK (btrim(right_expr) <> ''),
  tolerance      double precision NOT NULL DEFAULT 0 CHECK (tolerance >= 0 AND tolerance < 'Infinity'),
  severity       text NOT NULL CHECK (severity IN ('BLOCK', 'WARN')),
  missing_values text NOT NULL DEFAULT 'SKIP_IF_ANY_MISSING' CHECK (missing_values IN ('SKIP_IF_ANY_MISSING', 'NEVER_SKIP')),
  text_zh        text NOT NULL CHECK (btrim(text_zh) <> ''),
  text_en        text NOT NULL CHECK (btrim(text_en) <> ''),
  -- indicator_keys: the keys the expressions read, so that a submission
  -- finds the rules it touches with one indexed &&.
  indicator_keys text[] NOT NULL CHECK (cardinality(indicator_keys) > 0),
  active         boolean NOT NULL DEFAULT true,
  created_at     timestamptz NOT NULL DEFAULT now(),
  created_by     text NOT NULL,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  updated_by     text NOT NULL
);
CREATE INDEX validation_rules_keys ON validation_rules USING gin (indicator_keys) WHERE active;

ALTER TABLE validation_rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY validation_rules_read ON validation_rules FOR SELECT TO hub_app
  USING ((SELECT hub_role()) IN ('admin', 'coordinator'));
CREATE POLICY validation_rules_insert ON validation_rules FOR INSERT TO hub_app
  WITH CHECK ((SELECT hub_role()) IN ('admin', 'coordinator') AND created_by = (SELECT hub_user())
              AND updated_by = (SELECT hub_user()));
CREATE POLICY validation_rules_update ON validation_rules FOR UPDATE TO hub_app
  USING ((SELECT hub_role()) IN ('admin', 'coordinator'))
  WITH CHECK ((SELECT hub_role()) IN ('admin', 'coordinator') AND updated_by = (SELECT hub_user()));
GRANT SELECT, INSERT, UPDATE ON validation_rules TO hub_app;

-- active_validation_rules: the active rules that read any of keys (all
-- active rules for NULL), for anybody signed in.
CREATE FUNCTION active_validation_rules(keys text[]) RETURNS SETOF validation_rules
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT * FROM validation_rules
  WHERE active AND hub_role() <> '' AND (keys IS NULL OR indicator_keys && keys)
  ORDER BY id
$$;
REVOKE ALL ON FUNCTION active_validation_rules(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION active_validation_rules(text[]) TO hub_app;

-- Every definition and change of a rule is in the audit trail.
-- +goose StatementBegin
CREATE FUNCTION validation_rules_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO audit_log (actor, actor_role, channel, action, detail)
  VALUES (coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'), hub_channel(), 'rule',
          format('%s %s: %s %s %s (±%s) %s %s%s', lower(TG_OP), NEW.name, NEW.left_expr, NEW.operator, NEW.right_expr,
                 NEW.tolerance, NEW.severity, NEW.missing_values, CASE WHEN NEW.active THEN '' ELSE ' inactive' END));
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER validation_rules_audit AFTER INSERT OR UPDATE ON validation_rules
  FOR EACH ROW EXECUTE FUNCTION validation_rules_audit();

-- +goose Down
DROP FUNCTION active_validation_rules(text[]);
DROP TABLE validation_rules;
DROP FUNCTION validation_rules_audit();
