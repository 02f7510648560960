package validation

import (
	"slices"
	"sort"

	"github.com/sixprot/hub/internal/hub"
)

// Scoped is an active rule and the path of the region whose subtree it
// applies to ("" for everywhere).
type Scoped struct {
	Rule  *hub.ValidationRule
	Scope string
}

// AppliesTo reports whether a rule of scope applies to the region of path:
// a rule without a region applies everywhere, one with a region in its
// subtree (the region itself and every region below it).
func AppliesTo(scope, path string) bool {
	return scope == "" || hub.Within(path, scope)
}

// Keys returns the indicator keys the rules read, once each in the order
// first read: the values to read for evaluating them.
func Keys(rules []Scoped) []string {
	var keys distinct
	for _, r := range rules {
		for _, k := range r.Rule.Indicators {
			keys.add(k)
		}
	}
	return keys.list
}

// Touched returns the indicators, regions and periods of a submission,
// once each in input order: the rules to find and the values to read.
func Touched(in []hub.ValueInput) (keys, regions, periods []string) {
	var k, r, p distinct
	for _, v := range in {
		k.add(v.Indicator)
		r.add(v.Region)
		p.add(v.Period)
	}
	return k.list, r.list, p.list
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

// ValueKey identifies a value: indicator, region and period.
type ValueKey struct{ Indicator, Region, Period string }

// Values are the newest value the reader can see of each key; nil is a
// stored empty value, and a key that is absent has no value.
type Values map[ValueKey]*float64

// Regions returns the regions that have values, sorted by code.
func (v Values) Regions() []string {
	var d distinct
	for k := range v {
		d.add(k.Region)
	}
	sort.Strings(d.list)
	return d.list
}

// SubmissionInput is what checking a submission against the rules reads,
// inside the submission's transaction.
type SubmissionInput struct {
	// Inputs are the submitted values, in input order.
	Inputs []hub.ValueInput
	// Rules are the active rules that read any submitted indicator.
	Rules []Scoped
	// Paths are the paths of the submitted regions, by code.
	Paths map[string]string
	// Values are those of Keys(Rules) in the submitted regions and
	// periods that the submitter can read, the submitted ones included.
	Values Values
}

// Checked is what the rules say of a submission.
type Checked struct {
	// Conflicts are the BLOCK violations, each a conflict with code
	// EVALIDATION at the first input the rule reads in its region and
	// period, in input order: they refuse the whole submission.
	Conflicts []hub.Conflict
	// Warnings are the WARN violations, and the rules that could not be
	// evaluated (a broken rule neither blocks nor fails a submission).
	Warnings []*hub.ValidationFinding
}

// Submission evaluates each rule once for every submitted region and
// period in which the submission gives one of the indicators it reads and
// to which the rule applies (AppliesTo).
func Submission(in SubmissionInput) Checked {
	var out Checked
	if len(in.Rules) == 0 {
		return out
	}
	rules := compileAll(in.Rules)
	type at struct {
		cell ValueKey
		rule int
	}
	reported := map[at]bool{}
	for i, v := range in.Inputs {
		c := ValueKey{Region: v.Region, Period: v.Period}
		for ri, r := range rules {
			if reported[at{c, ri}] || !slices.Contains(r.Indicators, v.Indicator) || !AppliesTo(in.Rules[ri].Scope, in.Paths[v.Region]) {
				continue
			}
			reported[at{c, ri}] = true
			f := evaluate(r, in.Values, v.Region, v.Period)
			switch {
			case f == nil:
			case f.Severity == hub.Block:
				out.Conflicts = append(out.Conflicts, hub.Conflict{Index: i, Field: hub.FieldValue, Code: hub.EVALIDATION, Message: f.Message})
			default:
				out.Warnings = append(out.Warnings, f)
			}
		}
	}
	return out
}

// ruleFindings evaluates every rule for period in each region of values
// it applies to, by region code and then in the order of rules.
func ruleFindings(rules []Scoped, values Values, paths map[string]string, period string) []*hub.ValidationFinding {
	compiled := compileAll(rules)
	var out []*hub.ValidationFinding
	for _, reg := range values.Regions() {
		for ri, r := range compiled {
			if !AppliesTo(rules[ri].Scope, paths[reg]) {
				continue
			}
			if f := evaluate(r, values, reg, period); f != nil {
				out = append(out, f)
			}
		}
	}
	return out
}

// compileAll compiles the stored rules; one that no longer compiles is
// kept, and reported as a finding wherever it applies (evaluate).
func compileAll(rules []Scoped) []*Rule {
	out := make([]*Rule, len(rules))
	for i, r := range rules {
		out[i] = CompileStored(r.Rule)
	}
	return out
}

// evaluate evaluates r in a region and period and returns its finding, or
// nil when the rule holds or is skipped. A rule that cannot be evaluated
// (a stored rule that no longer compiles, a runtime error) is a WARN
// finding that says so.
func evaluate(r *Rule, values Values, region, period string) *hub.ValidationFinding {
	env := make(map[string]*float64, len(r.Indicators))
	for _, k := range r.Indicators {
		env[k] = values[ValueKey{k, region, period}]
	}
	id, name := r.ID, r.Name
	f := &hub.ValidationFinding{Kind: hub.FindingRule, RuleID: &id, Rule: &name, RegionCode: region, Period: period}
	if len(r.Indicators) > 0 {
		f.IndicatorKey = &r.Indicators[0]
	}
	res, err := r.Eval(env)
	switch {
	case err != nil:
		f.Severity, f.Message = hub.Warn, r.FailureMessage(err)
	case !res.Violated:
		return nil
	default:
		f.Severity, f.Message, f.Left, f.Right = r.Severity, r.Message(res), &res.Left, &res.Right
	}
	return f
}
