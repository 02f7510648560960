package graph_test

import (
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/demo"
	"github.com/sixprot/hub/internal/hub"
)

// TestAuditLog_CoordinatorDoesNotSeeDraftNumbersOverGraphQL: an analyst
// corrects an approved value (a draft 4000 over the released 1080) and
// enters a new draft (7777). dataValues hides both drafts from a district
// coordinator, and so does auditLog, whatever the filter, while the
// analyst reads them there.
func TestAuditLog_CoordinatorDoesNotSeeDraftNumbersOverGraphQL(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	analyst := api.User(t, hub.NewUser{Name: "civil-qz", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370781"})
	coord := api.User(t, hub.NewUser{Name: "coord-qz", Role: hub.Coordinator, Region: "370781"})
	var res struct {
		SubmitValues struct{ Created, Updated int }
	}
	api.Query(t, analyst, `mutation { submitValues(input: [
  {indicator: "child_directors", region: "370781", period: "2022", value: 4000},
  {indicator: "minors_total", region: "370781", period: "2030", value: 7777}]) { created updated } }`, nil, &res)
	if res.SubmitValues.Created != 1 || res.SubmitValues.Updated != 1 {
		t.Fatalf("drafts: %+v", res)
	}
	type entries struct {
		AuditLog struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Action             string
					OldValue, NewValue *float64
					OldStatus          *string
					NewStatus          *string
					Region             *struct{ Code string }
				}
			}
		}
	}
	queries := []string{
		`{ auditLog(first: 1000) { totalCount edges { node { action oldValue newValue oldStatus newStatus region { code } } } } }`,
		`{ auditLog(filter: {indicators: ["child_directors", "minors_total"], regions: ["370781"]}, first: 1000) {
  totalCount edges { node { action oldValue newValue oldStatus newStatus region { code } } } } }`,
		`{ auditLog(filter: {actions: ["create", "update"], regions: ["370781"]}, first: 1000) {
  totalCount edges { node { action oldValue newValue oldStatus newStatus region { code } } } } }`,
	}
	drafts := func(token string) (hidden, released int) {
		for _, q := range queries {
			var out entries
			api.Query(t, token, q, nil, &out)
			for _, e := range out.AuditLog.Edges {
				for _, v := range []*float64{e.Node.OldValue, e.Node.NewValue} {
					if v != nil && (*v == 4000 || *v == 7777) {
						hidden++
					}
				}
				if e.Node.Action == "update" && e.Node.OldValue != nil && *e.Node.OldValue == 1080 {
					released++
				}
			}
		}
		return hidden, released
	}
	if n, released := drafts(coord); n != 0 || released == 0 {
		t.Errorf("district coordinator reads %d draft numbers in auditLog (and %d released sides of the correction)", n, released)
	}
	if n, _ := drafts(analyst); n == 0 {
		t.Error("the analyst does not find its own drafts in auditLog")
	}
	var vals struct{ DataValues struct{ TotalCount int } }
	api.Query(t, coord, `{ dataValues(filter: {statuses: [DRAFT], regions: ["370781"]}) { totalCount } }`, nil, &vals)
	if vals.DataValues.TotalCount != 0 {
		t.Errorf("dataValues shows the coordinator %d drafts", vals.DataValues.TotalCount)
	}
}

