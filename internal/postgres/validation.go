package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/validation"
)

// ValidationService manages validation rules and computes the validation
// report. Findings are computed when asked, from the values the caller may
// read (see docs/data-in.md for why they are not stored).
type ValidationService struct{ db *DB }

// NewValidationService returns the validation service on db (the hub_app pool).
func NewValidationService(db *DB) *ValidationService { return &ValidationService{db: db} }

var _ hub.ValidationService = (*ValidationService)(nil)

const ruleColumns = `id, name, left_expr, operator, right_expr, tolerance, severity, missing_values,
       text_zh, text_en, active, indicator_keys, updated_at, updated_by, region_code`

const (
	listRules = `SELECT ` + ruleColumns + ` FROM validation_rules WHERE active OR $1 ORDER BY id`
	// rulesTouching: the active rules that read any of the keys $1 (all
	// active rules for NULL), for any caller (migration 00011), each with
	// the path of the region it applies to ('' for everywhere, 00014).
	rulesTouching = `SELECT ` + ruleColumns + `, coalesce((SELECT g.path::text FROM regions g WHERE g.code = r.region_code), '')
FROM active_validation_rules($1::text[]) r`
	regionPaths = `SELECT code, path::text FROM regions WHERE code = ANY($1)`
	lockRule    = `SELECT ` + ruleColumns + ` FROM validation_rules WHERE id = $1 FOR UPDATE`
	ruleVisible = `SELECT EXISTS (SELECT 1 FROM validation_rules WHERE id = $1)`
	storedKeys  = `SELECT key FROM indicators WHERE formula IS NULL`
	// lockRuleScope serialises the creation and activation of rules in one
	// region, so that two at once cannot both pass the count below.
	lockRuleScope = `SELECT pg_advisory_xact_lock(hashtext('validation_rules:' || $1))`
	// activeRulesOf counts the other active rules of the region $1, all of
	// them whatever the caller may read (active_validation_rules, 00011).
	activeRulesOf = `SELECT count(*) FROM active_validation_rules(NULL) r WHERE r.region_code = $1 AND r.id <> $2`
	insertRule    = `INSERT INTO validation_rules (name, left_expr, operator, right_expr, tolerance, severity, missing_values,
  text_zh, text_en, active, indicator_keys, region_code, created_by, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, hub_user(), hub_user())
RETURNING ` + ruleColumns
	updateRule = `UPDATE validation_rules SET name = $2, left_expr = $3, operator = $4, right_expr = $5, tolerance = $6,
  severity = $7, missing_values = $8, text_zh = $9, text_en = $10, active = $11, indicator_keys = $12,
  region_code = $13, updated_at = now(), updated_by = hub_user()
WHERE id = $1
RETURNING ` + ruleColumns

	// latestValues: the newest version the caller can see of each value of
	// keys $3 in the regions $1 and periods $2 (RLS shows heads and
	// released rows; a caller who cannot see the head sees the released one).
	latestValues = `SELECT DISTINCT ON (indicator_key, region_code, period) indicator_key, region_code, period, value
FROM data_values
WHERE region_code = ANY($1) AND period = ANY($2) AND indicator_key = ANY($3)
ORDER BY indicator_key, region_code, period, version DESC`
	// latestInSubtree: the same for one period and the subtree $2.
	latestInSubtree = `SELECT DISTINCT ON (indicator_key, region_code) indicator_key, region_code, period, value
FROM data_values
WHERE period = $1 AND region_path <@ $2::ltree AND indicator_key = ANY($3)
ORDER BY indicator_key, region_code, version DESC`
	findRegionPath = `SELECT path::text, coalesce((SELECT p.path::text FROM regions p WHERE p.code = r.parent_code), r.path::text)
FROM regions r WHERE code = $1`
	// outlierCounts: the stored count indicators (not BASE) in the subtree
	// $2, for period $1 and the earlier periods of its type; newest visible
	// version of each.
	outlierCounts = `SELECT DISTINCT ON (v.indicator_key, v.region_code, v.period)
       v.indicator_key, v.region_code, coalesce(r.parent_code, ''), r.level, r.path::text, v.period, v.value
FROM data_values v
JOIN indicators i ON i.key = v.indicator_key
JOIN regions r ON r.code = v.region_code
WHERE v.region_path <@ $2::ltree AND i.value_type = 'COUNT' AND i.protection <> 'BASE' AND i.formula IS NULL
  AND length(v.period) = length($1) AND v.period <= $1
ORDER BY v.indicator_key, v.region_code, v.period, v.version DESC`
	// outlierMinors: the minors (indicator $3, hub.MinorsKey) by region
	// and year, to the year of $1. (A separate statement: joined in SQL,
	// the planner misjudges the DISTINCT ON sets and loops; the maps are
	// small.)
	outlierMinors = `SELECT DISTINCT ON (region_code, period) region_code, period, value
FROM data_values
WHERE indicator_key = $3 AND region_path <@ $2::ltree AND period <= left($1, 4) AND length(period) = 4
ORDER BY region_code, period, version DESC`
)

