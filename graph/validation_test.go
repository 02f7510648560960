package graph_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

const createRule = `mutation($in: ValidationRuleInput!) { createValidationRule(input: $in) {
  id name expression severity missingValues active indicators text } }`

func ruleVars(name, left string) map[string]any {
	return map[string]any{"in": map[string]any{"name": name, "left": left, "operator": "<=", "right": "minors_total",
		"severity": "WARN", "textZh": "希望小屋不多于未成年人", "textEn": "hope rooms do not outnumber minors"}}
}

// TestValidationRules_OverGraphQLOnlyForAdminsAndCoordinators: an analyst
// (and a leader) trying to list, define, change or deactivate rules gets
// FORBIDDEN; a coordinator's bad expression is BAD_USER_INPUT.
func TestValidationRules_OverGraphQLOnlyForAdminsAndCoordinators(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	leader := api.User(t, hub.NewUser{Name: "l", Role: hub.Leader, Region: "370700"})
	coordinator := api.User(t, hub.NewUser{Name: "c", Role: hub.Coordinator, Region: "370700"})
	admin := api.User(t, hub.NewUser{Name: "adm", Role: hub.Admin, Region: "370700"})

	for _, tok := range []string{analyst, leader} {
		if r := api.Do(t, tok, createRule, ruleVars("hope_cap", "hope_rooms")); r.Code() != hub.EFORBIDDEN {
			t.Errorf("create as non-manager: %+v", r.Errors)
		}
	}
	if r := api.Do(t, coordinator, createRule, ruleVars("bad", "hope_roomz")); r.Code() != hub.EINVALID ||
		!strings.Contains(r.Errors[0].Message, "hope_roomz") {
		t.Errorf("unknown key: %+v", r.Errors)
	}
	if r := api.Do(t, coordinator, createRule, ruleVars("bad", "hope_rooms +")); r.Code() != hub.EINVALID {
		t.Errorf("syntax error: %+v", r.Errors)
	}
	var out struct {
		CreateValidationRule struct {
			ID, Name, Expression, Severity, MissingValues, Text string
			Active                                              bool
			Indicators                                          []string
		}
	}
	api.Query(t, coordinator, createRule, ruleVars("hope_cap", "hope_rooms"), &out)
	r := out.CreateValidationRule
	if r.Expression != "hope_rooms <= minors_total" || r.MissingValues != "SKIP_IF_ANY_MISSING" || !r.Active ||
		strings.Join(r.Indicators, ",") != "hope_rooms,minors_total" || !strings.HasPrefix(r.Text, "希望小屋") {
		t.Fatalf("created: %+v", r)
	}
	const update = `mutation($id: ID!) { updateValidationRule(id: $id, input: {tolerance: 1, severity: BLOCK}) { tolerance severity } }`
	const deactivate = `mutation($id: ID!) { deactivateValidationRule(id: $id) { active } }`
	for _, q := range []string{update, deactivate} {
		if resp := api.Do(t, analyst, q, map[string]any{"id": r.ID}); resp.Code() != hub.EFORBIDDEN {
			t.Errorf("analyst: %+v", resp.Errors)
		}
	}
	api.Query(t, admin, update, map[string]any{"id": r.ID}, nil)
	api.Query(t, coordinator, deactivate, map[string]any{"id": r.ID}, nil)
	var list struct {
		Active []struct{ Name string } `json:"active"`
		All    []struct {
			Name   string
			Active bool
		} `json:"all"`
	}
	if resp := api.Do(t, analyst, `{ validationRules { name } }`, nil); resp.Code() != hub.EFORBIDDEN {
		t.Errorf("analyst lists rules: %+v", resp.Errors)
	}
	api.Query(t, coordinator, `{ active: validationRules { name } all: validationRules(all: true) { name active } }`, nil, &list)
	if len(list.All) != len(list.Active)+1 || len(list.Active) < 2 {
		t.Errorf("rules: %+v", list)
	}
}

// TestSubmitValues_ValidationOverGraphQL: WARN rules come back as
// warnings, a BLOCK rule is a conflict with code VALIDATION and the rule's text.
func TestSubmitValues_ValidationOverGraphQL(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	const m = `mutation($in: [DataValueInput!]!, $dry: Boolean) { submitValues(input: $in, dryRun: $dry) {
  created conflicts { index code message }
  warnings { kind severity rule ruleId message left right region { code } indicator { key } } } }`
	v := func(ind string, x float64) map[string]any {
		return map[string]any{"indicator": ind, "region": "370702", "period": "2030", "value": x}
	}
	var out struct {
		SubmitValues struct {
			Created   int
			Conflicts []struct {
				Index         int
				Code, Message string
			}
			Warnings []struct {
				Kind, Severity, Rule, Message string
				Left, Right                   float64
				Region                        struct{ Code string }
			}
		}
	}
	api.Query(t, analyst, m, map[string]any{"dry": true, "in": []any{v("minors_total", 100), v("population_total", 1000), v("minors_share", 30)}}, &out)
	w := out.SubmitValues.Warnings
	if out.SubmitValues.Created != 3 || len(w) != 1 || w[0].Rule != "minors_share_consistent" || w[0].Kind != "RULE" ||
		w[0].Left != 10 || w[0].Right != 30 || w[0].Region.Code != "370702" {
		t.Fatalf("warnings: %+v", out.SubmitValues)
	}
	api.Query(t, analyst, m, map[string]any{"in": []any{v("minors_total", 100), v("population_total", 10)}}, &out)
	c := out.SubmitValues.Conflicts
	if out.SubmitValues.Created != 0 || len(c) != 1 || c[0].Code != "VALIDATION" || !strings.Contains(c[0].Message, "未成年人数不能超过总人口") {
		t.Fatalf("block: %+v", out.SubmitValues)
	}
}