// TestShares_DistrictCoordinatorCannotWriteCityWideOrOtherDistrictsAgreements
// sends every way a district coordinator might reach beyond its district;
// each is FORBIDDEN in errors[] and writes nothing, while the same
// coordinator shares within its district and a city coordinator anywhere.
func TestShares_DistrictCoordinatorCannotWriteCityWideOrOtherDistrictsAgreements(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	qz := api.User(t, hub.NewUser{Name: "coord-qz", Role: hub.Coordinator, Region: "370781"})
	city := api.User(t, hub.NewUser{Name: "coord-city", Role: hub.Coordinator, Region: "370700"})
	analyst := api.User(t, hub.NewUser{Name: "civil-qz", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370781"})
	for name, c := range map[string]struct{ token, query string }{
		"share city-wide":                        {qz, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"], region: "370700") }`},
		"share for another district":             {qz, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", region: "370705") }`},
		"share for a town of another district":   {qz, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", region: "370705001") }`},
		"revoke the city's agreement":            {qz, `mutation { revokeShare(withDepartment: "education", fromDepartment: "civil_affairs", indicators: ["minors_total"]) }`},
		"revoke the city's agreements by region": {qz, `mutation { revokeShare(withDepartment: "education", fromDepartment: "civil_affairs", region: "370700") }`},
		"analyst shares within its district":     {analyst, `mutation { shareIndicators(withDepartment: "youth_league", indicators: ["child_directors"]) }`},
		"analyst revokes":                        {analyst, `mutation { revokeShare(withDepartment: "education", indicators: ["minors_total"]) }`},
	} {
		resp := api.Do(t, c.token, c.query, nil)
		if resp.Code() != hub.EFORBIDDEN {
			t.Errorf("%s: %+v, want FORBIDDEN", name, resp.Errors)
		}
	}
	type shares struct {
		Shares []struct {
			Owner, Grantee struct{ Code string }
			Indicator      *struct{ Key string }
			Region         struct{ Code string }
		}
	}
	list := func() map[string]bool {
		var out shares
		api.Query(t, city, `{ shares { owner { code } grantee { code } indicator { key } region { code } } }`, nil, &out)
		m := map[string]bool{}
		for _, s := range out.Shares {
			key := "*"
			if s.Indicator != nil {
				key = s.Indicator.Key
			}
			m[s.Owner.Code+">"+s.Grantee.Code+":"+key+"@"+s.Region.Code] = true
		}
		return m
	}
	before := list()
	if !before["civil_affairs>education:minors_total@370700"] || len(before) != len(demo.Shares()) {
		t.Fatalf("agreements after the refusals: %v", before)
	}
	api.Query(t, qz, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"]) }`, nil, nil)
	api.Query(t, city, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"], region: "370705") }`, nil, nil)
	after := list()
	if !after["civil_affairs>youth_league:child_directors@370781"] || !after["civil_affairs>youth_league:child_directors@370705"] ||
		len(after) != len(before)+2 {
		t.Errorf("agreements: %v", after)
	}
}

// TestShares_DistrictAgreementOpensOnlyThatDistrict: an agreement of
// Qingzhou (370781) lets youth_league's city-wide analyst read civil
// affairs' released child_directors there and nowhere else: dataValues,
// comparison (rollups, the city's total included) and explainAccess agree.
func TestShares_DistrictAgreementOpensOnlyThatDistrict(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	qz := api.User(t, hub.NewUser{Name: "coord-qz", Role: hub.Coordinator, Region: "370781"})
	youth := api.User(t, hub.NewUser{Name: "youth", Role: hub.Analyst, Department: ptr("youth_league"), Region: "370700"})
	api.Query(t, qz, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"]) }`, nil, nil)

	var vals struct {
		DataValues struct {
			Edges []struct {
				Node struct {
					Status string
					Region struct{ Code string }
				}
			}
		}
	}
	api.Query(t, youth, `{ dataValues(filter: {indicators: ["child_directors"]}, first: 1000) { edges { node { status region { code } } } } }`, nil, &vals)
	if len(vals.DataValues.Edges) == 0 {
		t.Fatal("the agreement opens nothing")
	}
	for _, e := range vals.DataValues.Edges {
		if !strings.HasPrefix(e.Node.Region.Code, "370781") || (e.Node.Status != "APPROVED" && e.Node.Status != "PUBLISHED") {
			t.Errorf("youth_league reads a %s value of %s", e.Node.Status, e.Node.Region.Code)
		}
	}

	var cmp struct {
		Comparison []struct {
			Region struct{ Code string }
			Value  *float64
		}
	}
	for _, level := range []string{"COUNTY", "CITY"} {
		api.Query(t, youth, `query($l: RegionLevel) { comparison(indicator: "child_directors", period: "2022", level: $l) { region { code } value } }`,
			map[string]any{"l": level}, &cmp)
		if len(cmp.Comparison) == 0 {
			t.Fatalf("no comparison rows at %s", level)
		}
		for _, r := range cmp.Comparison {
			if (r.Value != nil) != (r.Region.Code == "370781") {
				t.Errorf("comparison at %s: %s value %v", level, r.Region.Code, r.Value)
			}
		}
	}

	const explain = `query($r: ID!) { explainAccess(indicator: "child_directors", region: $r, period: "2022") { canRead readBlockedBy } }`
	for region, want := range map[string]bool{"370781": true, "370705": false, "370700": false} {
		var out struct {
			ExplainAccess struct {
				CanRead       bool
				ReadBlockedBy *string
			}
		}
		api.Query(t, youth, explain, map[string]any{"r": region}, &out)
		if out.ExplainAccess.CanRead != want {
			t.Errorf("explainAccess for %s: canRead %v (%s), want %v", region, out.ExplainAccess.CanRead, deref(out.ExplainAccess.ReadBlockedBy), want)
		}
		if region == "370705" && !strings.Contains(deref(out.ExplainAccess.ReadBlockedBy), "not shared") {
			t.Errorf("explainAccess for %s names %q, want the missing agreement", region, deref(out.ExplainAccess.ReadBlockedBy))
		}
	}
}
