package validation

import (
	"strings"
	"testing"
	"time"

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

// TestCompile_RefusesCostlyExpressions: a rule is evaluated inside every
// later submission of its region, so nothing that loops, builds strings or
// lists, or is simply huge gets past Compile.
func TestCompile_RefusesCostlyExpressions(t *testing.T) {
	cases := map[string]string{
		"nested sum over ranges": "minors_total + sum(1..999, sum(1..999, #))",
		"repeat":                 `minors_total + len(repeat("x", 100000000))`,
		"range":                  "minors_total + (1..100000000)[0]",
		"range alone":            "minors_total * count(1..1000000, # > 0)",
		"filter":                 "minors_total + len(filter(1..9, # > 1))",
		"map":                    "minors_total + map([1, 2], # * 2)[0]",
		"reduce":                 "minors_total + reduce(1..9, #acc + #)",
		"array":                  "minors_total + [1, 2][0]",
		"string":                 `minors_total + len("abc")`,
		"let":                    "let x = minors_total; x * 2",
		"member":                 "minors_total.x",
		"in":                     "minors_total in [1, 2] ? 1 : 0",
		"too long":               "minors_total" + strings.Repeat(" ", hub.MaxRuleExpressionBytes) + "+ 1",
		"too many nodes":         "minors_total" + strings.Repeat("+1", 150),
	}
	for name, src := range cases {
		start := time.Now()
		_, err := Compile(rule(src, "<=", "population_total", 0, hub.SkipIfAnyMissing), catalogue)
		if hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%s: %q compiled (%v)", name, src, err)
		}
		if took := time.Since(start); took > 2*time.Second { // a ceiling against runaway work, not a speed test
			t.Errorf("%s: refused after %v", name, took)
		}
	}
	long := rule("minors_total", "<=", "population_total", 0, hub.SkipIfAnyMissing)
	long.TextZh = strings.Repeat("长", MaxTextBytes)
	if _, err := Compile(long, catalogue); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("a text of %d bytes: %v", len(long.TextZh), err)
	}
}

func TestCompile_AllowsArithmeticOverIndicators(t *testing.T) {
	for _, src := range []string{
		"minors_total / population_total * 100",
		"abs(minors_total - minors_share) + max(1, 2) - min(hope_rooms, 3)",
		"round(minors_total) + floor(population_total) + ceil(hope_rooms) ** 2",
		"minors_total > 0 && population_total > 0 ? minors_total / population_total : 0",
		"-minors_total + +hope_rooms",
		"minors_total" + strings.Repeat("+1", 90),
	} {
		if _, err := Compile(rule(src, "<=", "population_total", 0, hub.SkipIfAnyMissing), catalogue); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

// TestCompileStored_ABrokenRuleFailsAtEvaluationWithAReason: a stored rule
// that does not compile under today's bounds is never run; its Eval fails
// at once with a message for a finding.
func TestCompileStored_ABrokenRuleFailsAtEvaluationWithAReason(t *testing.T) {
	stored := rule(`minors_total + len(repeat("x", 100000000))`, "<=", "population_total", 0, hub.SkipIfAnyMissing)
	stored.Name, stored.Indicators = "costly", []string{"minors_total", "population_total"}
	r := CompileStored(stored)
	start := time.Now()
	_, err := r.Eval(map[string]*float64{"minors_total": f(1), "population_total": f(2)})
	if err == nil || time.Since(start) > 2*time.Second { // a ceiling, not a speed test
		t.Fatalf("broken rule evaluated: %v after %v", err, time.Since(start))
	}
	if msg := r.FailureMessage(err); !strings.Contains(msg, "costly") || !strings.Contains(msg, "无法计算") || !strings.Contains(msg, "len()") {
		t.Errorf("failure message %q", msg)
	}
}
