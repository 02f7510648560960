package validation

import (
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func str(s string) *string { return &s }

func TestNewRule_DefaultsAndRequiredFields(t *testing.T) {
	in := hub.RuleInput{Name: str(" minors_le_pop "), Left: str("minors_total"), Operator: str("<="), Right: str("population_total"),
		TextZh: str("未成年人数不超过总人口"), TextEn: str("minors do not exceed the population")}
	r, err := NewRule(in, "370704")
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "minors_le_pop" || r.Severity != hub.Warn || r.MissingValues != hub.SkipIfAnyMissing || !r.Active || *r.Region != "370704" {
		t.Errorf("rule %+v, want the trimmed name, WARN, SKIP_IF_ANY_MISSING, active, region 370704", r)
	}
	in.TextEn = nil
	if _, err := NewRule(in, "370704"); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("no English text: %v, want BAD_USER_INPUT", err)
	}
}

func TestCheck_NameAndInactiveBrokenRules(t *testing.T) {
	ok := rule("minors_total", "<=", "population_total", 0, hub.SkipIfAnyMissing)
	ok.Name = "minors_le_pop"
	if err := Check(ok, catalogue); err != nil {
		t.Errorf("good rule: %v", err)
	}
	for _, name := range []string{"", "Minors", "1st", "minors-le-pop", strings.Repeat("a", 65)} {
		r := *ok
		r.Name = name
		if err := Check(&r, catalogue); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("name %q: %v, want BAD_USER_INPUT", name, err)
		}
	}
	// A stored rule that no longer compiles may be deactivated, not activated.
	broken := *ok
	broken.Left = `minors_total + len(repeat("x", 9))`
	broken.Active = false
	if err := Check(&broken, catalogue); err != nil {
		t.Errorf("deactivating a broken rule: %v", err)
	}
	broken.Active = true
	if err := Check(&broken, catalogue); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("activating a broken rule: %v, want BAD_USER_INPUT", err)
	}
	broken.Active, broken.Left = false, strings.Repeat("1+", hub.MaxRuleExpressionBytes)+"minors_total"
	if err := Check(&broken, catalogue); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("an inactive rule too long: %v, want BAD_USER_INPUT", err)
	}
}

func TestCountBlocks_AtTheLimit(t *testing.T) {
	if err := CountBlocks("370704", hub.MaxActiveRulesPerRegion-1); err != nil {
		t.Errorf("one below the limit: %v", err)
	}
	if err := CountBlocks("370704", hub.MaxActiveRulesPerRegion); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("at the limit: %v, want BAD_USER_INPUT", err)
	}
	region := "370704"
	if Counted(&hub.ValidationRule{Active: false, Region: &region}) || Counted(&hub.ValidationRule{Active: true}) || !Counted(&hub.ValidationRule{Active: true, Region: &region}) {
		t.Error("only active rules of a region count")
	}
}
