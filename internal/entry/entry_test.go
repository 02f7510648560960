package entry_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/entry"
	"github.com/sixprot/hub/internal/hub"
)

func ptr[T any](x T) *T { return &x }

var (
	formula    = "child_directors / minors_total * 10000"
	indicators = map[string]*hub.Indicator{
		"minors_total": {Key: "minors_total", DepartmentCode: "civil_affairs", ValueType: hub.Count,
			PeriodType: hub.Year, CollectionLevel: hub.LevelCounty},
		"minors_share": {Key: "minors_share", DepartmentCode: "civil_affairs", ValueType: hub.Percent,
			PeriodType: hub.Year, CollectionLevel: hub.LevelCounty},
		"per_10k": {Key: "per_10k", DepartmentCode: "civil_affairs", ValueType: hub.Rate,
			PeriodType: hub.Year, CollectionLevel: hub.LevelCounty, Formula: &formula},
		"pupils": {Key: "pupils", DepartmentCode: "education", ValueType: hub.Count,
			PeriodType: hub.Year, CollectionLevel: hub.LevelCounty},
		"retired": {Key: "retired", DepartmentCode: "civil_affairs", ValueType: hub.Count,
			PeriodType: hub.Year, CollectionLevel: hub.LevelCounty, RetiredAt: ptr(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))},
	}
	regions = map[string]*hub.Region{
		"370702": {Code: "370702", Name: "潍城区", Level: hub.LevelCounty, Path: "370000.370700.370702"},
		"370703": {Code: "370703", Name: "寒亭区", Level: hub.LevelCounty, Path: "370000.370700.370703"},
		"370700": {Code: "370700", Name: "潍坊市", Level: hub.LevelCity, Path: "370000.370700"},
	}
	// analyst of civil affairs in 潍城区
	analyst = &hub.Principal{Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370702", RegionPath: "370000.370700.370702"}
	// analyst of civil affairs in the city
	cityAnalyst = &hub.Principal{Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370700", RegionPath: "370000.370700"}
)

// TestCheck_EachRuleRefusesItsInput: every check of an input, once, with
// the code, the field an import shows as the column, and a word of the
// message; the input number is the caller's (at), not the batch position.
func TestCheck_EachRuleRefusesItsInput(t *testing.T) {
	ok := hub.ValueInput{Indicator: "minors_total", Region: "370702", Period: "2022", Value: ptr(10.0)}
	with := func(f func(v *hub.ValueInput)) hub.ValueInput { v := ok; f(&v); return v }
	for _, tt := range []struct {
		name  string
		p     *hub.Principal
		in    hub.ValueInput
		code  string
		field hub.ValueField
		says  string
	}{
		{"unknown indicator", analyst, with(func(v *hub.ValueInput) { v.Indicator = "nope" }), hub.ENOTFOUND, hub.FieldIndicator, "no indicator"},
		{"unknown region", analyst, with(func(v *hub.ValueInput) { v.Region = "379999" }), hub.ENOTFOUND, hub.FieldRegion, "no region"},
		{"retired indicator", analyst, with(func(v *hub.ValueInput) { v.Indicator = "retired" }), hub.ERETIRED, hub.FieldIndicator, "retired on 2026-03-01"},
		{"other department", analyst, with(func(v *hub.ValueInput) { v.Indicator = "pupils" }), hub.EFORBIDDEN, hub.FieldIndicator, "may not write indicators of education"},
		{"outside the region", analyst, with(func(v *hub.ValueInput) { v.Region = "370703" }), hub.EFORBIDDEN, hub.FieldRegion, "outside your region"},
		{"derived indicator", analyst, with(func(v *hub.ValueInput) { v.Indicator = "per_10k" }), hub.EINVALID, hub.FieldIndicator, "is derived"},
		{"not an analyst", &hub.Principal{Role: hub.Leader, Region: "370700", RegionPath: "370000.370700"}, ok, hub.EFORBIDDEN, hub.FieldIndicator, "only department analysts"},
		{"collection level", cityAnalyst, with(func(v *hub.ValueInput) { v.Region = "370700" }), hub.EINVALID, hub.FieldRegion, "is collected per COUNTY"},
		{"period unreadable", analyst, with(func(v *hub.ValueInput) { v.Period = "22" }), hub.EINVALID, hub.FieldPeriod, "invalid period"},
		{"period of another type", analyst, with(func(v *hub.ValueInput) { v.Period = "2022Q1" }), hub.EINVALID, hub.FieldPeriod, "is reported per"},
		{"count not whole", analyst, with(func(v *hub.ValueInput) { v.Value = ptr(1.5) }), hub.EINVALID, hub.FieldValue, "a count"},
		{"count negative", analyst, with(func(v *hub.ValueInput) { v.Value = ptr(-1.0) }), hub.EINVALID, hub.FieldValue, "a count"},
		{"percent above 100", analyst, with(func(v *hub.ValueInput) { v.Indicator, v.Value = "minors_share", ptr(101.0) }), hub.EINVALID, hub.FieldValue, "a percent"},
		{"qualifier", analyst, with(func(v *hub.ValueInput) { v.Qualifier = "ROUGHLY" }), hub.EINVALID, hub.FieldQualifier, "invalid qualifier"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			entries, conflicts := entry.Check(tt.p, indicators, regions, []hub.ValueInput{ok, tt.in}, []int{4, 9})
			// A role that never enters values refuses the good input too.
			good := map[bool]int{true: 1}[tt.p.Role == hub.Analyst]
			if len(entries) != good || good == 1 && entries[0].At != 4 {
				t.Errorf("entries %+v, want the good input (4) alone", entries)
			}
			if len(conflicts) != 2-good {
				t.Fatalf("conflicts %+v, want %d", conflicts, 2-good)
			}
			c := conflicts[len(conflicts)-1]
			if c.Index != 9 || c.Code != tt.code || c.Field != tt.field || !strings.Contains(c.Message, tt.says) {
				t.Errorf("got %+v, want input 9 %s at %s saying %q", c, tt.code, tt.field, tt.says)
			}
		})
	}
}

