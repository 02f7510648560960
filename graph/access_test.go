package graph_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
)

func ptr[T any](v T) *T { return &v }

type node struct {
	ID     string
	Status string
	Period string
	Region struct {
		Code string
	}
	Indicator struct {
		Key        string
		Department struct {
			Code string
		}
	}
}

// nodes collects every DataValue object anywhere in a decoded response.
func nodes(v any, out *[]map[string]any) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["status"]; ok {
			*out = append(*out, x)
		}
		for _, c := range x {
			nodes(c, out)
		}
	case []any:
		for _, c := range x {
			nodes(c, out)
		}
	}
}

// TestAccess_LeaderNeverSeesUnapprovedValuesWhateverTheQueryShape sends
// the same read in the shapes people use to get around field-level checks.
func TestAccess_LeaderNeverSeesUnapprovedValuesWhateverTheQueryShape(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	leader := api.User(t, hub.NewUser{Name: "leader-qz", Role: hub.Leader, Region: "370781"})
	queries := map[string]string{
		"aliases": `{ a: dataValues(filter: {statuses: [DRAFT, SUBMITTED]}, first: 1000) { totalCount edges { node { status region { code } } } }
		             b: dataValues(filter: {periods: ["2023"]}, first: 1000) { totalCount edges { node { status region { code } } } } }`,
		"fragments": `fragment V on DataValue { status region { code } }
		              query { dataValues(filter: {periods: ["2023"]}, first: 1000) { edges { node { ...V } } } }`,
		"inline fragment on a nested path": `{ dataValues(filter: {}, first: 1000) { edges { node { ... on DataValue { status region { code parent { code } } indicator { department { indicators { key } } } } } } } }`,
		"outside the scope by code":        `{ dataValues(filter: {regions: ["370702", "370705", "370700"]}, first: 1000) { totalCount edges { node { status region { code } } } } }`,
		"draft filter":                     `{ dataValues(filter: {statuses: [DRAFT]}) { totalCount edges { node { status region { code } } } } }`,
		"forged cursor past the scope": `{ dataValues(filter: {}, first: 1000, after: "` +
			base64.RawURLEncoding.EncodeToString([]byte("child_directors/2022/370700")) + `") { edges { node { status region { code } } } } }`,
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			resp := api.Do(t, leader, q, nil)
			if len(resp.Errors) > 0 {
				t.Fatalf("errors: %+v", resp.Errors)
			}
			var data any
			if err := jsonUnmarshal(resp.Data, &data); err != nil {
				t.Fatal(err)
			}
			var got []map[string]any
			nodes(data, &got)
			for _, n := range got {
				st := n["status"].(string)
				code := n["region"].(map[string]any)["code"].(string)
				if st != "APPROVED" && st != "PUBLISHED" {
					t.Errorf("leader sees a %s value", st)
				}
				if !strings.HasPrefix(code, "370781") {
					t.Errorf("leader of 370781 sees region %s", code)
				}
			}
		})
	}
}

func TestAccess_SeveralOperationsInOneDocumentAreEachFiltered(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	doc := `query A { dataValues(filter: {indicators: ["child_directors"]}) { totalCount } }
query B { dataValues(filter: {indicators: ["lectures_held"]}) { totalCount edges { node { status } } } }`
	// Without operationName the document is refused.
	if resp := api.Do(t, media, doc, nil); len(resp.Errors) == 0 {
		t.Error("a document with two operations and no operationName was executed")
	}
	for op, want := range map[string]func(int) bool{
		"A": func(n int) bool { return n == 0 }, // not a publicity indicator
		"B": func(n int) bool { return n > 0 },  // published publicity figures
	} {
		var out struct{ DataValues struct{ TotalCount int } }
		api.QueryOp(t, media, doc, op, nil, &out)
		if !want(out.DataValues.TotalCount) {
			t.Errorf("operation %s: media sees %d values", op, out.DataValues.TotalCount)
		}
	}
}

