package graph_test

import (
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestTransition_SameStatusWritesNothingAndIsRefusedToOtherRoles: a
// transition to the status a value already has is no step at all. Before,
// it wrote status_reason, updated_by and updated_at with no role check and
// no audit row: an analyst "moved" a RETURNED value to RETURNED and replaced
// the coordinator's return reason with its own, and cleared the reason of
// its department's APPROVED values. Now a role that never takes a value to
// that status is FORBIDDEN, and one that does gets the value unchanged.
func TestTransition_SameStatusWritesNothingAndIsRefusedToOtherRoles(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	coordinator := api.User(t, hub.NewUser{Name: "c", Role: hub.Coordinator, Region: "370700"})
	var sub struct {
		SubmitValues struct{ Values []struct{ ID string } }
	}
	api.Query(t, analyst, `mutation { submitValues(input: [{indicator: "minors_total", region: "370702", period: "2031", value: 40}]) { values { id } } }`, nil, &sub)
	id := sub.SubmitValues.Values[0].ID
	const move = `mutation($ids: [ID!]!, $to: ValueStatus!, $reason: String) { transition(ids: $ids, to: $to, reason: $reason) { status statusReason updatedBy } }`
	api.Query(t, analyst, move, map[string]any{"ids": []string{id}, "to": "SUBMITTED"}, nil)
	const reason = "请核对人口普查数 / check the census"
	api.Query(t, coordinator, move, map[string]any{"ids": []string{id}, "to": "RETURNED", "reason": reason}, nil)

	read := func() (status, why, by string) {
		var got struct {
			DataValues struct {
				Edges []struct {
					Node struct {
						Status       string
						StatusReason *string
						UpdatedBy    *string
					}
				}
			}
		}
		api.Query(t, coordinator, `{ dataValues(filter: {indicators: ["minors_total"], regions: ["370702"], periods: ["2031"]}) {
  edges { node { status statusReason updatedBy } } } }`, nil, &got)
		if len(got.DataValues.Edges) != 1 {
			t.Fatalf("dataValues: %+v", got)
		}
		n := got.DataValues.Edges[0].Node
		if n.StatusReason != nil {
			why = *n.StatusReason
		}
		if n.UpdatedBy != nil {
			by = *n.UpdatedBy
		}
		return n.Status, why, by
	}

	// The analyst may not return values: not even to RETURNED from RETURNED.
	resp := api.Do(t, analyst, move, map[string]any{"ids": []string{id}, "to": "RETURNED", "reason": "analyst's own words"})
	if resp.Code() != hub.EFORBIDDEN {
		t.Errorf("analyst RETURNED -> RETURNED: code %q (%s), want FORBIDDEN", resp.Code(), resp.Data)
	}
	if status, why, by := read(); status != "RETURNED" || why != reason || by != "c" {
		t.Fatalf("after the analyst's attempt: %s %q by %q, want RETURNED %q by c", status, why, by, reason)
	}

	// The coordinator repeating its step changes nothing either.
	resp = api.Do(t, coordinator, move, map[string]any{"ids": []string{id}, "to": "RETURNED", "reason": "another reason"})
	if len(resp.Errors) > 0 {
		t.Fatalf("coordinator RETURNED again: %+v", resp.Errors)
	}
	if status, why, _ := read(); status != "RETURNED" || why != reason {
		t.Fatalf("after the coordinator's repeat: %s %q, want RETURNED %q", status, why, reason)
	}

	// An APPROVED value of the analyst's own department: "APPROVED" again is FORBIDDEN.
	api.Query(t, analyst, move, map[string]any{"ids": []string{id}, "to": "SUBMITTED"}, nil)
	api.Query(t, coordinator, move, map[string]any{"ids": []string{id}, "to": "APPROVED"}, nil)
	resp = api.Do(t, analyst, move, map[string]any{"ids": []string{id}, "to": "APPROVED"})
	if resp.Code() != hub.EFORBIDDEN {
		t.Errorf("analyst APPROVED -> APPROVED: code %q (%s), want FORBIDDEN", resp.Code(), resp.Data)
	}
	if status, _, by := read(); status != "APPROVED" || by != "c" {
		t.Fatalf("after the analyst's APPROVED: %s by %q, want APPROVED by c", status, by)
	}
}

// TestExplainAccess_HiddenValuesAnswerLikeMissingOnes: explainAccess tells
// no role more about a value than the role may read. Before, it read the
// facts past the row policies: a coordinator learned that a DRAFT exists
// ("not yet submitted" against "no value has been entered yet"), a leader
// that a DRAFT or SUBMITTED value does, and an analyst of another
// department that an unshared or unapproved value does. Now every role's
// answer for a value it cannot read is, word for word, its answer for a
// cell nobody entered.
func TestExplainAccess_HiddenValuesAnswerLikeMissingOnes(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	civil, edu, youth := "civil_affairs", "education", "youth_league"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &civil, Region: "370700"})
	tokens := map[string]string{
		"coordinator":          api.User(t, hub.NewUser{Name: "c", Role: hub.Coordinator, Region: "370702"}),
		"leader":               api.User(t, hub.NewUser{Name: "l", Role: hub.Leader, Region: "370702"}),
		"education (shared)":   api.User(t, hub.NewUser{Name: "e", Role: hub.Analyst, Department: &edu, Region: "370700"}),
		"youth_league":         api.User(t, hub.NewUser{Name: "y", Role: hub.Analyst, Department: &youth, Region: "370700"}),
		"media":                api.User(t, hub.NewUser{Name: "m", Role: hub.Media, Region: "370700"}),
		"coordinator (city)":   api.User(t, hub.NewUser{Name: "cc", Role: hub.Coordinator, Region: "370700"}),
		"leader (city)":        api.User(t, hub.NewUser{Name: "lc", Role: hub.Leader, Region: "370700"}),
		"analyst (own values)": analyst,
	}
	// minors_total is shared with education (demo agreements); 2031 a DRAFT,
	// 2032 SUBMITTED, 2033 entered by nobody.
	const submit = `mutation($p: String!) { submitValues(input: [{indicator: "minors_total", region: "370702", period: $p, value: 40}]) { values { id } } }`
	var out struct {
		SubmitValues struct{ Values []struct{ ID string } }
	}
	api.Query(t, analyst, submit, map[string]any{"p": "2031"}, nil)
	api.Query(t, analyst, submit, map[string]any{"p": "2032"}, &out)
	api.Query(t, analyst, `mutation($ids: [ID!]!) { transition(ids: $ids, to: SUBMITTED) { id } }`,
		map[string]any{"ids": []string{out.SubmitValues.Values[0].ID}}, nil)

	const q = `query($p: String!) { explainAccess(indicator: "minors_total", region: "370702", period: $p) {
  canRead readBlockedBy } }`
	type answer struct {
		ExplainAccess struct {
			CanRead       bool
			ReadBlockedBy *string
		}
	}
	ask := func(token, period string) answer {
		var a answer
		api.Query(t, token, q, map[string]any{"p": period}, &a)
		return a
	}
	for who, token := range tokens {
		none := ask(token, "2033")
		if none.ExplainAccess.CanRead {
			t.Fatalf("%s: canRead a value nobody entered", who)
		}
		for _, period := range []string{"2031", "2032"} {
			got := ask(token, period)
			if got.ExplainAccess.CanRead {
				if who == "analyst (own values)" || (period == "2032" && (who == "coordinator" || who == "coordinator (city)")) {
					continue // may read it
				}
				t.Errorf("%s: canRead the %s value", who, period)
				continue
			}
			if deref(got.ExplainAccess.ReadBlockedBy) != deref(none.ExplainAccess.ReadBlockedBy) {
				t.Errorf("%s, %s: %q, but for a cell nobody entered %q: the answer tells a hidden value exists",
					who, period, deref(got.ExplainAccess.ReadBlockedBy), deref(none.ExplainAccess.ReadBlockedBy))
			}
		}
	}
}

