-- pg_restore runs with an empty search_path, where ltree's = operator (in
-- schema public) is not found: the WHEN clause of regions_move_children
-- (migration 00050), `OLD.path IS DISTINCT FROM NEW.path`, made every
-- restore of a backup fail. Comparing the paths as text says the same
-- (an ltree's text is its labels joined by dots) with pg_catalog's operator.

-- +goose Up
DROP TRIGGER regions_move_children ON regions;
CREATE TRIGGER regions_move_children AFTER UPDATE OF path, parent_code ON regions FOR EACH ROW
  WHEN (OLD.path::text IS DISTINCT FROM NEW.path::text)
  EXECUTE FUNCTION regions_move_children();

-- +goose Down
DROP TRIGGER regions_move_children ON regions;
CREATE TRIGGER regions_move_children AFTER UPDATE OF path, parent_code ON regions FOR EACH ROW
  WHEN (OLD.path IS DISTINCT FROM NEW.path)
  EXECUTE FUNCTION regions_move_children();
