-- Accounts (issue 16): Authenticate records tokens.last_used_at at most
-- once a minute per token, in its own statement's round trip. Its UPDATE
-- ... WHERE last_used_at < now() - interval reads the column, so hub_app
-- needs SELECT on it (it had UPDATE only since 00002).

-- +goose Up
GRANT SELECT (last_used_at) ON tokens TO hub_app;

-- +goose Down
REVOKE SELECT (last_used_at) ON tokens FROM hub_app;
