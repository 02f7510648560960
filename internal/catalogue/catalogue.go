// Package catalogue decides changes of the indicator catalogue over plain
// values: whether a definition is valid (key, names, protection, unit,
// department, value type, aggregation, period type, collection level,
// direction, formula), whether the catalogue after a change still computes
// (formulas name known, active indicators of the same period type and
// are not circular), what a batch of definitions does to the stored
// catalogue (create, update, unchanged; changes that would make stored
// values wrong are refused), whether an indicator or department may be
// retired, and who may change the catalogue at all. It also reads the
// catalogue CSV of `hub indicators import` and of the demo.
//
// internal/postgres reads what a decision needs in one transaction and
// writes the plan; the table's constraints and triggers (migrations 00001,
// 00051) are the last line behind these checks.
package catalogue

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
)

// Fields a refusal can be about: the columns of the catalogue CSV, and the
// fields of GraphQL's IndicatorInput in snake case.
const (
	FieldKey             = "key"
	FieldName            = "name"
	FieldProtection      = "protection"
	FieldDepartment      = "department"
	FieldUnit            = "unit"
	FieldValueType       = "value_type"
	FieldAggregation     = "aggregation"
	FieldPeriodType      = "period_type"
	FieldCollectionLevel = "collection_level"
	FieldLowerIsBetter   = "lower_is_better"
	FieldRAG             = "rag_green"
	FieldFormula         = "formula"
)

// CollectionLevels are the levels an indicator may be collected at (the
// CHECK of indicators.collection_level). VILLAGE joins them with the
// village tree (migration 00050, issue 15 items 1–3).
var CollectionLevels = []hub.RegionLevel{hub.LevelCounty, hub.LevelTown, hub.LevelVillage}

// MaxFormulaBytes bounds a formula: it is evaluated in every comparison,
// trend and profile that reads the indicator.
const MaxFormulaBytes = hub.MaxRuleExpressionBytes

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// Refusal is why a definition was refused: the field and the error (with
// its code).
type Refusal struct {
	Field string
	Err   error
}

func refuse(field, format string, args ...any) *Refusal {
	return &Refusal{Field: field, Err: hub.Errorf(hub.EINVALID, format, args...)}
}

// Conflict is the refusal as the write paths report it, at the caller's
// number of the input.
func (r *Refusal) Conflict(at int) hub.Conflict {
	return hub.Conflict{Index: at, Field: hub.ValueField(r.Field), Code: hub.ErrorCode(r.Err), Message: hub.ErrorMessage(r.Err)}
}

// MayChange returns FORBIDDEN unless p may change the catalogue: admins
// whose scope is the whole tree (a root region). The row policies
// indicators_insert/update and departments_insert/update (migration 00051)
// are the rule; this says it in words before any SQL runs.
func MayChange(p *hub.Principal) error {
	switch {
	case p == nil:
		return hub.ErrNoPrincipal
	case p.Role != hub.Admin:
		return hub.Errorf(hub.EFORBIDDEN, "只有管理员可以修改指标目录 / only admins change the catalogue (you are %s)", p.Role)
	case strings.Contains(p.RegionPath, "."):
		return hub.Errorf(hub.EFORBIDDEN, "指标目录属于全市，只有全市管理员可以修改（您的范围是 %s）/ the catalogue is the whole hub's: only admins of the whole tree change it (your scope is %s)", p.Region, p.Region)
	}
	return nil
}

