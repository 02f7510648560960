-- The hub's tables. Everything a row must satisfy is stated here, so that no
-- code path (API, import, demo loader, psql) can store a bad row.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS ltree;

-- hub_app is the role the server runs every request as. It has no BYPASSRLS
-- and owns nothing, so the row-level security policies always apply to it.
-- Roles are cluster-wide and several databases (tests) migrate at once, so a
-- concurrent creation is not an error.
-- +goose StatementBegin
DO $$
BEGIN
  CREATE ROLE hub_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END
$$;
-- +goose StatementEnd

CREATE TABLE regions (
  code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$'),
  parent_code text REFERENCES regions (code),
  level       text NOT NULL CHECK (level IN ('PROVINCE', 'CITY', 'COUNTY', 'TOWN', 'VILLAGE')),
  name        text NOT NULL CHECK (btrim(name) <> ''),
  name_en     text,
  -- path is the chain of codes from the root, maintained by regions_fill_path.
  path        ltree NOT NULL UNIQUE,
  synthetic   boolean NOT NULL DEFAULT false,
  UNIQUE (code, path)
);
CREATE INDEX regions_path_gist ON regions USING gist (path);
CREATE INDEX regions_parent ON regions (parent_code);

-- regions_fill_path derives path from the parent and checks that a child is
-- exactly one level below its parent, so the tree cannot be inconsistent.
-- +goose StatementBegin
CREATE FUNCTION regions_fill_path() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent regions%ROWTYPE;
  levels text[] := ARRAY['PROVINCE', 'CITY', 'COUNTY', 'TOWN', 'VILLAGE'];
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.parent_code IS DISTINCT FROM OLD.parent_code OR NEW.code <> OLD.code) THEN
    RAISE EXCEPTION 'region % cannot move or change its code', OLD.code USING ERRCODE = 'check_violation';
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
  NEW.path := parent.path || text2ltree(NEW.code);
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER regions_fill_path BEFORE INSERT OR UPDATE ON regions
  FOR EACH ROW EXECUTE FUNCTION regions_fill_path();

CREATE TABLE departments (
  code    text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  name    text NOT NULL CHECK (btrim(name) <> ''),
  name_en text
);

CREATE TABLE indicators (
  key              text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]*$'),
  name             text NOT NULL CHECK (btrim(name) <> ''),
  name_en          text,
  protection       text NOT NULL CHECK (protection IN ('FAMILY', 'SCHOOL', 'SOCIETY', 'ONLINE', 'GOVERNMENT', 'JUDICIAL', 'BASE')),
  unit             text NOT NULL,
  department_code  text NOT NULL REFERENCES departments (code) ON UPDATE CASCADE,
  value_type       text NOT NULL CHECK (value_type IN ('COUNT', 'AMOUNT', 'PERCENT', 'RATE')),
  aggregation      text NOT NULL CHECK (aggregation IN ('SUM', 'AVERAGE', 'LAST', 'NONE')),
  period_type      text NOT NULL DEFAULT 'YEAR' CHECK (period_type IN ('YEAR', 'QUARTER', 'MONTH')),
  collection_level text NOT NULL DEFAULT 'COUNTY' CHECK (collection_level IN ('COUNTY', 'TOWN')),
  publicity        boolean NOT NULL DEFAULT false,
  sensitive        boolean NOT NULL DEFAULT false,
  formula          text CHECK (formula IS NULL OR btrim(formula) <> ''),
  description      text,
  -- the composite key lets data_values carry its owning department, which the
  -- access policies read, without it ever disagreeing with the catalogue.
  UNIQUE (key, department_code)
);
CREATE INDEX indicators_department ON indicators (department_code);

