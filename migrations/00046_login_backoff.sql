-- Password guessing at /login backs off per user name and per client
-- address, and every attempt is audited (issue 13).
--
-- The counters live here, not in each server's memory: behind a load
-- balancer every replica sees the same failures, so adding replicas does not
-- multiply an attacker's guesses, and a restart does not forget them. The
-- cost is one small indexed table touched by the statement that checks the
-- password anyway (a bcrypt costs far more than the counting).
--
-- hub_app cannot read or write login_failures, nor write audit rows in
-- another actor's name: everything goes through hub_login_attempt, which runs
-- as the owner, checks the back-off before the password, records a failure
-- (with the attempted name and address, never the password) or clears the
-- user's failures on success, and writes the audit row.

-- +goose Up
CREATE TABLE login_failures (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  user_name text NOT NULL,
  address   text NOT NULL,
  -- cleared: a later successful login of user_name ended this failure's
  -- count for the user; it still counts for the address, or an attacker
  -- with an account of their own could reset their address by logging in.
  cleared   boolean NOT NULL DEFAULT false
);
CREATE INDEX login_failures_user ON login_failures (user_name, at) WHERE NOT cleared;
CREATE INDEX login_failures_address ON login_failures (address, at);
CREATE INDEX login_failures_at ON login_failures (at);
REVOKE ALL ON login_failures FROM PUBLIC;

-- hub_login_wait is how long failures (the last at last_at) make the
-- next attempt wait: nothing below max_failures, then base doubling with
-- each further failure, at most fail_window.
-- +goose StatementBegin
CREATE FUNCTION hub_login_wait(failures bigint, last_at timestamptz, max_failures int, fail_window interval, base interval)
RETURNS double precision LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN failures < greatest(max_failures, 1) OR last_at IS NULL THEN 0
    ELSE greatest(0, extract(epoch FROM last_at
      + least(base * power(2, least(failures - greatest(max_failures, 1), 30)), fail_window) - now()))::double precision
  END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_login_wait(bigint, timestamptz, int, interval, interval) FROM PUBLIC;

-- hub_record_login_failure records a failed attempt at user_name from
-- address: a failure row and an audit row (action login_failure). The name
-- is kept as typed (at most 64 characters), the password never reaches it.
-- +goose StatementBegin
CREATE FUNCTION hub_record_login_failure(user_name text, address text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
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
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_record_login_failure(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_record_login_failure(text, text) TO hub_app;

-- hub_login_attempt checks a login of user_name from address. While the
-- name or the address is backed off it answers (NULL, seconds to wait)
-- without looking at the password. Otherwise it checks the password
-- (hub_check_password: one bcrypt, also for unknown names) and answers
-- (user id, 0) on success, clearing the user's failures and auditing
-- action login, or (NULL, 0) on failure, recorded by
-- hub_record_login_failure. Attempts on one name, and from one address,
-- are serialised by advisory locks for the transaction, so parallel
-- guesses cannot all pass the check before any failure is counted; an
-- attempt that waits for the lock longer than 2 s gives up (lock_timeout,
-- 55P03), so a flood of parallel attempts cannot hold the pool's
-- connections.
-- Failures older than fail_window are deleted on the way.
-- +goose StatementBegin
CREATE FUNCTION hub_login_attempt(user_name text, password text, address text,
                                  max_failures int, fail_window interval, base interval,
                                  OUT user_id bigint, OUT retry_after double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp SET lock_timeout = '2s' AS $$
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
-- +goose StatementEnd
REVOKE ALL ON FUNCTION hub_login_attempt(text, text, text, int, interval, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION hub_login_attempt(text, text, text, int, interval, interval) TO hub_app;

-- +goose Down
DROP FUNCTION hub_login_attempt(text, text, text, int, interval, interval);
DROP FUNCTION hub_record_login_failure(text, text);
DROP FUNCTION hub_login_wait(bigint, timestamptz, int, interval, interval);
DROP TABLE login_failures;
