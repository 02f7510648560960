-- Found by the red-team review after issue 13.
--
-- 1. A return reason changes only with a step of the workflow. A
--    "transition" to the status a value already had used to rewrite
--    status_reason (and the author) with no role check and no audit row: an
--    analyst replaced the coordinator's reason on its department's RETURNED
--    values. The service now writes nothing for such a request; this
--    trigger makes the database refuse it on every path.
-- 2. hub_value_facts read a value's status past the row policies for
--    explainAccess, which told a coordinator that a DRAFT exists ("not yet
--    submitted") and a nothing-entered cell apart. explainAccess now reads
--    the facts under the policies; hub_app no longer runs the function.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION data_values_reason_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user = 'hub_app' AND NEW.status IS NOT DISTINCT FROM OLD.status
     AND NEW.status_reason IS DISTINCT FROM OLD.status_reason THEN
    RAISE EXCEPTION '退回原因只随状态变更而改变 / a return reason changes only with a step of the workflow (the value is % and stays %)',
      OLD.status, OLD.status USING ERRCODE = 'WF002';
  END IF;
  RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER data_values_reason_guard BEFORE UPDATE ON data_values
  FOR EACH ROW EXECUTE FUNCTION data_values_reason_guard();

REVOKE ALL ON FUNCTION hub_value_facts(text, text, text) FROM hub_app;

-- +goose Down
GRANT EXECUTE ON FUNCTION hub_value_facts(text, text, text) TO hub_app;
DROP TRIGGER data_values_reason_guard ON data_values;
DROP FUNCTION data_values_reason_guard();
