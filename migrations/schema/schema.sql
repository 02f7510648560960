-- Schema snapshot: pg_dump --schema-only of a database with every migration applied.
-- Generated; do not edit. Regenerate: go test ./migrations -run TestSchemaSnapshot -update

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

CREATE EXTENSION IF NOT EXISTS ltree WITH SCHEMA public;

COMMENT ON EXTENSION ltree IS 'data type for hierarchical tree-like structures';

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

SET default_tablespace = '';

SET default_table_access_method = heap;

CREATE TABLE public.validation_rules (
    id integer NOT NULL,
    name text NOT NULL,
    left_expr text NOT NULL,
    operator text NOT NULL,
    right_expr text NOT NULL,
    tolerance double precision DEFAULT 0 NOT NULL,
    severity text NOT NULL,
    missing_values text DEFAULT 'SKIP_IF_ANY_MISSING'::text NOT NULL,
    text_zh text NOT NULL,
    text_en text NOT NULL,
    indicator_keys text[] NOT NULL,
    active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_by text NOT NULL,
    region_code text,
    CONSTRAINT validation_rules_indicator_keys_check CHECK ((cardinality(indicator_keys) > 0)),
    CONSTRAINT validation_rules_left_expr_check CHECK ((btrim(left_expr) <> ''::text)),
    CONSTRAINT validation_rules_missing_values_check CHECK ((missing_values = ANY (ARRAY['SKIP_IF_ANY_MISSING'::text, 'NEVER_SKIP'::text]))),
    CONSTRAINT validation_rules_name_check CHECK ((name ~ '^[a-z][a-z0-9_]{0,63}$'::text)),
    CONSTRAINT validation_rules_operator_check CHECK ((operator = ANY (ARRAY['=='::text, '!='::text, '<'::text, '<='::text, '>'::text, '>='::text]))),
    CONSTRAINT validation_rules_right_expr_check CHECK ((btrim(right_expr) <> ''::text)),
    CONSTRAINT validation_rules_severity_check CHECK ((severity = ANY (ARRAY['BLOCK'::text, 'WARN'::text]))),
    CONSTRAINT validation_rules_text_en_check CHECK ((btrim(text_en) <> ''::text)),
    CONSTRAINT validation_rules_text_zh_check CHECK ((btrim(text_zh) <> ''::text)),
    CONSTRAINT validation_rules_tolerance_check CHECK (((tolerance >= (0)::double precision) AND (tolerance < 'Infinity'::double precision)))
);

CREATE FUNCTION public.active_validation_rules(keys text[]) RETURNS SETOF public.validation_rules
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
  SELECT * FROM validation_rules
  WHERE active AND hub_role() <> '' AND (keys IS NULL OR indicator_keys && keys)
  ORDER BY id
$$;

CREATE FUNCTION public.audit_log_append_only() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION public.catalogue_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.data_values_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.data_values_audit_inserts() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  INSERT INTO audit_log (actor, actor_role, channel, file_name, action, value_id, indicator_key, department_code,
                         region_code, region_path, period, old_value, new_value, old_qualifier,
                         new_qualifier, old_status, new_status, detail)
  SELECT coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'),
         hub_channel(), hub_file(), CASE WHEN n.version > 1 THEN 'update' ELSE 'create' END, n.id, n.indicator_key,
         n.department_code, n.region_code, n.region_path, n.period, p.value, n.value, p.qualifier, n.qualifier,
         p.status, n.status, n.status_reason
  FROM new_rows n
  LEFT JOIN data_values p ON n.version > 1 AND p.indicator_key = n.indicator_key AND p.period = n.period
                         AND p.region_code = n.region_code AND p.version = n.version - 1
  ORDER BY n.id;
  RETURN NULL;
END
$$;

CREATE FUNCTION public.data_values_media_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF current_user = 'hub_app' AND hub_role() <> 'coordinator' AND (
       NEW.releasable IS DISTINCT FROM OLD.releasable
    OR NEW.publication_id IS DISTINCT FROM OLD.publication_id
    OR NEW.publish_at IS DISTINCT FROM OLD.publish_at) THEN
    RAISE EXCEPTION 'only coordinators publish values or release headline figures'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION public.data_values_notify() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'public'
    AS $$
DECLARE
  n bigint;
  p record;
BEGIN
  SELECT count(*) INTO n FROM new_rows;
  IF n = 0 THEN
    RETURN NULL;
  END IF;
  IF n > 5000 THEN
    PERFORM pg_notify('hub_values', json_build_object('i', (SELECT json_agg(DISTINCT indicator_key) FROM new_rows), 'many', true)::text);
    RETURN NULL;
  END IF;
  FOR p IN
    SELECT json_build_object('v', json_agg(id ORDER BY id), 'i', json_agg(DISTINCT indicator_key))::text AS payload
    FROM (SELECT id, indicator_key, (row_number() OVER (ORDER BY id) - 1) / 80 AS chunk FROM new_rows) c
    GROUP BY chunk
  LOOP
    PERFORM pg_notify('hub_values', p.payload);
  END LOOP;
  RETURN NULL;
END $$;

CREATE FUNCTION public.data_values_notify_removed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
BEGIN
  PERFORM pg_notify('hub_values', '{"many": true}');
  RETURN NULL;
END
$$;

CREATE FUNCTION public.data_values_reason_guard() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  IF current_user = 'hub_app' AND NEW.status IS NOT DISTINCT FROM OLD.status
     AND NEW.status_reason IS DISTINCT FROM OLD.status_reason THEN
    RAISE EXCEPTION '退回原因只随状态变更而改变 / a return reason changes only with a step of the workflow (the value is % and stays %)',
      OLD.status, OLD.status USING ERRCODE = 'WF002';
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION public.data_values_release() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  IF NEW.is_head AND NEW.status IN ('APPROVED', 'PUBLISHED') AND OLD.status NOT IN ('APPROVED', 'PUBLISHED') THEN
    PERFORM unrelease_previous(NEW.indicator_key, NEW.period, NEW.region_code);
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION public.data_values_retired_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.departments_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.enforce_workflow() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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

CREATE FUNCTION public.formula_keys(f text) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT DISTINCT m[1] FROM regexp_matches(coalesce(f, ''), '([a-z][a-z0-9_]*)', 'g') AS m $$;

CREATE FUNCTION public.hub_audit_append(act text, dept text, ind text, code text, what text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
  INSERT INTO audit_log (actor, actor_role, channel, file_name, action, department_code, indicator_key,
                         region_code, region_path, detail)
  VALUES (coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'),
          hub_channel(), hub_file(), act, dept, ind, code, hub_region_path(code), what)
$$;

CREATE FUNCTION public.hub_auth_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
BEGIN
  PERFORM pg_notify('hub_auth', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

CREATE FUNCTION public.hub_catalogue_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
BEGIN
  PERFORM pg_notify('hub_catalogue', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

CREATE FUNCTION public.hub_channel() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('hub.channel', true), ''), 'sql') $$;

CREATE FUNCTION public.hub_check_password(user_name text, password text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $_$
DECLARE
  uid bigint;
  h text;
BEGIN
  SELECT id, password_hash INTO uid, h FROM users WHERE name = user_name AND NOT disabled;
  IF h IS NULL THEN
    PERFORM crypt(password, '$2a$10$abcdefghijklmnopqrstuu');
    RETURN NULL;
  END IF;
  IF h = crypt(password, h) THEN
    RETURN uid;
  END IF;
  RETURN NULL;
END
$_$;

CREATE FUNCTION public.hub_department() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('hub.department', true), '') $$;

CREATE FUNCTION public.hub_file() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('hub.file', true), '') $$;

CREATE FUNCTION public.hub_login_attempt(user_name text, password text, address text, max_failures integer, fail_window interval, base interval, OUT user_id bigint, OUT retry_after double precision) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    SET lock_timeout TO '2s'
    AS $$
DECLARE
  n text := left(coalesce(user_name, ''), 64);
  a text := left(coalesce(address, ''), 64);
  by_name double precision;
  by_address double precision;
BEGIN
  PERFORM pg_advisory_xact_lock(4601, hashtext(n));
  PERFORM pg_advisory_xact_lock(4602, hashtext(a));
  DELETE FROM login_failures WHERE at < now() - fail_window;

  SELECT hub_login_wait(count(*), max(f.at), max_failures, fail_window, base) INTO by_name
  FROM login_failures f WHERE f.user_name = n AND NOT f.cleared;
  SELECT hub_login_wait(count(*), max(f.at), max_failures, fail_window, base) INTO by_address
  FROM login_failures f WHERE f.address = a;
  retry_after := greatest(by_name, by_address);
  IF retry_after > 0 THEN
    RETURN;
  END IF;

  IF octet_length(coalesce(password, '')) BETWEEN 1 AND 72 THEN
    user_id := hub_check_password(n, password);
  END IF;
  IF user_id IS NULL OR n <> coalesce(user_name, '') THEN
    user_id := NULL;
    PERFORM hub_record_login_failure(user_name, address);
    RETURN;
  END IF;

  UPDATE login_failures f SET cleared = true WHERE f.user_name = n AND NOT f.cleared;
  INSERT INTO audit_log (actor, actor_role, channel, action, region_code, region_path, detail)
  SELECT u.name, u.role, 'API', 'login', u.region_code, r.path, format('address %s', a)
  FROM users u JOIN regions r ON r.code = u.region_code WHERE u.id = user_id;
END
$$;

CREATE FUNCTION public.hub_login_wait(failures bigint, last_at timestamp with time zone, max_failures integer, fail_window interval, base interval) RETURNS double precision
    LANGUAGE sql STABLE
    AS $$
  SELECT CASE WHEN failures < greatest(max_failures, 1) OR last_at IS NULL THEN 0
    ELSE greatest(0, extract(epoch FROM last_at
      + least(base * power(2, least(failures - greatest(max_failures, 1), 30)), fail_window) - now()))::double precision
  END
$$;