-- data_values holds one row per version of a value. For every (indicator,
-- period, region) at most one row is the head (the working copy its department
-- edits) and at most one is released (the last APPROVED or PUBLISHED version,
-- which others read). A correction of an approved value is a new head in
-- DRAFT while the old version stays released, so leaders never see a hole.
-- Rows that are neither head nor released are history.
CREATE TABLE data_values (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  indicator_key   text NOT NULL,
  department_code text NOT NULL,
  region_code     text NOT NULL,
  region_path     ltree NOT NULL,
  period          text NOT NULL CHECK (period ~ '^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$'),
  -- NULL means "not reported", which is not 0.
  value           double precision CHECK (value IS NULL OR (value > '-Infinity' AND value < 'Infinity')),
  qualifier       text NOT NULL DEFAULT 'EXACT' CHECK (qualifier IN ('EXACT', 'AT_LEAST', 'APPROX')),
  comment         text,
  status          text NOT NULL DEFAULT 'DRAFT' CHECK (status IN ('DRAFT', 'SUBMITTED', 'APPROVED', 'PUBLISHED', 'RETURNED')),
  status_reason   text,
  version         integer NOT NULL DEFAULT 1 CHECK (version > 0),
  is_head         boolean NOT NULL DEFAULT true,
  is_released     boolean NOT NULL DEFAULT false,
  -- source tells real figures (seed, api, import) from generated ones (synthetic).
  source          text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'import', 'seed', 'synthetic')),
  publish_at      timestamptz,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  updated_by      text,
  FOREIGN KEY (indicator_key, department_code) REFERENCES indicators (key, department_code) ON UPDATE CASCADE,
  FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path),
  UNIQUE (indicator_key, period, region_code, version),
  CHECK (NOT is_released OR status IN ('APPROVED', 'PUBLISHED')),
  CHECK (NOT is_head OR is_released = (status IN ('APPROVED', 'PUBLISHED'))),
  CHECK (status <> 'RETURNED' OR btrim(coalesce(status_reason, '')) <> ''),
  CHECK (status <> 'PUBLISHED' OR publish_at IS NOT NULL)
);
CREATE UNIQUE INDEX data_values_head ON data_values (indicator_key, period, region_code) WHERE is_head;
CREATE UNIQUE INDEX data_values_released ON data_values (indicator_key, period, region_code) WHERE is_released;
CREATE INDEX data_values_region_period ON data_values (region_code, period);
CREATE INDEX data_values_period ON data_values (period, indicator_key);

-- audit_log is append-only for everybody: rows are written by the
-- data_values trigger (every path is audited) and by the services for
-- events that are not value rows (imports, sharing, rules).
CREATE TABLE audit_log (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at              timestamptz NOT NULL DEFAULT now(),
  actor           text NOT NULL,
  actor_role      text NOT NULL,
  channel         text NOT NULL,
  action          text NOT NULL CHECK (action IN ('create', 'update', 'transition', 'import', 'share', 'unshare', 'rule')),
  value_id        bigint,
  indicator_key   text,
  department_code text,
  region_code     text,
  region_path     ltree,
  period          text,
  old_value       double precision,
  new_value       double precision,
  old_qualifier   text,
  new_qualifier   text,
  old_status      text,
  new_status      text,
  detail          text
);
CREATE INDEX audit_log_value ON audit_log (value_id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_region_path ON audit_log USING gist (region_path);

-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE users (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name            text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.@-]{1,64}$'),
  role            text NOT NULL CHECK (role IN ('analyst', 'coordinator', 'leader', 'media', 'admin')),
  department_code text REFERENCES departments (code) ON UPDATE CASCADE,
  region_code     text NOT NULL REFERENCES regions (code),
  password_hash   text,
  disabled        boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (role <> 'analyst' OR department_code IS NOT NULL)
);

-- tokens keep only a SHA-256 of the bearer token; the token itself is shown once.
CREATE TABLE tokens (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  hash         bytea NOT NULL UNIQUE CHECK (length(hash) = 32),
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- shares: owner_department lets grantee_department read the APPROVED and
-- PUBLISHED values of one indicator, or of all its indicators (NULL).
CREATE TABLE shares (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_department   text NOT NULL REFERENCES departments (code) ON UPDATE CASCADE,
  grantee_department text NOT NULL REFERENCES departments (code) ON UPDATE CASCADE,
  indicator_key      text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  created_by         text NOT NULL,
  FOREIGN KEY (indicator_key, owner_department) REFERENCES indicators (key, department_code) ON UPDATE CASCADE,
  CHECK (owner_department <> grantee_department),
  UNIQUE NULLS NOT DISTINCT (owner_department, grantee_department, indicator_key)
);

-- +goose Down
DROP TABLE shares, tokens, users, audit_log, data_values, indicators, departments, regions;
DROP FUNCTION audit_log_append_only(), regions_fill_path();
