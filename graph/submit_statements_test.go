package graph_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

var cityCounties = []string{"370702", "370703", "370704", "370705", "370724", "370725",
	"370781", "370782", "370783", "370784", "370785", "370786"}

// submitKeys returns n distinct civil affairs keys from year first on
// (ten inputs already cover every indicator, so the same rules apply).
func submitKeys(n, first int) []map[string]any {
	var in []map[string]any
	for year := first; len(in) < n; year++ {
		for _, c := range cityCounties {
			for _, ind := range submitIndicators {
				if len(in) < n {
					in = append(in, map[string]any{"indicator": ind, "region": c, "period": strconv.Itoa(year), "value": float64(len(in))})
				}
			}
		}
	}
	return in
}

// TestSubmitValues_StatementsDoNotGrowWithInputs: submitValues of 10 and of
// 500 values (new ones, then changes of them, then the same again) runs the
// same number of statements; it used to run four to five per value.
func TestSubmitValues_StatementsDoNotGrowWithInputs(t *testing.T) {
	counter := &statementCounter{}
	api := apitest.New(t, apitest.Options{Tracer: counter, LoaderWait: 200 * time.Millisecond})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	const m = `mutation($in: [DataValueInput!]!) { submitValues(input: $in) {
  created updated unchanged conflicts { index code message } values { id version } } }`
	type outcome struct {
		SubmitValues struct {
			Created, Updated, Unchanged int
			Conflicts                   []struct{ Index int }
			Values                      []struct{ Version int }
		}
	}
	run := func(in []map[string]any) (int64, outcome) {
		var out outcome
		before := counter.n.Load()
		api.Query(t, analyst, m, map[string]any{"in": in}, &out)
		return counter.n.Load() - before, out
	}
	// 10 values from 2040 on, 500 from 2050 on: no key in common.
	for _, step := range []struct {
		name string
		add  float64
		want func(n int, o outcome) bool
	}{
		{"new", 0, func(n int, o outcome) bool { return o.SubmitValues.Created == n && len(o.SubmitValues.Values) == n }},
		{"changed", 1, func(n int, o outcome) bool {
			return o.SubmitValues.Updated == n && len(o.SubmitValues.Values) == n && o.SubmitValues.Values[n-1].Version == 2
		}},
		{"resent", 1, func(n int, o outcome) bool { return o.SubmitValues.Unchanged == n && len(o.SubmitValues.Values) == 0 }},
	} {
		var counts [2]int64
		for j, n := range []int{10, 500} {
			in := submitKeys(n, 2040+10*j)
			for _, v := range in {
				v["value"] = v["value"].(float64) + step.add
			}
			c, out := run(in)
			if len(out.SubmitValues.Conflicts) > 0 || !step.want(n, out) {
				t.Fatalf("%s, %d values: %+v", step.name, n, out.SubmitValues)
			}
			counts[j] = c
		}
		if counts[0] != counts[1] {
			t.Errorf("%s: %d statements for 10 values, %d for 500; want the same", step.name, counts[0], counts[1])
		}
		t.Logf("%s: %d statements for 10 values and %d for 500", step.name, counts[0], counts[1])
	}
}

// TestSubmitValues_KeyTwiceIsWrittenInInputOrder: a key that appears twice
// in one request is written as if the inputs came one after the other: the
// first creates version 1, the second changes it to version 2, and a third
// equal to the second is unchanged.
func TestSubmitValues_KeyTwiceIsWrittenInInputOrder(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	const m = `mutation($in: [DataValueInput!]!) { submitValues(input: $in) {
  created updated unchanged conflicts { index code message } values { value version } } }`
	var out struct {
		SubmitValues struct {
			Created, Updated, Unchanged int
			Conflicts                   []struct{ Index int }
			Values                      []struct {
				Value   float64
				Version int
			}
		}
	}
	k := func(v float64) map[string]any {
		return map[string]any{"indicator": "child_directors", "region": "370702", "period": "2039", "value": v}
	}
	other := map[string]any{"indicator": "child_directors", "region": "370703", "period": "2039", "value": 7}
	api.Query(t, analyst, m, map[string]any{"in": []any{k(1), other, k(2), k(2)}}, &out)
	r := out.SubmitValues
	if len(r.Conflicts) > 0 || r.Created != 2 || r.Updated != 1 || r.Unchanged != 1 || len(r.Values) != 3 ||
		r.Values[0].Value != 1 || r.Values[0].Version != 1 || r.Values[1].Value != 7 || r.Values[2].Value != 2 || r.Values[2].Version != 2 {
		t.Fatalf("got %+v; want created 2, updated 1, unchanged 1, values 1 (v1), 7, 2 (v2) in input order", r)
	}
}

// TestSubmitValues_ConflictsInInputOrder: a stale expectedVersion (found
// after the heads are read) and an unknown region (found before) come back
// in input order, and nothing of the request is written.
func TestSubmitValues_ConflictsInInputOrder(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	const m = `mutation($in: [DataValueInput!]!) { submitValues(input: $in) {
  created updated unchanged conflicts { index code message } values { version } } }`
	type outcome struct {
		SubmitValues struct {
			Created, Updated, Unchanged int
			Conflicts                   []struct {
				Index         int
				Code, Message string
			}
		}
	}
	old := map[string]any{"indicator": "child_directors", "region": "370702", "period": "2038", "value": 1}
	var out outcome
	api.Query(t, analyst, m, map[string]any{"in": []any{old}}, &out)
	if out.SubmitValues.Created != 1 {
		t.Fatalf("first value: %+v", out.SubmitValues)
	}
	stale := map[string]any{"indicator": "child_directors", "region": "370702", "period": "2038", "value": 2, "expectedVersion": 5}
	good := map[string]any{"indicator": "child_directors", "region": "370703", "period": "2038", "value": 3}
	unknown := map[string]any{"indicator": "child_directors", "region": "379999", "period": "2038", "value": 4}
	out = outcome{}
	api.Query(t, analyst, m, map[string]any{"in": []any{stale, good, unknown}}, &out)
	c := out.SubmitValues.Conflicts
	if out.SubmitValues.Created != 0 || out.SubmitValues.Updated != 0 || len(c) != 2 ||
		c[0].Index != 0 || c[0].Code != hub.ECONFLICT || c[1].Index != 2 || c[1].Code != hub.ENOTFOUND {
		t.Fatalf("got %+v; want CONFLICT at 0 and NOT_FOUND at 2, nothing written", out.SubmitValues)
	}
	out = outcome{}
	api.Query(t, analyst, m, map[string]any{"in": []any{good, old}}, &out)
	if out.SubmitValues.Created != 1 || out.SubmitValues.Unchanged != 1 {
		t.Fatalf("after the refused request: %+v; want the good value still new and the old one unchanged", out.SubmitValues)
	}
}
