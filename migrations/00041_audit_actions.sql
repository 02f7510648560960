-- Every change that matters is audited (issue 13): besides values, rules,
-- imports and shares, the trail records releasability, publications and
-- their embargo, accounts and tokens, and login attempts. This widens the
-- list of actions once, for the migrations that follow.

-- +goose Up
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'transition', 'import', 'share', 'unshare', 'rule',
  'releasable', 'publish', 'user', 'token', 'login', 'login_failure'));

-- +goose Down
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'transition', 'import', 'share', 'unshare', 'rule'));
