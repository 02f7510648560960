package validation

import (
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// NewRule returns the rule in defines for region, the creator's: every
// field but the optional ones is required, and those default to WARN,
// SKIP_IF_ANY_MISSING, active and region.
func NewRule(in hub.RuleInput, region string) (*hub.ValidationRule, error) {
	if in.Name == nil || in.Left == nil || in.Operator == nil || in.Right == nil || in.TextZh == nil || in.TextEn == nil {
		return nil, hub.Errorf(hub.EINVALID, "规则须有名称、左右表达式、运算符和中英文说明 / a rule needs a name, left, operator, right and Chinese and English texts")
	}
	r := &hub.ValidationRule{Severity: hub.Warn, MissingValues: hub.SkipIfAnyMissing, Active: true, Region: &region}
	Apply(r, in)
	return r, nil
}

// Apply sets on r the fields that in sets, texts without surrounding
// spaces.
func Apply(r *hub.ValidationRule, in hub.RuleInput) {
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

// Check checks a rule about to be stored: its name, and its definition
// compiled against known, the stored indicators of the catalogue (which
// sets r.Indicators). An inactive rule is never evaluated, so one stored
// before today's bounds may still be deactivated; it is refused when
// activated, and an expression beyond hub.MaxRuleExpressionBytes is
// refused either way.
func Check(r *hub.ValidationRule, known []string) error {
	if !validName(r.Name) {
		return hub.Errorf(hub.EINVALID, "规则名称须为小写字母、数字和下划线 / a rule name is lower-case letters, digits and _, not %q", r.Name)
	}
	if _, err := Compile(r, known); err != nil {
		if r.Active || len(r.Left) > hub.MaxRuleExpressionBytes || len(r.Right) > hub.MaxRuleExpressionBytes {
			return err
		}
	}
	return nil
}

func validName(s string) bool {
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

// Counted reports whether r counts towards its region's
// hub.MaxActiveRulesPerRegion: every active rule of a region is evaluated
// on every submission there.
func Counted(r *hub.ValidationRule) bool { return r.Active && r.Region != nil }

// CountBlocks returns an EINVALID error when region, with others active
// rules besides the one being stored, has no room for another.
func CountBlocks(region string, others int) error {
	if others < hub.MaxActiveRulesPerRegion {
		return nil
	}
	return hub.Errorf(hub.EINVALID, "地区 %s 已有 %d 条生效的校验规则（上限 %d）：请先停用不再需要的规则 / region %s has %d active validation rules, the limit is %d: deactivate rules no longer needed first",
		region, others, hub.MaxActiveRulesPerRegion, region, others, hub.MaxActiveRulesPerRegion)
}