// ruleFields are the scan destinations of ruleColumns in r.
func ruleFields(r *hub.ValidationRule) []any {
	return []any{&r.ID, &r.Name, &r.Left, &r.Operator, &r.Right, &r.Tolerance, &r.Severity, &r.MissingValues,
		&r.TextZh, &r.TextEn, &r.Active, &r.Indicators, &r.UpdatedAt, &r.UpdatedBy, &r.Region}
}

func scanRule(row pgx.CollectableRow) (*hub.ValidationRule, error) {
	var r hub.ValidationRule
	err := row.Scan(ruleFields(&r)...)
	return &r, err
}

// scopedRules reads the rules of rulesTouching keys (all for nil).
func scopedRules(ctx context.Context, tx pgx.Tx, keys []string) ([]validation.Scoped, error) {
	rows, err := tx.Query(ctx, rulesTouching, keys)
	if err != nil {
		return nil, fmt.Errorf("find validation rules: %w", err)
	}
	rules, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (validation.Scoped, error) {
		sr := validation.Scoped{Rule: &hub.ValidationRule{}}
		err := row.Scan(append(ruleFields(sr.Rule), &sr.Scope)...)
		return sr, err
	})
	if err != nil {
		return nil, fmt.Errorf("find validation rules: %w", err)
	}
	return rules, nil
}

// pathsInto adds the paths of the regions codes to paths.
func pathsInto(ctx context.Context, tx pgx.Tx, codes []string, paths map[string]string) error {
	rows, err := tx.Query(ctx, regionPaths, codes)
	if err != nil {
		return fmt.Errorf("find region paths: %w", err)
	}
	var code, path string
	_, err = pgx.ForEachRow(rows, []any{&code, &path}, func() error { paths[code] = path; return nil })
	if err != nil {
		return fmt.Errorf("find region paths: %w", err)
	}
	return nil
}

// Rules lists the active rules, or all of them.
func (s *ValidationService) Rules(ctx context.Context, all bool) ([]*hub.ValidationRule, error) {
	if err := access.RuleManageBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return nil, err
	}
	var rules []*hub.ValidationRule
	err := s.db.read(ctx, func(b *pgx.Batch) { collect(b, &rules, scanRule, listRules, all) })
	if err != nil {
		return nil, fmt.Errorf("list validation rules: %w", err)
	}
	return rules, nil
}

// CreateRule checks and stores a new rule.
func (s *ValidationService) CreateRule(ctx context.Context, in hub.RuleInput) (*hub.ValidationRule, error) {
	if err := access.RuleManageBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return nil, err
	}
	r, err := validation.NewRule(in, hub.PrincipalFrom(ctx).Region)
	if err != nil {
		return nil, err
	}
	var out *hub.ValidationRule
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		if err := check(ctx, tx, r); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, insertRule, r.Name, r.Left, r.Operator, r.Right, r.Tolerance, r.Severity,
			r.MissingValues, r.TextZh, r.TextEn, r.Active, r.Indicators, r.Region)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanRule)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create validation rule: %w", ruleError(err, r.Name))
	}
	return out, nil
}

