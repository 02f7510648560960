-- Live updates (issue 19): after every statement that inserts or updates
-- data values, tell the hub processes which rows changed, by id and
-- indicator key only, never a value, a status or a region: a listener
-- learns nothing it could not read, and each subscriber's update is read
-- again under its own principal (row policies). NOTIFY is delivered after
-- the transaction commits, and not at all when it rolls back.
--
-- Payload on channel hub_values, one notification per 80 rows (a payload
-- stays below PostgreSQL's 8,000 bytes whatever the keys):
--   {"v": [ids], "i": [indicator keys]}
-- A statement of more than 5,000 rows (a bulk load) sends one
--   {"i": [indicator keys], "many": true}
-- instead, which subscribers take as "refetch": nobody is flooded.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION data_values_notify() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public AS $$
DECLARE
  n bigint;
  p record;
BEGIN
  SELECT count(*) INTO n FROM new_rows;
  IF n = 0 THEN
    RETURN NULL;
  END IF;
  IF n > 5000 THEN
    PERFORM pg_notify('hub_values', json_build_object('i', (SELECT json_agg(DISTINCT indicator_key) FROM new_rows), 'many', true)::text);
    RETURN NULL;
  END IF;
  FOR p IN
    SELECT json_build_object('v', json_agg(id ORDER BY id), 'i', json_agg(DISTINCT indicator_key))::text AS payload
    FROM (SELECT id, indicator_key, (row_number() OVER (ORDER BY id) - 1) / 80 AS chunk FROM new_rows) c
    GROUP BY chunk
  LOOP
    PERFORM pg_notify('hub_values', p.payload);
  END LOOP;
  RETURN NULL;
END $$;
-- +goose StatementEnd

-- Transition tables allow one event per trigger: one for inserts, one for updates.
CREATE TRIGGER data_values_notify_insert AFTER INSERT ON data_values
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION data_values_notify();
CREATE TRIGGER data_values_notify_update AFTER UPDATE ON data_values
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION data_values_notify();

-- +goose Down
DROP TRIGGER data_values_notify_update ON data_values;
DROP TRIGGER data_values_notify_insert ON data_values;
DROP FUNCTION data_values_notify();
