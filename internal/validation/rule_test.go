package validation

import (
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

var catalogue = []string{"minors_total", "population_total", "minors_share", "hope_rooms"}

func rule(left, op, right string, tol float64, missing hub.MissingValues) *hub.ValidationRule {
	return &hub.ValidationRule{Name: "r", Left: left, Operator: op, Right: right, Tolerance: tol,
		Severity: hub.Warn, MissingValues: missing, TextZh: "规则", TextEn: "rule"}
}

func f(x float64) *float64 { return &x }

func TestCompile_RejectsBadDefinitions(t *testing.T) {
	cases := map[string]*hub.ValidationRule{
		"unknown key":    rule("minors_total", "<=", "populaton_total", 0, hub.SkipIfAnyMissing),
		"syntax error":   rule("minors_total / ", "<=", "population_total", 0, hub.SkipIfAnyMissing),
		"operator":       rule("minors_total", "=<", "population_total", 0, hub.SkipIfAnyMissing),
		"not a number":   rule("minors_total > 1", "==", "population_total", 0, hub.SkipIfAnyMissing),
		"string":         rule(`"a"`, "==", "population_total", 0, hub.SkipIfAnyMissing),
		"empty side":     rule("minors_total", "<=", " ", 0, hub.SkipIfAnyMissing),
		"no indicator":   rule("1", "<=", "2", 0, hub.SkipIfAnyMissing),
		"tolerance":      rule("minors_total", "<=", "population_total", -1, hub.SkipIfAnyMissing),
		"missing values": rule("minors_total", "<=", "population_total", 0, "SOMETIMES"),
	}
	for name, r := range cases {
		if _, err := Compile(r, catalogue); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%s: err = %v, want BAD_USER_INPUT", name, err)
		}
	}
	noText := rule("minors_total", "<=", "population_total", 0, hub.SkipIfAnyMissing)
	noText.TextEn = ""
	if _, err := Compile(noText, catalogue); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("no English text: %v", err)
	}
}

func TestCompile_FindsIndicatorsNotFunctions(t *testing.T) {
	r := rule("abs(minors_total / population_total * 100 - minors_share)", "<=", "max(2, 1)", 0, hub.SkipIfAnyMissing)
	if _, err := Compile(r, catalogue); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Indicators, ","); got != "minors_share,minors_total,population_total" {
		t.Errorf("indicators = %s", got)
	}
}

func TestEval_OperatorsToleranceAndMissingValues(t *testing.T) {
	vals := map[string]*float64{"minors_total": f(83094), "population_total": f(3620000), "minors_share": f(23)}
	cases := []struct {
		r        *hub.ValidationRule
		violated bool
		skipped  bool
	}{
		{rule("minors_total", "<=", "population_total", 0, hub.SkipIfAnyMissing), false, false},
		{rule("minors_total", ">", "population_total", 0, hub.SkipIfAnyMissing), true, false},
		// 坊子区 2022: 83,094 minors of 3,620,000 people is 2.3 %, not 23 %.
		{rule("minors_total / population_total * 100", "==", "minors_share", 2, hub.SkipIfAnyMissing), true, false},
		{rule("minors_total / population_total * 100", "==", "minors_share", 21, hub.SkipIfAnyMissing), false, false},
		{rule("minors_share", "!=", "23", 0.5, hub.SkipIfAnyMissing), true, false},
		{rule("minors_share", "<", "22", 1, hub.SkipIfAnyMissing), true, false},
		{rule("minors_share", "<", "22", 1.5, hub.SkipIfAnyMissing), false, false},
		{rule("minors_share", ">=", "24", 1, hub.SkipIfAnyMissing), false, false},
		{rule("minors_share", ">", "24", 1, hub.SkipIfAnyMissing), true, false},
		// hope_rooms is missing: skipped, or taken as 0 under NEVER_SKIP.
		{rule("hope_rooms", ">=", "1", 0, hub.SkipIfAnyMissing), false, true},
		{rule("hope_rooms", ">=", "1", 0, hub.NeverSkip), true, false},
		// division by zero says nothing
		{rule("minors_total / (population_total - population_total)", ">", "0", 0, hub.SkipIfAnyMissing), false, true},
	}
	for _, c := range cases {
		cr, err := Compile(c.r, catalogue)
		if err != nil {
			t.Fatalf("%s: %v", c.r.Expression(), err)
		}
		res, err := cr.Eval(vals)
		if err != nil {
			t.Fatalf("%s: %v", c.r.Expression(), err)
		}
		if res.Violated != c.violated || res.Skipped != c.skipped {
			t.Errorf("%s: %+v, want violated %v skipped %v", c.r.Expression(), res, c.violated, c.skipped)
		}
	}
}

func TestRule_MessageHasTextAndNumbers(t *testing.T) {
	r := rule("minors_total", "<=", "population_total", 0, hub.SkipIfAnyMissing)
	r.TextZh, r.TextEn = "未成年人数不超过总人口", "minors do not exceed the population"
	cr, _ := Compile(r, catalogue)
	res, _ := cr.Eval(map[string]*float64{"minors_total": f(5), "population_total": f(4)})
	m := cr.Message(res)
	for _, want := range []string{"未成年人数不超过总人口", "minors do not exceed the population", "左 5", "right 4"} {
		if !strings.Contains(m, want) {
			t.Errorf("message %q lacks %q", m, want)
		}
	}
}
