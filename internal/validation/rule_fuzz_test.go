package validation

import (
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// FuzzCompileRule feeds rule definitions as a coordinator may type them.
// Compile either refuses them as BAD_USER_INPUT or returns a rule that
// evaluates without panicking, with any values, missing or not.
func FuzzCompileRule(f *testing.F) {
	f.Add("minors_total", "<=", "population_total", 0.0, 100.0, 200.0)
	f.Add("minors_total / population_total * 100", "==", "minors_share", 2.0, 1e6, 0.0)
	f.Add("abs(hope_rooms - 1)", ">", "0", 0.0, -1.0, 3.0)
	f.Add("minors_total ** 1e308", "!=", "hope_rooms / 0", 0.0, 2.0, 0.0)
	f.Add("[1,2][5]", "<", "minors_total", 0.0, 1.0, 1.0)
	f.Add(`let x = minors_total; x`, ">=", `"a"`, -1.0, 0.0, 0.0)
	f.Fuzz(func(t *testing.T, left, op, right string, tol, a, b float64) {
		for _, missing := range []hub.MissingValues{hub.SkipIfAnyMissing, hub.NeverSkip} {
			r, err := Compile(rule(left, op, right, tol, missing), catalogue)
			if err != nil {
				if hub.ErrorCode(err) != hub.EINVALID {
					t.Fatalf("%q %s %q: %v, want BAD_USER_INPUT", left, op, right, err)
				}
				continue
			}
			for _, vals := range []map[string]*float64{
				{"minors_total": &a, "population_total": &b, "minors_share": &a, "hope_rooms": &b},
				{"minors_total": &a},
				{},
			} {
				if res, err := r.Eval(vals); err == nil {
					_ = r.Message(res)
				}
			}
		}
	})
}
