package validation

import (
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func TestAppliesTo_TheRegionAndItsSubtree(t *testing.T) {
	cases := []struct {
		scope, path string
		want        bool
	}{
		{"", "37.3707.370704", true},        // no region: everywhere
		{"37.3707", "37.3707", true},        // the region itself
		{"37.3707", "37.3707.370704", true}, // below it
		{"37.3707", "37.3707.370704.370704001", true},
		{"37.3707", "37.37070", false},       // a code that only starts the same
		{"37.3707", "37.3702.370202", false}, // a sibling's subtree
		{"37.3707.370704", "37.3707", false}, // above it
	}
	for _, c := range cases {
		if got := AppliesTo(c.scope, c.path); got != c.want {
			t.Errorf("AppliesTo(%q, %q) = %v, want %v", c.scope, c.path, got, c.want)
		}
	}
}

func scoped(name, left, op, right string, sev hub.Severity, scope string) Scoped {
	r := rule(left, op, right, 0, hub.SkipIfAnyMissing)
	r.Name, r.Severity = name, sev
	if _, err := Compile(r, catalogue); err != nil {
		panic(err)
	}
	return Scoped{Rule: r, Scope: scope}
}

func in(ind, region, period string) hub.ValueInput {
	return hub.ValueInput{Indicator: ind, Region: region, Period: period}
}

var paths = map[string]string{"370704": "37.3707.370704", "370202": "37.3702.370202"}

// TestSubmission_BlockIsAConflictWarnAWarning: 120 minors of 100 people
// violates minors_total <= population_total (left 120, right 100). As a
// BLOCK rule it is one EVALIDATION conflict at the first input of the
// cell the rule reads (index 1: index 0 is hope_rooms), as WARN a warning
// with the figures.
func TestSubmission_BlockIsAConflictWarnAWarning(t *testing.T) {
	values := Values{
		{"minors_total", "370704", "2023"}:     f(120),
		{"population_total", "370704", "2023"}: f(100),
	}
	inputs := []hub.ValueInput{in("hope_rooms", "370704", "2023"), in("population_total", "370704", "2023"), in("minors_total", "370704", "2023")}
	for _, c := range []struct {
		sev                 hub.Severity
		conflicts, warnings int
	}{{hub.Block, 1, 0}, {hub.Warn, 0, 1}} {
		got := Submission(SubmissionInput{Inputs: inputs, Paths: paths, Values: values,
			Rules: []Scoped{scoped("minors_le_pop", "minors_total", "<=", "population_total", c.sev, "")}})
		if len(got.Conflicts) != c.conflicts || len(got.Warnings) != c.warnings {
			t.Fatalf("%s: %d conflicts, %d warnings; want %d, %d", c.sev, len(got.Conflicts), len(got.Warnings), c.conflicts, c.warnings)
		}
		if c.sev == hub.Block {
			if k := got.Conflicts[0]; k.Index != 1 || k.Code != hub.EVALIDATION || !strings.Contains(k.Message, "左 120，右 100") {
				t.Errorf("BLOCK conflict %+v, want index 1, VALIDATION, left 120 right 100", k)
			}
			continue
		}
		w := got.Warnings[0]
		if w.Kind != hub.FindingRule || w.Severity != hub.Warn || *w.Rule != "minors_le_pop" || *w.Left != 120 || *w.Right != 100 ||
			w.RegionCode != "370704" || w.Period != "2023" || *w.IndicatorKey != "minors_total" {
			t.Errorf("WARN finding %+v", w)
		}
	}
}

// TestSubmission_RulesApplyInTheirSubtree: a rule of 潍坊 (37.3707) is
// evaluated for 坊子区 (370704), not for 青岛's 370202, with the same
// violating figures in both.
func TestSubmission_RulesApplyInTheirSubtree(t *testing.T) {
	values := Values{}
	var inputs []hub.ValueInput
	for _, reg := range []string{"370202", "370704"} {
		values[ValueKey{"minors_total", reg, "2023"}] = f(120)
		values[ValueKey{"population_total", reg, "2023"}] = f(100)
		inputs = append(inputs, in("minors_total", reg, "2023"))
	}
	got := Submission(SubmissionInput{Inputs: inputs, Paths: paths, Values: values,
		Rules: []Scoped{scoped("weifang", "minors_total", "<=", "population_total", hub.Block, "37.3707")}})
	if len(got.Conflicts) != 1 || got.Conflicts[0].Index != 1 || len(got.Warnings) != 0 {
		t.Errorf("conflicts %v, warnings %d; want one at index 1 (370704)", got.Conflicts, len(got.Warnings))
	}
}

// TestSubmission_ABrokenRuleIsAWarning: a stored BLOCK rule that no longer
// compiles neither blocks nor fails the submission: it is a WARN finding
// that says it was not checked.
func TestSubmission_ABrokenRuleIsAWarning(t *testing.T) {
	broken := rule(`minors_total + len(repeat("x", 9))`, "<=", "population_total", 0, hub.SkipIfAnyMissing)
	broken.Name, broken.Severity, broken.Indicators = "broken", hub.Block, []string{"minors_total", "population_total"}
	got := Submission(SubmissionInput{Inputs: []hub.ValueInput{in("minors_total", "370704", "2023")}, Paths: paths,
		Values: Values{{"minors_total", "370704", "2023"}: f(1)},
		Rules:  []Scoped{{Rule: broken}}})
	if len(got.Conflicts) != 0 || len(got.Warnings) != 1 {
		t.Fatalf("%d conflicts, %d warnings; want one warning", len(got.Conflicts), len(got.Warnings))
	}
	if w := got.Warnings[0]; w.Severity != hub.Warn || w.Kind != hub.FindingRule || !strings.Contains(w.Message, "无法计算") || w.Left != nil {
		t.Errorf("finding %+v, want a WARN that says the rule could not be evaluated", w)
	}
}

// TestReport_RulesByRegionThenOutliers: rule findings come by region code
// and then in rule order, BLOCK ones too, before the outliers; a region
// outside a rule's scope is not checked by it.
func TestReport_RulesByRegionThenOutliers(t *testing.T) {
	values := Values{}
	for _, reg := range []string{"370704", "370202"} {
		values[ValueKey{"minors_total", reg, "2023"}] = f(120)
		values[ValueKey{"population_total", reg, "2023"}] = f(100)
	}
	rules := []Scoped{
		scoped("b_everywhere", "minors_total", "<=", "population_total", hub.Block, ""),
		scoped("a_weifang", "minors_total", "<", "population_total", hub.Warn, "37.3707"),
	}
	in := ReportInput{Rules: rules, Values: values, Paths: paths,
		OutlierInput: OutlierInput{Period: "2023", Path: "37",
			Counts: counts("370704", "370700", pathA, map[string]float64{"2020": 20, "2021": 24, "2022": 40, "2023": 60}),
			Minors: minors("370704", 20000, "2020", "2021", "2022", "2023")}}
	var got []string
	for _, f := range Report(in) {
		what := f.Kind
		if f.Rule != nil {
			what += " " + *f.Rule + " " + string(f.Severity)
		}
		got = append(got, f.RegionCode+" "+what)
	}
	want := []string{"370202 RULE b_everywhere BLOCK", "370704 RULE b_everywhere BLOCK", "370704 RULE a_weifang WARN", "370704 OUTLIER_TIME"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("report\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if out := Report(ReportInput{OutlierInput: OutlierInput{Period: "2023"}}); out == nil || len(out) != 0 {
		t.Errorf("empty report %v, want an empty list", out)
	}
}
