-- The audit trail obeys the read rules, records every change that matters,
-- and sharing agreements belong to a region subtree (issue 13, items 2, 3).
--
-- 1. One statement of "may this principal read a value of this department,
--    indicator and region in this status": hub_status_readable. The read
--    policies of data_values and value_rollups use it (their media branch
--    unchanged), and so does the audit trail.
-- 2. Shares carry a region (existing ones get the tree's root) and open only
--    that subtree's released values. Only coordinators and admins whose
--    scope covers the agreement's region create or revoke it; analysts no
--    longer write shares (DESIGN.md: coordinators manage sharing rules).
-- 3. hub_app no longer reads audit_log itself but the security-barrier view
--    audit_entries. A value's row is there when the caller may read a value
--    of that indicator, department and region in the row's old or new
--    status, and each side's number, qualifier and status only when the
--    caller may read that side: an 'update' from an APPROVED 40 to a DRAFT
--    400 shows a coordinator the 40 and not the 400. Rows of rules, shares,
--    publications, users and tokens carry their region and are visible by
--    the rule of their object.
-- 4. Triggers record releasability, publications and their embargo, shares,
--    rules (with region), users and tokens, whatever path changes them
--    (GraphQL, the CLI as the owner, imports, psql).

-- +goose Up

-- hub_status_readable: a principal of role role (department mydept, shared
-- scopes shared: see hub_shared_scopes) may read a value of department
-- dept, indicator key, region path in status st. shared_key is a cheap
-- prefilter, true unless the key is shared with mydept nowhere (callers
-- pass a hashed indicator_key IN (SELECT hub_shared_indicators()), or
-- true); the share's region decides. The region scope and the media
-- office's rules are the callers' business. It is plain SQL without
-- subqueries, each argument used once, so the planner inlines it; callers
-- pass the principal as uncorrelated scalar subqueries, evaluated once per
-- statement. Of current rows (head or released) exactly the APPROVED and
-- PUBLISHED ones are released (the CHECKs of data_values), so the status
-- alone decides.
-- +goose StatementBegin
CREATE FUNCTION hub_status_readable(st text, dept text, key text, path ltree, role text, mydept text,
                                    shared_key boolean, shared ltree[])
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(CASE role
    WHEN 'admin' THEN st IS NOT NULL
    WHEN 'leader' THEN st IN ('APPROVED', 'PUBLISHED')
    WHEN 'coordinator' THEN st IN ('SUBMITTED', 'RETURNED', 'APPROVED', 'PUBLISHED')
    WHEN 'analyst' THEN st IS NOT NULL
                        AND (dept = mydept
                             OR (st IN ('APPROVED', 'PUBLISHED') AND shared_key AND (text2ltree(key) || path) <@ shared))
    ELSE false
  END, false)
$$;
-- +goose StatementEnd

-- Shares belong to a region subtree.
ALTER TABLE shares ADD COLUMN region_code text, ADD COLUMN region_path ltree;
UPDATE shares SET region_code = root.code, region_path = root.path
FROM (SELECT code, path FROM regions WHERE parent_code IS NULL ORDER BY code LIMIT 1) root;
ALTER TABLE shares ALTER COLUMN region_code SET NOT NULL, ALTER COLUMN region_path SET NOT NULL,
  ADD FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path);
ALTER TABLE shares DROP CONSTRAINT shares_owner_department_grantee_department_indicator_key_key;
ALTER TABLE shares ADD CONSTRAINT shares_agreement UNIQUE NULLS NOT DISTINCT
  (owner_department, grantee_department, indicator_key, region_code);
CREATE INDEX shares_grantee ON shares (grantee_department);

-- shares_fill_region: the region defaults to the writer's (the root of the
-- tree for the owner's loaders, which set no principal); the path always
-- follows the code, so that nobody can forge it.
-- +goose StatementBegin
CREATE FUNCTION shares_fill_region() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.region_code IS NULL THEN
    SELECT code INTO NEW.region_code FROM regions WHERE path = hub_scope();
  END IF;
  IF NEW.region_code IS NULL AND (SELECT count(*) FROM regions WHERE parent_code IS NULL) = 1 THEN
    SELECT code INTO NEW.region_code FROM regions WHERE parent_code IS NULL;
  END IF;
  SELECT path INTO NEW.region_path FROM regions WHERE code = NEW.region_code;
  IF NEW.region_path IS NULL THEN
    RAISE EXCEPTION 'share needs a region (no region %)', NEW.region_code USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER shares_fill_region BEFORE INSERT ON shares FOR EACH ROW EXECUTE FUNCTION shares_fill_region();

