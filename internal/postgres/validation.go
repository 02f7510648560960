package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

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
	// outlierMinors: minors_total by region and year, to the year of $1.
	// (A separate statement: joined in SQL, the planner misjudges the
	// DISTINCT ON sets and loops; the maps are small.)
	outlierMinors = `SELECT DISTINCT ON (region_code, period) region_code, period, value
FROM data_values
WHERE indicator_key = 'minors_total' AND region_path <@ $2::ltree AND period <= left($1, 4) AND length(period) = 4
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

// scopedRule is an active rule and the path of the region whose subtree
// it applies to ("" for everywhere).
type scopedRule struct {
	def   *hub.ValidationRule
	scope string
}

func scanScopedRule(row pgx.CollectableRow) (scopedRule, error) {
	var (
		r  hub.ValidationRule
		sr = scopedRule{def: &r}
	)
	err := row.Scan(append(ruleFields(&r), &sr.scope)...)
	return sr, err
}

// appliesTo reports whether a rule of scope applies to a region of path.
func appliesTo(scope, path string) bool {
	return scope == "" || path == scope || strings.HasPrefix(path, scope+".")
}

// pathsOf returns the paths of the regions codes.
func pathsOf(ctx context.Context, tx pgx.Tx, codes []string) (map[string]string, error) {
	rows, err := tx.Query(ctx, regionPaths, codes)
	if err != nil {
		return nil, fmt.Errorf("find region paths: %w", err)
	}
	out := map[string]string{}
	var code, path string
	_, err = pgx.ForEachRow(rows, []any{&code, &path}, func() error { out[code] = path; return nil })
	if err != nil {
		return nil, fmt.Errorf("find region paths: %w", err)
	}
	return out, nil
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
	region := hub.PrincipalFrom(ctx).Region
	r := &hub.ValidationRule{Severity: hub.Warn, MissingValues: hub.SkipIfAnyMissing, Active: true, Region: &region}
	if in.Name == nil || in.Left == nil || in.Operator == nil || in.Right == nil || in.TextZh == nil || in.TextEn == nil {
		return nil, hub.Errorf(hub.EINVALID, "规则须有名称、左右表达式、运算符和中英文说明 / a rule needs a name, left, operator, right and Chinese and English texts")
	}
	merge(r, in)
	var out *hub.ValidationRule
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
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
		merge(r, in)
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
		return nil, fmt.Errorf("update validation rule %d: %w", id, ruleError(err, ""))
	}
	return out, nil
}

func merge(r *hub.ValidationRule, in hub.RuleInput) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&r.Name, in.Name)
	set(&r.Left, in.Left)
	set(&r.Operator, in.Operator)
	set(&r.Right, in.Right)
	set(&r.TextZh, in.TextZh)
	set(&r.TextEn, in.TextEn)
	if in.Tolerance != nil {
		r.Tolerance = *in.Tolerance
	}
	if in.Severity != nil {
		r.Severity = *in.Severity
	}
	if in.MissingValues != nil {
		r.MissingValues = *in.MissingValues
	}
	if in.Active != nil {
		r.Active = *in.Active
	}
	if in.Region != nil {
		r.Region = in.Region
	}
}

// check compiles r against the stored indicators of the catalogue, which
// sets r.Indicators.
func check(ctx context.Context, tx pgx.Tx, r *hub.ValidationRule) error {
	if !ruleName(r.Name) {
		return hub.Errorf(hub.EINVALID, "规则名称须为小写字母、数字和下划线 / a rule name is lower-case letters, digits and _, not %q", r.Name)
	}
	rows, err := tx.Query(ctx, storedKeys)
	if err != nil {
		return err
	}
	known, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if _, err = validation.Compile(r, known); err != nil {
		// An inactive rule is never evaluated: one stored before today's
		// bounds can still be deactivated (and is refused when activated).
		if r.Active || len(r.Left) > hub.MaxRuleExpressionBytes || len(r.Right) > hub.MaxRuleExpressionBytes {
			return err
		}
	}
	return checkRuleCount(ctx, tx, r)
}

// checkRuleCount refuses an active rule in a region that has
// hub.MaxActiveRulesPerRegion active rules already: every submission in
// the region evaluates them all.
func checkRuleCount(ctx context.Context, tx pgx.Tx, r *hub.ValidationRule) error {
	if !r.Active || r.Region == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, lockRuleScope, *r.Region); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, activeRulesOf, *r.Region, r.ID).Scan(&n); err != nil {
		return err
	}
	if n >= hub.MaxActiveRulesPerRegion {
		return hub.Errorf(hub.EINVALID, "地区 %s 已有 %d 条生效的校验规则（上限 %d）：请先停用不再需要的规则 / region %s has %d active validation rules, the limit is %d: deactivate rules no longer needed first",
			*r.Region, n, hub.MaxActiveRulesPerRegion, *r.Region, n, hub.MaxActiveRulesPerRegion)
	}
	return nil
}

func ruleName(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
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

// distinct collects strings once each, in first-seen order.
type distinct struct {
	seen map[string]bool
	list []string
}

func (d *distinct) add(s string) {
	if d.seen == nil {
		d.seen = map[string]bool{}
	}
	if !d.seen[s] {
		d.seen[s] = true
		d.list = append(d.list, s)
	}
}

// valueKey identifies a value: indicator, region, period.
type valueKey struct{ ind, region, period string }

// cell is a region and period, the scope of a rule.
type cell struct{ region, period string }

// validateSubmission evaluates, inside the submission's transaction, the
// active rules that read the submitted indicators, for every submitted
// region and period, on the submitted values together with the stored ones
// the submitter may read. A BLOCK violation is a conflict (code
// VALIDATION) at the first input the rule reads; WARN violations are
// warnings.
//
// nums[i] is the caller's number for in[i], the Index of its conflicts.
// known are the regions the writer has already read (their paths decide
// which rules apply); others are looked up.
func validateSubmission(ctx context.Context, tx pgx.Tx, in []hub.ValueInput, nums []int, known map[string]*hub.Region, res *hub.SubmitResult) error {
	if len(in) == 0 {
		return nil
	}
	var keys, regions, periods distinct
	for _, v := range in {
		keys.add(v.Indicator)
		regions.add(v.Region)
		periods.add(v.Period)
	}
	rows, err := tx.Query(ctx, rulesTouching, keys.list)
	if err != nil {
		return fmt.Errorf("find validation rules: %w", err)
	}
	defs, err := pgx.CollectRows(rows, scanScopedRule)
	if err != nil {
		return fmt.Errorf("find validation rules: %w", err)
	}
	if len(defs) == 0 {
		return nil
	}
	rules, readKeys := compileAll(defs)
	paths := map[string]string{}
	var unknown []string
	for _, code := range regions.list {
		if r := known[code]; r != nil {
			paths[code] = r.Path
		} else {
			unknown = append(unknown, code)
		}
	}
	if len(unknown) > 0 {
		more, err := pathsOf(ctx, tx, unknown)
		if err != nil {
			return err
		}
		for code, path := range more {
			paths[code] = path
		}
	}
	values, err := queryValues(ctx, tx, latestValues, regions.list, periods.list, readKeys)
	if err != nil {
		return err
	}
	if err := addTreeCounts(ctx, tx, values, readKeys, regions.list, periods.list); err != nil {
		return err
	}
	// first input of each cell per indicator, in input order
	type at struct {
		cell cell
		rule int
	}
	reported := map[at]bool{}
	for i, v := range in {
		c := cell{v.Region, v.Period}
		for ri, r := range rules {
			if reported[at{c, ri}] || !contains(r.Indicators, v.Indicator) || !appliesTo(defs[ri].scope, paths[v.Region]) {
				continue
			}
			reported[at{c, ri}] = true
			f := evalRule(r, values, c)
			if f == nil {
				continue
			}
			if f.Severity == hub.Block {
				res.Conflicts = append(res.Conflicts, hub.Conflict{Index: nums[i], Field: hub.FieldValue, Code: hub.EVALIDATION, Message: f.Message})
			} else {
				res.Warnings = append(res.Warnings, f)
			}
		}
	}
	return nil
}

// compileAll compiles the stored rules; one that no longer compiles is
// kept, and reported as a finding wherever it applies (evalRule).
func compileAll(defs []scopedRule) ([]*validation.Rule, []string) {
	var rules []*validation.Rule
	seen := map[string]bool{}
	var keys []string
	for _, sd := range defs {
		d := sd.def
		rules = append(rules, validation.CompileStored(d))
		for _, k := range d.Indicators {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return rules, keys
}

func queryValues(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, args ...any) (map[valueKey]*float64, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read values to validate: %w", err)
	}
	out := map[valueKey]*float64{}
	var k valueKey
	var v *float64
	_, err = pgx.ForEachRow(rows, []any{&k.ind, &k.region, &k.period, &v}, func() error {
		out[k] = v
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read values to validate: %w", err)
	}
	return out, nil
}

// evalRule evaluates r for a cell and returns its finding, or nil when the
// rule holds or is skipped. A rule that cannot be evaluated (a stored rule
// that no longer compiles, a runtime error) is a WARN finding that says
// so: a broken rule neither blocks nor fails a submission.
func evalRule(r *validation.Rule, values map[valueKey]*float64, c cell) *hub.ValidationFinding {
	env := make(map[string]*float64, len(r.Indicators))
	for _, k := range r.Indicators {
		env[k] = values[valueKey{k, c.region, c.period}]
	}
	id, name := r.ID, r.Name
	var ind *string
	if len(r.Indicators) > 0 {
		ind = &r.Indicators[0]
	}
	res, err := r.Eval(env)
	if err != nil {
		return &hub.ValidationFinding{Kind: hub.FindingRule, Severity: hub.Warn, RuleID: &id, Rule: &name,
			IndicatorKey: ind, RegionCode: c.region, Period: c.period, Message: r.FailureMessage(err)}
	}
	if !res.Violated {
		return nil
	}
	return &hub.ValidationFinding{Kind: hub.FindingRule, Severity: r.Severity, RuleID: &id, Rule: &name,
		IndicatorKey: ind, RegionCode: c.region, Period: c.period, Message: r.Message(res),
		Left: &res.Left, Right: &res.Right}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Report lists rule violations (BLOCK and WARN: values loaded past the
// API, or stored before a rule existed, can violate BLOCK rules too) and
// outliers for period in the subtree of region, from what the caller can
// read.
func (s *ValidationService) Report(ctx context.Context, period string, region *string) ([]*hub.ValidationFinding, error) {
	p := hub.PrincipalFrom(ctx)
	if err := access.ValidationReportBlockedBy(p); err != nil {
		return nil, err
	}
	if _, err := hub.ParsePeriod(period); err != nil {
		return nil, hub.Errorf(hub.EINVALID, "无效的期间 %q / invalid period %q", period, period)
	}
	code := p.Region
	if region != nil {
		code = *region
	}
	var out []*hub.ValidationFinding
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		var path, peerPath string
		err := tx.QueryRow(ctx, findRegionPath, code).Scan(&path, &peerPath)
		if errors.Is(err, pgx.ErrNoRows) {
			return hub.Errorf(hub.ENOTFOUND, "地区 %q 不存在 / no region %q", code, code)
		} else if err != nil {
			return err
		}
		if out, err = ruleFindings(ctx, tx, period, path); err != nil {
			return err
		}
		outliers, err := outlierFindings(ctx, tx, period, path, peerPath)
		out = append(out, outliers...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("validation report: %w", err)
	}
	if out == nil {
		out = []*hub.ValidationFinding{}
	}
	return out, nil
}

func ruleFindings(ctx context.Context, tx pgx.Tx, period, path string) ([]*hub.ValidationFinding, error) {
	rows, err := tx.Query(ctx, rulesTouching, nil)
	if err != nil {
		return nil, err
	}
	defs, err := pgx.CollectRows(rows, scanScopedRule)
	if err != nil || len(defs) == 0 {
		return nil, err
	}
	rules, keys := compileAll(defs)
	values, err := queryValues(ctx, tx, latestInSubtree, period, path, keys)
	if err != nil {
		return nil, err
	}
	regionSet := map[string]bool{}
	for k := range values {
		regionSet[k.region] = true
	}
	regions := make([]string, 0, len(regionSet))
	for r := range regionSet {
		regions = append(regions, r)
	}
	sort.Strings(regions)
	if err := addTreeCounts(ctx, tx, values, keys, regions, []string{period}); err != nil {
		return nil, err
	}
	paths, err := pathsOf(ctx, tx, regions)
	if err != nil {
		return nil, err
	}
	var out []*hub.ValidationFinding
	for _, reg := range regions {
		for ri, r := range rules {
			if !appliesTo(defs[ri].scope, paths[reg]) {
				continue
			}
			if f := evalRule(r, values, cell{reg, period}); f != nil {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

type rate struct {
	ind, region, parent, level, path, period string
	value, minors                            float64
}

func outlierFindings(ctx context.Context, tx pgx.Tx, period, path, peerPath string) ([]*hub.ValidationFinding, error) {
	minors := map[cell]float64{}
	rows, err := tx.Query(ctx, outlierMinors, period, peerPath)
	if err != nil {
		return nil, fmt.Errorf("read minors: %w", err)
	}
	var c cell
	var m *float64
	_, err = pgx.ForEachRow(rows, []any{&c.region, &c.period, &m}, func() error {
		if m != nil {
			minors[c] = *m
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read minors: %w", err)
	}
	rows, err = tx.Query(ctx, outlierCounts, period, peerPath)
	if err != nil {
		return nil, fmt.Errorf("read counts: %w", err)
	}
	var all []rate
	var r rate
	var v *float64
	_, err = pgx.ForEachRow(rows, []any{&r.ind, &r.region, &r.parent, &r.level, &r.path, &r.period, &v}, func() error {
		if v != nil {
			r.value, r.minors = *v, minors[cell{r.region, r.period[:4]}]
			all = append(all, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read counts: %w", err)
	}
	type series struct{ ind, region string }
	type peerGroup struct{ ind, parent, level string }
	history := map[series][]float64{}
	peers := map[peerGroup][]float64{}
	var current []rate
	for _, x := range all {
		v, ok := validation.PerTenThousand(x.value, x.minors)
		if !ok {
			continue
		}
		x.value = v
		if x.period == period {
			peers[peerGroup{x.ind, x.parent, x.level}] = append(peers[peerGroup{x.ind, x.parent, x.level}], v)
			if x.path == path || strings.HasPrefix(x.path, path+".") {
				current = append(current, x)
			}
		} else {
			history[series{x.ind, x.region}] = append(history[series{x.ind, x.region}], v)
		}
	}
	sort.Slice(current, func(i, j int) bool {
		if current[i].region != current[j].region {
			return current[i].region < current[j].region
		}
		return current[i].ind < current[j].ind
	})
	var out []*hub.ValidationFinding
	for _, x := range current {
		if s, ok := validation.ModifiedZ(x.value, history[series{x.ind, x.region}], validation.MinTimeSample); ok && s.Outlier() {
			out = append(out, outlierFinding(x, hub.OutlierTime, s))
		}
		if s, ok := validation.ModifiedZ(x.value, peers[peerGroup{x.ind, x.parent, x.level}], validation.MinPeerSample); ok && s.Outlier() {
			out = append(out, outlierFinding(x, hub.OutlierPeer, s))
		}
	}
	return out, nil
}

func outlierFinding(x rate, kind hub.OutlierKind, s validation.Score) *hub.ValidationFinding {
	ind := x.ind
	f := &hub.ValidationFinding{Severity: hub.Warn, IndicatorKey: &ind, RegionCode: x.region, Period: x.period,
		Outlier: &hub.Outlier{Kind: kind, Value: s.Value, Median: s.Median, MAD: s.MAD, Score: s.Score,
			Threshold: validation.ZThreshold, SampleSize: s.N}}
	what, whatEn := "历年", "earlier periods"
	f.Kind = hub.FindingOutlierTime
	if kind == hub.OutlierPeer {
		what, whatEn = "同级地区", "peer regions"
		f.Kind = hub.FindingOutlierPeer
	}
	f.Message = fmt.Sprintf("%s 每万名未成年人 %.4g，%s中位数 %.4g，MAD %.4g，修正 z 分数 %.2f（阈值 %.1f）/ "+
		"%s per 10,000 minors %.4g; median of %s %.4g, MAD %.4g, modified z-score %.2f (threshold %.1f)",
		ind, s.Value, what, s.Median, s.MAD, s.Score, validation.ZThreshold,
		ind, s.Value, whatEn, s.Median, s.MAD, s.Score, validation.ZThreshold)
	return f
}

// pgCode returns the SQLSTATE of a PostgreSQL error in err's chain, or "".
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