// CheckIndicator checks one definition on its own: key, name, protection,
// unit, department (known and active), value type, aggregation (SUM only
// adds up counts and amounts; a derived indicator is computed at every
// level, so it aggregates NONE), period type, collection level, direction
// (lower_is_better only where the profile scores the indicator: not BASE,
// not derived) and the formula's syntax and size. The formula's inputs are
// CheckFormulas'.
func CheckIndicator(ind *hub.Indicator, departments map[string]*hub.Department) *Refusal {
	switch {
	case !keyPattern.MatchString(ind.Key) || len(ind.Key) > 64:
		return refuse(FieldKey, "指标代码 %q 无效：小写字母开头，只含小写字母、数字和 _（最多 64 个）/ invalid key %q: a lower-case letter, then lower-case letters, digits and _ (at most 64)", ind.Key, ind.Key)
	case strings.TrimSpace(ind.Name) == "":
		return refuse(FieldName, "%s 缺少中文名称 / %s has no name", ind.Key, ind.Key)
	case !ind.Protection.Valid():
		return refuse(FieldProtection, "%s：无效的保护类别 %q（FAMILY, SCHOOL, SOCIETY, ONLINE, GOVERNMENT, JUDICIAL, BASE）/ %s: invalid protection %q", ind.Key, ind.Protection, ind.Key, ind.Protection)
	case strings.TrimSpace(ind.Unit) == "":
		return refuse(FieldUnit, "%s 缺少单位 / %s has no unit", ind.Key, ind.Key)
	}
	d := departments[ind.DepartmentCode]
	switch {
	case d == nil:
		return &Refusal{FieldDepartment, hub.Errorf(hub.ENOTFOUND, "部门 %q 不存在 / no department %q", ind.DepartmentCode, ind.DepartmentCode)}
	case d.RetiredAt != nil && ind.RetiredAt == nil:
		return &Refusal{FieldDepartment, hub.Errorf(hub.ERETIRED, "部门 %s 已停用 / department %s is retired", d.Code, d.Code)}
	case !ind.ValueType.Valid():
		return refuse(FieldValueType, "%s：无效的数值类型 %q（COUNT, AMOUNT, PERCENT, RATE）/ %s: invalid value type %q", ind.Key, ind.ValueType, ind.Key, ind.ValueType)
	case !ind.Aggregation.Valid():
		return refuse(FieldAggregation, "%s：无效的汇总方式 %q（SUM, AVERAGE, LAST, NONE）/ %s: invalid aggregation %q", ind.Key, ind.Aggregation, ind.Key, ind.Aggregation)
	case ind.Aggregation == hub.Sum && (ind.ValueType == hub.Percent || ind.ValueType == hub.Rate):
		return refuse(FieldAggregation, "%s 是 %s，不能求和（用 AVERAGE、LAST 或 NONE）/ %s is a %s: it does not add up (use AVERAGE, LAST or NONE)", ind.Key, ind.ValueType, ind.Key, ind.ValueType)
	case !ind.PeriodType.Valid():
		return refuse(FieldPeriodType, "%s：无效的报送周期 %q（YEAR, QUARTER, MONTH）/ %s: invalid period type %q", ind.Key, ind.PeriodType, ind.Key, ind.PeriodType)
	case !slices.Contains(CollectionLevels, ind.CollectionLevel):
		return refuse(FieldCollectionLevel, "%s：无效的采集层级 %q（%s）/ %s: invalid collection level %q (%s)", ind.Key, ind.CollectionLevel, levels(), ind.Key, ind.CollectionLevel, levels())
	case ind.LowerIsBetter && (ind.Protection == hub.Base || ind.Formula != nil):
		return refuse(FieldLowerIsBetter, "%s：越少越好只适用于计入六大保护画像的录入指标（非 BASE、非计算指标）/ %s: lower_is_better applies to entered indicators the profile scores (not BASE, not derived)", ind.Key, ind.Key)
	case (ind.RAGAmber == nil) != (ind.RAGGreen == nil):
		return refuse(FieldRAG, "%s：红黄绿阈值须同时给出 rag_amber 与 rag_green / %s: give both rag_amber and rag_green, or neither", ind.Key, ind.Key)
	case ind.RAGAmber != nil && !ind.LowerIsBetter && *ind.RAGGreen < *ind.RAGAmber:
		return refuse(FieldRAG, "%s 越多越好：rag_green（%g）不能小于 rag_amber（%g）/ %s is higher-is-better: rag_green (%g) must not be below rag_amber (%g)", ind.Key, *ind.RAGGreen, *ind.RAGAmber, ind.Key, *ind.RAGGreen, *ind.RAGAmber)
	case ind.RAGAmber != nil && ind.LowerIsBetter && *ind.RAGGreen > *ind.RAGAmber:
		return refuse(FieldRAG, "%s 越少越好：rag_green（%g）不能大于 rag_amber（%g）/ %s is lower-is-better: rag_green (%g) must not be above rag_amber (%g)", ind.Key, *ind.RAGGreen, *ind.RAGAmber, ind.Key, *ind.RAGGreen, *ind.RAGAmber)
	}
	if ind.Formula == nil {
		return nil
	}
	f := *ind.Formula
	switch {
	case strings.TrimSpace(f) == "":
		return refuse(FieldFormula, "%s 的公式为空 / %s: empty formula", ind.Key, ind.Key)
	case len(f) > MaxFormulaBytes:
		return refuse(FieldFormula, "%s 的公式过长（最多 %d 字节）/ %s: formula longer than %d bytes", ind.Key, MaxFormulaBytes, ind.Key, MaxFormulaBytes)
	case ind.Aggregation != hub.None:
		return refuse(FieldAggregation, "%s 是计算指标，在每一级按公式计算，汇总方式须为 NONE / %s is derived (computed at every level): its aggregation must be NONE", ind.Key, ind.Key)
	}
	if _, err := analytics.Dependencies(f); err != nil {
		return &Refusal{FieldFormula, fmt.Errorf("%s: %w", ind.Key, err)}
	}
	return nil
}