// UpdateRule changes the fields of rule id that in sets; Active false
// deactivates it.
func (s *ValidationService) UpdateRule(ctx context.Context, id int, in hub.RuleInput) (*hub.ValidationRule, error) {
	if err := access.RuleManageBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return nil, err
	}
	var out *hub.ValidationRule
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, lockRule, id)
		if err != nil {
			return err
		}
		r, err := pgx.CollectExactlyOneRow(rows, scanRule)
		if errors.Is(err, pgx.ErrNoRows) {
			// FOR UPDATE passes the update policy too: a rule the caller
			// sees (one that applies to its scope from above) but may not
			// change is refused as such.
			var visible bool
			if err := tx.QueryRow(ctx, ruleVisible, id).Scan(&visible); err != nil {
				return err
			}
			if visible {
				return hub.Errorf(hub.EFORBIDDEN, "规则 %d 属于上级地区，只能由其协调员修改 / rule %d belongs to a region above yours: its own coordinators change it", id, id)
			}
			return hub.Errorf(hub.ENOTFOUND, "校验规则 %d 不存在 / no validation rule %d", id, id)
		} else if err != nil {
			return err
		}
		validation.Apply(r, in)
		if err := check(ctx, tx, r); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, updateRule, id, r.Name, r.Left, r.Operator, r.Right, r.Tolerance, r.Severity,
			r.MissingValues, r.TextZh, r.TextEn, r.Active, r.Indicators, r.Region)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanRule)
		if errors.Is(err, pgx.ErrNoRows) {
			return hub.Errorf(hub.EFORBIDDEN, "无权修改校验规则 / not allowed to change validation rules")
		}
		return err
	})
	if err != nil {
		name := ""
		if in.Name != nil {
			name = *in.Name
		}
		return nil, fmt.Errorf("update validation rule %d: %w", id, ruleError(err, name))
	}
	return out, nil
}

// check checks r (validation.Check) against the stored indicators of the
// catalogue, and that its region has room for another active rule.
func check(ctx context.Context, tx pgx.Tx, r *hub.ValidationRule) error {
	rows, err := tx.Query(ctx, storedKeys)
	if err != nil {
		return err
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if err := validation.Check(r, known); err != nil || !validation.Counted(r) {
		return err
	}
	if _, err := tx.Exec(ctx, lockRuleScope, *r.Region); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, activeRulesOf, *r.Region, r.ID).Scan(&n); err != nil {
		return err
	}
	return validation.CountBlocks(*r.Region, n)
}

// ruleError names a duplicate rule name, an unknown region and a region
// outside the caller's scope.
func ruleError(err error, name string) error {
	switch pgCode(err) {
	case "23505":
		return hub.Errorf(hub.EINVALID, "已有名为 %q 的规则 / a rule named %q exists", name, name)
	case "23503":
		return hub.Errorf(hub.ENOTFOUND, "规则的适用地区不存在 / the rule's region does not exist")
	case "42501":
		return hub.Errorf(hub.EFORBIDDEN, "只能为本辖区内的地区设定或修改规则 / rules can be set or changed only for regions within your scope")
	}
	return err
}

