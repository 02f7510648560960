-- What reaches the media office is the coordinators' decision: only they
-- may publish a value (set its publication and embargo time) or mark a
-- headline figure releasable. The row policies let analysts update their
-- own department's rows, so this trigger guards those columns.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION data_values_media_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_user = 'hub_app' AND hub_role() <> 'coordinator' AND (
       NEW.releasable IS DISTINCT FROM OLD.releasable
    OR NEW.publication_id IS DISTINCT FROM OLD.publication_id
    OR NEW.publish_at IS DISTINCT FROM OLD.publish_at) THEN
    RAISE EXCEPTION 'only coordinators publish values or release headline figures'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER data_values_media_guard BEFORE UPDATE ON data_values
  FOR EACH ROW EXECUTE FUNCTION data_values_media_guard();

-- +goose Down
DROP TRIGGER data_values_media_guard ON data_values;
DROP FUNCTION data_values_media_guard();
