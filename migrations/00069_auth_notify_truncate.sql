-- Token cache invalidation (00067) on TRUNCATE too: TRUNCATE tokens is
-- the quickest way for an operator to revoke every token at once, and
-- fires no DELETE trigger, so hub_auth was not notified and every hub
-- process kept accepting its cached tokens for the token cache's TTL.
-- Users and regions are truncated only with what references them, but
-- the same holds for them.

-- +goose Up
CREATE TRIGGER tokens_auth_truncated AFTER TRUNCATE ON tokens
  FOR EACH STATEMENT EXECUTE FUNCTION hub_auth_changed();
CREATE TRIGGER users_auth_truncated AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION hub_auth_changed();
CREATE TRIGGER regions_auth_truncated AFTER TRUNCATE ON regions
  FOR EACH STATEMENT EXECUTE FUNCTION hub_auth_changed();

-- +goose Down
DROP TRIGGER regions_auth_truncated ON regions;
DROP TRIGGER users_auth_truncated ON users;
DROP TRIGGER tokens_auth_truncated ON tokens;
