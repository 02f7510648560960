-- The region tree is data (issue 15): villages are a collection level, the
-- tree is imported and edited (`hub regions import`), and a region may move
-- to another parent.
--
-- 1. indicators.collection_level allows VILLAGE. The rollup functions of
--    00020/00021 are generic in the level (ancestors by path, expected
--    regions counted at the indicator's level), so villages roll up to
--    towns, counties and the city like towns do. The keys towns and
--    villages are reserved: in formulas and rules they are the number of
--    such regions in the region's subtree (docs/analytics.md).
-- 2. A region may change its parent (never its code or, with children, its
--    level). regions_fill_path recomputes the path from the new parent and
--    refuses a move below the region's own subtree; regions_move_children
--    carries the move down the subtree, level by level. The foreign keys
--    on (region_code, region_path) cascade the new path to values, rollups
--    and shares: values stay with the code they were entered for, their
--    numbers, versions and statuses untouched (the cascade runs as the
--    owner and changes no audited column, so it writes no audit rows);
--    audit_log keeps the path a change was recorded under.
-- 3. Rollups follow the tree: a statement that adds regions or moves them
--    rebuilds the rollups of the indicators collected at a level it
--    touched (the levels of new regions and of moved subtrees), whatever
--    path made the change (import, demo, psql). Past periods are rebuilt
--    too: rollups always describe the current tree (docs/architecture.md,
--    "The region tree").
-- 4. audit_log records region changes under the action 'region'.

-- +goose Up
ALTER TABLE indicators DROP CONSTRAINT indicators_collection_level_check;
ALTER TABLE indicators ADD CONSTRAINT indicators_collection_level_check
  CHECK (collection_level IN ('COUNTY', 'TOWN', 'VILLAGE'));
ALTER TABLE indicators ADD CONSTRAINT indicators_key_not_tree_count CHECK (key NOT IN ('towns', 'villages'));

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'transition', 'import', 'share', 'unshare', 'rule',
  'releasable', 'publish', 'user', 'token', 'login', 'login_failure', 'region'));

ALTER TABLE data_values DROP CONSTRAINT data_values_region_code_region_path_fkey;
ALTER TABLE data_values ADD CONSTRAINT data_values_region_code_region_path_fkey
  FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path) ON UPDATE CASCADE;
ALTER TABLE value_rollups DROP CONSTRAINT value_rollups_region_code_region_path_fkey;
ALTER TABLE value_rollups ADD CONSTRAINT value_rollups_region_code_region_path_fkey
  FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path) ON UPDATE CASCADE;
ALTER TABLE shares DROP CONSTRAINT shares_region_code_region_path_fkey;
ALTER TABLE shares ADD CONSTRAINT shares_region_code_region_path_fkey
  FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path) ON UPDATE CASCADE;

-- regions_fill_path derives path from the parent and checks that a child is
-- exactly one level below its parent. A region keeps its code; it may move
-- to another parent, not below itself, and keeps its level while it has
-- children (they would no longer be one level below it).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION regions_fill_path() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent regions%ROWTYPE;
  levels text[] := ARRAY['PROVINCE', 'CITY', 'COUNTY', 'TOWN', 'VILLAGE'];
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.code <> OLD.code THEN
    RAISE EXCEPTION '地区 % 的代码不能修改 / region % cannot change its code', OLD.code, OLD.code
      USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.level <> OLD.level AND EXISTS (SELECT 1 FROM regions WHERE parent_code = OLD.code) THEN
    RAISE EXCEPTION '地区 % 有下级，层级不能修改 / region % has children and cannot change its level', OLD.code, OLD.code
      USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.parent_code IS NULL THEN
    NEW.path := text2ltree(NEW.code);
    RETURN NEW;
  END IF;
  SELECT * INTO parent FROM regions WHERE code = NEW.parent_code;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'parent region % of % does not exist', NEW.parent_code, NEW.code USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF array_position(levels, NEW.level) <> array_position(levels, parent.level) + 1 THEN
    RAISE EXCEPTION 'region % (%) cannot be below % (%)', NEW.code, NEW.level, parent.code, parent.level USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'UPDATE' AND parent.path <@ OLD.path THEN
    RAISE EXCEPTION '地区 % 不能移到自己的下级 % 之下 / region % cannot move below its own descendant %',
      OLD.code, parent.code, OLD.code, parent.code USING ERRCODE = 'check_violation';
  END IF;
  NEW.path := parent.path || text2ltree(NEW.code);
  RETURN NEW;
END
$$;
-- +goose StatementEnd

