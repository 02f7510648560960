-- Migrations 00050 (the region tree: action 'region') and 00051 (the
-- catalogue: action 'catalogue') each redefined audit_log's list of actions
-- without the other's; this states the whole list once.

-- +goose Up
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'transition', 'import', 'share', 'unshare', 'rule',
  'releasable', 'publish', 'user', 'token', 'login', 'login_failure', 'region', 'catalogue'));

-- +goose Down
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'transition', 'import', 'share', 'unshare', 'rule',
  'releasable', 'publish', 'user', 'token', 'login', 'login_failure', 'catalogue'));