// validateSubmission checks, inside the submission's transaction, the
// submitted values against the active rules that read their indicators
// (validation.Submission), on the submitted values together with the
// stored ones the submitter may read: BLOCK violations are added to
// res.Conflicts, WARN ones to res.Warnings.
//
// nums[i] is the caller's number for in[i], the Index of its conflicts.
// known are the regions the writer has already read (their paths decide
// which rules apply); others are looked up.
func validateSubmission(ctx context.Context, tx pgx.Tx, in []hub.ValueInput, nums []int, known map[string]*hub.Region, res *hub.SubmitResult) error {
	if len(in) == 0 {
		return nil
	}
	keys, regions, periods := validation.Touched(in)
	rules, err := scopedRules(ctx, tx, keys)
	if err != nil || len(rules) == 0 {
		return err
	}
	check := validation.SubmissionInput{Inputs: in, Rules: rules, Paths: map[string]string{}}
	var unknown []string
	for _, code := range regions {
		if r := known[code]; r != nil {
			check.Paths[code] = r.Path
		} else {
			unknown = append(unknown, code)
		}
	}
	if len(unknown) > 0 {
		if err := pathsInto(ctx, tx, unknown, check.Paths); err != nil {
			return err
		}
	}
	if check.Values, err = readValues(ctx, tx, latestValues, regions, periods, validation.Keys(rules)); err != nil {
		return err
	}
	if err := addTreeCounts(ctx, tx, check.Values, validation.Keys(rules), regions, periods); err != nil {
		return err
	}
	out := validation.Submission(check)
	for _, c := range out.Conflicts {
		c.Index = nums[c.Index]
		res.Conflicts = append(res.Conflicts, c)
	}
	res.Warnings = append(res.Warnings, out.Warnings...)
	return nil
}

// readValues reads the values of sql, rows of indicator, region, period
// and value.
func readValues(ctx context.Context, tx pgx.Tx, sql string, args ...any) (validation.Values, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read values to validate: %w", err)
	}
	out := validation.Values{}
	var k validation.ValueKey
	var v *float64
	_, err = pgx.ForEachRow(rows, []any{&k.Indicator, &k.Region, &k.Period, &v}, func() error {
		out[k] = v
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read values to validate: %w", err)
	}
	return out, nil
}

// Report lists the rule violations and outliers for period in the subtree
// of region (validation.Report), from what the caller can read.
func (s *ValidationService) Report(ctx context.Context, period string, region *string) ([]*hub.ValidationFinding, error) {
	p := hub.PrincipalFrom(ctx)
	if err := access.ValidationReportBlockedBy(p); err != nil {
		return nil, err
	}
	code, err := validation.ReportScope(period, region, p.Region)
	if err != nil {
		return nil, err
	}
	in := validation.ReportInput{OutlierInput: validation.OutlierInput{Period: period}, Paths: map[string]string{}}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		var peerPath string
		err := tx.QueryRow(ctx, findRegionPath, code).Scan(&in.Path, &peerPath)
		if errors.Is(err, pgx.ErrNoRows) {
			return hub.Errorf(hub.ENOTFOUND, "地区 %q 不存在 / no region %q", code, code)
		} else if err != nil {
			return err
		}
		if in.Rules, err = scopedRules(ctx, tx, nil); err != nil {
			return err
		}
		if len(in.Rules) > 0 {
			if in.Values, err = readValues(ctx, tx, latestInSubtree, period, in.Path, validation.Keys(in.Rules)); err != nil {
				return err
			}
			if err := addTreeCounts(ctx, tx, in.Values, validation.Keys(in.Rules), in.Values.Regions(), []string{period}); err != nil {
				return err
			}
			if err := pathsInto(ctx, tx, in.Values.Regions(), in.Paths); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, outlierMinors, period, peerPath, hub.MinorsKey)
		if err != nil {
			return fmt.Errorf("read minors: %w", err)
		}
		if in.Minors, err = pgx.CollectRows(rows, pgx.RowToStructByPos[validation.Minors]); err != nil {
			return fmt.Errorf("read minors: %w", err)
		}
		rows, err = tx.Query(ctx, outlierCounts, period, peerPath)
		if err != nil {
			return fmt.Errorf("read counts: %w", err)
		}
		if in.Counts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[validation.Count]); err != nil {
			return fmt.Errorf("read counts: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("validation report: %w", err)
	}
	return validation.Report(in), nil
}

// pgCode returns the SQLSTATE of a PostgreSQL error in err's chain, or "".
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