-- regions_move_children recomputes the paths of a moved region's children
-- (their own trigger takes the new parent path), which carries the move
-- down the subtree one level at a time.
-- +goose StatementBegin
CREATE FUNCTION regions_move_children() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE regions SET path = path WHERE parent_code = NEW.code;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER regions_move_children AFTER UPDATE OF path, parent_code ON regions FOR EACH ROW
  WHEN (OLD.path IS DISTINCT FROM NEW.path)
  EXECUTE FUNCTION regions_move_children();

-- regions_rollups_after_insert and _after_update rebuild the rollups of the
-- indicators collected at a level the statement added regions at or moved
-- regions (with their subtrees) at: their ancestors' totals and expected
-- counts changed. A move's inner statements (regions_move_children) leave
-- it to the outer one, which sees the whole moved subtree.
-- +goose StatementBegin
CREATE FUNCTION regions_rollups_after_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM value_rollups_rebuild(ARRAY(
    SELECT i.key FROM indicators i WHERE i.collection_level IN (SELECT DISTINCT level FROM new_rows)
      AND EXISTS (SELECT 1 FROM data_values v WHERE v.indicator_key = i.key AND v.is_released)))
  WHERE EXISTS (SELECT 1 FROM new_rows);
  RETURN NULL;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION regions_rollups_after_update() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $$
DECLARE
  moved text[];
BEGIN
  IF pg_trigger_depth() > 1 THEN
    RETURN NULL;
  END IF;
  SELECT array_agg(DISTINCT x.level) INTO moved
  FROM old_rows o JOIN new_rows n ON n.code = o.code
  JOIN regions x ON x.path <@ n.path
  WHERE o.path <> n.path;
  IF moved IS NOT NULL THEN
    PERFORM value_rollups_rebuild(ARRAY(
      SELECT i.key FROM indicators i WHERE i.collection_level = ANY (moved)
        AND EXISTS (SELECT 1 FROM data_values v WHERE v.indicator_key = i.key AND v.is_released)));
  END IF;
  RETURN NULL;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION regions_rollups_after_insert(), regions_rollups_after_update() FROM PUBLIC;
CREATE TRIGGER regions_rollups_insert AFTER INSERT ON regions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION regions_rollups_after_insert();
CREATE TRIGGER regions_rollups_update AFTER UPDATE ON regions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION regions_rollups_after_update();

-- +goose Down
DROP TRIGGER regions_rollups_update ON regions;
DROP TRIGGER regions_rollups_insert ON regions;
DROP FUNCTION regions_rollups_after_update(), regions_rollups_after_insert();
DROP TRIGGER regions_move_children ON regions;
DROP FUNCTION regions_move_children();
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION regions_fill_path() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent regions%ROWTYPE;
  levels text[] := ARRAY['PROVINCE', 'CITY', 'COUNTY', 'TOWN', 'VILLAGE'];
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.parent_code IS DISTINCT FROM OLD.parent_code OR NEW.code <> OLD.code) THEN
    RAISE EXCEPTION 'region % cannot move or change its code', OLD.code USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.parent_code IS NULL THEN
    NEW.path := text2ltree(NEW.code);
    RETURN NEW;
  END IF;
  SELECT * INTO parent FROM regions WHERE code = NEW.parent_code;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'parent region % of % does not exist', NEW.parent_code, NEW.code USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF array_position(levels, NEW.level) <> array_position(levels, parent.level) + 1 THEN
    RAISE EXCEPTION 'region % (%) cannot be below % (%)', NEW.code, NEW.level, parent.code, parent.level USING ERRCODE = 'check_violation';
  END IF;
  NEW.path := parent.path || text2ltree(NEW.code);
  RETURN NEW;
END
$$;
-- +goose StatementEnd
ALTER TABLE shares DROP CONSTRAINT shares_region_code_region_path_fkey;
ALTER TABLE shares ADD CONSTRAINT shares_region_code_region_path_fkey
  FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path);
ALTER TABLE value_rollups DROP CONSTRAINT value_rollups_region_code_region_path_fkey;
ALTER TABLE value_rollups ADD CONSTRAINT value_rollups_region_code_region_path_fkey
  FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path);
ALTER TABLE data_values DROP CONSTRAINT data_values_region_code_region_path_fkey;
ALTER TABLE data_values ADD CONSTRAINT data_values_region_code_region_path_fkey
  FOREIGN KEY (region_code, region_path) REFERENCES regions (code, path);
ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_check;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_action_check CHECK (action IN (
  'create', 'update', 'transition', 'import', 'share', 'unshare', 'rule',
  'releasable', 'publish', 'user', 'token', 'login', 'login_failure'));
ALTER TABLE indicators DROP CONSTRAINT indicators_key_not_tree_count;
ALTER TABLE indicators DROP CONSTRAINT indicators_collection_level_check;
ALTER TABLE indicators ADD CONSTRAINT indicators_collection_level_check
  CHECK (collection_level IN ('COUNTY', 'TOWN'));