func TestAccess_SharingOpensApprovedValuesAndRevokingClosesThem(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	// Coordinators manage sharing agreements (DESIGN.md), for the owner.
	coord := api.User(t, hub.NewUser{Name: "coord", Role: hub.Coordinator, Region: "370700"})
	youth := api.User(t, hub.NewUser{Name: "youth", Role: hub.Analyst, Department: ptr("youth_league"), Region: "370781"})
	const read = `{ dataValues(filter: {indicators: ["child_directors"]}, first: 1000) { totalCount edges { node { status region { code } } } } }`
	count := func() (int, []map[string]any) {
		resp := api.Do(t, youth, read, nil)
		var data any
		_ = jsonUnmarshal(resp.Data, &data)
		var got []map[string]any
		nodes(data, &got)
		return len(got), got
	}
	if n, _ := count(); n != 0 {
		t.Fatalf("youth_league sees %d civil_affairs values before any agreement", n)
	}
	var ok struct{ ShareIndicators bool }
	api.Query(t, coord, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"]) }`, nil, &ok)
	n, got := count()
	if n == 0 {
		t.Fatal("shared values stay invisible")
	}
	for _, v := range got {
		if st := v["status"]; st != "APPROVED" && st != "PUBLISHED" {
			t.Errorf("shared read shows a %s value", st)
		}
		if code := v["region"].(map[string]any)["code"].(string); !strings.HasPrefix(code, "370781") {
			t.Errorf("shared read goes outside the grantee's scope: %s", code)
		}
	}
	api.Query(t, coord, `mutation { revokeShare(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"]) }`, nil, nil)
	if n, _ := count(); n != 0 {
		t.Errorf("after revoking, youth_league still sees %d values", n)
	}
}

func TestAccess_SharingRefusedOutsideTheRules(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	edu := api.User(t, hub.NewUser{Name: "edu", Role: hub.Analyst, Department: ptr("education"), Region: "370700"})
	leader := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	coord := api.User(t, hub.NewUser{Name: "coord", Role: hub.Coordinator, Region: "370700"})
	tests := []struct {
		name, token, query, code, mentions string
	}{
		{"analyst shares another department's indicators", edu,
			`mutation { shareIndicators(withDepartment: "education", fromDepartment: "civil_affairs") }`, hub.EFORBIDDEN, "analyst"},
		// Analysts no longer write agreements, not even their own department's.
		{"analyst shares the own department's indicators", edu,
			`mutation { shareIndicators(withDepartment: "youth_league") }`, hub.EFORBIDDEN, "analyst"},
		{"analyst revokes", edu, `mutation { revokeShare(withDepartment: "civil_affairs") }`, hub.EFORBIDDEN, "analyst"},
		{"coordinator shares an indicator that is not the department's", coord,
			`mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "education", indicators: ["child_directors"]) }`, hub.EINVALID, "education"},
		{"leader shares", leader, `mutation { shareIndicators(withDepartment: "education", fromDepartment: "civil_affairs") }`, hub.EFORBIDDEN, "leader"},
		{"coordinator without a source department", coord, `mutation { shareIndicators(withDepartment: "education") }`, hub.EINVALID, "fromDepartment"},
		{"share with itself", coord, `mutation { shareIndicators(withDepartment: "education", fromDepartment: "education") }`, hub.EINVALID, "itself"},
		{"unknown region", coord, `mutation { shareIndicators(withDepartment: "education", fromDepartment: "civil_affairs", region: "379999") }`, hub.EINVALID, "379999"},
		{"unknown department", coord, `mutation { shareIndicators(withDepartment: "nobody", fromDepartment: "education") }`, hub.EINVALID, "nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := api.Do(t, tt.token, tt.query, nil)
			if resp.Code() != tt.code {
				t.Fatalf("code %q (%+v), want %s", resp.Code(), resp.Errors, tt.code)
			}
			if !strings.Contains(resp.Errors[0].Message, tt.mentions) {
				t.Errorf("message %q does not name %q", resp.Errors[0].Message, tt.mentions)
			}
		})
	}
	var out struct {
		Shares []struct{ Owner struct{ Code string } }
	}
	api.Query(t, coord, `{ shares(department: "youth_league") { owner { code } grantee { code } indicator { key } } }`, nil, &out)
	for _, s := range out.Shares {
		if s.Owner.Code == "education" {
			t.Error("a refused share was recorded")
		}
	}
}

