-- Browser login for the dashboard: passwords checked inside PostgreSQL so
-- that hub_app never reads a password hash, and sessions kept by the hash of
-- their random id.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS pgcrypto;

-- hub_check_password returns the id of the enabled user user_name if
-- password is theirs, else NULL. The hashes are bcrypt ($2a$, written by
-- golang.org/x/crypto/bcrypt); pgcrypto's crypt() checks them. It runs as the
-- owner because hub_app has no SELECT on users.password_hash. An unknown
-- user costs one bcrypt as well, so timing does not reveal user names.
-- +goose StatementBegin
CREATE FUNCTION hub_check_password(user_name text, password text) RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_check_password(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_check_password(text, text) TO hub_app;

-- sessions of logged-in browsers; only a SHA-256 of the cookie's id is kept.
CREATE TABLE sessions (
  hash       bytea PRIMARY KEY CHECK (length(hash) = 32),
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
GRANT SELECT, INSERT, DELETE ON sessions TO hub_app;

-- +goose Down
DROP TABLE sessions;
DROP FUNCTION hub_check_password(text, text);