// TestScalars_MalformedTimeOrUploadIsBadUserInput: a Time that is not RFC
// 3339 (in a filter or a mutation, literal or variable) and an Upload
// variable that is no file are the caller's mistake. They used to answer
// INTERNAL (gqlgen's scalars return plain errors).
func TestScalars_MalformedTimeOrUploadIsBadUserInput(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	coordinator := api.User(t, hub.NewUser{Name: "c", Role: hub.Coordinator, Region: "370700"})
	tests := []struct {
		name, token, query string
		vars               map[string]any
	}{
		{"literal", coordinator, `{ auditLog(filter: {from: "notatime"}) { totalCount } }`, nil},
		{"negative year", coordinator, `{ auditLog(filter: {from: "-0001-01-01T00:00:00Z"}) { totalCount } }`, nil},
		{"month 13", coordinator, `query($f: AuditFilter) { auditLog(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"to": "2022-13-01T00:00:00Z"}}},
		{"number", coordinator, `query($f: AuditFilter) { auditLog(filter: $f) { totalCount } }`, map[string]any{"f": map[string]any{"to": 12345}}},
		{"publishAt", coordinator, `mutation($t: Time) { publish(ids: ["1"], title: "x", publishAt: $t) { id } }`, map[string]any{"t": "tomorrow"}},
		{"upload as a string", analyst, `mutation($f: Upload!) { importValues(file: $f, dryRun: true) { rows } }`, map[string]any{"f": "values.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := api.Do(t, tt.token, tt.query, tt.vars)
			if resp.Code() != hub.EINVALID {
				t.Fatalf("code %q (%+v), want BAD_USER_INPUT", resp.Code(), resp.Errors)
			}
		})
	}
}

// TestUpdateValidationRule_DuplicateNameNamesIt: renaming a rule to a name
// in use says which name (it said `a rule named "" exists`).
func TestUpdateValidationRule_DuplicateNameNamesIt(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	coordinator := api.User(t, hub.NewUser{Name: "c", Role: hub.Coordinator, Region: "370700"})
	const create = `mutation($n: String!) { createValidationRule(input: {name: $n, left: "minors_total", operator: "<=",
  right: "population_total", severity: WARN, textZh: "x", textEn: "x"}) { id } }`
	var out struct{ CreateValidationRule struct{ ID string } }
	api.Query(t, coordinator, create, map[string]any{"n": "rt_first"}, nil)
	api.Query(t, coordinator, create, map[string]any{"n": "rt_second"}, &out)
	resp := api.Do(t, coordinator, `mutation($id: ID!) { updateValidationRule(id: $id, input: {name: "rt_first"}) { id } }`,
		map[string]any{"id": out.CreateValidationRule.ID})
	if resp.Code() != hub.EINVALID || len(resp.Errors) == 0 || !strings.Contains(resp.Errors[0].Message, `"rt_first"`) {
		t.Fatalf("rename to a name in use: %q %+v, want BAD_USER_INPUT naming rt_first", resp.Code(), resp.Errors)
	}
}