func TestExplainAccess_NamesTheBlockingRule(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	tokens := map[string]string{
		"leader-qz": api.User(t, hub.NewUser{Name: "leader-qz", Role: hub.Leader, Region: "370781"}),
		"edu-qz":    api.User(t, hub.NewUser{Name: "edu-qz", Role: hub.Analyst, Department: ptr("education"), Region: "370781"}),
		"civil":     api.User(t, hub.NewUser{Name: "civil", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370700"}),
		"media":     api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"}),
	}
	tests := []struct {
		who, indicator, region, period string
		canRead, canWrite              bool
		readRule, writeRule            string
	}{
		{"leader-qz", "child_directors", "370702", "2022", false, false, "outside your region 370781", "leader users may not enter values"},
		{"leader-qz", "child_directors", "370781", "2022", true, false, "", "leader"},
		{"edu-qz", "child_directors", "370781", "2022", false, false, "not shared with your department", "education analysts may not write indicators of civil_affairs"},
		{"edu-qz", "minors_total", "370781", "2022", true, false, "", "civil_affairs"},
		{"edu-qz", "aided_students", "370781", "2022", true, true, "", ""},
		{"edu-qz", "aided_students", "370705", "2022", false, false, "outside your region 370781", "outside your region 370781"},
		{"civil", "child_directors", "370781", "2023", true, true, "", ""},
		{"civil", "child_directors_per_10k", "370781", "2022", false, false, "no value", "derived"},
		{"media", "child_directors", "370781", "2022", false, false, "not a publicity statistic", "media"},
		{"media", "lectures_held", "370702", "2023", false, false, "no published value", "media"},
		{"media", "lectures_held", "370702", "2021", true, false, "", "media"},
	}
	const q = `query($i: ID!, $r: ID!, $p: String!) { explainAccess(indicator: $i, region: $r, period: $p) {
  canRead canWrite readBlockedBy writeBlockedBy rules } }`
	for _, tt := range tests {
		t.Run(tt.who+" "+tt.indicator+" "+tt.region+" "+tt.period, func(t *testing.T) {
			var out struct {
				ExplainAccess struct {
					CanRead, CanWrite             bool
					ReadBlockedBy, WriteBlockedBy *string
					Rules                         []string
				}
			}
			api.Query(t, tokens[tt.who], q, map[string]any{"i": tt.indicator, "r": tt.region, "p": tt.period}, &out)
			e := out.ExplainAccess
			if e.CanRead != tt.canRead || e.CanWrite != tt.canWrite {
				t.Fatalf("canRead %v canWrite %v, want %v %v (%v / %v)", e.CanRead, e.CanWrite, tt.canRead, tt.canWrite, deref(e.ReadBlockedBy), deref(e.WriteBlockedBy))
			}
			if tt.readRule != "" && !strings.Contains(deref(e.ReadBlockedBy), tt.readRule) {
				t.Errorf("read blocked by %q, want it to say %q", deref(e.ReadBlockedBy), tt.readRule)
			}
			if tt.writeRule != "" && !strings.Contains(deref(e.WriteBlockedBy), tt.writeRule) {
				t.Errorf("write blocked by %q, want it to say %q", deref(e.WriteBlockedBy), tt.writeRule)
			}
			if len(e.Rules) == 0 {
				t.Error("no rules listed")
			}
		})
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestExplainAccess_AgreesWithThePolicies compares, for every value of
// some indicators and every kind of principal, what explainAccess says
// with what the row-level security policies let through.
func TestExplainAccess_AgreesWithThePolicies(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	ctx := context.Background()
	// An agreement of one district only: explanations and policies must
	// agree on where it opens values.
	if _, err := api.DB.OwnerConn(t).Exec(ctx, `INSERT INTO shares (owner_department, grantee_department, indicator_key, region_code, created_by)
VALUES ('civil_affairs', 'education', 'child_directors', '370781', 'test'), ('civil_affairs', 'youth_league', 'care_visits', '370705', 'test')`); err != nil {
		t.Fatal(err)
	}
	explain := postgres.NewAccessService(api.DB.App)
	values := postgres.NewValueService(api.DB.App)
	admin := &hub.Principal{Name: "t", Role: hub.Admin, Region: "370700", RegionPath: "370700"}
	all, err := values.FindValues(hub.NewContext(ctx, admin), hub.ValueFilter{
		Indicators: []string{"child_directors", "lectures_held", "minors_total", "aided_students", "care_visits"},
		Periods:    []string{"2021", "2022", "2023"},
	}, hub.ValuePage{First: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Values) < 100 {
		t.Fatalf("only %d values to compare", len(all.Values))
	}
	principals := []*hub.Principal{
		{Name: "t", Role: hub.Coordinator, Region: "370700", RegionPath: "370700"},
		{Name: "t", Role: hub.Leader, Region: "370781", RegionPath: "370700.370781"},
		{Name: "t", Role: hub.Analyst, Department: ptr("education"), Region: "370700", RegionPath: "370700"},
		{Name: "t", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370705", RegionPath: "370700.370705"},
		{Name: "t", Role: hub.Media, Region: "370700", RegionPath: "370700"},
		{Name: "t", Role: hub.Analyst, Department: ptr("youth_league"), Region: "370700", RegionPath: "370700"},
	}
	for _, p := range principals {
		pctx := hub.NewContext(ctx, p)
		seen, err := values.FindValues(pctx, hub.ValueFilter{
			Indicators: []string{"child_directors", "lectures_held", "minors_total", "aided_students", "care_visits"},
			Periods:    []string{"2021", "2022", "2023"},
		}, hub.ValuePage{First: 1000})
		if err != nil {
			t.Fatal(err)
		}
		visible := map[hub.ValueKey]bool{}
		for _, v := range seen.Values {
			visible[v.Key()] = true
		}
		for _, v := range all.Values {
			e, err := explain.Explain(pctx, v.IndicatorKey, v.RegionCode, v.Period)
			if err != nil {
				t.Fatal(err)
			}
			if e.CanRead != visible[v.Key()] {
				t.Errorf("%s %s: explainAccess says canRead=%v (%s) but the policies say %v for %v",
					p.Role, v.Key(), e.CanRead, deref(e.ReadBlockedBy), visible[v.Key()], v.Status)
			}
		}
	}
}