// TestValidationReport_OverGraphQL: the report names 坊子区's contradiction
// with its region and indicator, and its outliers carry their numbers.
func TestValidationReport_OverGraphQL(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	coordinator := api.User(t, hub.NewUser{Name: "c", Role: hub.Coordinator, Region: "370700"})
	var out struct {
		ValidationReport []struct {
			Kind, Severity, Message string
			Rule                    *string
			Region                  struct{ Code, Name string }
			Indicator               *struct{ Key string }
			Outlier                 *struct {
				Kind                                 string
				Value, Median, Mad, Score, Threshold float64
				SampleSize                           int
			}
		}
	}
	api.Query(t, coordinator, `{ validationReport(period: "2022") { kind severity message rule region { code name }
  indicator { key } outlier { kind value median mad score threshold sampleSize } } }`, nil, &out)
	var fangzi, outliers int
	for _, f := range out.ValidationReport {
		if f.Kind == "RULE" && f.Region.Code == "370704" && *f.Rule == "minors_share_consistent" && f.Region.Name == "坊子区" {
			fangzi++
		}
		if f.Outlier != nil {
			outliers++
			if f.Outlier.Threshold != 3.5 || f.Outlier.Mad <= 0 || f.Indicator == nil || !strings.HasPrefix(f.Kind, "OUTLIER_"+f.Outlier.Kind) {
				t.Errorf("outlier %+v", f)
			}
		}
	}
	if fangzi != 1 || outliers == 0 {
		b, _ := json.MarshalIndent(out, "", " ")
		t.Fatalf("坊子区 findings %d, outliers %d: %s", fangzi, outliers, b)
	}
	if r := api.Do(t, coordinator, `{ validationReport(period: "20x2") { kind } }`, nil); r.Code() != hub.EINVALID {
		t.Errorf("bad period: %+v", r.Errors)
	}
}

func TestAuditLog_ShowsChannelOverGraphQL(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	admin := api.User(t, hub.NewUser{Name: "adm", Role: hub.Admin, Region: "370700"})
	api.Query(t, analyst, `mutation { submitValues(input: [{indicator: "joint_meeting_units", region: "370702", period: "2030", value: 4}]) { created } }`, nil, nil)
	var out struct {
		AuditLog struct {
			Edges []struct {
				Node struct {
					Channel  string
					FileName *string
					Action   string
				}
			}
		}
	}
	api.Query(t, admin, `{ auditLog(filter: {indicators: ["joint_meeting_units"], actions: ["create"]}, first: 1) { edges { node { channel fileName action } } } }`, nil, &out)
	if len(out.AuditLog.Edges) != 1 || out.AuditLog.Edges[0].Node.Channel != "API" || out.AuditLog.Edges[0].Node.FileName != nil {
		t.Fatalf("audit: %+v", out.AuditLog)
	}
}

// TestValidationRules_RegionOverGraphQL: a rule names the region it applies
// to (default: its maker's), a district coordinator cannot aim one at
// another district, and the system's rules apply everywhere (null).
func TestValidationRules_RegionOverGraphQL(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	district := api.User(t, hub.NewUser{Name: "c781", Role: hub.Coordinator, Region: "370781"})
	const q = `mutation($in: ValidationRuleInput!) { createValidationRule(input: $in) { name region { code name } } }`
	var out struct {
		CreateValidationRule struct {
			Name   string
			Region *struct{ Code, Name string }
		}
	}
	api.Query(t, district, q, ruleVars("qingzhou_hope_cap", "hope_rooms"), &out)
	if r := out.CreateValidationRule.Region; r == nil || r.Code != "370781" || r.Name != "青州市" {
		t.Errorf("region of a district coordinator's rule: %+v", r)
	}
	vars := ruleVars("kuiwen_hope_cap", "hope_rooms")
	vars["in"].(map[string]any)["region"] = "370705"
	if r := api.Do(t, district, q, vars); r.Code() != hub.EFORBIDDEN {
		t.Errorf("rule for another district: %+v", r.Errors)
	}
	var list struct {
		ValidationRules []struct {
			Name   string
			Region *struct{ Code string }
		}
	}
	api.Query(t, district, `{ validationRules { name region { code } } }`, nil, &list)
	everywhere := 0
	for _, r := range list.ValidationRules {
		if r.Region == nil {
			everywhere++
		}
	}
	if everywhere == 0 || len(list.ValidationRules) != everywhere+1 {
		t.Errorf("the district sees %+v: want the system's rules (region null) and its own", list.ValidationRules)
	}
}
