package graph_test

import (
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestImportValues_CorrectedReturnedValueShowsItsReason: over GraphQL, a
// returned value corrected by importValues (after a dry run that changes
// nothing) and by submitValues is a DRAFT, and the analyst still reads why
// it came back in statusReason.
func TestImportValues_CorrectedReturnedValueShowsItsReason(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	coordinator := api.User(t, hub.NewUser{Name: "c", Role: hub.Coordinator, Region: "370700"})
	const submit = `mutation($in: [DataValueInput!]!, $dry: Boolean) { submitValues(input: $in, dryRun: $dry) {
  conflicts { code message } values { id status statusReason version value } } }`
	type result struct {
		SubmitValues struct {
			Conflicts []struct{ Code, Message string }
			Values    []struct {
				ID, Status   string
				StatusReason *string
				Version      int
				Value        float64
			}
		}
	}
	in := func(v float64) map[string]any {
		return map[string]any{"in": []any{map[string]any{"indicator": "minors_total", "region": "370702", "period": "2030", "value": v}}}
	}
	var out result
	api.Query(t, analyst, submit, in(40), &out)
	id := out.SubmitValues.Values[0].ID
	const move = `mutation($ids: [ID!]!, $to: ValueStatus!, $reason: String) { transition(ids: $ids, to: $to, reason: $reason) { status } }`
	api.Query(t, analyst, move, map[string]any{"ids": []string{id}, "to": "SUBMITTED"}, nil)
	reason := "与上年差异过大，请核对 / far from last year: check it"
	api.Query(t, coordinator, move, map[string]any{"ids": []string{id}, "to": "RETURNED", "reason": reason}, nil)

	read := func() (status string, why *string, value float64) {
		var got struct {
			DataValues struct {
				Edges []struct {
					Node struct {
						Status       string
						StatusReason *string
						Value        float64
					}
				}
			}
		}
		api.Query(t, analyst, `{ dataValues(filter: {indicators: ["minors_total"], regions: ["370702"], periods: ["2030"]}) {
  edges { node { status statusReason value } } } }`, nil, &got)
		if len(got.DataValues.Edges) != 1 {
			t.Fatalf("dataValues: %+v", got)
		}
		n := got.DataValues.Edges[0].Node
		return n.Status, n.StatusReason, n.Value
	}

	// submitValues, dry run: the answer is the corrected draft with its reason; nothing changes.
	vars := in(41)
	vars["dry"] = true
	api.Query(t, analyst, submit, vars, &out)
	if v := out.SubmitValues.Values; len(out.SubmitValues.Conflicts) > 0 || len(v) != 1 || v[0].Status != "DRAFT" || v[0].StatusReason == nil || *v[0].StatusReason != reason {
		t.Fatalf("dry run over GraphQL: %+v", out.SubmitValues)
	}
	if status, _, value := read(); status != "RETURNED" || value != 40 {
		t.Fatalf("after the dry run: %s %v, want RETURNED 40", status, value)
	}

	csv := "指标代码,地区代码,期间,数值\nminors_total,370702,2030,42\n"
	for _, dry := range []bool{true, false} {
		if resp, sum := upload(t, api, analyst, "fix.csv", csv, dry); len(resp.Errors) > 0 || sum.ImportValues.ConflictCount != 0 || sum.ImportValues.Updated != 1 {
			t.Fatalf("import dry=%v: %+v %+v", dry, resp.Errors, sum)
		}
		status, why, value := read()
		if dry && (status != "RETURNED" || value != 40) {
			t.Fatalf("after the import's dry run: %s %v, want RETURNED 40", status, value)
		}
		if !dry && (status != "DRAFT" || value != 42 || why == nil || *why != reason) {
			t.Fatalf("after the import: %s %v reason %v, want DRAFT 42 with %q", status, value, why, reason)
		}
	}
	// Submitted again, the coordinator approves the version it reviews.
	api.Query(t, analyst, move, map[string]any{"ids": []string{id}, "to": "SUBMITTED"}, nil)
	var seen struct {
		DataValues struct {
			Edges []struct{ Node struct{ Version int } }
		}
	}
	api.Query(t, coordinator, `{ dataValues(filter: {indicators: ["minors_total"], regions: ["370702"], periods: ["2030"]}) { edges { node { version } } } }`, nil, &seen)
	v := seen.DataValues.Edges[0].Node.Version
	resp := api.Do(t, coordinator, `mutation($ids: [ID!]!, $v: [Int!]) { transition(ids: $ids, to: APPROVED, expectedVersions: $v) { status } }`,
		map[string]any{"ids": []string{id}, "v": []int{v - 1}})
	if resp.Code() != hub.ECONFLICT {
		t.Fatalf("approving an older version: %+v, want CONFLICT", resp.Errors)
	}
	api.Query(t, coordinator, `mutation($ids: [ID!]!, $v: [Int!]) { transition(ids: $ids, to: APPROVED, expectedVersions: $v) { status } }`,
		map[string]any{"ids": []string{id}, "v": []int{v}}, nil)
}
