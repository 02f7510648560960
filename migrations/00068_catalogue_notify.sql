-- Cache invalidation (issue 20): hub serve caches the catalogue (regions,
-- indicators, departments: no row policy hides them, every principal
-- reads the same rows) and each principal's count of values per filter
-- (postgres.DB.Cache). Every statement that changes the catalogue, the
-- sharing agreements or the publications (what decides who may read a
-- value) notifies channel hub_catalogue when its transaction commits;
-- every hub process listening empties its caches then. Values notify
-- hub_values already (00064) on insert and update; a delete or a
-- truncate of data_values now notifies it too, as a "many" change (every
-- subscriber reads again). The payload is the table's name only.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION hub_catalogue_changed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  PERFORM pg_notify('hub_catalogue', TG_TABLE_NAME);
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER regions_catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON regions
  FOR EACH STATEMENT EXECUTE FUNCTION hub_catalogue_changed();
CREATE TRIGGER indicators_catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON indicators
  FOR EACH STATEMENT EXECUTE FUNCTION hub_catalogue_changed();
CREATE TRIGGER departments_catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON departments
  FOR EACH STATEMENT EXECUTE FUNCTION hub_catalogue_changed();
CREATE TRIGGER shares_catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON shares
  FOR EACH STATEMENT EXECUTE FUNCTION hub_catalogue_changed();
CREATE TRIGGER publications_catalogue_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON publications
  FOR EACH STATEMENT EXECUTE FUNCTION hub_catalogue_changed();

-- +goose StatementBegin
CREATE FUNCTION data_values_notify_removed() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
  PERFORM pg_notify('hub_values', '{"many": true}');
  RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER data_values_notify_removed AFTER DELETE OR TRUNCATE ON data_values
  FOR EACH STATEMENT EXECUTE FUNCTION data_values_notify_removed();

-- +goose Down
DROP TRIGGER data_values_notify_removed ON data_values;
DROP FUNCTION data_values_notify_removed();
DROP TRIGGER publications_catalogue_changed ON publications;
DROP TRIGGER shares_catalogue_changed ON shares;
DROP TRIGGER departments_catalogue_changed ON departments;
DROP TRIGGER indicators_catalogue_changed ON indicators;
DROP TRIGGER regions_catalogue_changed ON regions;
DROP FUNCTION hub_catalogue_changed();
