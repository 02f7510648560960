package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
	"github.com/sixprot/hub/internal/postgres"
)

// outcome is where a refusal appears (errors, conflicts or none) and its code.
type outcome struct{ where, code string }

// refusalRows reads the table of section "Refusals / 拒绝" of docs/data-in.md:
// case id → outcome.
func refusalRows(t *testing.T) map[string]outcome {
	t.Helper()
	doc, err := os.ReadFile("../docs/data-in.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Refusals / 拒绝\n")
	if !ok {
		t.Fatal(`docs/data-in.md has no section "## Refusals / 拒绝"`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[string]outcome{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) != 7 {
			t.Fatalf("refusal row %q: want 5 columns", line)
		}
		id := strings.Trim(strings.TrimSpace(cells[1]), "`")
		if _, dup := rows[id]; dup {
			t.Fatalf("refusal case %s appears twice", id)
		}
		rows[id] = outcome{strings.TrimSpace(cells[4]), strings.TrimSpace(cells[5])}
	}
	if len(rows) == 0 {
		t.Fatal("the refusals table has no rows")
	}
	return rows
}

// TestRefusals_TableOfDataIn walks the refusals table of docs/data-in.md:
// every row is one denied write, tried over the API (or the CLI's import
// call), and must be refused where and with the code the row says, while
// nothing is written.
func TestRefusals_TableOfDataIn(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	ctx := context.Background()
	owner := api.DB.OwnerConn(t)
	ca, edu := "civil_affairs", "education"
	users := map[string]hub.NewUser{
		"analyst":  {Name: "ca", Role: hub.Analyst, Department: &ca, Region: "370700"},
		"district": {Name: "ca-weicheng", Role: hub.Analyst, Department: &ca, Region: "370702"},
		"edu":      {Name: "edu", Role: hub.Analyst, Department: &edu, Region: "370700"},
		"coord":    {Name: "coord", Role: hub.Coordinator, Region: "370700"},
		"leader":   {Name: "lead", Role: hub.Leader, Region: "370700"},
		"media":    {Name: "press", Role: hub.Media, Region: "370700"},
		"admin":    {Name: "root", Role: hub.Admin, Region: "370700"},
		"county":   {Name: "qz-admin", Role: hub.Admin, Region: "370781"},
	}
	tok := map[string]string{}
	for k, u := range users {
		tok[k] = api.User(t, u)
	}

	// The values refused writes are tried on: a submitted value edited
	// once (so version 1 is stale), a returned one, a draft, an approved
	// civil affairs value and an approved education value (shared with
	// civil affairs).
	submit := func(region string, value float64) (id, version int) {
		var out struct {
			SubmitValues struct {
				Values []struct {
					ID      string
					Version int
				}
			}
		}
		api.Query(t, tok["analyst"], `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { values { id version } } }`,
			map[string]any{"in": []any{map[string]any{"indicator": "minors_total", "region": region, "period": "2030", "value": value}}}, &out)
		id, _ = strconv.Atoi(out.SubmitValues.Values[0].ID)
		return id, out.SubmitValues.Values[0].Version
	}
	move := func(who string, id int, to string, reason string) {
		vars := map[string]any{"ids": []string{strconv.Itoa(id)}, "to": to}
		if reason != "" {
			vars["reason"] = reason
		}
		api.Query(t, tok[who], `mutation($ids: [ID!]!, $to: ValueStatus!, $reason: String) { transition(ids: $ids, to: $to, reason: $reason) { id } }`, vars, nil)
	}
	submitted, _ := submit("370702", 40)
	move("analyst", submitted, "SUBMITTED", "")
	_, subVersion := submit("370702", 41)
	move("analyst", submitted, "SUBMITTED", "")
	returned, _ := submit("370703", 50)
	move("analyst", returned, "SUBMITTED", "")
	move("coord", returned, "RETURNED", "请核对")
	draft, _ := submit("370704", 60)
	var approved, eduApproved int
	if err := owner.QueryRow(ctx, `SELECT id FROM data_values WHERE indicator_key = 'joint_meeting_units' AND region_code = '370705'
  AND period = '2022' AND is_head AND status = 'APPROVED'`).Scan(&approved); err != nil {
		t.Fatal(err)
	}
	if err := owner.QueryRow(ctx, `SELECT id FROM data_values WHERE department_code = 'education' AND is_head AND status = 'APPROVED'
  ORDER BY id LIMIT 1`).Scan(&eduApproved); err != nil {
		t.Fatal(err)
	}
	statuses := func() string {
		var s string
		if err := owner.QueryRow(ctx, `SELECT string_agg(id || ':' || status || ':' || version, ',' ORDER BY id) FROM data_values
WHERE id = ANY($1)`, []int{submitted, returned, draft, approved, eduApproved}).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := statuses()

	// Requests.
	fromResponse := func(resp *apitest.Response, field string) outcome {
		if len(resp.Errors) > 0 {
			return outcome{"errors", resp.Code()}
		}
		var data map[string]struct {
			Conflicts []struct{ Code string }
		}
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			t.Fatal(err)
		}
		if cs := data[field].Conflicts; len(cs) > 0 {
			return outcome{"conflicts", cs[0].Code}
		}
		return outcome{"none", ""}
	}
	submitAs := func(who, region string, dry bool, expected *int) outcome {
		in := map[string]any{"indicator": "minors_total", "region": region, "period": "2031", "value": 7}
		if expected != nil {
			in["period"], in["expectedVersion"] = "2030", *expected
		}
		return fromResponse(api.Do(t, tok[who], `mutation($in: [DataValueInput!]!, $dry: Boolean) {
  submitValues(input: $in, dryRun: $dry) { conflicts { code } } }`, map[string]any{"in": []any{in}, "dry": dry}), "submitValues")
	}
	csv := func(region string) string {
		return "指标代码,地区代码,期间,数值\nminors_total," + region + ",2031,7\n"
	}
	importAs := func(who, region string, dry bool) outcome {
		resp := api.Upload(t, tok[who], `mutation($file: Upload!, $dry: Boolean) { importValues(file: $file, dryRun: $dry) { conflicts { code } } }`,
			map[string]any{"dry": dry}, "file", "f.csv", []byte(csv(region)))
		return fromResponse(resp, "importValues")
	}
	cliImportAs := func(who string) outcome {
		im := &importer.Importer{Submit: postgres.NewSubmitService(api.DB.App)}
		data := []byte(csv("370702"))
		sum, err := im.Import(hub.NewContext(ctx, ptr(api.Principal(t, tok[who]))), "f.csv", bytes.NewReader(data), int64(len(data)), importer.Options{})
		if err != nil {
			return outcome{"errors", hub.ErrorCode(err)}
		}
		if len(sum.Conflicts) > 0 {
			return outcome{"conflicts", sum.Conflicts[0].Code}
		}
		return outcome{"none", ""}
	}
	transitionAs := func(who string, id int, to string, versions ...int) outcome {
		vars := map[string]any{"ids": []string{strconv.Itoa(id)}, "to": to, "reason": "理由"}
		if versions != nil {
			vars["v"] = versions
		}
		return fromResponse(api.Do(t, tok[who], `mutation($ids: [ID!]!, $to: ValueStatus!, $reason: String, $v: [Int!]) {
  transition(ids: $ids, to: $to, reason: $reason, expectedVersions: $v) { id } }`, vars), "transition")
	}
	mutate := func(who, query string, vars map[string]any) outcome {
		return fromResponse(api.Do(t, tok[who], query, vars), "")
	}
	ids := map[string]any{"ids": []string{strconv.Itoa(approved)}}
	const (
		publish    = `mutation($ids: [ID!]!) { publish(ids: $ids, title: "x") { id } }`
		releasable = `mutation($ids: [ID!]!) { setReleasable(ids: $ids, releasable: true) }`
		share      = `mutation { shareIndicators(withDepartment: "health", fromDepartment: "civil_affairs") }`
		revoke     = `mutation { revokeShare(withDepartment: "civil_affairs", fromDepartment: "education") }`
		update     = `mutation($id: ID!) { updateValidationRule(id: $id, input: {severity: WARN}) { id } }`
		deactivate = `mutation($id: ID!) { deactivateValidationRule(id: $id) { id } }`
	)
	var ruleID string
	if err := owner.QueryRow(ctx, `SELECT id::text FROM validation_rules ORDER BY id LIMIT 1`).Scan(&ruleID); err != nil {
		t.Fatal(err)
	}
	rule := map[string]any{"id": ruleID}
	old := subVersion - 1
	// A retired indicator for the refusals of new values.
	var town string
	if err := owner.QueryRow(ctx, `UPDATE indicators SET retired_at = now() WHERE key = 'care_visits'
RETURNING (SELECT region_code FROM data_values WHERE indicator_key = 'care_visits' LIMIT 1)`).Scan(&town); err != nil {
		t.Fatal(err)
	}
	retiredSubmit := func() outcome {
		return fromResponse(api.Do(t, tok["analyst"], `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { conflicts { code } } }`,
			map[string]any{"in": []any{map[string]any{"indicator": "care_visits", "region": town, "period": "2031", "value": 3}}}), "submitValues")
	}
	retiredImport := func() outcome {
		resp := api.Upload(t, tok["analyst"], `mutation($file: Upload!) { importValues(file: $file) { conflicts { code } } }`,
			nil, "file", "f.csv", []byte("指标代码,地区代码,期间,数值\ncare_visits,"+town+",2031,3\n"))
		return fromResponse(resp, "importValues")
	}
	catalogueAs := func(who, query string, vars map[string]any) func() outcome {
		return func() outcome { return mutate(who, query, vars) }
	}
	def := perThousand("refused_indicator")

	cases := map[string]func() outcome{
		"submit-coordinator":                func() outcome { return submitAs("coord", "370702", false, nil) },
		"submit-leader":                     func() outcome { return submitAs("leader", "370702", false, nil) },
		"submit-media-dry-run":              func() outcome { return submitAs("media", "370702", true, nil) },
		"submit-other-department":           func() outcome { return submitAs("edu", "370702", false, nil) },
		"submit-outside-region":             func() outcome { return submitAs("district", "370703", false, nil) },
		"submit-dry-run-other-department":   func() outcome { return submitAs("edu", "370702", true, nil) },
		"submit-stale-version":              func() outcome { return submitAs("analyst", "370702", false, &old) },
		"import-leader":                     func() outcome { return importAs("leader", "370702", false) },
		"import-coordinator-dry-run":        func() outcome { return importAs("coord", "370702", true) },
		"import-other-department":           func() outcome { return importAs("edu", "370702", false) },
		"import-outside-region":             func() outcome { return importAs("district", "370703", false) },
		"cli-import-media":                  func() outcome { return cliImportAs("media") },
		"cli-import-other-department":       func() outcome { return cliImportAs("edu") },
		"transition-analyst-approves":       func() outcome { return transitionAs("analyst", submitted, "APPROVED") },
		"transition-coordinator-submits":    func() outcome { return transitionAs("coord", returned, "SUBMITTED") },
		"transition-leader":                 func() outcome { return transitionAs("leader", approved, "RETURNED") },
		"transition-media":                  func() outcome { return transitionAs("media", approved, "PUBLISHED") },
		"transition-other-department":       func() outcome { return transitionAs("analyst", eduApproved, "DRAFT") },
		"transition-wrong-status":           func() outcome { return transitionAs("coord", returned, "APPROVED") },
		"transition-stale-version":          func() outcome { return transitionAs("coord", submitted, "APPROVED", old) },
		"transition-invisible":              func() outcome { return transitionAs("coord", draft, "APPROVED") },
		"publish-analyst":                   func() outcome { return mutate("analyst", publish, ids) },
		"publish-leader":                    func() outcome { return mutate("leader", publish, ids) },
		"releasable-analyst":                func() outcome { return mutate("analyst", releasable, ids) },
		"releasable-media":                  func() outcome { return mutate("media", releasable, ids) },
		"share-leader":                      func() outcome { return mutate("leader", share, nil) },
		"share-other-department":            func() outcome { return mutate("edu", share, nil) },
		"revoke-media":                      func() outcome { return mutate("media", revoke, nil) },
		"rule-create-analyst":               func() outcome { return mutate("analyst", createRule, ruleVars("x_cap", "hope_rooms")) },
		"rule-update-leader":                func() outcome { return mutate("leader", update, rule) },
		"rule-deactivate-media":             func() outcome { return mutate("media", deactivate, rule) },
		"submit-retired-indicator":          retiredSubmit,
		"import-retired-indicator":          retiredImport,
		"indicator-create-analyst":          catalogueAs("analyst", createIndicator, map[string]any{"in": def}),
		"indicator-create-county-admin":     catalogueAs("county", createIndicator, map[string]any{"in": def}),
		"indicator-upsert-coordinator":      catalogueAs("coord", upsertIndicators, map[string]any{"in": []any{def}}),
		"indicator-upsert-dry-run-leader":   catalogueAs("leader", upsertIndicators, map[string]any{"in": []any{def}, "dry": true}),
		"indicator-update-media":            catalogueAs("media", updateIndicator, map[string]any{"key": "hope_rooms", "in": map[string]any{"name": "x"}}),
		"indicator-retire-analyst":          catalogueAs("analyst", retireIndicator, map[string]any{"key": "hope_rooms"}),
		"indicator-retire-used":             catalogueAs("admin", retireIndicator, map[string]any{"key": "child_directors"}),
		"department-create-coordinator":     catalogueAs("coord", createDepartment, map[string]any{"in": map[string]any{"code": "x_dept", "name": "x"}}),
		"department-update-leader":          catalogueAs("leader", updateDepartment, map[string]any{"code": "publicity", "in": map[string]any{"name": "x"}}),
		"department-retire-county-admin":    catalogueAs("county", retireDepartment, map[string]any{"code": "publicity"}),
		"department-retire-with-indicators": catalogueAs("admin", retireDepartment, map[string]any{"code": "civil_affairs"}),
	}

	rows := refusalRows(t)
	for id := range cases {
		if _, ok := rows[id]; !ok {
			t.Errorf("case %s is tested but not in the refusals table of docs/data-in.md", id)
		}
	}
	for id, want := range rows {
		run, ok := cases[id]
		if !ok {
			t.Errorf("refusal %s of docs/data-in.md has no test", id)
			continue
		}
		if got := run(); got != want {
			t.Errorf("%s: refused in %s with %q, the table says %s with %q", id, got.where, got.code, want.where, want.code)
		}
	}
	var written int
	if err := owner.QueryRow(ctx, `SELECT count(*) FROM data_values WHERE period = '2031'`).Scan(&written); err != nil || written != 0 {
		t.Errorf("refused writes wrote %d values (%v)", written, err)
	}
	if after := statuses(); after != before {
		t.Errorf("refused transitions changed values: %s, was %s", after, before)
	}
}