-- hub_shared_scopes: what other departments share with the current
-- principal's department, as key.region paths (an indicator key is a valid
-- ltree label), so that one uncorrelated array tells key and subtree:
-- (text2ltree(indicator_key) || region_path) <@ hub_shared_scopes().
-- +goose StatementBegin
CREATE FUNCTION hub_shared_scopes() RETURNS ltree[] LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT text2ltree(i.key) || s.region_path), '{}')
  FROM shares s
  JOIN indicators i ON i.department_code = s.owner_department
                   AND (s.indicator_key IS NULL OR s.indicator_key = i.key)
  WHERE s.grantee_department = hub_department()
$$;
-- +goose StatementEnd

-- The value read policies, restated with hub_status_readable; the media
-- branch is the one of 00002 (values) and 00020 (rollups), unchanged.
DROP POLICY data_values_read ON data_values;
CREATE POLICY data_values_read ON data_values FOR SELECT TO hub_app USING (
  (is_head OR is_released)
  AND ((SELECT hub_scope_is_everything()) OR region_path <@ (SELECT hub_scope()))
  AND CASE (SELECT hub_role())
        WHEN 'media' THEN is_released AND status = 'PUBLISHED' AND publish_at <= now()
                          AND (releasable OR indicator_key IN (SELECT key FROM indicators WHERE publicity))
        ELSE hub_status_readable(status, department_code, indicator_key, region_path,
                                 (SELECT hub_role()), (SELECT hub_department()),
                                 indicator_key IN (SELECT hub_shared_indicators()), (SELECT hub_shared_scopes()))
      END
);

