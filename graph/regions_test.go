package graph_test

import (
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