func levels() string {
	s := make([]string, len(CollectionLevels))
	for i, l := range CollectionLevels {
		s[i] = string(l)
	}
	return strings.Join(s, ", ")
}

// CheckFormulas checks the formulas of the catalogue after a change (every
// indicator by key, the stored ones replaced by the changed): each active
// derived indicator names only known, active indicators of its own period
// type (a derived value is computed where its inputs meet), and no formula
// reads itself, directly or through others. It returns the key of the
// first derived indicator refused, in key order, and why.
func CheckFormulas(after map[string]*hub.Indicator) (string, *Refusal) {
	keys := make([]string, 0, len(after))
	formulas := map[string]string{}
	for k, ind := range after {
		keys = append(keys, k)
		if ind.Formula != nil {
			formulas[k] = *ind.Formula
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		ind := after[k]
		if ind.Formula == nil || ind.RetiredAt != nil {
			continue
		}
		deps, err := analytics.Dependencies(*ind.Formula)
		if err != nil {
			return k, &Refusal{FieldFormula, fmt.Errorf("%s: %w", k, err)}
		}
		for _, d := range deps {
			if hub.IsTreeCount(d) {
				continue // towns and villages come from the region tree
			}
			in := after[d]
			switch {
			case in == nil:
				return k, refuse(FieldFormula, "%s 的公式引用了不存在的指标 %q / the formula of %s names unknown indicator %q", k, d, k, d)
			case in.RetiredAt != nil:
				return k, &Refusal{FieldFormula, hub.Errorf(hub.ERETIRED, "%s 的公式引用了已停用的指标 %s / the formula of %s reads retired indicator %s", k, d, k, d)}
			case in.PeriodType != ind.PeriodType:
				return k, refuse(FieldFormula, "%s（%s）的公式引用了 %s（%s）：报送周期须相同 / the formula of %s (%s) reads %s (%s): period types must match", k, ind.PeriodType, d, in.PeriodType, k, ind.PeriodType, d, in.PeriodType)
			}
		}
	}
	if err := analytics.CheckFormulas(formulas); err != nil {
		return "", &Refusal{FieldFormula, err}
	}
	return "", nil
}

// ChangeRefusal refuses a change of a stored indicator that would make its
// stored values wrong: another department (the values are the old one's),
// value type (they were checked against it), period type or collection
// level (they were entered per the old one). Such a change is a new
// indicator, and the old one retired.
func ChangeRefusal(stored, next *hub.Indicator, hasValues bool) *Refusal {
	if !hasValues {
		return nil
	}
	field, from, to := "", "", ""
	switch {
	case stored.DepartmentCode != next.DepartmentCode:
		field, from, to = FieldDepartment, stored.DepartmentCode, next.DepartmentCode
	case stored.ValueType != next.ValueType:
		field, from, to = FieldValueType, string(stored.ValueType), string(next.ValueType)
	case stored.PeriodType != next.PeriodType:
		field, from, to = FieldPeriodType, string(stored.PeriodType), string(next.PeriodType)
	case stored.CollectionLevel != next.CollectionLevel:
		field, from, to = FieldCollectionLevel, string(stored.CollectionLevel), string(next.CollectionLevel)
	default:
		return nil
	}
	return &Refusal{field, hub.Errorf(hub.ECONFLICT,
		"%s 已有数据，%s 不能从 %s 改为 %s：请新建指标并停用旧指标 / %s has values: its %s cannot change from %s to %s; create a new indicator and retire this one",
		stored.Key, field, from, to, stored.Key, field, from, to)}
}

// Plan is what a batch of definitions does to the stored catalogue.
type Plan struct {
	// Write are the definitions to insert or update, in input order.
	Write                       []*hub.Indicator
	Created, Updated, Unchanged int
	Conflicts                   []hub.Conflict
}

// Decide plans in (at[i] is the caller's number of in[i]) over the stored
// catalogue, the departments and which stored indicators have values: each
// definition is checked (CheckIndicator, ChangeRefusal), then the whole
// catalogue after the batch (CheckFormulas). A key given twice is refused
// at its second input. A definition equal to the stored one is unchanged;
// a retired indicator stays retired (retiring is RetireRefusal's).
func Decide(in []*hub.Indicator, at []int, stored map[string]*hub.Indicator, departments map[string]*hub.Department,
	hasValues map[string]bool) Plan {
	var pl Plan
	after := make(map[string]*hub.Indicator, len(stored)+len(in))
	for k, v := range stored {
		after[k] = v
	}
	seen := map[string]int{}
	byKey := map[string]int{}
	for i, ind := range in {
		next := *ind
		old := stored[ind.Key]
		if old != nil {
			next.RetiredAt = old.RetiredAt
		}
		if first, dup := seen[ind.Key]; dup {
			pl.Conflicts = append(pl.Conflicts, refuse(FieldKey, "指标 %s 重复（第一次在 %d）/ indicator %s given twice (first at %d)", ind.Key, first, ind.Key, first).Conflict(at[i]))
			continue
		}
		seen[ind.Key] = at[i]
		if r := CheckIndicator(&next, departments); r != nil {
			pl.Conflicts = append(pl.Conflicts, r.Conflict(at[i]))
			continue
		}
		if old != nil {
			if r := ChangeRefusal(old, &next, hasValues[ind.Key]); r != nil {
				pl.Conflicts = append(pl.Conflicts, r.Conflict(at[i]))
				continue
			}
		}
		after[ind.Key] = &next
		byKey[ind.Key] = at[i]
		switch {
		case old == nil:
			pl.Created++
			pl.Write = append(pl.Write, &next)
		case Equal(old, &next):
			pl.Unchanged++
		default:
			pl.Updated++
			pl.Write = append(pl.Write, &next)
		}
	}
	if len(pl.Conflicts) == 0 {
		if k, r := CheckFormulas(after); r != nil {
			idx, ok := byKey[k]
			if !ok && len(at) > 0 {
				idx = at[0] // a stored formula the batch broke: blame the batch's first input
			}
			pl.Conflicts = append(pl.Conflicts, r.Conflict(idx))
		}
	}
	if len(pl.Conflicts) > 0 {
		pl.Write, pl.Created, pl.Updated, pl.Unchanged = nil, 0, 0, 0
	}
	return pl
}

// Equal reports whether two definitions say the same (retirement aside).
func Equal(a, b *hub.Indicator) bool {
	return a.Key == b.Key && a.Name == b.Name && eq(a.NameEn, b.NameEn) && a.Protection == b.Protection &&
		a.Unit == b.Unit && a.DepartmentCode == b.DepartmentCode && a.ValueType == b.ValueType &&
		a.Aggregation == b.Aggregation && a.PeriodType == b.PeriodType && a.CollectionLevel == b.CollectionLevel &&
		a.Publicity == b.Publicity && a.Sensitive == b.Sensitive && a.LowerIsBetter == b.LowerIsBetter &&
		feq(a.RAGAmber, b.RAGAmber) && feq(a.RAGGreen, b.RAGGreen) &&
		eq(a.Formula, b.Formula) && eq(a.Description, b.Description)
}

func feq(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func eq(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// Apply returns stored with the patch's fields set. An empty Formula,
// NameEn or Description removes it.
func Apply(stored *hub.Indicator, p hub.IndicatorPatch) *hub.Indicator {
	n := *stored
	set(&n.Name, p.Name)
	set(&n.Unit, p.Unit)
	set(&n.DepartmentCode, p.DepartmentCode)
	set(&n.Protection, p.Protection)
	set(&n.ValueType, p.ValueType)
	set(&n.Aggregation, p.Aggregation)
	set(&n.PeriodType, p.PeriodType)
	set(&n.CollectionLevel, p.CollectionLevel)
	set(&n.Publicity, p.Publicity)
	set(&n.Sensitive, p.Sensitive)
	set(&n.LowerIsBetter, p.LowerIsBetter)
	if p.ClearRAG != nil && *p.ClearRAG {
		n.RAGAmber, n.RAGGreen = nil, nil
	}
	if p.RAGAmber != nil {
		n.RAGAmber = p.RAGAmber
	}
	if p.RAGGreen != nil {
		n.RAGGreen = p.RAGGreen
	}
	for _, f := range []struct{ dst, src **string }{{&n.NameEn, &p.NameEn}, {&n.Formula, &p.Formula}, {&n.Description, &p.Description}} {
		switch {
		case *f.src == nil:
		case **f.src == "":
			*f.dst = nil
		default:
			v := **f.src
			*f.dst = &v
		}
	}
	return &n
}

// set sets *dst to *src when src is given.
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// RetireRefusal refuses to retire key while an active derived indicator of
// the catalogue reads it (its values would vanish from every comparison).
// Retiring a retired indicator is no refusal: it changes nothing.
func RetireRefusal(key string, catalogue map[string]*hub.Indicator) error {
	ind := catalogue[key]
	if ind == nil {
		return hub.Errorf(hub.ENOTFOUND, "指标 %q 不存在 / no indicator %q", key, key)
	}
	if ind.RetiredAt != nil {
		return nil
	}
	var users []string
	for k, d := range catalogue {
		if d.Formula == nil || d.RetiredAt != nil || k == key {
			continue
		}
		deps, err := analytics.Dependencies(*d.Formula)
		if err == nil && slices.Contains(deps, key) {
			users = append(users, k)
		}
	}
	if len(users) > 0 {
		slices.Sort(users)
		u := strings.Join(users, ", ")
		return hub.Errorf(hub.ECONFLICT, "%s 仍被在用的计算指标 %s 引用，不能停用（先停用或修改它们）/ %s cannot be retired: active derived indicators %s read it (retire or change them first)", key, u, key, u)
	}
	return nil
}

// RetireDepartmentRefusal refuses to retire a department that still owns
// active indicators (active lists them).
func RetireDepartmentRefusal(code string, active []string) error {
	if len(active) == 0 {
		return nil
	}
	n := len(active)
	shown := strings.Join(active[:min(n, 5)], ", ")
	return hub.Errorf(hub.ECONFLICT, "部门 %s 仍有 %d 个在用指标（%s），请先停用 / department %s still owns %d active indicators (%s): retire them first", code, n, shown, code, n, shown)
}

// CheckDepartment checks a department's definition: code and name.
func CheckDepartment(d hub.Department) error {
	switch {
	case !keyPattern.MatchString(d.Code) || len(d.Code) > 64:
		return hub.Errorf(hub.EINVALID, "部门代码 %q 无效：小写字母开头，只含小写字母、数字和 _ / invalid department code %q: a lower-case letter, then lower-case letters, digits and _", d.Code, d.Code)
	case strings.TrimSpace(d.Name) == "":
		return hub.Errorf(hub.EINVALID, "部门 %s 缺少中文名称 / department %s has no name", d.Code, d.Code)
	}
	return nil
}