-- A rollup of region R holds released values of R's subtree only: readable
-- when its own region is (for a share, R within the agreement's subtree).
DROP POLICY value_rollups_read ON value_rollups;
CREATE POLICY value_rollups_read ON value_rollups FOR SELECT TO hub_app USING (
  ((SELECT hub_scope_is_everything()) OR region_path <@ (SELECT hub_scope()))
  AND CASE (SELECT hub_role())
        WHEN 'media' THEN status = 'PUBLISHED' AND publish_at <= now()
                          AND indicator_key NOT IN (SELECT key FROM indicators WHERE sensitive)
                          AND (releasable OR indicator_key IN (SELECT key FROM indicators WHERE publicity))
        ELSE hub_status_readable(status, department_code, indicator_key, region_path,
                                 (SELECT hub_role()), (SELECT hub_department()),
                                 indicator_key IN (SELECT hub_shared_indicators()), (SELECT hub_shared_scopes()))
      END
);

-- Sharing agreements: everyone may still see them (explanations name
-- them); coordinators and admins write those of regions in their scope.
DROP POLICY shares_write ON shares;
CREATE POLICY shares_insert ON shares FOR INSERT TO hub_app WITH CHECK (
  (SELECT hub_role()) IN ('coordinator', 'admin')
  AND region_path <@ (SELECT hub_scope())
  AND created_by = (SELECT hub_user())
);
CREATE POLICY shares_delete ON shares FOR DELETE TO hub_app USING (
  (SELECT hub_role()) IN ('coordinator', 'admin')
  AND region_path <@ (SELECT hub_scope())
);

-- hub_region_path: the path of region code (NULL for none), for the audit triggers.
CREATE FUNCTION hub_region_path(code text) RETURNS ltree LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT path FROM regions WHERE regions.code = $1 $$;

-- Rows of rules and shares written before this migration get their region:
-- a rule's (by its name in the detail; rules are never deleted), the root
-- for shares, as the agreements themselves. Only the owner does this, once.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE audit_log a SET region_code = r.region_code, region_path = g.path
FROM validation_rules r JOIN regions g ON g.code = r.region_code
WHERE a.action = 'rule' AND a.region_code IS NULL
  AND r.name = split_part(split_part(a.detail, ':', 1), ' ', 2);
UPDATE audit_log a SET region_code = root.code, region_path = root.path
FROM (SELECT code, path FROM regions WHERE parent_code IS NULL ORDER BY code LIMIT 1) root
WHERE a.action IN ('share', 'unshare') AND a.region_code IS NULL;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;

-- audit_entries is the trail as hub_app reads it (see the head comment).
-- It runs as its owner over audit_log, which hub_app may no longer read:
-- the row rule and the masks below are the only way in.
-- +goose StatementBegin
CREATE VIEW audit_entries WITH (security_barrier) AS
SELECT a.id, a.at, a.actor, a.actor_role, a.channel, a.file_name, a.action, a.value_id, a.indicator_key,
       a.department_code, a.region_code, a.region_path, a.period,
       CASE WHEN s.old_ok THEN a.old_value END AS old_value,
       CASE WHEN s.new_ok THEN a.new_value END AS new_value,
       CASE WHEN s.old_ok THEN a.old_qualifier END AS old_qualifier,
       CASE WHEN s.new_ok THEN a.new_qualifier END AS new_qualifier,
       CASE WHEN s.old_ok THEN a.old_status END AS old_status,
       CASE WHEN s.new_ok THEN a.new_status END AS new_status,
       CASE WHEN a.value_id IS NULL OR s.new_ok THEN a.detail END AS detail
-- the principal, once per statement (OFFSET 0 keeps it one row computed once).
FROM (SELECT hub_role() AS role, hub_department() AS dept, hub_scope() AS scope,
             hub_scope_is_everything() AS everything, hub_shared_scopes() AS shared OFFSET 0) p
CROSS JOIN audit_log a
CROSS JOIN LATERAL (
  SELECT a.value_id IS NOT NULL
         AND hub_status_readable(a.old_status, a.department_code, a.indicator_key, a.region_path, p.role, p.dept, true, p.shared),
         a.value_id IS NOT NULL
         AND hub_status_readable(a.new_status, a.department_code, a.indicator_key, a.region_path, p.role, p.dept, true, p.shared)
) s (old_ok, new_ok)
WHERE CASE
  -- a value's change: in scope, and one side readable as a value.
  WHEN a.value_id IS NOT NULL THEN (p.everything OR a.region_path <@ p.scope) AND (s.old_ok OR s.new_ok)
  -- a rule: as validation_rules_read (hub_rule_visible): rules for
  -- everywhere, of the scope's ancestors, and within the scope.
  WHEN a.action = 'rule' THEN
    p.role IN ('admin', 'coordinator')
    AND (a.region_path IS NULL OR p.everything OR a.region_path @> p.scope OR a.region_path <@ p.scope)
  -- an agreement: coordinators and admins whose scope it covers or who
  -- may manage it, and the owning department's analysts likewise.
  WHEN a.action IN ('share', 'unshare') THEN
    (p.role IN ('admin', 'coordinator') OR (p.role = 'analyst' AND a.department_code = p.dept))
    AND (p.everything OR a.region_path @> p.scope OR a.region_path <@ p.scope)
  -- accounts, tokens, logins: admins of the account's region.
  WHEN a.action IN ('user', 'token', 'login', 'login_failure') THEN
    p.role = 'admin' AND (p.everything OR a.region_path <@ p.scope)
  -- publication batches, imports and whatever else: coordinators and
  -- admins of the region (rows without one: the whole tree's only).
  ELSE p.role IN ('admin', 'coordinator') AND (p.everything OR a.region_path <@ p.scope)
END;
-- +goose StatementEnd
DROP POLICY audit_log_read ON audit_log;
REVOKE SELECT ON audit_log FROM hub_app;
GRANT SELECT ON audit_entries TO hub_app;

-- hub_app writes to the trail only what no trigger records: imports and
-- logins, in its own name. Values, rules, shares, publications, users and
-- tokens are recorded by triggers, so they cannot be forged.
DROP POLICY audit_log_insert ON audit_log;
CREATE POLICY audit_log_insert ON audit_log FOR INSERT TO hub_app WITH CHECK (
  actor = hub_user() AND actor_role = hub_role()
  AND value_id IS NULL AND action IN ('import', 'login', 'login_failure')
);

-- hub_audit_append writes one non-value row of the trail as the current
-- principal (the session user and 'system' for the owner's tools).
-- +goose StatementBegin
CREATE FUNCTION hub_audit_append(act text, dept text, ind text, code text, what text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  INSERT INTO audit_log (actor, actor_role, channel, file_name, action, department_code, indicator_key,
                         region_code, region_path, detail)
  VALUES (coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'),
          hub_channel(), hub_file(), act, dept, ind, code, hub_region_path(code), what)
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_audit_append(text, text, text, text, text) FROM PUBLIC;

-- data_values_audit (00012) also records publication (batch and embargo,
-- action 'publish', replacing the 'transition' row of APPROVED →
-- PUBLISHED) and releasability (action 'releasable'), which it used to
-- skip as flag-only updates.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION data_values_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  prev data_values%ROWTYPE;
  act text;
  what text := NEW.status_reason;
  pub publications%ROWTYPE;
BEGIN
  IF TG_OP = 'INSERT' THEN
    act := 'create';
    IF NEW.version > 1 THEN
      act := 'update';
      SELECT * INTO prev FROM data_values
      WHERE indicator_key = NEW.indicator_key AND period = NEW.period
        AND region_code = NEW.region_code AND version = NEW.version - 1;
    END IF;
  ELSIF NEW.publication_id IS DISTINCT FROM OLD.publication_id OR NEW.publish_at IS DISTINCT FROM OLD.publish_at THEN
    act := 'publish';
    prev := OLD;
    SELECT * INTO pub FROM publications WHERE id = NEW.publication_id;
    what := format('发布批次 %s「%s」，解禁时间 %s / publication %s "%s", publish_at %s%s',
                   coalesce(pub.id::text, '-'), coalesce(pub.title, ''), coalesce(NEW.publish_at::text, '-'),
                   coalesce(pub.id::text, '-'), coalesce(pub.title, ''), coalesce(NEW.publish_at::text, '-'),
                   CASE WHEN OLD.publish_at IS NOT NULL AND OLD.publish_at IS DISTINCT FROM NEW.publish_at
                        THEN format(' (was %s)', OLD.publish_at) ELSE '' END);
  ELSIF NEW.status IS DISTINCT FROM OLD.status THEN
    act := 'transition';
    prev := OLD;
  ELSIF NEW.value IS DISTINCT FROM OLD.value OR NEW.qualifier IS DISTINCT FROM OLD.qualifier
     OR NEW.comment IS DISTINCT FROM OLD.comment OR NEW.version IS DISTINCT FROM OLD.version THEN
    act := 'update';
    prev := OLD;
  ELSIF NEW.releasable IS DISTINCT FROM OLD.releasable THEN
    act := 'releasable';
    prev := OLD;
  ELSE
    RETURN NULL;
  END IF;
  LOOP
    IF act = 'releasable' THEN
      what := CASE WHEN NEW.releasable THEN '标记为可向媒体发布 / releasable: true'
                   ELSE '取消可向媒体发布 / releasable: false' END;
    END IF;
    INSERT INTO audit_log (actor, actor_role, channel, file_name, action, value_id, indicator_key, department_code,
                           region_code, region_path, period, old_value, new_value, old_qualifier,
                           new_qualifier, old_status, new_status, detail)
    VALUES (coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'),
            hub_channel(), hub_file(), act, NEW.id, NEW.indicator_key, NEW.department_code, NEW.region_code,
            NEW.region_path, NEW.period, prev.value, NEW.value, prev.qualifier, NEW.qualifier,
            prev.status, NEW.status, what);
    -- releasability changed along with something else: a row of its own.
    EXIT WHEN act = 'releasable' OR TG_OP = 'INSERT' OR NEW.releasable IS NOT DISTINCT FROM OLD.releasable;
    act := 'releasable';
  END LOOP;
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Publication batches: one 'publish' row with title and embargo, of the
-- publisher's region.
-- +goose StatementBegin
CREATE FUNCTION publications_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM hub_audit_append('publish', NULL, NULL, (SELECT code FROM regions WHERE path = hub_scope()),
    format('新建发布批次 %s「%s」，解禁时间 %s / new publication %s "%s", publish_at %s',
           NEW.id, NEW.title, NEW.publish_at, NEW.id, NEW.title, NEW.publish_at));
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER publications_audit AFTER INSERT ON publications FOR EACH ROW EXECUTE FUNCTION publications_audit();

-- Shares: one row per agreement made or ended, with its region.
-- +goose StatementBegin
CREATE FUNCTION shares_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  s shares%ROWTYPE;
BEGIN
  IF TG_OP = 'INSERT' THEN s := NEW; ELSE s := OLD; END IF;
  PERFORM hub_audit_append(CASE TG_OP WHEN 'INSERT' THEN 'share' ELSE 'unshare' END, s.owner_department,
    s.indicator_key, s.region_code,
    format('%s → %s: %s（地区 %s）/ %s → %s: %s (region %s)',
           s.owner_department, s.grantee_department, coalesce(s.indicator_key, '全部指标'), s.region_code,
           s.owner_department, s.grantee_department, coalesce(s.indicator_key, 'all indicators'), s.region_code));
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER shares_audit AFTER INSERT OR DELETE ON shares FOR EACH ROW EXECUTE FUNCTION shares_audit();

-- Rules (00012's trigger) now carry their region.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION validation_rules_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM hub_audit_append('rule', NULL, NULL, NEW.region_code,
    format('%s %s: %s %s %s (±%s) %s %s%s', lower(TG_OP), NEW.name, NEW.left_expr, NEW.operator, NEW.right_expr,
           NEW.tolerance, NEW.severity, NEW.missing_values, CASE WHEN NEW.active THEN '' ELSE ' inactive' END));
  RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Users: creation and every change of role, department, region, state or
-- password (never the hash), of the user's region.
-- +goose StatementBegin
CREATE FUNCTION users_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  u users%ROWTYPE;
  changes text[] := '{}';
BEGIN
  IF TG_OP = 'INSERT' THEN
    u := NEW;
    changes := ARRAY[format('create: role %s, department %s, region %s%s', NEW.role, coalesce(NEW.department_code, '-'),
                            NEW.region_code, CASE WHEN NEW.password_hash IS NOT NULL THEN ', password set' ELSE '' END)];
  ELSIF TG_OP = 'DELETE' THEN
    u := OLD;
    changes := ARRAY['delete'];
  ELSE
    u := NEW;
    IF NEW.name IS DISTINCT FROM OLD.name THEN
      changes := changes || format('name %s → %s', OLD.name, NEW.name);
    END IF;
    IF NEW.role IS DISTINCT FROM OLD.role THEN
      changes := changes || format('role %s → %s', OLD.role, NEW.role);
    END IF;
    IF NEW.department_code IS DISTINCT FROM OLD.department_code THEN
      changes := changes || format('department %s → %s', coalesce(OLD.department_code, '-'), coalesce(NEW.department_code, '-'));
    END IF;
    IF NEW.region_code IS DISTINCT FROM OLD.region_code THEN
      changes := changes || format('region %s → %s', OLD.region_code, NEW.region_code);
    END IF;
    IF NEW.disabled IS DISTINCT FROM OLD.disabled THEN
      changes := changes || CASE WHEN NEW.disabled THEN 'disabled' ELSE 'enabled' END;
    END IF;
    IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
      changes := changes || CASE WHEN NEW.password_hash IS NULL THEN 'password removed' ELSE 'password changed' END;
    END IF;
    IF cardinality(changes) = 0 THEN
      RETURN NULL;
    END IF;
  END IF;
  PERFORM hub_audit_append('user', u.department_code, NULL, u.region_code,
    format('用户 / user %s: %s', u.name, array_to_string(changes, '; ')));
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH ROW EXECUTE FUNCTION users_audit();

-- Tokens: creation and revocation (never the hash), of the user's region.
-- +goose StatementBegin
CREATE FUNCTION tokens_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t tokens%ROWTYPE;
  u users%ROWTYPE;
  what text;
BEGIN
  IF TG_OP = 'DELETE' THEN t := OLD; ELSE t := NEW; END IF;
  SELECT * INTO u FROM users WHERE id = t.user_id;
  what := CASE
    WHEN TG_OP = 'INSERT' THEN 'create'
    WHEN TG_OP = 'DELETE' THEN 'delete'
    WHEN NEW.revoked_at IS NOT NULL THEN 'revoke'
    ELSE 'restore' END;
  PERFORM hub_audit_append('token', u.department_code, NULL, u.region_code,
    format('令牌 / token %s of user %s: %s', t.id, coalesce(u.name, t.user_id::text), what));
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER tokens_audit AFTER INSERT OR DELETE ON tokens FOR EACH ROW EXECUTE FUNCTION tokens_audit();
CREATE TRIGGER tokens_audit_revoke AFTER UPDATE OF revoked_at ON tokens FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION tokens_audit();

REVOKE ALL ON FUNCTION shares_fill_region(), publications_audit(), shares_audit(), users_audit(), tokens_audit() FROM PUBLIC;

-- +goose Down
DROP TRIGGER tokens_audit_revoke ON tokens;
DROP TRIGGER tokens_audit ON tokens;
DROP TRIGGER users_audit ON users;
DROP TRIGGER shares_audit ON shares;
DROP TRIGGER publications_audit ON publications;
DROP FUNCTION tokens_audit(), users_audit(), shares_audit(), publications_audit();
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
DROP FUNCTION hub_audit_append(text, text, text, text, text);
DROP POLICY audit_log_insert ON audit_log;
CREATE POLICY audit_log_insert ON audit_log FOR INSERT TO hub_app WITH CHECK (
  actor = hub_user() AND actor_role = hub_role()
);
REVOKE SELECT ON audit_entries FROM hub_app;
DROP VIEW audit_entries;
GRANT SELECT ON audit_log TO hub_app;
CREATE POLICY audit_log_read ON audit_log FOR SELECT TO hub_app USING (
  (SELECT hub_role()) IN ('coordinator', 'admin')
  AND (region_path IS NULL OR region_path <@ (SELECT hub_scope()))
);
DROP FUNCTION hub_region_path(text);
DROP POLICY shares_delete ON shares;
DROP POLICY shares_insert ON shares;
CREATE POLICY shares_write ON shares FOR ALL TO hub_app
USING (
  hub_role() IN ('coordinator', 'admin')
  OR (hub_role() = 'analyst' AND owner_department = hub_department())
)
WITH CHECK (
  hub_role() IN ('coordinator', 'admin')
  OR (hub_role() = 'analyst' AND owner_department = hub_department())
);
DROP POLICY value_rollups_read ON value_rollups;
CREATE POLICY value_rollups_read ON value_rollups FOR SELECT TO hub_app USING (
  ((SELECT hub_scope_is_everything()) OR region_path <@ (SELECT hub_scope()))
  AND CASE (SELECT hub_role())
        WHEN 'admin' THEN true
        WHEN 'leader' THEN true
        WHEN 'coordinator' THEN true
        WHEN 'analyst' THEN department_code = (SELECT hub_department())
                            OR indicator_key IN (SELECT hub_shared_indicators())
        WHEN 'media' THEN status = 'PUBLISHED' AND publish_at <= now()
                          AND indicator_key NOT IN (SELECT key FROM indicators WHERE sensitive)
                          AND (releasable OR indicator_key IN (SELECT key FROM indicators WHERE publicity))
        ELSE false
      END
);
DROP POLICY data_values_read ON data_values;
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
                          AND (releasable OR indicator_key IN (SELECT key FROM indicators WHERE publicity))
        ELSE false
      END
);
DROP FUNCTION hub_shared_scopes();
DROP TRIGGER shares_fill_region ON shares;
DROP FUNCTION shares_fill_region();
DROP INDEX shares_grantee;
ALTER TABLE shares DROP CONSTRAINT shares_agreement;
DELETE FROM shares a USING shares b
WHERE a.id > b.id AND a.owner_department = b.owner_department AND a.grantee_department = b.grantee_department
  AND a.indicator_key IS NOT DISTINCT FROM b.indicator_key;
ALTER TABLE shares ADD CONSTRAINT shares_owner_department_grantee_department_indicator_key_key UNIQUE NULLS NOT DISTINCT
  (owner_department, grantee_department, indicator_key);
ALTER TABLE shares DROP COLUMN region_path, DROP COLUMN region_code;
DROP FUNCTION hub_status_readable(text, text, text, ltree, text, text, boolean, ltree[]);
