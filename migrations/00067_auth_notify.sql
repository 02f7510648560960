-- Token cache invalidation (issue 20): hub serve keeps the principal of a
-- bearer token for a few seconds (AuthService.CacheTokens) so that most
-- requests skip the token lookup. Anything that changes who a token
-- stands for, or whether it still works, notifies channel hub_auth when
-- its transaction commits, and every hub process listening clears its
-- cache then: a revoked token, a disabled user, a changed role,
-- department or region scope, a moved region. last_used_at (written once
-- a minute by Authenticate itself) notifies nobody.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION hub_auth_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  PERFORM pg_notify('hub_auth', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER tokens_auth_changed
  AFTER UPDATE OF hash, user_id, revoked_at, expires_at OR DELETE ON tokens
  FOR EACH STATEMENT EXECUTE FUNCTION hub_auth_changed();
CREATE TRIGGER users_auth_changed
  AFTER UPDATE OF name, role, department_code, region_code, disabled OR DELETE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION hub_auth_changed();
CREATE TRIGGER regions_auth_changed
  AFTER UPDATE OF code, path OR DELETE ON regions
  FOR EACH STATEMENT EXECUTE FUNCTION hub_auth_changed();

-- +goose Down
DROP TRIGGER regions_auth_changed ON regions;
DROP TRIGGER users_auth_changed ON users;
DROP TRIGGER tokens_auth_changed ON tokens;
DROP FUNCTION hub_auth_changed();