CREATE FUNCTION public.hub_peer_quartiles(p_region text, p_period text) RETURNS TABLE(indicator_key text, peers integer, q1 double precision, median double precision, q3 double precision)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
  WITH asked AS (
    SELECT r.code, r.level, r.parent_code
    FROM regions r
    WHERE r.code = p_region
      AND hub_role() IN ('leader', 'admin')
      AND (hub_scope_is_everything() OR r.path <@ hub_scope())
  ), peers AS (
    SELECT s.code
    FROM regions s JOIN asked a ON s.level = a.level AND s.parent_code IS NOT DISTINCT FROM a.parent_code
  ), minors AS (
    SELECT m.region_code, m.period, m.value
    FROM value_rollups m
    WHERE m.indicator_key = 'minors_total' AND m.region_code IN (SELECT code FROM peers)
      AND m.period IN (p_period, left(p_period, 4)) AND m.value > 0
  ), normalised AS (
    SELECT v.indicator_key,
           CASE WHEN i.value_type IN ('COUNT', 'AMOUNT')
                THEN v.value / coalesce(
                       (SELECT n.value FROM minors n WHERE n.region_code = v.region_code AND n.period = p_period),
                       (SELECT n.value FROM minors n WHERE n.region_code = v.region_code AND n.period = left(p_period, 4))) * 10000
                ELSE v.value END AS x
    FROM value_rollups v
    JOIN indicators i ON i.key = v.indicator_key
    WHERE v.period = p_period AND v.region_code IN (SELECT code FROM peers) AND v.value IS NOT NULL
      AND i.formula IS NULL AND i.protection <> 'BASE' AND i.retired_at IS NULL
  )
  SELECT indicator_key, count(*)::integer,
         percentile_cont(0.25) WITHIN GROUP (ORDER BY x),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY x),
         percentile_cont(0.75) WITHIN GROUP (ORDER BY x)
  FROM normalised
  WHERE x IS NOT NULL
  GROUP BY indicator_key
  HAVING count(*) >= hub_peer_quartiles_min_peers()
  ORDER BY indicator_key
$$;

CREATE FUNCTION public.hub_peer_quartiles_min_peers() RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT 5 $$;

