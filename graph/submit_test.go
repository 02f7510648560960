package graph_test

import (
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestSubmitValues_ReportsConflictsByIndexOverGraphQL sends one good and
// one bad value: nothing is written and the conflict names input 1.
func TestSubmitValues_ReportsConflictsByIndexOverGraphQL(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	const m = `mutation($in: [DataValueInput!]!) { submitValues(input: $in) {
  created updated unchanged conflicts { index code message } values { id status version } } }`
	var out struct {
		SubmitValues struct {
			Created, Updated, Unchanged int
			Conflicts                   []struct {
				Index         int
				Code, Message string
			}
		}
	}
	good := map[string]any{"indicator": "minors_total", "region": "370702", "period": "2030", "value": 10}
	bad := map[string]any{"indicator": "minors_total", "region": "370702", "period": "2031", "value": -3}
	api.Query(t, analyst, m, map[string]any{"in": []any{good, bad}}, &out)
	if out.SubmitValues.Created != 0 || len(out.SubmitValues.Conflicts) != 1 || out.SubmitValues.Conflicts[0].Index != 1 ||
		out.SubmitValues.Conflicts[0].Code != "BAD_USER_INPUT" {
		t.Fatalf("mixed batch: %+v", out.SubmitValues)
	}
	api.Query(t, analyst, m, map[string]any{"in": []any{good}}, &out)
	if out.SubmitValues.Created != 1 {
		t.Fatalf("good value: %+v", out.SubmitValues)
	}
}
