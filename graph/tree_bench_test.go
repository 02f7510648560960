package graph_test

import (
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// treeScale is where BenchmarkTreeLevels looks in a data set: the root a
// leader sees, a county whose villages are compared, and the years of the
// town and village trends.
type treeScale struct {
	root, county, from, to, villageFrom, villageYear string
}

var treeScales = map[string]treeScale{
	// Weifang: 122 towns, 7,060 villages; 青州市 13 towns, 1,080 villages.
	"city": {root: "370700", county: "370781", from: "2019", to: "2023", villageFrom: "2022", villageYear: "2022"},
	// The generated province: 2,119 towns, 124,595 villages.
	"province": {root: "370000", county: "370101", from: "2020", to: "2024", villageFrom: "2023", villageYear: "2023"},
}

// BenchmarkTreeLevels measures comparison, trend and dataValues at town
// and village level through the GraphQL handler as a leader of the whole
// tree, and prints ms per answer and KiB per answer: on the demo's real
// tree (122 towns, 7,060 villages) and, with HUB_BENCH_DATABASE_URL, on a
// province loaded by `hub demo --scale province` (2,119 towns, 124,595
// villages). A comparison of every village (more than
// hub.MaxComparisonRows) is refused; its case times the refusal.
//
//	CI=true go test ./graph -run '^$' -bench TreeLevels -benchtime 20x
//	HUB_BENCH_DATABASE_URL=postgres://postgres@localhost:5432/sixprot_province?sslmode=disable \
//	  CI=true go test ./graph -run '^$' -bench TreeLevels -benchtime 20x
func BenchmarkTreeLevels(b *testing.B) {
	for _, s := range apitest.Scales(b, apitest.Options{}) {
		sc := treeScales[s.Name]
		token := s.API.Token(b, hub.NewUser{Name: "bench-leader-" + sc.root, Role: hub.Leader, Region: sc.root})
		// the first hub.MaxRegionsPerQuery towns, and villages of the county
		// town by town
		towns := regionCodes(b, s.API, token, `{ regions(level: TOWN) { code } }`)
		towns = towns[:min(len(towns), hub.MaxRegionsPerQuery)]
		var villages []string
		var cz struct {
			Regions []struct {
				Code     string
				Children []struct{ Code string } `json:"children"`
			} `json:"regions"`
		}
		s.API.Query(b, token, `query($c: ID) { regions(parent: $c) { code children { code } } }`, map[string]any{"c": sc.county}, &cz)
		for _, t := range cz.Regions {
			for _, v := range t.Children {
				if len(villages) < hub.MaxRegionsPerQuery {
					villages = append(villages, v.Code)
				}
			}
		}
		if len(cz.Regions) == 0 || len(villages) == 0 {
			b.Fatalf("%s: no towns or villages under %s", s.Name, sc.county)
		}
		town := cz.Regions[0].Code
		const compare = `query($p: ID, $l: RegionLevel, $i: ID!, $y: String!) { comparison(indicator: $i, period: $y, parent: $p, level: $l) { region { code } value rank } }`
		cases := []struct {
			name, query string
			vars        map[string]any
			refused     bool
		}{
			{"comparison/every town (care_visits)", compare, map[string]any{"l": "TOWN", "i": "care_visits", "y": "2022"}, false},
			{"comparison/every village (children_homes): refused", compare, map[string]any{"l": "VILLAGE", "i": "children_homes", "y": sc.villageYear}, true},
			{"comparison/villages of a county (children_homes)", compare, map[string]any{"p": sc.county, "l": "VILLAGE", "i": "children_homes", "y": sc.villageYear}, false},
			{"comparison/villages of a town (children_homes)", compare, map[string]any{"p": town, "l": "VILLAGE", "i": "children_homes", "y": sc.villageYear}, false},
			{"comparison/counties, coverage from the tree", compare, map[string]any{"i": "child_director_coverage", "y": "2022"}, false},
			{"comparison/counties, child_directors (no tree counts)", compare, map[string]any{"i": "child_directors", "y": "2022"}, false},
			{"trend/200 towns × 5 years (care_visits)", `query($r: [ID!]!, $f: String!, $t: String!) { trend(indicator: "care_visits", regions: $r, from: $f, to: $t) { region { code } points { value } } }`,
				map[string]any{"r": towns, "f": sc.from, "t": sc.to}, false},
			{"trend/200 villages × 2 years (children_homes)", `query($r: [ID!]!, $f: String!, $t: String!) { trend(indicator: "children_homes", regions: $r, from: $f, to: $t) { region { code } points { value } } }`,
				map[string]any{"r": villages, "f": sc.villageFrom, "t": sc.to}, false},
			{"dataValues/1000 village values", `query($y: String!) { dataValues(filter: {indicators: ["children_homes"], periods: [$y]}, first: 1000) { totalCount edges { node { value region { code name villageCount } } } } }`,
				map[string]any{"y": sc.villageYear}, false},
			{"dataValues/1000 village values without counts", `query($y: String!) { dataValues(filter: {indicators: ["children_homes"], periods: [$y]}, first: 1000) { totalCount edges { node { value region { code name } } } } }`,
				map[string]any{"y": sc.villageYear}, false},
			{"dataValues/1000 town values", `{ dataValues(filter: {indicators: ["care_visits"], periods: ["2022"]}, first: 1000) { totalCount edges { node { value region { code name parent { name } } } } } }`, nil, false},
		}
		for _, c := range cases {
			b.Run(s.Name+"/"+c.name, func(b *testing.B) {
				resp := s.API.Do(b, token, c.query, c.vars)
				if c.refused != (len(resp.Errors) > 0) || c.refused && resp.Code() != hub.EINVALID {
					b.Fatalf("refused %v, GraphQL errors: %+v", c.refused, resp.Errors)
				}
				size := len(resp.Data)
				b.ResetTimer()
				start := time.Now()
				for b.Loop() {
					s.API.Do(b, token, c.query, c.vars)
				}
				b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/answer")
				b.ReportMetric(float64(size)/1024, "KiB/answer")
			})
		}
	}
}

// regionCodes returns the codes of a regions query's answer.
func regionCodes(b *testing.B, api *apitest.API, token, query string) []string {
	var out struct {
		Regions []struct{ Code string } `json:"regions"`
	}
	api.Query(b, token, query, nil, &out)
	codes := make([]string, len(out.Regions))
	for i, r := range out.Regions {
		codes[i] = r.Code
	}
	return codes
}
