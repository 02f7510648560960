package graph_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestRegions_SearchByNameOrCodeIsBounded finds regions by a name or code
// substring, at most hub.MaxRegionSearch of them.
func TestRegions_SearchByNameOrCodeIsBounded(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370781"})
	type found struct {
		Regions []struct {
			Code         string `json:"code"`
			Name         string `json:"name"`
			Level        string `json:"level"`
			VillageCount int    `json:"villageCount"`
		} `json:"regions"`
	}
	var byName found
	api.Query(t, token, `{ regions(search: "王府街道") { code name level villageCount } }`, nil, &byName)
	if len(byName.Regions) != 1 || byName.Regions[0].Code != "370781001" || byName.Regions[0].VillageCount == 0 {
		t.Errorf("search 王府街道: %+v, want 370781001 with its villages", byName.Regions)
	}
	var byCode found
	api.Query(t, token, `{ regions(search: "370781001", level: VILLAGE) { code level } }`, nil, &byCode)
	if len(byCode.Regions) != hub.MaxRegionSearch {
		t.Errorf("search by a town's code among villages: %d regions, want the bound %d", len(byCode.Regions), hub.MaxRegionSearch)
	}
	for _, r := range byCode.Regions {
		if !strings.HasPrefix(r.Code, "370781001") || r.Level != "VILLAGE" {
			t.Errorf("search 370781001 found %+v", r)
		}
	}
	var none found
	api.Query(t, token, `{ regions(search: "不存在的地名") { code } }`, nil, &none)
	if len(none.Regions) != 0 {
		t.Errorf("search for no name found %+v", none.Regions)
	}
}

// TestComparison_VillagesAreBoundedBeforeTheirRollupsAreRead: a comparison
// of more than hub.MaxComparisonRows regions (Weifang's 7,060 villages, by
// default or under the city) is BAD_USER_INPUT naming the bound and the
// way out; under a county (青州市's 1,080) or a town it ranks every
// village, and a county leader's default parent is the county. Trend and
// dataValues at village level are bounded by their region list and page.
func TestComparison_VillagesAreBoundedBeforeTheirRollupsAreRead(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	city := api.User(t, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700"})
	county := api.User(t, hub.NewUser{Name: "qz", Role: hub.Leader, Region: "370781"})
	const q = `query($p: ID) { comparison(indicator: "children_homes", period: "2022", parent: $p, level: VILLAGE) { region { code } value rank } }`
	for _, parent := range []any{nil, "370700"} {
		resp := api.Do(t, city, q, map[string]any{"p": parent})
		if resp.Code() != hub.EINVALID || !strings.Contains(resp.Errors[0].Message, "2500") || !strings.Contains(resp.Errors[0].Message, "parent") {
			t.Errorf("villages under %v: %+v, want BAD_USER_INPUT naming the bound and parent", parent, resp.Errors)
		}
	}
	type rows struct {
		Comparison []struct {
			Region struct{ Code string }
			Value  *float64
			Rank   *int
		}
	}
	for _, c := range []struct {
		token  string
		parent any
		want   int
	}{{city, "370781", 1080}, {county, nil, 1080}, {city, "370781001", -1}} {
		var out rows
		api.Query(t, c.token, q, map[string]any{"p": c.parent}, &out)
		if c.want > 0 && len(out.Comparison) != c.want || len(out.Comparison) == 0 {
			t.Errorf("villages under %v: %d rows, want %d", c.parent, len(out.Comparison), c.want)
		}
		if len(out.Comparison) > 0 && (out.Comparison[0].Rank == nil || out.Comparison[0].Value == nil) {
			t.Errorf("villages under %v: first row %+v is not ranked", c.parent, out.Comparison[0])
		}
	}
	var towns rows
	api.Query(t, city, `{ comparison(indicator: "care_visits", period: "2022", level: TOWN) { region { code } value rank } }`, nil, &towns)
	if len(towns.Comparison) != 122 {
		t.Errorf("towns of the city: %d rows, want 122", len(towns.Comparison))
	}

	villages := make([]string, hub.MaxRegionsPerQuery+1)
	for i := range villages {
		villages[i] = fmt.Sprintf("370781001%03d", i)
	}
	if resp := api.Do(t, city, `query($r: [ID!]!) { trend(indicator: "children_homes", regions: $r, from: "2022", to: "2023") { points { value } } }`,
		map[string]any{"r": villages}); resp.Code() != hub.EINVALID {
		t.Errorf("trend of %d villages: %+v, want BAD_USER_INPUT", len(villages), resp.Errors)
	}
	if resp := api.Do(t, city, `{ dataValues(filter: {indicators: ["children_homes"]}, first: 1001) { totalCount } }`, nil); resp.Code() != hub.EINVALID {
		t.Errorf("dataValues first 1001: %+v, want BAD_USER_INPUT", resp.Errors)
	}
}
