package analytics

import (
	"math"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// FuzzEvaluate feeds any formula text (formulas and validation rules are
// written by coordinators) with some inputs: Evaluate never panics, fails
// only with a coded error a user may see, and never returns NaN or ±Inf.
func FuzzEvaluate(f *testing.F) {
	for _, s := range []string{
		"child_directors / minors_total * 10000",
		"abs(minors_total / population_total * 100 - minors_share) <= 2",
		"a + b * (c - 1)", "a / 0", "1e308 * 10", "-a", "a ** b", "a % b",
		"", "(", "a +", "a ? b : c", "[a, b]", "{'k': a}", `"text"`, "a in [1, 2]",
		"max(a, b)", "len('x')", "now()", "a..b", "filter(1..3, # > a)",
	} {
		f.Add(s, 2.0, 3.0)
	}
	f.Fuzz(func(t *testing.T, formula string, a, b float64) {
		if len(formula) > 1000 {
			return // formulas are short; very long ones only slow the fuzzer
		}
		vals := map[string]*float64{"a": &a, "b": &b, "c": &a, "child_directors": &a, "minors_total": &b,
			"population_total": &b, "minors_share": &a}
		v, err := Evaluate(formula, vals)
		if err != nil {
			if c := hub.ErrorCode(err); c != hub.EVALIDATION && c != hub.EINVALID {
				t.Fatalf("Evaluate(%q): error code %s: %v", formula, c, err)
			}
			return
		}
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
			t.Fatalf("Evaluate(%q) = %v", formula, *v)
		}
	})
}

// FuzzCheckFormulas: any pair of formulas is accepted or refused with a
// coded error, never a panic; a formula naming its own key is refused.
func FuzzCheckFormulas(f *testing.F) {
	f.Add("b + 1", "a * 2")
	f.Add("b", "c")
	f.Add("a", "1")
	f.Add("(", "b")
	f.Add("a + b", "minors_total / 2")
	f.Fuzz(func(t *testing.T, fa, fb string) {
		if len(fa) > 500 || len(fb) > 500 {
			return
		}
		err := CheckFormulas(map[string]string{"a": fa, "b": fb})
		if err != nil {
			if c := hub.ErrorCode(err); c != hub.EVALIDATION && c != hub.EINVALID {
				t.Fatalf("CheckFormulas(%q, %q): code %s: %v", fa, fb, c, err)
			}
			return
		}
		for k, formula := range map[string]string{"a": fa, "b": fb} {
			deps, _ := Dependencies(formula)
			for _, d := range deps {
				if d == k {
					t.Fatalf("formula %s = %q refers to itself and was accepted", k, formula)
				}
			}
		}
	})
}
