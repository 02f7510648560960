package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// nodeSample is the filter of the values the node tests look at: drafts,
// submitted and released values of three departments (a sensitive
// indicator and a publicity one among them) in every district.
const nodeSample = `{periods: ["2022", "2023"], departments: ["civil_affairs", "education", "publicity"]}`

type sampleValue struct {
	ID        string
	Status    string
	Region    struct{ Code string }
	Indicator struct{ Key string }
}

// listValues walks every page of dataValues(filter: nodeSample) as token.
func listValues(t *testing.T, api *apitest.API, token string) []sampleValue {
	t.Helper()
	q := `query($after: String) { dataValues(filter: ` + nodeSample + `, first: 1000, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id status region { code } indicator { key } } } } }`
	var all []sampleValue
	var after any
	for {
		var p struct {
			DataValues struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Edges []struct{ Node sampleValue }
			}
		}
		api.Query(t, token, q, map[string]any{"after": after}, &p)
		for _, e := range p.DataValues.Edges {
			all = append(all, e.Node)
		}
		if !p.DataValues.PageInfo.HasNextPage {
			return all
		}
		after = p.DataValues.PageInfo.EndCursor
	}
}

// fetchNodes asks nodes(ids:) 100 ids at a time and returns, by id, the id
// each answered (empty where null). Every answer must be free of errors.
func fetchNodes(t *testing.T, api *apitest.API, token string, ids []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for chunk := range slices.Chunk(ids, hub.MaxNodeIDs) {
		resp := api.Do(t, token, `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on DataValue { status value } } }`, map[string]any{"ids": chunk})
		if len(resp.Errors) > 0 {
			t.Fatalf("nodes: %+v", resp.Errors)
		}
		var data struct {
			Nodes []*struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		if err := json.Unmarshal(resp.Data, &data); err != nil || len(data.Nodes) != len(chunk) {
			t.Fatalf("nodes answered %d for %d ids: %v", len(data.Nodes), len(chunk), err)
		}
		for i, n := range data.Nodes {
			out[chunk[i]] = ""
			if n != nil {
				if n.Typename != "DataValue" || n.ID != chunk[i] {
					t.Fatalf("node %s answered %s %s", chunk[i], n.Typename, n.ID)
				}
				out[chunk[i]] = n.ID
			}
		}
	}
	return out
}

// TestNode_ValuesObeyAccessExactlyLikeDataValues: for principals who see
// different parts of the same values (a county leader, a county analyst
// of another department, an analyst reading through a sharing agreement
// limited to one indicator and county, the media office after sensitive
// counts were published), nodes(ids:) over every id an admin of the city
// sees, plus their own, answers exactly the values dataValues lists for
// them, and null for the rest: another district's draft, a submitted
// value of another department, a value outside the share, the sensitive
// counts. A hidden id answers like an id that does not exist.
func TestNode_ValuesObeyAccessExactlyLikeDataValues(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	admin := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	coord := api.User(t, hub.NewUser{Name: "coord", Role: hub.Coordinator, Region: "370700"})
	cells := api.PublishSmallCells(t, "370702", "370703", "370704", "370705", "370781")
	api.Query(t, coord, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"], region: "370781") }`, nil, nil)
	principals := map[string]string{
		"leader of 青州市":                 api.User(t, hub.NewUser{Name: "leader-qz", Role: hub.Leader, Region: "370781"}),
		"education analyst of 青州市":      api.User(t, hub.NewUser{Name: "edu-qz", Role: hub.Analyst, Department: ptr("education"), Region: "370781"}),
		"youth_league analyst (shared)": api.User(t, hub.NewUser{Name: "youth-qz", Role: hub.Analyst, Department: ptr("youth_league"), Region: "370781"}),
		"media":                         api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"}),
	}
	everything := listValues(t, api, admin)
	var ids []string
	hidden := map[string]string{} // what each kind of hidden value is, for the messages
	for _, v := range everything {
		ids = append(ids, v.ID)
	}
	statuses := map[string]int{}
	for _, v := range everything {
		statuses[v.Status]++
	}
	if statuses["DRAFT"] == 0 || statuses["SUBMITTED"] == 0 || statuses["PUBLISHED"] == 0 {
		t.Fatalf("the sample lacks a status: %v", statuses)
	}
	for name, token := range principals {
		t.Run(name, func(t *testing.T) {
			visible := map[string]bool{}
			own := listValues(t, api, token)
			for _, v := range own {
				visible[v.ID] = true
			}
			asked := slices.Clone(ids)
			for _, v := range own {
				asked = append(asked, v.ID)
			}
			slices.Sort(asked)
			asked = slices.Compact(asked)
			got := fetchNodes(t, api, token, asked)
			shown, nulls := 0, 0
			for _, id := range asked {
				if (got[id] != "") != visible[id] {
					t.Errorf("value %s: node answered %q, dataValues lists it: %v %s", id, got[id], visible[id], hidden[id])
				}
				if got[id] != "" {
					shown++
				} else {
					nulls++
				}
			}
			t.Logf("%d values shown, %d null", shown, nulls)
			if shown == 0 || nulls == 0 {
				t.Errorf("%d shown, %d null: the sample proves nothing", shown, nulls)
			}
			// The concrete hidden values the issue names.
			for _, v := range everything {
				switch {
				case v.Status == "DRAFT" && !strings.HasPrefix(v.Region.Code, "370781") && name != "media" && got[v.ID] != "":
					t.Errorf("another district's draft %s (%s) reached through node", v.ID, v.Region.Code)
				case name == "media" && v.Indicator.Key == cells.Indicator && got[v.ID] != "":
					t.Errorf("media reads the sensitive count %s of %s through node", v.ID, v.Region.Code)
				case name == "youth_league analyst (shared)" && v.Indicator.Key == "child_directors" && !strings.HasPrefix(v.Region.Code, "370781") && got[v.ID] != "":
					t.Errorf("a value outside the share (%s) reached through node", v.Region.Code)
				}
			}
			// Hidden and missing answer alike: null, no error.
			var hiddenID string
			for _, id := range ids {
				if got[id] == "" {
					hiddenID = id
					break
				}
			}
			answer := func(id string) string {
				resp := api.Do(t, token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
				b, _ := json.Marshal(resp.Errors)
				return string(resp.Data) + string(b)
			}
			if h, m := answer(hiddenID), answer("987654321"); h != m || h != `{"node":null}null` {
				t.Errorf("a hidden value answers %s, a missing one %s", h, m)
			}
		})
	}
}

// TestNode_CatalogueObjectsRoundTrip: the ids of regions, departments and
// indicators are opaque (not their codes, never all digits) and node gives
// back the same object; an id that is no id of the hub is BAD_USER_INPUT,
// more than 100 ids are refused before any SQL, and nodes costs per id.
func TestNode_CatalogueObjectsRoundTrip(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	var out struct {
		Me struct {
			Region struct{ ID, Code string }
		}
		Indicators []struct {
			ID, Key    string
			Department struct{ ID, Code string }
		}
	}
	api.Query(t, token, `{ me { region { id code } } indicators { id key department { id code } } }`, nil, &out)
	if len(out.Indicators) == 0 {
		t.Fatal("no indicators")
	}
	ind := out.Indicators[0]
	for _, id := range []string{out.Me.Region.ID, ind.ID, ind.Department.ID} {
		if id == "" || strings.Trim(id, "0123456789") == "" || id == out.Me.Region.Code || id == ind.Key {
			t.Errorf("id %q is not opaque", id)
		}
	}
	var got struct {
		A struct{ Typename, Code string } `json:"a"`
		B struct{ Typename, Key string }  `json:"b"`
		C struct{ Typename, Code string } `json:"c"`
		N []*struct{ ID string }          `json:"n"`
	}
	q := fmt.Sprintf(`{ a: node(id: %q) { typename: __typename ... on Region { code } }
  b: node(id: %q) { typename: __typename ... on Indicator { key } }
  c: node(id: %q) { typename: __typename ... on Department { code } }
  n: nodes(ids: [%q, %q, %q]) { id } }`, out.Me.Region.ID, ind.ID, ind.Department.ID,
		out.Me.Region.ID, "UmVnaW9uOjk5OTk5OQ", ind.ID) // Region:999999 does not exist
	api.Query(t, token, q, nil, &got)
	if got.A.Typename != "Region" || got.A.Code != "370700" || got.B.Typename != "Indicator" || got.B.Key != ind.Key ||
		got.C.Typename != "Department" || got.C.Code != ind.Department.Code {
		t.Errorf("round trip: %+v", got)
	}
	if len(got.N) != 3 || got.N[0] == nil || got.N[0].ID != out.Me.Region.ID || got.N[1] != nil || got.N[2] == nil || got.N[2].ID != ind.ID {
		t.Errorf("nodes: %+v", got.N)
	}
	for _, id := range []string{"not base64!", "Zm9vOmJhcg", "0", "-1", ""} { // Zm9vOmJhcg = foo:bar
		if resp := api.Do(t, token, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}); resp.Code() != hub.EINVALID {
			t.Errorf("node(%q): %q %+v", id, resp.Code(), resp.Errors)
		}
	}
	many := make([]string, hub.MaxNodeIDs+1)
	for i := range many {
		many[i] = fmt.Sprint(i + 1)
	}
	if resp := api.Do(t, token, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": many}); resp.Code() != hub.EINVALID {
		t.Errorf("nodes of %d ids: %q", len(many), resp.Code())
	}
}