// TestCheck_PassesValidInputsWithTheirQualifier: NULL is "not reported"
// and passes; an empty qualifier is EXACT, others stay.
func TestCheck_PassesValidInputsWithTheirQualifier(t *testing.T) {
	in := []hub.ValueInput{
		{Indicator: "minors_total", Region: "370702", Period: "2022", Value: nil},
		{Indicator: "minors_share", Region: "370702", Period: "2022", Value: ptr(100.0), Qualifier: hub.Approx},
	}
	entries, conflicts := entry.Check(analyst, indicators, regions, in, []int{0, 1})
	if len(conflicts) != 0 || len(entries) != 2 {
		t.Fatalf("entries %+v conflicts %+v, want both accepted", entries, conflicts)
	}
	if entries[0].Input.Qualifier != hub.Exact || entries[1].Input.Qualifier != hub.Approx || entries[0].Region.Path != "370000.370700.370702" {
		t.Errorf("entries %+v", entries)
	}
}

// TestDecide_PlansEachEntryOverItsHead: create (after any history), update
// of a working copy, correction of a released value, unchanged, and a
// stale expectedVersion, by hand-made heads.
func TestDecide_PlansEachEntryOverItsHead(t *testing.T) {
	e := func(at int, period string, v *float64, expected *int) entry.Entry {
		return entry.Entry{At: at, Indicator: indicators["minors_total"], Region: regions["370702"],
			Input: hub.ValueInput{Indicator: "minors_total", Region: "370702", Period: period, Value: v, Qualifier: hub.Exact, ExpectedVersion: expected}}
	}
	key := func(period string) hub.ValueKey {
		return hub.ValueKey{Indicator: "minors_total", Region: "370702", Period: period}
	}
	heads := map[hub.ValueKey]entry.Head{
		key("2020"): {ID: 20, Value: ptr(5.0), Qualifier: hub.Exact, Status: hub.Draft, Version: 3},
		key("2021"): {ID: 21, Value: ptr(5.0), Qualifier: hub.Exact, Status: hub.Approved, Version: 2},
		key("2022"): {ID: 22, Value: nil, Qualifier: hub.Exact, Status: hub.Returned, Version: 1},
		key("2023"): {ID: 23, Value: ptr(5.0), Qualifier: hub.Exact, Status: hub.Published, Version: 4},
	}
	versions := map[hub.ValueKey]int{key("2019"): 6}
	for _, tt := range []struct {
		name     string
		in       entry.Entry
		want     entry.Step // zero: no step
		conflict string
		count    string
	}{
		{"new key", e(1, "2024", ptr(1.0), nil), entry.Step{Action: entry.Create, Version: 1}, "", "created"},
		{"new head after history", e(2, "2019", ptr(1.0), nil), entry.Step{Action: entry.Create, Version: 7}, "", "created"},
		{"new key, expected 0", e(3, "2024", ptr(1.0), ptr(0)), entry.Step{Action: entry.Create, Version: 1}, "", "created"},
		{"draft changed in place", e(4, "2020", ptr(6.0), ptr(3)), entry.Step{Action: entry.Update, Head: 20}, "", "updated"},
		{"NULL is not 0", e(5, "2022", ptr(0.0), nil), entry.Step{Action: entry.Update, Head: 22}, "", "updated"},
		{"approved corrected", e(6, "2021", ptr(6.0), nil), entry.Step{Action: entry.Correct, Head: 21, Version: 3}, "", "updated"},
		{"published corrected", e(7, "2023", ptr(6.0), nil), entry.Step{Action: entry.Correct, Head: 23, Version: 5}, "", "updated"},
		{"same value", e(8, "2021", ptr(5.0), ptr(2)), entry.Step{}, "", "unchanged"},
		{"stale version", e(9, "2020", ptr(6.0), ptr(2)), entry.Step{}, "version 3, expected 2", ""},
		{"expected a value that is not there", e(10, "2024", ptr(1.0), ptr(1)), entry.Step{}, "version 0, expected 1", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pl := entry.Decide([]entry.Entry{tt.in}, heads, versions)
			counts := map[string]int{"created": pl.Created, "updated": pl.Updated, "unchanged": pl.Unchanged}
			for name, n := range counts {
				if want := map[bool]int{true: 1}[name == tt.count]; n != want {
					t.Errorf("%s = %d, want %d", name, n, want)
				}
			}
			if tt.conflict != "" {
				if len(pl.Conflicts) != 1 || pl.Conflicts[0].Code != hub.ECONFLICT || pl.Conflicts[0].Index != tt.in.At ||
					pl.Conflicts[0].Field != hub.FieldVersion || !strings.Contains(pl.Conflicts[0].Message, tt.conflict) {
					t.Fatalf("conflicts %+v, want CONFLICT at %d saying %q", pl.Conflicts, tt.in.At, tt.conflict)
				}
			} else if len(pl.Conflicts) != 0 {
				t.Fatalf("conflicts %+v", pl.Conflicts)
			}
			if tt.want.Action == 0 {
				if len(pl.Steps) != 0 {
					t.Errorf("steps %+v, want none", pl.Steps)
				}
				return
			}
			if len(pl.Steps) != 1 {
				t.Fatalf("steps %+v, want one", pl.Steps)
			}
			s := pl.Steps[0]
			if s.Action != tt.want.Action || s.Head != tt.want.Head || s.Version != tt.want.Version || s.At != tt.in.At {
				t.Errorf("step %+v, want %+v at %d", s, tt.want, tt.in.At)
			}
		})
	}
}

// TestFailed_OnlyTheInputsFaultIsAConflict: a refusal by the database is
// the conflict of the step's input; an internal failure is not.
func TestFailed_OnlyTheInputsFaultIsAConflict(t *testing.T) {
	s := entry.Step{Entry: entry.Entry{At: 3}}
	if c, ok := entry.Failed(s, hub.Errorf(hub.EFORBIDDEN, "no")); !ok || c.Index != 3 || c.Code != hub.EFORBIDDEN {
		t.Errorf("FORBIDDEN: %+v %v", c, ok)
	}
	if _, ok := entry.Failed(s, hub.Errorf(hub.EINTERNAL, "boom")); ok {
		t.Error("an internal error must fail the write, not be the input's conflict")
	}
	if c := entry.Refused(s); c.Index != 3 || c.Code != hub.EFORBIDDEN || c.Field != hub.FieldValue {
		t.Errorf("refused: %+v", c)
	}
}
