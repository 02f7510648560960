-- Accounts (issue 16): single sign-on with OpenID Connect. A user who
-- signs on is found by the provider's identity (issuer and subject), never
-- by name alone, so that a provider's user named like a local account does
-- not take it over. The hub (internal/sso) has checked the ID token and
-- mapped its claims to a role, department and region; hub_sso_login
-- creates the user on first sign-on, keeps role, department and region as
-- the mapping says on later ones, refuses a disabled user or a name taken
-- by another account, starts the session and audits the login or the
-- refusal, in one statement.

-- +goose Up
ALTER TABLE users ADD COLUMN sso_identity text CONSTRAINT users_sso_identity_key UNIQUE;
COMMENT ON COLUMN users.sso_identity IS 'issuer and subject of the OpenID Connect identity that signs this user on';

-- +goose StatementBegin
CREATE FUNCTION hub_sso_login(identity text, user_name text, user_role text, dept text, region text,
                              session_hash bytea, session_csrf text, ttl interval, address text, OUT user_id bigint, OUT refusal text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_sso_login(text, text, text, text, text, bytea, text, interval, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_sso_login(text, text, text, text, text, bytea, text, interval, text) TO hub_app;

-- +goose Down
DROP FUNCTION hub_sso_login(text, text, text, text, text, bytea, text, interval, text);
ALTER TABLE users DROP COLUMN sso_identity;
