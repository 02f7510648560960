-- Accounts (issue 16): user administration over GraphQL and self-service
-- API tokens, both as hub_app under the request's principal.
--
-- users: admins create and change users of their own subtree. Reads stay
-- open to hub_app (the authentication of tokens and sessions reads users
-- before any principal is set; the hash is never granted). Writes need an
-- admin whose scope holds the user's region before and after the change;
-- hub_app may never write a password (passwords are set with the CLI).
-- users_audit (00040) records every change with the admin as actor.
--
-- tokens: a signed-in user creates and revokes their own tokens through
-- two functions that act for hub_user() only; every self-service token is
-- named and expires. tokens_audit records both.

-- +goose Up
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_read ON users FOR SELECT TO hub_app USING (true);
CREATE POLICY users_insert ON users FOR INSERT TO hub_app
  WITH CHECK ((SELECT hub_role()) = 'admin' AND hub_region_path(region_code) OPERATOR(public.<@) (SELECT hub_scope())
              AND password_hash IS NULL AND NOT disabled);
CREATE POLICY users_update ON users FOR UPDATE TO hub_app
  USING ((SELECT hub_role()) = 'admin' AND hub_region_path(region_code) OPERATOR(public.<@) (SELECT hub_scope()))
  WITH CHECK ((SELECT hub_role()) = 'admin' AND hub_region_path(region_code) OPERATOR(public.<@) (SELECT hub_scope()));
GRANT INSERT (name, role, department_code, region_code, service) ON users TO hub_app;
GRANT UPDATE (role, department_code, region_code, disabled) ON users TO hub_app;

-- Whether a user has a password, for admins (hub_app holds no SELECT on
-- the hash).
-- +goose StatementBegin
CREATE FUNCTION hub_user_has_password(uid bigint) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT password_hash IS NOT NULL FROM users WHERE id = uid AND hub_role() = 'admin'
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_user_has_password(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_user_has_password(bigint) TO hub_app;

-- Disabling a user ends their sessions, whichever path disables them.
-- +goose StatementBegin
CREATE FUNCTION users_end_sessions() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM sessions WHERE user_id = NEW.id;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION users_end_sessions() FROM PUBLIC;
CREATE TRIGGER users_end_sessions AFTER UPDATE OF disabled ON users
  FOR EACH ROW WHEN (NEW.disabled AND NOT OLD.disabled) EXECUTE FUNCTION users_end_sessions();

ALTER TABLE tokens ADD COLUMN name text CONSTRAINT tokens_name_check CHECK (name IS NULL OR length(name) BETWEEN 1 AND 100);
GRANT SELECT (name) ON tokens TO hub_app;

-- +goose StatementBegin
CREATE FUNCTION hub_token_create(token_name text, token_hash bytea, lifetime interval)
RETURNS TABLE (id bigint, created_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_token_create(text, bytea, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_token_create(text, bytea, interval) TO hub_app;

-- +goose StatementBegin
CREATE FUNCTION hub_token_revoke(token_id bigint) RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH r AS (
    UPDATE tokens SET revoked_at = coalesce(revoked_at, now())
    WHERE id = token_id AND user_id = (SELECT u.id FROM users u WHERE u.name = hub_user() AND hub_user() <> '')
    RETURNING 1
  ) SELECT EXISTS (SELECT 1 FROM r)
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_token_revoke(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_token_revoke(bigint) TO hub_app;

-- +goose Down
DROP FUNCTION hub_token_revoke(bigint);
DROP FUNCTION hub_token_create(text, bytea, interval);
REVOKE SELECT (name) ON tokens FROM hub_app;
ALTER TABLE tokens DROP COLUMN name;
DROP TRIGGER users_end_sessions ON users;
DROP FUNCTION hub_user_has_password(bigint);
DROP FUNCTION users_end_sessions();
REVOKE UPDATE (role, department_code, region_code, disabled) ON users FROM hub_app;
REVOKE INSERT (name, role, department_code, region_code, service) ON users FROM hub_app;
DROP POLICY users_update ON users;
DROP POLICY users_insert ON users;
DROP POLICY users_read ON users;
ALTER TABLE users DISABLE ROW LEVEL SECURITY;
