-- Inserted values are audited once per statement instead of once per row
-- (issue 15: `hub demo --load-only` spent most of its time in the per-row
-- audit trigger for its 19,602 synthetic values; imports and submitValues
-- insert in batches too). The rows written are the same as the per-row
-- trigger's (data_values_audit, migration 00047, whose INSERT branch this
-- repeats): one per inserted value, in the order of the values' ids,
-- action 'create', or 'update' for a new version with the previous
-- version's value, qualifier and status as old_*; actor, role, channel and
-- file from the transaction's settings. Updates (transitions, edits,
-- publication, releasability) stay audited row by row.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION data_values_audit_inserts() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO audit_log (actor, actor_role, channel, file_name, action, value_id, indicator_key, department_code,
                         region_code, region_path, period, old_value, new_value, old_qualifier,
                         new_qualifier, old_status, new_status, detail)
  SELECT coalesce(nullif(hub_user(), ''), session_user), coalesce(nullif(hub_role(), ''), 'system'),
         hub_channel(), hub_file(), CASE WHEN n.version > 1 THEN 'update' ELSE 'create' END, n.id, n.indicator_key,
         n.department_code, n.region_code, n.region_path, n.period, p.value, n.value, p.qualifier, n.qualifier,
         p.status, n.status, n.status_reason
  FROM new_rows n
  LEFT JOIN data_values p ON n.version > 1 AND p.indicator_key = n.indicator_key AND p.period = n.period
                         AND p.region_code = n.region_code AND p.version = n.version - 1
  ORDER BY n.id;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION data_values_audit_inserts() FROM PUBLIC;
DROP TRIGGER data_values_audit ON data_values;
CREATE TRIGGER data_values_audit AFTER UPDATE ON data_values
  FOR EACH ROW EXECUTE FUNCTION data_values_audit();
CREATE TRIGGER data_values_audit_inserts AFTER INSERT ON data_values REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION data_values_audit_inserts();

-- +goose Down
DROP TRIGGER data_values_audit_inserts ON data_values;
DROP FUNCTION data_values_audit_inserts();
DROP TRIGGER data_values_audit ON data_values;
CREATE TRIGGER data_values_audit AFTER INSERT OR UPDATE ON data_values
  FOR EACH ROW EXECUTE FUNCTION data_values_audit();
