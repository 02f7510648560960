-- Validation rules apply to a region's subtree.
--
-- Until now every active rule applied everywhere, whoever made it: a
-- district coordinator's BLOCK rule refused the other districts'
-- submissions, and any coordinator could change or switch off a rule the
-- city had set. A rule now belongs to a region (region_code; NULL for the
-- rules the system loads, which apply everywhere) and applies to the values
-- of that region's subtree. Coordinators read the rules that apply to their
-- scope (those of their region's ancestors, and everywhere) and those of
-- regions within it, and create or change only rules of regions within their
-- scope; a rule for everywhere needs a principal whose scope is everything.
-- Admins are bound by their scope in the same way. Rules already stored keep
-- applying where they applied: those made by a user get that user's region
-- (for a city-wide coordinator, the whole tree), the others stay everywhere.

-- +goose Up
ALTER TABLE validation_rules ADD COLUMN region_code text REFERENCES regions (code);
UPDATE validation_rules r SET region_code = u.region_code FROM users u WHERE u.name = r.created_by;

-- hub_rule_in_scope: the rule of region code may be made or changed by the
-- current principal.
-- +goose StatementBegin
CREATE FUNCTION hub_rule_in_scope(code text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN code IS NULL THEN hub_scope_is_everything()
              ELSE hub_scope_is_everything() OR EXISTS (SELECT 1 FROM regions g WHERE g.code = $1 AND g.path <@ hub_scope()) END
$$;
-- +goose StatementEnd
-- hub_rule_visible: the rule of region code applies to the current
-- principal's scope or lies within it.
-- +goose StatementBegin
CREATE FUNCTION hub_rule_visible(code text) RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT code IS NULL OR hub_scope_is_everything()
      OR EXISTS (SELECT 1 FROM regions g WHERE g.code = $1 AND (g.path @> hub_scope() OR g.path <@ hub_scope()))
$$;
-- +goose StatementEnd

DROP POLICY validation_rules_read ON validation_rules;
DROP POLICY validation_rules_insert ON validation_rules;
DROP POLICY validation_rules_update ON validation_rules;
CREATE POLICY validation_rules_read ON validation_rules FOR SELECT TO hub_app
  USING ((SELECT hub_role()) IN ('admin', 'coordinator') AND hub_rule_visible(region_code));
CREATE POLICY validation_rules_insert ON validation_rules FOR INSERT TO hub_app
  WITH CHECK ((SELECT hub_role()) IN ('admin', 'coordinator') AND hub_rule_in_scope(region_code)
              AND created_by = (SELECT hub_user()) AND updated_by = (SELECT hub_user()));
CREATE POLICY validation_rules_update ON validation_rules FOR UPDATE TO hub_app
  USING ((SELECT hub_role()) IN ('admin', 'coordinator') AND hub_rule_in_scope(region_code))
  WITH CHECK ((SELECT hub_role()) IN ('admin', 'coordinator') AND hub_rule_in_scope(region_code)
              AND updated_by = (SELECT hub_user()));

-- active_validation_rules (security definer, for anybody signed in) keeps
-- returning whole rows, now with region_code; its callers apply a rule only
-- to the values of that region's subtree.

-- +goose Down
DROP POLICY validation_rules_read ON validation_rules;
DROP POLICY validation_rules_insert ON validation_rules;
DROP POLICY validation_rules_update ON validation_rules;
CREATE POLICY validation_rules_read ON validation_rules FOR SELECT TO hub_app
  USING ((SELECT hub_role()) IN ('admin', 'coordinator'));
CREATE POLICY validation_rules_insert ON validation_rules FOR INSERT TO hub_app
  WITH CHECK ((SELECT hub_role()) IN ('admin', 'coordinator') AND created_by = (SELECT hub_user())
              AND updated_by = (SELECT hub_user()));
CREATE POLICY validation_rules_update ON validation_rules FOR UPDATE TO hub_app
  USING ((SELECT hub_role()) IN ('admin', 'coordinator'))
  WITH CHECK ((SELECT hub_role()) IN ('admin', 'coordinator') AND updated_by = (SELECT hub_user()));
DROP FUNCTION hub_rule_visible(text), hub_rule_in_scope(text);
ALTER TABLE validation_rules DROP COLUMN region_code;
