package graph_test

import (
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// BenchmarkTreeLevels measures comparison, trend and dataValues at town
// and village level on the demo's real tree (122 towns, 7,060 villages),
// through the GraphQL handler as a city-wide leader, and prints ms per
// answer and rows per answer:
//
//	CI=true go test ./graph -run '^$' -bench TreeLevels -benchtime 20x
func BenchmarkTreeLevels(b *testing.B) {
	api := apitest.New(b, apitest.Options{})
	token := api.User(b, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700"})
	// the first hub.MaxRegionsPerQuery villages of 青州市, town by town
	var villages []string
	var qz struct {
		Regions []struct {
			Children []struct{ Code string } `json:"children"`
		} `json:"regions"`
	}
	api.Query(b, token, `{ regions(parent: "370781") { children { code } } }`, nil, &qz)
	for _, t := range qz.Regions {
		for _, v := range t.Children {
			if len(villages) < hub.MaxRegionsPerQuery {
				villages = append(villages, v.Code)
			}
		}
	}
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"comparison/towns of the city (care_visits)", `query($l: RegionLevel) { comparison(indicator: "care_visits", period: "2022", level: $l) { region { code } value rank } }`,
			map[string]any{"l": "TOWN"}},
		{"comparison/villages of the city (children_homes)", `query($l: RegionLevel) { comparison(indicator: "children_homes", period: "2022", level: $l) { region { code } value rank } }`,
			map[string]any{"l": "VILLAGE"}},
		{"comparison/villages of 青州市 (children_homes)", `query($l: RegionLevel) { comparison(indicator: "children_homes", period: "2022", parent: "370781", level: $l) { region { code } value rank } }`,
			map[string]any{"l": "VILLAGE"}},
		{"comparison/counties, coverage from the tree", `{ comparison(indicator: "child_director_coverage", period: "2022") { region { code } value rank } }`, nil},
		{"comparison/counties, child_directors (no tree counts)", `{ comparison(indicator: "child_directors", period: "2022") { region { code } value rank } }`, nil},
		{"trend/122 towns 2019-2023 (care_visits)", `query($r: [ID!]!) { trend(indicator: "care_visits", regions: $r, from: "2019", to: "2023") { region { code } points { value } } }`,
			map[string]any{"r": towns(b, api, token)}},
		{"trend/villages 2022-2023 (children_homes)", `query($r: [ID!]!) { trend(indicator: "children_homes", regions: $r, from: "2022", to: "2023") { region { code } points { value } } }`,
			map[string]any{"r": villages}},
		{"dataValues/1000 village values", `{ dataValues(filter: {indicators: ["children_homes"], periods: ["2022"]}, first: 1000) { totalCount edges { node { value region { code name villageCount } } } } }`, nil},
		{"dataValues/1000 village values without counts", `{ dataValues(filter: {indicators: ["children_homes"], periods: ["2022"]}, first: 1000) { totalCount edges { node { value region { code name } } } } }`, nil},
		{"dataValues/town values", `{ dataValues(filter: {indicators: ["care_visits"], periods: ["2022"]}, first: 1000) { totalCount edges { node { value region { code name parent { name } } } } } }`, nil},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			resp := api.Do(b, token, c.query, c.vars)
			if len(resp.Errors) > 0 {
				b.Fatalf("GraphQL errors: %+v", resp.Errors)
			}
			size := len(resp.Data)
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				api.Do(b, token, c.query, c.vars)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/answer")
			b.ReportMetric(float64(size)/1024, "KiB/answer")
		})
	}
}

func towns(b *testing.B, api *apitest.API, token string) []string {
	var out struct {
		Regions []struct{ Code string } `json:"regions"`
	}
	api.Query(b, token, `{ regions(level: TOWN) { code } }`, nil, &out)
	codes := make([]string, len(out.Regions))
	for i, r := range out.Regions {
		codes[i] = r.Code
	}
	return codes
}