CREATE FUNCTION public.hub_period_type(p text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN p LIKE '%Q%' THEN 'QUARTER' WHEN p LIKE '%-%' THEN 'MONTH' ELSE 'YEAR' END $$;

CREATE FUNCTION public.hub_periods_above(p text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE hub_period_type(p)
    WHEN 'MONTH' THEN ARRAY[p, left(p, 4) || 'Q' || ((substr(p, 6, 2)::int - 1) / 3 + 1), left(p, 4)]
    WHEN 'QUARTER' THEN ARRAY[p, left(p, 4)]
    ELSE ARRAY[p]
  END
$$;

CREATE FUNCTION public.hub_periods_expected(p text, native text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE
    WHEN hub_period_type(p) = native THEN 1
    WHEN hub_period_type(p) = 'YEAR' AND native = 'MONTH' THEN 12
    WHEN hub_period_type(p) = 'YEAR' AND native = 'QUARTER' THEN 4
    WHEN hub_period_type(p) = 'QUARTER' AND native = 'MONTH' THEN 3
    ELSE 0
  END
$$;

CREATE FUNCTION public.hub_periods_within(p text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
  SELECT CASE hub_period_type(p)
    WHEN 'YEAR' THEN ARRAY[p]
      || ARRAY(SELECT p || 'Q' || q FROM generate_series(1, 4) q)
      || ARRAY(SELECT p || '-' || lpad(m::text, 2, '0') FROM generate_series(1, 12) m)
    WHEN 'QUARTER' THEN ARRAY[p]
      || ARRAY(SELECT left(p, 4) || '-' || lpad(m::text, 2, '0')
               FROM generate_series((substr(p, 6, 1)::int - 1) * 3 + 1, substr(p, 6, 1)::int * 3) m)
    ELSE ARRAY[p]
  END
$$;

CREATE FUNCTION public.hub_published_table(p_period text) RETURNS TABLE(indicator_key text, region_code text, parent_code text, region_path text, period text, value double precision, qualifier text, publish_at timestamp with time zone, sensitive boolean, aggregation text, collection_level text, publication_id bigint, source text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.hub_qualifier_rank(q text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE q WHEN 'EXACT' THEN 0 WHEN 'AT_LEAST' THEN 1 ELSE 2 END $$;

CREATE FUNCTION public.hub_record_login_failure(user_name text, address text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  n text := left(coalesce(user_name, ''), 64);
  a text := left(coalesce(address, ''), 64);
  u users%ROWTYPE;
BEGIN
  SELECT * INTO u FROM users WHERE name = n;
  INSERT INTO login_failures (user_name, address) VALUES (n, a);
  INSERT INTO audit_log (actor, actor_role, channel, action, region_code, region_path, detail)
  SELECT n, 'anonymous', 'API', 'login_failure', u.region_code, r.path,
         format('address %s%s', a, CASE WHEN u.id IS NULL THEN ', no such user' ELSE '' END)
  FROM (SELECT 1) one LEFT JOIN regions r ON r.code = u.region_code;
END
$$;

CREATE FUNCTION public.hub_region_path(code text) RETURNS public.ltree
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $_$ SELECT path FROM regions WHERE regions.code = $1 $_$;

CREATE FUNCTION public.hub_role() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('hub.role', true), '') $$;

CREATE FUNCTION public.hub_rule_in_scope(code text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $_$
  SELECT CASE WHEN code IS NULL THEN hub_scope_is_everything()
              ELSE hub_scope_is_everything() OR EXISTS (SELECT 1 FROM regions g WHERE g.code = $1 AND g.path <@ hub_scope()) END
$_$;

CREATE FUNCTION public.hub_rule_visible(code text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $_$
  SELECT code IS NULL OR hub_scope_is_everything()
      OR EXISTS (SELECT 1 FROM regions g WHERE g.code = $1 AND (g.path @> hub_scope() OR g.path <@ hub_scope()))
$_$;

CREATE FUNCTION public.hub_scope() RETURNS public.ltree
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(nullif(current_setting('hub.scope', true), ''), 'nobody')::ltree $$;

CREATE FUNCTION public.hub_scope_is_everything() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nlevel(hub_scope()) = 1 AND EXISTS (SELECT 1 FROM regions WHERE path = hub_scope())
          AND NOT EXISTS (SELECT 1 FROM regions WHERE parent_code IS NULL AND path <> hub_scope()) $$;

CREATE FUNCTION public.hub_shared_indicators() RETURNS SETOF text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  SELECT i.key
  FROM shares s
  JOIN indicators i ON i.department_code = s.owner_department
                   AND (s.indicator_key IS NULL OR s.indicator_key = i.key)
  WHERE s.grantee_department = hub_department()
$$;

CREATE FUNCTION public.hub_shared_scopes() RETURNS public.ltree[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
  SELECT coalesce(array_agg(DISTINCT text2ltree(i.key) || s.region_path), '{}')
  FROM shares s
  JOIN indicators i ON i.department_code = s.owner_department
                   AND (s.indicator_key IS NULL OR s.indicator_key = i.key)
  WHERE s.grantee_department = hub_department()
$$;

CREATE FUNCTION public.hub_sso_login(identity text, user_name text, user_role text, dept text, region text, session_hash bytea, session_csrf text, ttl interval, address text, OUT user_id bigint, OUT refusal text) RETURNS record
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  u users%ROWTYPE;
BEGIN
  PERFORM set_config('hub.channel', 'SSO', true), set_config('hub.user', coalesce(user_name, ''), true),
          set_config('hub.role', coalesce(user_role, ''), true);
  SELECT * INTO u FROM users WHERE sso_identity = identity;
  IF user_role IS NULL THEN
    refusal := 'unmapped';
  ELSIF u.id IS NULL AND EXISTS (SELECT 1 FROM users WHERE name = user_name) THEN
    refusal := 'name taken';
  ELSIF u.disabled THEN
    refusal := 'disabled';
  ELSIF u.service THEN
    refusal := 'service account';
  END IF;
  IF refusal IS NOT NULL THEN
    INSERT INTO audit_log (actor, actor_role, channel, action, region_code, region_path, detail)
    VALUES (coalesce(u.name, user_name, identity), coalesce(u.role, user_role, 'system'), 'SSO', 'login_failure',
            coalesce(u.region_code, region), hub_region_path(coalesce(u.region_code, region)),
            format('single sign-on refused (%s): %s, address %s', refusal, identity, address));
    RETURN;
  END IF;
  IF u.id IS NULL THEN
    INSERT INTO users (name, role, department_code, region_code, sso_identity)
    VALUES (user_name, user_role, dept, region, identity) RETURNING * INTO u;
  ELSIF (u.role, u.department_code, u.region_code) IS DISTINCT FROM (user_role, dept, region) THEN
    UPDATE users SET role = user_role, department_code = dept, region_code = region WHERE id = u.id RETURNING * INTO u;
  END IF;
  INSERT INTO sessions (hash, user_id, csrf, expires_at) VALUES (session_hash, u.id, session_csrf, now() + ttl);
  INSERT INTO audit_log (actor, actor_role, channel, action, region_code, region_path, detail)
  VALUES (u.name, u.role, 'SSO', 'login', u.region_code, hub_region_path(u.region_code),
          format('single sign-on %s, address %s', identity, address));
  user_id := u.id;
END
$$;

CREATE FUNCTION public.hub_status_readable(st text, dept text, key text, path public.ltree, role text, mydept text, shared_key boolean, shared public.ltree[]) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
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

CREATE FUNCTION public.hub_token_create(token_name text, token_hash bytea, lifetime interval) RETURNS TABLE(id bigint, created_at timestamp with time zone, expires_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  IF lifetime IS NULL OR lifetime <= interval '0' THEN
    RAISE EXCEPTION '令牌须有有效期 / a token needs a lifetime' USING ERRCODE = '22023';
  END IF;
  RETURN QUERY
  INSERT INTO tokens AS t (user_id, hash, name, expires_at)
  SELECT u.id, token_hash, token_name, now() + lifetime FROM users u
  WHERE u.name = hub_user() AND hub_user() <> '' AND NOT u.disabled
  RETURNING t.id, t.created_at, t.expires_at;
END
$$;

CREATE FUNCTION public.hub_token_revoke(token_id bigint) RETURNS boolean
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
  WITH r AS (
    UPDATE tokens SET revoked_at = coalesce(revoked_at, now())
    WHERE id = token_id AND user_id = (SELECT u.id FROM users u WHERE u.name = hub_user() AND hub_user() <> '')
    RETURNING 1
  ) SELECT EXISTS (SELECT 1 FROM r)
$$;

CREATE FUNCTION public.hub_user() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('hub.user', true), '') $$;

CREATE FUNCTION public.hub_user_has_password(uid bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
  SELECT password_hash IS NOT NULL FROM users WHERE id = uid AND hub_role() = 'admin'
$$;

CREATE FUNCTION public.hub_value_facts(p_indicator text, p_region text, p_period text) RETURNS TABLE(head_status text, released boolean, released_status text, publish_at timestamp with time zone, releasable boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
  SELECT (SELECT status FROM data_values
          WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_head),
         EXISTS (SELECT 1 FROM data_values
                 WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_released),
         (SELECT status FROM data_values
          WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_released),
         (SELECT publish_at FROM data_values
          WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_released),
         coalesce((SELECT releasable FROM data_values
          WHERE indicator_key = p_indicator AND region_code = p_region AND period = p_period AND is_released), false)
  WHERE hub_role() <> ''
$$;

CREATE FUNCTION public.indicators_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.publications_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM hub_audit_append('publish', NULL, NULL, (SELECT code FROM regions WHERE path = hub_scope()),
    format('新建发布批次 %s「%s」，解禁时间 %s / new publication %s "%s", publish_at %s',
           NEW.id, NEW.title, NEW.publish_at, NEW.id, NEW.title, NEW.publish_at));
  RETURN NULL;
END
$$;

CREATE FUNCTION public.regions_fill_path() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
  parent regions%ROWTYPE;
  levels text[] := ARRAY['PROVINCE', 'CITY', 'COUNTY', 'TOWN', 'VILLAGE'];
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.code <> OLD.code THEN
    RAISE EXCEPTION '地区 % 的代码不能修改 / region % cannot change its code', OLD.code, OLD.code
      USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.level <> OLD.level AND EXISTS (SELECT 1 FROM regions WHERE parent_code = OLD.code) THEN
    RAISE EXCEPTION '地区 % 有下级，层级不能修改 / region % has children and cannot change its level', OLD.code, OLD.code
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.parent_code IS NULL THEN
    NEW.path := text2ltree(NEW.code);
    RETURN NEW;
  END IF;
  SELECT * INTO parent FROM regions WHERE code = NEW.parent_code;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'parent region % of % does not exist', NEW.parent_code, NEW.code USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF array_position(levels, NEW.level) <> array_position(levels, parent.level) + 1 THEN
    RAISE EXCEPTION 'region % (%) cannot be below % (%)', NEW.code, NEW.level, parent.code, parent.level USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND parent.path <@ OLD.path THEN
    RAISE EXCEPTION '地区 % 不能移到自己的下级 % 之下 / region % cannot move below its own descendant %',
      OLD.code, parent.code, OLD.code, parent.code USING ERRCODE = 'check_violation';
  END IF;
  NEW.path := parent.path || text2ltree(NEW.code);
  RETURN NEW;
END
$$;

CREATE FUNCTION public.regions_move_children() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  UPDATE regions SET path = path WHERE parent_code = NEW.code;
  RETURN NULL;
END
$$;

CREATE FUNCTION public.regions_rollups_after_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM value_rollups_rebuild(ARRAY(
    SELECT i.key FROM indicators i WHERE i.collection_level IN (SELECT DISTINCT level FROM new_rows)
      AND EXISTS (SELECT 1 FROM data_values v WHERE v.indicator_key = i.key AND v.is_released)))
  WHERE EXISTS (SELECT 1 FROM new_rows);
  RETURN NULL;
END
$$;

CREATE FUNCTION public.regions_rollups_after_update() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
DECLARE
  moved text[];
BEGIN
  IF pg_trigger_depth() > 1 THEN
    RETURN NULL;
  END IF;
  SELECT array_agg(DISTINCT x.level) INTO moved
  FROM old_rows o JOIN new_rows n ON n.code = o.code
  JOIN regions x ON x.path <@ n.path
  WHERE o.path <> n.path;
  IF moved IS NOT NULL THEN
    PERFORM value_rollups_rebuild(ARRAY(
      SELECT i.key FROM indicators i WHERE i.collection_level = ANY (moved)
        AND EXISTS (SELECT 1 FROM data_values v WHERE v.indicator_key = i.key AND v.is_released)));
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION public.shares_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.shares_fill_region() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.tokens_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.unrelease_previous(ind text, per text, reg text) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'public'
    AS $$
  UPDATE data_values SET is_released = false
  WHERE indicator_key = ind AND period = per AND region_code = reg AND is_released AND NOT is_head
$$;

CREATE FUNCTION public.users_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
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

CREATE FUNCTION public.users_end_sessions() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  DELETE FROM sessions WHERE user_id = NEW.id;
  RETURN NULL;
END
$$;

CREATE FUNCTION public.validation_rules_audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM hub_audit_append('rule', NULL, NULL, NEW.region_code,
    format('%s %s: %s %s %s (±%s) %s %s%s', lower(TG_OP), NEW.name, NEW.left_expr, NEW.operator, NEW.right_expr,
           NEW.tolerance, NEW.severity, NEW.missing_values, CASE WHEN NEW.active THEN '' ELSE ' inactive' END));
  RETURN NULL;
END
$$;

CREATE FUNCTION public.value_rollup_keys(inds text[], pers text[], paths public.ltree[]) RETURNS TABLE(indicator_key text, department_code text, region_code text, region_path public.ltree, period text, aggregation text, collection_level text, period_type text, regions_expected integer, periods text[], periods_expected integer)
    LANGUAGE sql STABLE
    AS $$
  WITH changed AS (
    SELECT DISTINCT c.ind, c.per, c.path FROM unnest(inds, pers, paths) AS c(ind, per, path)
  ), k AS (
    -- regions r.path @> c.path are the value's region and its ancestors.
    SELECT DISTINCT c.ind, r.code, p
    FROM changed c
    JOIN public.indicators i ON i.key = c.ind
    JOIN public.regions r ON r.path @> c.path AND (i.aggregation <> 'NONE' OR r.path = c.path)
    CROSS JOIN LATERAL unnest(CASE WHEN i.aggregation = 'NONE' THEN ARRAY[c.per] ELSE public.hub_periods_above(c.per) END) p
  )
  SELECT k.ind, i.department_code, r.code, r.path, k.p, i.aggregation, i.collection_level, i.period_type,
         (SELECT count(*)::int FROM public.regions x WHERE x.path <@ r.path AND x.level = i.collection_level),
         public.hub_periods_within(k.p), public.hub_periods_expected(k.p, i.period_type)
  FROM k
  JOIN public.indicators i ON i.key = k.ind
  JOIN public.regions r ON r.code = k.code
$$;

CREATE FUNCTION public.value_rollups_after_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM value_rollups_apply(array_agg(c.indicator_key), array_agg(c.period), array_agg(c.region_path))
  FROM (SELECT DISTINCT indicator_key, period, region_path FROM old_rows WHERE is_released) c
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION public.value_rollups_after_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM value_rollups_apply(array_agg(c.indicator_key), array_agg(c.period), array_agg(c.region_path))
  FROM (SELECT DISTINCT indicator_key, period, region_path FROM new_rows WHERE is_released) c
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION public.value_rollups_after_update() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM value_rollups_apply(array_agg(c.indicator_key), array_agg(c.period), array_agg(c.region_path))
  FROM (SELECT DISTINCT x.indicator_key, x.period, x.region_path
        FROM old_rows o JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.indicator_key, o.period, o.region_path),
                                   (n.indicator_key, n.period, n.region_path)) x(indicator_key, period, region_path)
        WHERE (o.is_released OR n.is_released)
          AND (o.is_released, o.value, o.qualifier, o.status, o.publish_at, o.releasable, o.indicator_key)
              IS DISTINCT FROM (n.is_released, n.value, n.qualifier, n.status, n.publish_at, n.releasable, n.indicator_key)) c
  HAVING count(*) > 0;
  RETURN NULL;
END
$$;

CREATE FUNCTION public.value_rollups_apply(inds text[], pers text[], paths public.ltree[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  IF cardinality(inds) <= 2000 THEN
    PERFORM value_rollups_refresh(inds, pers, paths);
  ELSE
    PERFORM value_rollups_rebuild(ARRAY(SELECT DISTINCT x FROM unnest(inds) x));
  END IF;
END
$$;

CREATE FUNCTION public.value_rollups_indicator_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    AS $$
BEGIN
  PERFORM value_rollups_rebuild(ARRAY[NEW.key]);
  RETURN NULL;
END
$$;

CREATE FUNCTION public.value_rollups_rebuild(inds text[] DEFAULT NULL::text[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    SET jit TO 'off'
    AS $$
DECLARE
  ind record;
BEGIN
  FOR ind IN SELECT key, department_code, aggregation, collection_level, period_type
             FROM indicators WHERE inds IS NULL OR key = ANY (inds) ORDER BY key LOOP
    DELETE FROM value_rollups WHERE indicator_key = ind.key;
    INSERT INTO value_rollups (indicator_key, department_code, region_code, region_path, period, value, qualifier,
                               status, publish_at, releasable, values_used, regions_expected)
    WITH leaf AS (
      -- per region, the values over time: its own periods and those above
      -- them (for NONE only its own). Values of regions off the collection
      -- level are dropped by the join with up below: a filter on region
      -- level here makes the planner probe the values index region by region.
      SELECT v.region_code AS leaf, p AS period,
             CASE ind.aggregation
               WHEN 'SUM' THEN sum(v.value)
               WHEN 'AVERAGE' THEN avg(v.value)
               ELSE (array_agg(v.value ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
             END AS value,
             greatest(
               CASE WHEN ind.aggregation IN ('LAST', 'NONE')
                    THEN (array_agg(hub_qualifier_rank(v.qualifier) ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
                    ELSE max(hub_qualifier_rank(v.qualifier)) FILTER (WHERE v.value IS NOT NULL) END,
               CASE WHEN ind.aggregation = 'SUM' AND count(v.value) < hub_periods_expected(p, ind.period_type) THEN 1 ELSE 0 END
             ) AS qrank,
             bool_or(v.status = 'APPROVED') AS approved,
             CASE WHEN bool_and(v.publish_at IS NOT NULL) THEN max(v.publish_at) END AS embargo,
             bool_and(v.releasable) AS releasable
      FROM data_values v
      CROSS JOIN LATERAL unnest(CASE WHEN ind.aggregation = 'NONE' THEN ARRAY[v.period] ELSE hub_periods_above(v.period) END) p
      WHERE v.is_released AND v.indicator_key = ind.key AND hub_period_type(v.period) = ind.period_type
      GROUP BY v.region_code, p
    ), up AS (
      -- each collection-level region (leaf) and the regions of its path,
      -- itself included (code: the label at depth d), with how many
      -- collection-level regions each of those has below it.
      SELECT x.code AS leaf, ltree2text(subpath(x.path, d - 1, 1)) AS code,
             count(*) OVER (PARTITION BY ltree2text(subpath(x.path, d - 1, 1)))::int AS n
      FROM regions x
      CROSS JOIN LATERAL generate_series(1, nlevel(x.path)) d
      WHERE x.level = ind.collection_level
    )
    SELECT ind.key, ind.department_code, a.code, a.path, g.period, g.value, g.qualifier,
           g.status, g.publish_at, g.releasable, g.values_used, g.n
    FROM (
      SELECT u.code, l.period, u.n,
             CASE WHEN ind.aggregation = 'AVERAGE' THEN avg(l.value) ELSE sum(l.value) END AS value,
             (ARRAY['EXACT', 'AT_LEAST', 'APPROX'])[1 + greatest(coalesce(max(l.qrank), 0),
                CASE WHEN ind.aggregation IN ('SUM', 'LAST') AND count(l.value) < u.n THEN 1 ELSE 0 END)] AS qualifier,
             CASE WHEN bool_or(l.approved) THEN 'APPROVED' ELSE 'PUBLISHED' END AS status,
             CASE WHEN bool_and(l.embargo IS NOT NULL) THEN max(l.embargo) END AS publish_at,
             bool_and(l.releasable) AS releasable,
             count(l.value)::int AS values_used
      FROM leaf l
      -- NONE is never aggregated: a value's rollup is its own region's.
      JOIN up u ON u.leaf = l.leaf AND (ind.aggregation <> 'NONE' OR u.code = l.leaf)
      GROUP BY u.code, l.period, u.n
    ) g
    JOIN regions a ON a.code = g.code;
  END LOOP;
END
$$;

CREATE FUNCTION public.value_rollups_refresh(inds text[], pers text[], paths public.ltree[]) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'public', 'pg_temp'
    SET jit TO 'off'
    AS $$
BEGIN
  DELETE FROM value_rollups v
  USING value_rollup_keys(inds, pers, paths) k
  WHERE v.indicator_key = k.indicator_key AND v.period = k.period AND v.region_code = k.region_code;

  INSERT INTO value_rollups (indicator_key, department_code, region_code, region_path, period, value, qualifier,
                             status, publish_at, releasable, values_used, regions_expected)
  SELECT l.indicator_key, l.department_code, l.region_code, l.region_path, l.period,
         CASE WHEN l.aggregation = 'AVERAGE' THEN avg(l.value) ELSE sum(l.value) END,
         (ARRAY['EXACT', 'AT_LEAST', 'APPROX'])[1 + greatest(coalesce(max(l.qrank), 0),
            CASE WHEN l.aggregation IN ('SUM', 'LAST') AND count(l.value) < l.regions_expected THEN 1 ELSE 0 END)],
         CASE WHEN bool_or(l.approved) THEN 'APPROVED' ELSE 'PUBLISHED' END,
         CASE WHEN bool_and(l.embargo IS NOT NULL) THEN max(l.embargo) END, bool_and(l.releasable),
         count(l.value), l.regions_expected
  FROM (
    SELECT k.indicator_key, k.department_code, k.region_code, k.region_path, k.period, k.aggregation,
           k.regions_expected, v.region_code AS leaf,
           CASE k.aggregation
             WHEN 'SUM' THEN sum(v.value)
             WHEN 'AVERAGE' THEN avg(v.value)
             ELSE (array_agg(v.value ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
           END AS value,
           greatest(
             CASE WHEN k.aggregation IN ('LAST', 'NONE')
                  THEN (array_agg(hub_qualifier_rank(v.qualifier) ORDER BY v.period DESC) FILTER (WHERE v.value IS NOT NULL))[1]
                  ELSE max(hub_qualifier_rank(v.qualifier)) FILTER (WHERE v.value IS NOT NULL) END,
             CASE WHEN k.aggregation = 'SUM' AND count(v.value) < k.periods_expected THEN 1 ELSE 0 END
           ) AS qrank,
           bool_or(v.status = 'APPROVED') AS approved,
           CASE WHEN bool_and(v.publish_at IS NOT NULL) THEN max(v.publish_at) END AS embargo,
           bool_and(v.releasable) AS releasable
    FROM value_rollup_keys(inds, pers, paths) k
    -- per key, its collection-level regions (GiST on the path), then each
    -- one's released values by the index on (indicator, period, region):
    -- work in proportion to the parts. OFFSET 0 keeps this join order.
    CROSS JOIN LATERAL (
      SELECT r.code FROM regions r WHERE r.path <@ k.region_path AND r.level = k.collection_level OFFSET 0) r
    CROSS JOIN LATERAL (
      SELECT v.region_code, v.period, v.value, v.qualifier, v.status, v.publish_at, v.releasable
      FROM data_values v
      WHERE v.is_released AND v.indicator_key = k.indicator_key AND v.region_code = r.code
        AND v.period = ANY (k.periods) AND hub_period_type(v.period) = k.period_type
      OFFSET 0) v
    GROUP BY k.indicator_key, k.department_code, k.region_code, k.region_path, k.period, k.aggregation,
             k.regions_expected, k.periods_expected, v.region_code
  ) l
  GROUP BY l.indicator_key, l.department_code, l.region_code, l.region_path, l.period, l.aggregation, l.regions_expected;
END
$$;

CREATE TABLE public.audit_log (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    actor text NOT NULL,
    actor_role text NOT NULL,
    channel text NOT NULL,
    action text NOT NULL,
    value_id bigint,
    indicator_key text,
    department_code text,
    region_code text,
    region_path public.ltree,
    period text,
    old_value double precision,
    new_value double precision,
    old_qualifier text,
    new_qualifier text,
    old_status text,
    new_status text,
    detail text,
    file_name text,
    CONSTRAINT audit_log_action_check CHECK ((action = ANY (ARRAY['create'::text, 'update'::text, 'transition'::text, 'import'::text, 'share'::text, 'unshare'::text, 'rule'::text, 'releasable'::text, 'publish'::text, 'user'::text, 'token'::text, 'login'::text, 'login_failure'::text, 'region'::text, 'catalogue'::text])))
);

CREATE VIEW public.audit_entries WITH (security_barrier='true') AS
 SELECT a.id,
    a.at,
    a.actor,
    a.actor_role,
    a.channel,
    a.file_name,
    a.action,
    a.value_id,
    a.indicator_key,
    a.department_code,
    a.region_code,
    a.region_path,
    a.period,
        CASE
            WHEN s.old_ok THEN a.old_value
            ELSE NULL::double precision
        END AS old_value,
        CASE
            WHEN s.new_ok THEN a.new_value
            ELSE NULL::double precision
        END AS new_value,
        CASE
            WHEN s.old_ok THEN a.old_qualifier
            ELSE NULL::text
        END AS old_qualifier,
        CASE
            WHEN s.new_ok THEN a.new_qualifier
            ELSE NULL::text
        END AS new_qualifier,
        CASE
            WHEN s.old_ok THEN a.old_status
            ELSE NULL::text
        END AS old_status,
        CASE
            WHEN s.new_ok THEN a.new_status
            ELSE NULL::text
        END AS new_status,
        CASE
            WHEN ((a.value_id IS NULL) OR s.new_ok) THEN a.detail
            ELSE NULL::text
        END AS detail
   FROM ((( SELECT public.hub_role() AS role,
            public.hub_department() AS dept,
            public.hub_scope() AS scope,
            public.hub_scope_is_everything() AS everything,
            public.hub_shared_scopes() AS shared
         OFFSET 0) p
     CROSS JOIN public.audit_log a)
     CROSS JOIN LATERAL ( SELECT ((a.value_id IS NOT NULL) AND public.hub_status_readable(a.old_status, a.department_code, a.indicator_key, a.region_path, p.role, p.dept, true, p.shared)) AS "?column?",
            ((a.value_id IS NOT NULL) AND public.hub_status_readable(a.new_status, a.department_code, a.indicator_key, a.region_path, p.role, p.dept, true, p.shared)) AS "?column?") s(old_ok, new_ok))
  WHERE
        CASE
            WHEN (a.value_id IS NOT NULL) THEN ((p.everything OR (a.region_path OPERATOR(public.<@) p.scope)) AND (s.old_ok OR s.new_ok))
            WHEN (a.action = 'rule'::text) THEN ((p.role = ANY (ARRAY['admin'::text, 'coordinator'::text])) AND ((a.region_path IS NULL) OR p.everything OR (a.region_path OPERATOR(public.@>) p.scope) OR (a.region_path OPERATOR(public.<@) p.scope)))
            WHEN (a.action = ANY (ARRAY['share'::text, 'unshare'::text])) THEN (((p.role = ANY (ARRAY['admin'::text, 'coordinator'::text])) OR ((p.role = 'analyst'::text) AND (a.department_code = p.dept))) AND (p.everything OR (a.region_path OPERATOR(public.@>) p.scope) OR (a.region_path OPERATOR(public.<@) p.scope)))
            WHEN (a.action = ANY (ARRAY['user'::text, 'token'::text, 'login'::text, 'login_failure'::text])) THEN ((p.role = 'admin'::text) AND (p.everything OR (a.region_path OPERATOR(public.<@) p.scope)))
            ELSE ((p.role = ANY (ARRAY['admin'::text, 'coordinator'::text])) AND (p.everything OR (a.region_path OPERATOR(public.<@) p.scope)))
        END;

ALTER TABLE public.audit_log ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.audit_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.data_values (
    id bigint NOT NULL,
    indicator_key text NOT NULL,
    department_code text NOT NULL,
    region_code text NOT NULL,
    region_path public.ltree NOT NULL,
    period text NOT NULL,
    value double precision,
    qualifier text DEFAULT 'EXACT'::text NOT NULL,
    comment text,
    status text DEFAULT 'DRAFT'::text NOT NULL,
    status_reason text,
    version integer DEFAULT 1 NOT NULL,
    is_head boolean DEFAULT true NOT NULL,
    is_released boolean DEFAULT false NOT NULL,
    source text DEFAULT 'api'::text NOT NULL,
    publish_at timestamp with time zone,
    publication_id bigint,
    releasable boolean DEFAULT false NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_by text,
    CONSTRAINT data_values_check CHECK (((NOT is_released) OR (status = ANY (ARRAY['APPROVED'::text, 'PUBLISHED'::text])))),
    CONSTRAINT data_values_check1 CHECK (((NOT is_head) OR (is_released = (status = ANY (ARRAY['APPROVED'::text, 'PUBLISHED'::text]))))),
    CONSTRAINT data_values_check2 CHECK (((status <> 'RETURNED'::text) OR (btrim(COALESCE(status_reason, ''::text)) <> ''::text))),
    CONSTRAINT data_values_check3 CHECK (((status <> 'PUBLISHED'::text) OR (publish_at IS NOT NULL))),
    CONSTRAINT data_values_period_check CHECK ((period ~ '^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$'::text)),
    CONSTRAINT data_values_qualifier_check CHECK ((qualifier = ANY (ARRAY['EXACT'::text, 'AT_LEAST'::text, 'APPROX'::text]))),
    CONSTRAINT data_values_source_check CHECK ((source = ANY (ARRAY['api'::text, 'import'::text, 'seed'::text, 'synthetic'::text]))),
    CONSTRAINT data_values_status_check CHECK ((status = ANY (ARRAY['DRAFT'::text, 'SUBMITTED'::text, 'APPROVED'::text, 'PUBLISHED'::text, 'RETURNED'::text]))),
    CONSTRAINT data_values_value_check CHECK (((value IS NULL) OR ((value > '-Infinity'::double precision) AND (value < 'Infinity'::double precision)))),
    CONSTRAINT data_values_version_check CHECK ((version > 0))
);

ALTER TABLE public.data_values ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.data_values_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.departments (
    code text NOT NULL,
    name text NOT NULL,
    name_en text,
    retired_at timestamp with time zone,
    CONSTRAINT departments_code_check CHECK ((code ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT departments_name_check CHECK ((btrim(name) <> ''::text))
);

COMMENT ON COLUMN public.departments.retired_at IS 'when the department was retired (it has no active indicators)';

CREATE TABLE public.goose_db_version (
    id integer NOT NULL,
    version_id bigint NOT NULL,
    is_applied boolean NOT NULL,
    tstamp timestamp without time zone DEFAULT now() NOT NULL
);

ALTER TABLE public.goose_db_version ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (
    SEQUENCE NAME public.goose_db_version_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.indicators (
    key text NOT NULL,
    name text NOT NULL,
    name_en text,
    protection text NOT NULL,
    unit text NOT NULL,
    department_code text NOT NULL,
    value_type text NOT NULL,
    aggregation text NOT NULL,
    period_type text DEFAULT 'YEAR'::text NOT NULL,
    collection_level text DEFAULT 'COUNTY'::text NOT NULL,
    publicity boolean DEFAULT false NOT NULL,
    sensitive boolean DEFAULT false NOT NULL,
    formula text,
    description text,
    lower_is_better boolean DEFAULT false NOT NULL,
    retired_at timestamp with time zone,
    rag_amber numeric,
    rag_green numeric,
    CONSTRAINT indicators_aggregation_check CHECK ((aggregation = ANY (ARRAY['SUM'::text, 'AVERAGE'::text, 'LAST'::text, 'NONE'::text]))),
    CONSTRAINT indicators_collection_level_check CHECK ((collection_level = ANY (ARRAY['COUNTY'::text, 'TOWN'::text, 'VILLAGE'::text]))),
    CONSTRAINT indicators_formula_check CHECK (((formula IS NULL) OR (btrim(formula) <> ''::text))),
    CONSTRAINT indicators_key_check CHECK ((key ~ '^[a-z][a-z0-9_]*$'::text)),
    CONSTRAINT indicators_key_not_tree_count CHECK ((key <> ALL (ARRAY['towns'::text, 'villages'::text]))),
    CONSTRAINT indicators_name_check CHECK ((btrim(name) <> ''::text)),
    CONSTRAINT indicators_period_type_check CHECK ((period_type = ANY (ARRAY['YEAR'::text, 'QUARTER'::text, 'MONTH'::text]))),
    CONSTRAINT indicators_protection_check CHECK ((protection = ANY (ARRAY['FAMILY'::text, 'SCHOOL'::text, 'SOCIETY'::text, 'ONLINE'::text, 'GOVERNMENT'::text, 'JUDICIAL'::text, 'BASE'::text]))),
    CONSTRAINT indicators_rag_thresholds CHECK ((((rag_amber IS NULL) AND (rag_green IS NULL)) OR ((rag_amber IS NOT NULL) AND (rag_green IS NOT NULL) AND
CASE
    WHEN lower_is_better THEN (rag_green <= rag_amber)
    ELSE (rag_green >= rag_amber)
END))),
    CONSTRAINT indicators_value_type_check CHECK ((value_type = ANY (ARRAY['COUNT'::text, 'AMOUNT'::text, 'PERCENT'::text, 'RATE'::text])))
);

COMMENT ON COLUMN public.indicators.lower_is_better IS 'fewer is better (case counts): the protection profile scores the lowest peer 100';

COMMENT ON COLUMN public.indicators.retired_at IS 'when the indicator was retired: its values and audit trail stay, new values are refused';

CREATE TABLE public.login_failures (
    id bigint NOT NULL,
    at timestamp with time zone DEFAULT now() NOT NULL,
    user_name text NOT NULL,
    address text NOT NULL,
    cleared boolean DEFAULT false NOT NULL
);

ALTER TABLE public.login_failures ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.login_failures_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.publications (
    id bigint NOT NULL,
    title text NOT NULL,
    publish_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text NOT NULL,
    CONSTRAINT publications_title_check CHECK ((btrim(title) <> ''::text))
);

ALTER TABLE public.publications ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.publications_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.regions (
    code text NOT NULL,
    parent_code text,
    level text NOT NULL,
    name text NOT NULL,
    name_en text,
    path public.ltree NOT NULL,
    synthetic boolean DEFAULT false NOT NULL,
    CONSTRAINT regions_code_check CHECK ((code ~ '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$'::text)),
    CONSTRAINT regions_level_check CHECK ((level = ANY (ARRAY['PROVINCE'::text, 'CITY'::text, 'COUNTY'::text, 'TOWN'::text, 'VILLAGE'::text]))),
    CONSTRAINT regions_name_check CHECK ((btrim(name) <> ''::text))
);

CREATE TABLE public.sessions (
    hash bytea NOT NULL,
    user_id bigint NOT NULL,
    csrf text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT sessions_hash_check CHECK ((length(hash) = 32))
);

CREATE TABLE public.shares (
    id bigint NOT NULL,
    owner_department text NOT NULL,
    grantee_department text NOT NULL,
    indicator_key text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    created_by text NOT NULL,
    region_code text NOT NULL,
    region_path public.ltree NOT NULL,
    CONSTRAINT shares_check CHECK ((owner_department <> grantee_department))
);

ALTER TABLE public.shares ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.shares_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.tokens (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    hash bytea NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone,
    expires_at timestamp with time zone,
    name text,
    CONSTRAINT tokens_expiry_after_creation CHECK (((expires_at IS NULL) OR (expires_at > created_at))),
    CONSTRAINT tokens_hash_check CHECK ((length(hash) = 32)),
    CONSTRAINT tokens_name_check CHECK (((name IS NULL) OR ((length(name) >= 1) AND (length(name) <= 100))))
);

ALTER TABLE public.tokens ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.users (
    id bigint NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    department_code text,
    region_code text NOT NULL,
    password_hash text,
    disabled boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    service boolean DEFAULT false NOT NULL,
    sso_identity text,
    CONSTRAINT users_check CHECK (((role <> 'analyst'::text) OR (department_code IS NOT NULL))),
    CONSTRAINT users_name_check CHECK ((name ~ '^[A-Za-z0-9_.@-]{1,64}$'::text)),
    CONSTRAINT users_role_check CHECK ((role = ANY (ARRAY['analyst'::text, 'coordinator'::text, 'leader'::text, 'media'::text, 'admin'::text]))),
    CONSTRAINT users_service_of_a_department CHECK (((NOT service) OR (department_code IS NOT NULL))),
    CONSTRAINT users_service_without_password CHECK (((NOT service) OR (password_hash IS NULL)))
);

COMMENT ON COLUMN public.users.service IS 'a machine identity of a department: tokens only, never a password';

COMMENT ON COLUMN public.users.sso_identity IS 'issuer and subject of the OpenID Connect identity that signs this user on';

ALTER TABLE public.users ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

ALTER TABLE public.validation_rules ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.validation_rules_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);

CREATE TABLE public.value_rollups (
    indicator_key text NOT NULL,
    department_code text NOT NULL,
    region_code text NOT NULL,
    region_path public.ltree NOT NULL,
    period text NOT NULL,
    value double precision,
    qualifier text NOT NULL,
    status text NOT NULL,
    publish_at timestamp with time zone,
    releasable boolean NOT NULL,
    values_used integer NOT NULL,
    regions_expected integer NOT NULL,
    updated_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT value_rollups_qualifier_check CHECK ((qualifier = ANY (ARRAY['EXACT'::text, 'AT_LEAST'::text, 'APPROX'::text]))),
    CONSTRAINT value_rollups_status_check CHECK ((status = ANY (ARRAY['APPROVED'::text, 'PUBLISHED'::text])))
);

CREATE TABLE public.workflow_edits (
    from_status text NOT NULL,
    role text NOT NULL,
    to_status text NOT NULL,
    rule text NOT NULL
);

CREATE TABLE public.workflow_transitions (
    from_status text NOT NULL,
    to_status text NOT NULL,
    role text NOT NULL,
    rule text NOT NULL
);

ALTER TABLE ONLY public.audit_log
    ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.data_values
    ADD CONSTRAINT data_values_indicator_key_period_region_code_version_key UNIQUE (indicator_key, period, region_code, version);

ALTER TABLE ONLY public.data_values
    ADD CONSTRAINT data_values_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.departments
    ADD CONSTRAINT departments_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.goose_db_version
    ADD CONSTRAINT goose_db_version_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.indicators
    ADD CONSTRAINT indicators_key_department_code_key UNIQUE (key, department_code);

ALTER TABLE ONLY public.indicators
    ADD CONSTRAINT indicators_pkey PRIMARY KEY (key);

ALTER TABLE ONLY public.login_failures
    ADD CONSTRAINT login_failures_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.publications
    ADD CONSTRAINT publications_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.regions
    ADD CONSTRAINT regions_code_path_key UNIQUE (code, path);

ALTER TABLE ONLY public.regions
    ADD CONSTRAINT regions_path_key UNIQUE (path);

ALTER TABLE ONLY public.regions
    ADD CONSTRAINT regions_pkey PRIMARY KEY (code);

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (hash);

ALTER TABLE ONLY public.shares
    ADD CONSTRAINT shares_agreement UNIQUE NULLS NOT DISTINCT (owner_department, grantee_department, indicator_key, region_code);

ALTER TABLE ONLY public.shares
    ADD CONSTRAINT shares_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_hash_key UNIQUE (hash);

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_name_key UNIQUE (name);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_sso_identity_key UNIQUE (sso_identity);

ALTER TABLE ONLY public.validation_rules
    ADD CONSTRAINT validation_rules_name_key UNIQUE (name);

ALTER TABLE ONLY public.validation_rules
    ADD CONSTRAINT validation_rules_pkey PRIMARY KEY (id);

ALTER TABLE ONLY public.value_rollups
    ADD CONSTRAINT value_rollups_pkey PRIMARY KEY (indicator_key, period, region_code);

ALTER TABLE ONLY public.workflow_edits
    ADD CONSTRAINT workflow_edits_pkey PRIMARY KEY (from_status, role);

ALTER TABLE ONLY public.workflow_transitions
    ADD CONSTRAINT workflow_transitions_pkey PRIMARY KEY (from_status, to_status, role);

CREATE INDEX audit_log_at ON public.audit_log USING btree (at);

CREATE INDEX audit_log_region_path ON public.audit_log USING gist (region_path);

CREATE INDEX audit_log_value ON public.audit_log USING btree (value_id);

CREATE UNIQUE INDEX data_values_head ON public.data_values USING btree (indicator_key, period, region_code) WHERE is_head;

CREATE INDEX data_values_period ON public.data_values USING btree (period, indicator_key);

CREATE INDEX data_values_publication ON public.data_values USING btree (publication_id) WHERE (publication_id IS NOT NULL);

CREATE INDEX data_values_region_period ON public.data_values USING btree (region_code, period);

CREATE UNIQUE INDEX data_values_released ON public.data_values USING btree (indicator_key, period, region_code) WHERE is_released;

CREATE INDEX indicators_department ON public.indicators USING btree (department_code);

CREATE INDEX login_failures_address ON public.login_failures USING btree (address, at);

CREATE INDEX login_failures_at ON public.login_failures USING btree (at);

CREATE INDEX login_failures_user ON public.login_failures USING btree (user_name, at) WHERE (NOT cleared);

CREATE INDEX regions_parent ON public.regions USING btree (parent_code);

CREATE INDEX regions_path_gist ON public.regions USING gist (path);

CREATE INDEX sessions_expires ON public.sessions USING btree (expires_at);

CREATE INDEX shares_grantee ON public.shares USING btree (grantee_department);

CREATE INDEX validation_rules_keys ON public.validation_rules USING gin (indicator_keys) WHERE active;

CREATE INDEX value_rollups_region_path ON public.value_rollups USING gist (region_path);

CREATE INDEX value_rollups_region_period ON public.value_rollups USING btree (region_code, period, indicator_key);

CREATE TRIGGER audit_log_append_only BEFORE DELETE OR UPDATE ON public.audit_log FOR EACH ROW EXECUTE FUNCTION public.audit_log_append_only();

CREATE TRIGGER data_values_audit AFTER UPDATE ON public.data_values FOR EACH ROW EXECUTE FUNCTION public.data_values_audit();

CREATE TRIGGER data_values_audit_inserts AFTER INSERT ON public.data_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.data_values_audit_inserts();

CREATE TRIGGER data_values_media_guard BEFORE UPDATE ON public.data_values FOR EACH ROW EXECUTE FUNCTION public.data_values_media_guard();

CREATE TRIGGER data_values_notify_insert AFTER INSERT ON public.data_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.data_values_notify();

CREATE TRIGGER data_values_notify_removed AFTER DELETE OR TRUNCATE ON public.data_values FOR EACH STATEMENT EXECUTE FUNCTION public.data_values_notify_removed();

CREATE TRIGGER data_values_notify_update AFTER UPDATE ON public.data_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.data_values_notify();

CREATE TRIGGER data_values_reason_guard BEFORE UPDATE ON public.data_values FOR EACH ROW EXECUTE FUNCTION public.data_values_reason_guard();

CREATE TRIGGER data_values_retired_insert AFTER INSERT ON public.data_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.data_values_retired_guard();

CREATE TRIGGER data_values_retired_update AFTER UPDATE ON public.data_values REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.data_values_retired_guard();

CREATE TRIGGER data_values_workflow BEFORE UPDATE ON public.data_values FOR EACH ROW EXECUTE FUNCTION public.enforce_workflow();

CREATE TRIGGER data_values_workflow_release BEFORE UPDATE OF status ON public.data_values FOR EACH ROW EXECUTE FUNCTION public.data_values_release();

CREATE TRIGGER departments_audit AFTER INSERT OR UPDATE ON public.departments FOR EACH ROW EXECUTE FUNCTION public.catalogue_audit();

CREATE TRIGGER departments_catalogue_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.departments FOR EACH STATEMENT EXECUTE FUNCTION public.hub_catalogue_changed();

CREATE TRIGGER departments_guard BEFORE INSERT OR UPDATE ON public.departments FOR EACH ROW EXECUTE FUNCTION public.departments_guard();

CREATE TRIGGER indicators_audit AFTER INSERT OR UPDATE ON public.indicators FOR EACH ROW EXECUTE FUNCTION public.catalogue_audit();

CREATE TRIGGER indicators_catalogue_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.indicators FOR EACH STATEMENT EXECUTE FUNCTION public.hub_catalogue_changed();

CREATE TRIGGER indicators_guard BEFORE INSERT OR UPDATE ON public.indicators FOR EACH ROW EXECUTE FUNCTION public.indicators_guard();

CREATE TRIGGER publications_audit AFTER INSERT ON public.publications FOR EACH ROW EXECUTE FUNCTION public.publications_audit();

CREATE TRIGGER publications_catalogue_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.publications FOR EACH STATEMENT EXECUTE FUNCTION public.hub_catalogue_changed();

CREATE TRIGGER regions_auth_changed AFTER DELETE OR UPDATE OF code, path ON public.regions FOR EACH STATEMENT EXECUTE FUNCTION public.hub_auth_changed();

CREATE TRIGGER regions_auth_truncated AFTER TRUNCATE ON public.regions FOR EACH STATEMENT EXECUTE FUNCTION public.hub_auth_changed();

CREATE TRIGGER regions_catalogue_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.regions FOR EACH STATEMENT EXECUTE FUNCTION public.hub_catalogue_changed();

CREATE TRIGGER regions_fill_path BEFORE INSERT OR UPDATE ON public.regions FOR EACH ROW EXECUTE FUNCTION public.regions_fill_path();

CREATE TRIGGER regions_move_children AFTER UPDATE OF path, parent_code ON public.regions FOR EACH ROW WHEN (((old.path)::text IS DISTINCT FROM (new.path)::text)) EXECUTE FUNCTION public.regions_move_children();

CREATE TRIGGER regions_rollups_insert AFTER INSERT ON public.regions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.regions_rollups_after_insert();

CREATE TRIGGER regions_rollups_update AFTER UPDATE ON public.regions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.regions_rollups_after_update();

CREATE TRIGGER shares_audit AFTER INSERT OR DELETE ON public.shares FOR EACH ROW EXECUTE FUNCTION public.shares_audit();

CREATE TRIGGER shares_catalogue_changed AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.shares FOR EACH STATEMENT EXECUTE FUNCTION public.hub_catalogue_changed();

CREATE TRIGGER shares_fill_region BEFORE INSERT ON public.shares FOR EACH ROW EXECUTE FUNCTION public.shares_fill_region();

CREATE TRIGGER tokens_audit AFTER INSERT OR DELETE ON public.tokens FOR EACH ROW EXECUTE FUNCTION public.tokens_audit();

CREATE TRIGGER tokens_audit_revoke AFTER UPDATE OF revoked_at ON public.tokens FOR EACH ROW WHEN ((old.revoked_at IS DISTINCT FROM new.revoked_at)) EXECUTE FUNCTION public.tokens_audit();

CREATE TRIGGER tokens_auth_changed AFTER DELETE OR UPDATE OF hash, user_id, revoked_at, expires_at ON public.tokens FOR EACH STATEMENT EXECUTE FUNCTION public.hub_auth_changed();

CREATE TRIGGER tokens_auth_truncated AFTER TRUNCATE ON public.tokens FOR EACH STATEMENT EXECUTE FUNCTION public.hub_auth_changed();

CREATE TRIGGER users_audit AFTER INSERT OR DELETE OR UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION public.users_audit();

CREATE TRIGGER users_auth_changed AFTER DELETE OR UPDATE OF name, role, department_code, region_code, disabled ON public.users FOR EACH STATEMENT EXECUTE FUNCTION public.hub_auth_changed();

CREATE TRIGGER users_auth_truncated AFTER TRUNCATE ON public.users FOR EACH STATEMENT EXECUTE FUNCTION public.hub_auth_changed();

CREATE TRIGGER users_end_sessions AFTER UPDATE OF disabled ON public.users FOR EACH ROW WHEN ((new.disabled AND (NOT old.disabled))) EXECUTE FUNCTION public.users_end_sessions();

CREATE TRIGGER validation_rules_audit AFTER INSERT OR UPDATE ON public.validation_rules FOR EACH ROW EXECUTE FUNCTION public.validation_rules_audit();

CREATE TRIGGER value_rollups_delete AFTER DELETE ON public.data_values REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION public.value_rollups_after_delete();

CREATE TRIGGER value_rollups_indicator AFTER UPDATE ON public.indicators FOR EACH ROW WHEN ((((old.aggregation IS DISTINCT FROM new.aggregation) OR (old.period_type IS DISTINCT FROM new.period_type)) OR (old.collection_level IS DISTINCT FROM new.collection_level))) EXECUTE FUNCTION public.value_rollups_indicator_changed();

CREATE TRIGGER value_rollups_insert AFTER INSERT ON public.data_values REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.value_rollups_after_insert();

CREATE TRIGGER value_rollups_update AFTER UPDATE ON public.data_values REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION public.value_rollups_after_update();

ALTER TABLE ONLY public.data_values
    ADD CONSTRAINT data_values_indicator_key_department_code_fkey FOREIGN KEY (indicator_key, department_code) REFERENCES public.indicators(key, department_code) ON UPDATE CASCADE;

ALTER TABLE ONLY public.data_values
    ADD CONSTRAINT data_values_publication_id_fkey FOREIGN KEY (publication_id) REFERENCES public.publications(id);

ALTER TABLE ONLY public.data_values
    ADD CONSTRAINT data_values_region_code_region_path_fkey FOREIGN KEY (region_code, region_path) REFERENCES public.regions(code, path) ON UPDATE CASCADE;

ALTER TABLE ONLY public.indicators
    ADD CONSTRAINT indicators_department_code_fkey FOREIGN KEY (department_code) REFERENCES public.departments(code) ON UPDATE CASCADE;

ALTER TABLE ONLY public.regions
    ADD CONSTRAINT regions_parent_code_fkey FOREIGN KEY (parent_code) REFERENCES public.regions(code);

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.shares
    ADD CONSTRAINT shares_grantee_department_fkey FOREIGN KEY (grantee_department) REFERENCES public.departments(code) ON UPDATE CASCADE;

ALTER TABLE ONLY public.shares
    ADD CONSTRAINT shares_indicator_key_owner_department_fkey FOREIGN KEY (indicator_key, owner_department) REFERENCES public.indicators(key, department_code) ON UPDATE CASCADE;

ALTER TABLE ONLY public.shares
    ADD CONSTRAINT shares_owner_department_fkey FOREIGN KEY (owner_department) REFERENCES public.departments(code) ON UPDATE CASCADE;

ALTER TABLE ONLY public.shares
    ADD CONSTRAINT shares_region_code_region_path_fkey FOREIGN KEY (region_code, region_path) REFERENCES public.regions(code, path) ON UPDATE CASCADE;

ALTER TABLE ONLY public.tokens
    ADD CONSTRAINT tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_department_code_fkey FOREIGN KEY (department_code) REFERENCES public.departments(code) ON UPDATE CASCADE;

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_region_code_fkey FOREIGN KEY (region_code) REFERENCES public.regions(code);

ALTER TABLE ONLY public.validation_rules
    ADD CONSTRAINT validation_rules_region_code_fkey FOREIGN KEY (region_code) REFERENCES public.regions(code);

ALTER TABLE ONLY public.value_rollups
    ADD CONSTRAINT value_rollups_indicator_key_department_code_fkey FOREIGN KEY (indicator_key, department_code) REFERENCES public.indicators(key, department_code) ON UPDATE CASCADE ON DELETE CASCADE;

ALTER TABLE ONLY public.value_rollups
    ADD CONSTRAINT value_rollups_region_code_region_path_fkey FOREIGN KEY (region_code, region_path) REFERENCES public.regions(code, path) ON UPDATE CASCADE;

ALTER TABLE public.audit_log ENABLE ROW LEVEL SECURITY;

CREATE POLICY audit_log_insert ON public.audit_log FOR INSERT TO hub_app WITH CHECK (((actor = public.hub_user()) AND (actor_role = public.hub_role()) AND (value_id IS NULL) AND (action = ANY (ARRAY['import'::text, 'login'::text, 'login_failure'::text]))));

ALTER TABLE public.data_values ENABLE ROW LEVEL SECURITY;

CREATE POLICY data_values_insert ON public.data_values FOR INSERT TO hub_app WITH CHECK (((( SELECT public.hub_role() AS hub_role) = 'analyst'::text) AND (department_code = ( SELECT public.hub_department() AS hub_department)) AND (region_path OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope)) AND (status = ANY (ARRAY['DRAFT'::text, 'SUBMITTED'::text]))));

CREATE POLICY data_values_media_not_sensitive ON public.data_values AS RESTRICTIVE FOR SELECT TO hub_app USING (((( SELECT public.hub_role() AS hub_role) <> 'media'::text) OR (NOT (indicator_key IN ( SELECT indicators.key
   FROM public.indicators
  WHERE indicators.sensitive)))));

CREATE POLICY data_values_read ON public.data_values FOR SELECT TO hub_app USING (((is_head OR is_released) AND (( SELECT public.hub_scope_is_everything() AS hub_scope_is_everything) OR (region_path OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope))) AND
CASE ( SELECT public.hub_role() AS hub_role)
    WHEN 'media'::text THEN (is_released AND (status = 'PUBLISHED'::text) AND (publish_at <= now()) AND (releasable OR (indicator_key IN ( SELECT indicators.key
       FROM public.indicators
      WHERE indicators.publicity))))
    ELSE public.hub_status_readable(status, department_code, indicator_key, region_path, ( SELECT public.hub_role() AS hub_role), ( SELECT public.hub_department() AS hub_department), (indicator_key IN ( SELECT public.hub_shared_indicators() AS hub_shared_indicators)), ( SELECT public.hub_shared_scopes() AS hub_shared_scopes))
END));

CREATE POLICY data_values_update ON public.data_values FOR UPDATE TO hub_app USING (((region_path OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope)) AND (((( SELECT public.hub_role() AS hub_role) = 'analyst'::text) AND (department_code = ( SELECT public.hub_department() AS hub_department))) OR (( SELECT public.hub_role() AS hub_role) = 'coordinator'::text)))) WITH CHECK (((region_path OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope)) AND (((( SELECT public.hub_role() AS hub_role) = 'analyst'::text) AND (department_code = ( SELECT public.hub_department() AS hub_department))) OR (( SELECT public.hub_role() AS hub_role) = 'coordinator'::text))));

ALTER TABLE public.departments ENABLE ROW LEVEL SECURITY;

CREATE POLICY departments_insert ON public.departments FOR INSERT TO hub_app WITH CHECK (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND ( SELECT public.hub_scope_is_everything() AS hub_scope_is_everything)));

CREATE POLICY departments_read ON public.departments FOR SELECT TO hub_app USING (true);

CREATE POLICY departments_update ON public.departments FOR UPDATE TO hub_app USING (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND ( SELECT public.hub_scope_is_everything() AS hub_scope_is_everything))) WITH CHECK (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND ( SELECT public.hub_scope_is_everything() AS hub_scope_is_everything)));

ALTER TABLE public.indicators ENABLE ROW LEVEL SECURITY;

CREATE POLICY indicators_insert ON public.indicators FOR INSERT TO hub_app WITH CHECK (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND ( SELECT public.hub_scope_is_everything() AS hub_scope_is_everything)));

CREATE POLICY indicators_read ON public.indicators FOR SELECT TO hub_app USING (true);

CREATE POLICY indicators_update ON public.indicators FOR UPDATE TO hub_app USING (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND ( SELECT public.hub_scope_is_everything() AS hub_scope_is_everything))) WITH CHECK (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND ( SELECT public.hub_scope_is_everything() AS hub_scope_is_everything)));

ALTER TABLE public.publications ENABLE ROW LEVEL SECURITY;

CREATE POLICY publications_read ON public.publications FOR SELECT TO hub_app USING ((( SELECT public.hub_role() AS hub_role) <> ''::text));

CREATE POLICY publications_write ON public.publications FOR INSERT TO hub_app WITH CHECK (((( SELECT public.hub_role() AS hub_role) = 'coordinator'::text) AND (created_by = ( SELECT public.hub_user() AS hub_user))));

ALTER TABLE public.shares ENABLE ROW LEVEL SECURITY;

CREATE POLICY shares_delete ON public.shares FOR DELETE TO hub_app USING (((( SELECT public.hub_role() AS hub_role) = ANY (ARRAY['coordinator'::text, 'admin'::text])) AND (region_path OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope))));

CREATE POLICY shares_insert ON public.shares FOR INSERT TO hub_app WITH CHECK (((( SELECT public.hub_role() AS hub_role) = ANY (ARRAY['coordinator'::text, 'admin'::text])) AND (region_path OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope)) AND (created_by = ( SELECT public.hub_user() AS hub_user))));

CREATE POLICY shares_read ON public.shares FOR SELECT TO hub_app USING (true);

ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;

CREATE POLICY users_insert ON public.users FOR INSERT TO hub_app WITH CHECK (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND (public.hub_region_path(region_code) OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope)) AND (password_hash IS NULL) AND (NOT disabled)));

CREATE POLICY users_read ON public.users FOR SELECT TO hub_app USING (true);

CREATE POLICY users_update ON public.users FOR UPDATE TO hub_app USING (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND (public.hub_region_path(region_code) OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope)))) WITH CHECK (((( SELECT public.hub_role() AS hub_role) = 'admin'::text) AND (public.hub_region_path(region_code) OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope))));

ALTER TABLE public.validation_rules ENABLE ROW LEVEL SECURITY;

CREATE POLICY validation_rules_insert ON public.validation_rules FOR INSERT TO hub_app WITH CHECK (((( SELECT public.hub_role() AS hub_role) = ANY (ARRAY['admin'::text, 'coordinator'::text])) AND public.hub_rule_in_scope(region_code) AND (created_by = ( SELECT public.hub_user() AS hub_user)) AND (updated_by = ( SELECT public.hub_user() AS hub_user))));

CREATE POLICY validation_rules_read ON public.validation_rules FOR SELECT TO hub_app USING (((( SELECT public.hub_role() AS hub_role) = ANY (ARRAY['admin'::text, 'coordinator'::text])) AND public.hub_rule_visible(region_code)));

CREATE POLICY validation_rules_update ON public.validation_rules FOR UPDATE TO hub_app USING (((( SELECT public.hub_role() AS hub_role) = ANY (ARRAY['admin'::text, 'coordinator'::text])) AND public.hub_rule_in_scope(region_code))) WITH CHECK (((( SELECT public.hub_role() AS hub_role) = ANY (ARRAY['admin'::text, 'coordinator'::text])) AND public.hub_rule_in_scope(region_code) AND (updated_by = ( SELECT public.hub_user() AS hub_user))));

ALTER TABLE public.value_rollups ENABLE ROW LEVEL SECURITY;

CREATE POLICY value_rollups_media_not_sensitive ON public.value_rollups AS RESTRICTIVE FOR SELECT TO hub_app USING (((( SELECT public.hub_role() AS hub_role) <> 'media'::text) OR (NOT (indicator_key IN ( SELECT indicators.key
   FROM public.indicators
  WHERE indicators.sensitive)))));

CREATE POLICY value_rollups_read ON public.value_rollups FOR SELECT TO hub_app USING (((( SELECT public.hub_scope_is_everything() AS hub_scope_is_everything) OR (region_path OPERATOR(public.<@) ( SELECT public.hub_scope() AS hub_scope))) AND
CASE ( SELECT public.hub_role() AS hub_role)
    WHEN 'media'::text THEN ((status = 'PUBLISHED'::text) AND (publish_at <= now()) AND (NOT (indicator_key IN ( SELECT indicators.key
       FROM public.indicators
      WHERE indicators.sensitive))) AND (releasable OR (indicator_key IN ( SELECT indicators.key
       FROM public.indicators
      WHERE indicators.publicity))))
    ELSE public.hub_status_readable(status, department_code, indicator_key, region_path, ( SELECT public.hub_role() AS hub_role), ( SELECT public.hub_department() AS hub_department), (indicator_key IN ( SELECT public.hub_shared_indicators() AS hub_shared_indicators)), ( SELECT public.hub_shared_scopes() AS hub_shared_scopes))
END));

GRANT USAGE ON SCHEMA public TO hub_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.validation_rules TO hub_app;

REVOKE ALL ON FUNCTION public.active_validation_rules(keys text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION public.active_validation_rules(keys text[]) TO hub_app;

REVOKE ALL ON FUNCTION public.catalogue_audit() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.data_values_audit_inserts() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.data_values_release() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.data_values_retired_guard() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.departments_guard() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.hub_audit_append(act text, dept text, ind text, code text, what text) FROM PUBLIC;

REVOKE ALL ON FUNCTION public.hub_check_password(user_name text, password text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_check_password(user_name text, password text) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_login_attempt(user_name text, password text, address text, max_failures integer, fail_window interval, base interval, OUT user_id bigint, OUT retry_after double precision) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_login_attempt(user_name text, password text, address text, max_failures integer, fail_window interval, base interval, OUT user_id bigint, OUT retry_after double precision) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_login_wait(failures bigint, last_at timestamp with time zone, max_failures integer, fail_window interval, base interval) FROM PUBLIC;

REVOKE ALL ON FUNCTION public.hub_peer_quartiles(p_region text, p_period text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_peer_quartiles(p_region text, p_period text) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_published_table(p_period text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_published_table(p_period text) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_record_login_failure(user_name text, address text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_record_login_failure(user_name text, address text) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_sso_login(identity text, user_name text, user_role text, dept text, region text, session_hash bytea, session_csrf text, ttl interval, address text, OUT user_id bigint, OUT refusal text) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_sso_login(identity text, user_name text, user_role text, dept text, region text, session_hash bytea, session_csrf text, ttl interval, address text, OUT user_id bigint, OUT refusal text) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_token_create(token_name text, token_hash bytea, lifetime interval) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_token_create(token_name text, token_hash bytea, lifetime interval) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_token_revoke(token_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_token_revoke(token_id bigint) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_user_has_password(uid bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION public.hub_user_has_password(uid bigint) TO hub_app;

REVOKE ALL ON FUNCTION public.hub_value_facts(p_indicator text, p_region text, p_period text) FROM PUBLIC;

REVOKE ALL ON FUNCTION public.indicators_guard() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.publications_audit() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.regions_rollups_after_insert() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.regions_rollups_after_update() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.shares_audit() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.shares_fill_region() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.tokens_audit() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.unrelease_previous(ind text, per text, reg text) FROM PUBLIC;

REVOKE ALL ON FUNCTION public.users_audit() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.users_end_sessions() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.value_rollups_after_delete() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.value_rollups_after_insert() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.value_rollups_after_update() FROM PUBLIC;

REVOKE ALL ON FUNCTION public.value_rollups_apply(inds text[], pers text[], paths public.ltree[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION public.value_rollups_rebuild(inds text[]) FROM PUBLIC;

REVOKE ALL ON FUNCTION public.value_rollups_refresh(inds text[], pers text[], paths public.ltree[]) FROM PUBLIC;

GRANT INSERT ON TABLE public.audit_log TO hub_app;

GRANT SELECT ON TABLE public.audit_entries TO hub_app;

GRANT USAGE ON SEQUENCE public.audit_log_id_seq TO hub_app;

GRANT SELECT,INSERT,UPDATE ON TABLE public.data_values TO hub_app;

GRANT USAGE ON SEQUENCE public.data_values_id_seq TO hub_app;

GRANT SELECT,INSERT ON TABLE public.departments TO hub_app;

GRANT UPDATE(name) ON TABLE public.departments TO hub_app;

GRANT UPDATE(name_en) ON TABLE public.departments TO hub_app;

GRANT UPDATE(retired_at) ON TABLE public.departments TO hub_app;

GRANT SELECT ON TABLE public.goose_db_version TO hub_app;

GRANT USAGE ON SEQUENCE public.goose_db_version_id_seq TO hub_app;

GRANT SELECT,INSERT ON TABLE public.indicators TO hub_app;

GRANT UPDATE(name) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(name_en) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(protection) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(unit) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(department_code) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(value_type) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(aggregation) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(period_type) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(collection_level) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(publicity) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(sensitive) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(formula) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(description) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(lower_is_better) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(retired_at) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(rag_amber) ON TABLE public.indicators TO hub_app;

GRANT UPDATE(rag_green) ON TABLE public.indicators TO hub_app;

GRANT SELECT,INSERT ON TABLE public.publications TO hub_app;

GRANT USAGE ON SEQUENCE public.publications_id_seq TO hub_app;

GRANT SELECT ON TABLE public.regions TO hub_app;

GRANT SELECT,INSERT,DELETE ON TABLE public.sessions TO hub_app;

GRANT SELECT,INSERT,DELETE ON TABLE public.shares TO hub_app;

GRANT USAGE ON SEQUENCE public.shares_id_seq TO hub_app;

GRANT SELECT(id) ON TABLE public.tokens TO hub_app;

GRANT SELECT(user_id) ON TABLE public.tokens TO hub_app;

GRANT SELECT(hash) ON TABLE public.tokens TO hub_app;

GRANT SELECT(created_at) ON TABLE public.tokens TO hub_app;

GRANT SELECT(last_used_at),UPDATE(last_used_at) ON TABLE public.tokens TO hub_app;

GRANT SELECT(revoked_at) ON TABLE public.tokens TO hub_app;

GRANT SELECT(expires_at) ON TABLE public.tokens TO hub_app;

GRANT SELECT(name) ON TABLE public.tokens TO hub_app;

GRANT USAGE ON SEQUENCE public.tokens_id_seq TO hub_app;

GRANT SELECT(id) ON TABLE public.users TO hub_app;

GRANT SELECT(name),INSERT(name) ON TABLE public.users TO hub_app;

GRANT SELECT(role),INSERT(role),UPDATE(role) ON TABLE public.users TO hub_app;

GRANT SELECT(department_code),INSERT(department_code),UPDATE(department_code) ON TABLE public.users TO hub_app;

GRANT SELECT(region_code),INSERT(region_code),UPDATE(region_code) ON TABLE public.users TO hub_app;

GRANT SELECT(disabled),UPDATE(disabled) ON TABLE public.users TO hub_app;

GRANT SELECT(created_at) ON TABLE public.users TO hub_app;

GRANT SELECT(service),INSERT(service) ON TABLE public.users TO hub_app;

GRANT USAGE ON SEQUENCE public.users_id_seq TO hub_app;

GRANT SELECT ON TABLE public.value_rollups TO hub_app;

GRANT SELECT ON TABLE public.workflow_edits TO hub_app;

GRANT SELECT ON TABLE public.workflow_transitions TO hub_app;