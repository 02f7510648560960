package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// The thirteen county-level units of the demo city (370700).
var counties = []string{"370702", "370703", "370704", "370705", "370781", "370782", "370783", "370784",
	"370785", "370786", "370724", "370725", "370772"}

// mediaView is everything the media office can ask about the sensitive
// indicator and its cells besides publicityStats: each query's raw answer
// (errors included).
func mediaView(t *testing.T, api *apitest.API, media string) map[string]string {
	t.Helper()
	ind := apitest.SmallCellIndicator
	regions := append([]string{"370700"}, counties...)
	queries := map[string]struct {
		q    string
		vars map[string]any
	}{
		"dataValues": {`query($i: [ID!]) { dataValues(filter: {indicators: $i}, first: 1000) { totalCount edges { node { region { code } period value qualifier status } } } }`,
			map[string]any{"i": []string{ind}}},
		"dataValues all": {`{ dataValues(filter: {periods: ["2022"]}, first: 1000) { totalCount edges { node { indicator { key } region { code } value } } } }`, nil},
		"comparison": {`query($i: ID!) { comparison(indicator: $i, period: "2022", parent: "370700") { region { code } value perTenThousandMinors rank status qualifier } }`,
			map[string]any{"i": ind}},
		"trend": {`query($i: ID!, $r: [ID!]!) { trend(indicator: $i, regions: $r, from: "2020", to: "2022") { region { code } points { period value qualifier status } } }`,
			map[string]any{"i": ind, "r": regions}},
		"protectionProfile": {`query($r: [ID!]!) { protectionProfile(regions: $r, period: "2022") { region { code } scores { protection score indicatorsUsed } } }`,
			map[string]any{"r": regions}},
		"validationReport": {`{ validationReport(period: "2022") { kind indicator { key } region { code } left right message } }`, nil},
		"publications":     {`{ publications { title values periods } }`, nil},
	}
	for _, c := range regions {
		queries["explainAccess "+c] = struct {
			q    string
			vars map[string]any
		}{`query($i: ID!, $r: ID!) { explainAccess(indicator: $i, region: $r, period: "2022") { canRead canWrite readBlockedBy writeBlockedBy rules } }`,
			map[string]any{"i": ind, "r": c}}
	}
	out := map[string]string{}
	for name, q := range queries {
		resp := api.Do(t, media, q.q, q.vars)
		b, _ := json.Marshal(resp)
		out[name] = string(b)
	}
	return out
}

// Publishing a sensitive indicator's counts changes nothing of what the
// media office sees through any path but publicityStats: dataValues,
// comparison, trend, protectionProfile, validationReport and explainAccess
// answer exactly as before (the cells reach the office only suppressed),
// and publications do not count the sensitive cells.
func TestMedia_SensitiveCountsReachNoPathButSuppression(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	before := mediaView(t, api, media)
	cells := api.PublishSmallCells(t, counties...)
	after := mediaView(t, api, media)
	for name, b := range before {
		if after[name] != b && name != "publications" {
			t.Errorf("%s changed when the sensitive counts were published:\nbefore %.400s\nafter  %.400s", name, b, after[name])
		}
	}
	// The new batch is listed, with what publicityStats gives of it.
	if want := `{"title":"困境儿童保障 2022","values":13,"periods":["2022"]},`; after["publications"] != strings.Replace(before["publications"], `[{`, `[`+want+`{`, 1) {
		t.Errorf("publications: %s", after["publications"])
	}
	if !strings.Contains(after["validationReport"], `"FORBIDDEN"`) {
		t.Errorf("validationReport for the media office: %.300s", after["validationReport"])
	}
	if !strings.Contains(after["explainAccess 370702"], "small-cell protected") {
		t.Errorf("explainAccess: %.300s", after["explainAccess 370702"])
	}
	// The positive control: the figures are published, a leader reads them,
	// and publicityStats gives them to the media office, suppressed.
	leader := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	var dv struct{ DataValues struct{ TotalCount int } }
	api.Query(t, leader, `query($i: [ID!]) { dataValues(filter: {indicators: $i, periods: ["2022"], statuses: [PUBLISHED]}) { totalCount } }`,
		map[string]any{"i": []string{cells.Indicator}}, &dv)
	if dv.DataValues.TotalCount != len(counties) {
		t.Fatalf("leader reads %d published values, want %d", dv.DataValues.TotalCount, len(counties))
	}
	stats := publicity(t, api, media, "2022", "370700")
	small := stats[statKey{cells.Indicator, cells.Small}]
	if small == nil || !small.Suppressed || small.Value != nil {
		t.Errorf("publicityStats gives the small cell %+v", small)
	}
	shown := 0
	for k, s := range stats {
		if k.indicator == cells.Indicator && !s.Suppressed {
			shown++
		}
	}
	if shown < len(counties)-2 {
		t.Errorf("publicityStats shows %d cells of the sensitive indicator; suppression took too much", shown)
	}
}

type statKey struct{ indicator, region string }

type stat struct {
	Value      *float64
	Suppressed bool
	Aggregated bool
	Qualifier  string
}

func publicity(t *testing.T, api *apitest.API, token, period, region string) map[statKey]*stat {
	t.Helper()
	var out struct {
		PublicityStats []struct {
			Indicator struct{ Key string }
			Region    struct{ Code string }
			stat
		}
	}
	api.Query(t, token, `query($p: String!, $r: ID) { publicityStats(period: $p, region: $r) {
  indicator { key } region { code } value suppressed aggregated qualifier } }`, map[string]any{"p": period, "r": region}, &out)
	m := map[statKey]*stat{}
	for i := range out.PublicityStats {
		s := &out.PublicityStats[i]
		m[statKey{s.Indicator.Key, s.Region.Code}] = &s.stat
	}
	return m
}

// The differencing attack of issue 13: per-query complementary suppression
// withheld a county's complement in the city's answer but showed it when
// that county was asked for alone, and the city total minus the shown
// counties gave the small cell back. For every pair of regions (the city,
// every county and town), the two answers agree on every cell they share,
// and a cell withheld in one is withheld in the other; across all answers
// together no equation (total = Σ parts) has exactly one withheld term.
func TestPublicityStats_NoPairOfRegionsRecoversASuppressedCell(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	cells := api.PublishSmallCells(t, counties...)
	type region struct {
		Code   string
		Parent *struct{ Code string }
	}
	var levels struct{ City, Counties, Towns []region }
	// Publicity statistics stop at towns (the deepest level they total):
	// the 7,060 villages would only repeat the empty answer 7,060 times.
	api.Query(t, media, `{ city: regions(level: CITY) { code parent { code } }
  counties: regions(level: COUNTY) { code parent { code } } towns: regions(level: TOWN) { code parent { code } } }`, nil, &levels)
	var regions struct{ Regions []region }
	regions.Regions = append(append(append(regions.Regions, levels.City...), levels.Counties...), levels.Towns...)
	if len(regions.Regions) < 100 {
		t.Fatalf("only %d regions", len(regions.Regions))
	}
	parent := map[string]string{}
	union := map[statKey]*stat{}
	from := map[statKey]string{}
	for _, r := range regions.Regions {
		if r.Parent != nil {
			parent[r.Code] = r.Parent.Code
		}
		for k, s := range publicity(t, api, media, "2022", r.Code) {
			u := union[k]
			if u == nil {
				union[k], from[k] = s, r.Code
				continue
			}
			if u.Suppressed != s.Suppressed || (u.Value == nil) != (s.Value == nil) || (u.Value != nil && *u.Value != *s.Value) {
				t.Errorf("%v: asked from %s %s, from %s %s", k, from[k], show(u), r.Code, show(s))
			}
		}
	}
	if s := union[statKey{cells.Indicator, cells.Small}]; s == nil || !s.Suppressed {
		t.Fatalf("the small cell is not withheld: %+v", s)
	}
	// Equations of the union: every parent with the parts below it.
	hidden := map[string]int{}
	terms := map[string]int{}
	for k, s := range union {
		if k.indicator != cells.Indicator {
			continue
		}
		if s.Suppressed {
			hidden[k.region]++
		}
		if p := parent[k.region]; p != "" {
			terms[p]++
			if s.Suppressed {
				hidden[p]++
			}
		}
	}
	for p, n := range terms {
		if union[statKey{cells.Indicator, p}] != nil && n > 0 && hidden[p] == 1 {
			t.Errorf("the equation of %s has exactly one withheld term: subtraction recovers it", p)
		}
	}
}

func show(s *stat) string {
	if s.Value == nil {
		return fmt.Sprintf("suppressed=%v value=nil", s.Suppressed)
	}
	return fmt.Sprintf("suppressed=%v value=%v", s.Suppressed, *s.Value)
}

// A city total built from only some districts' published figures is "at
// least", as the leader's rollup says; with every district published (all
// EXACT) it is exact. The media office's rollups (trend) agree.
func TestPublicityStats_PartialTotalsAreAtLeast(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	leader := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})

	// Three districts publish their 2023 lectures, exactly counted.
	ownerExec(t, api, `UPDATE data_values SET status = 'APPROVED', is_released = true, qualifier = 'EXACT'
WHERE indicator_key = 'lectures_held' AND period = '2023' AND is_head AND region_code IN ('370702', '370703', '370705');
UPDATE data_values SET status = 'PUBLISHED', publish_at = now() - interval '1 minute'
WHERE indicator_key = 'lectures_held' AND period = '2023' AND is_released AND region_code IN ('370702', '370703', '370705')`)
	city := publicity(t, api, media, "2023", "370700")[statKey{"lectures_held", "370700"}]
	if city == nil || !city.Aggregated || city.Qualifier != "AT_LEAST" {
		t.Errorf("city total of 3 of 13 districts: %+v, want an AT_LEAST total", city)
	}
	trend := func(token string) (q *string) {
		var out struct {
			Trend []struct {
				Points []struct {
					Period    string
					Value     *float64
					Qualifier *string
				}
			}
		}
		api.Query(t, token, `{ trend(indicator: "lectures_held", regions: ["370700"], from: "2023", to: "2023") { points { period value qualifier } } }`, nil, &out)
		if len(out.Trend) == 1 && len(out.Trend[0].Points) == 1 && out.Trend[0].Points[0].Value != nil {
			return out.Trend[0].Points[0].Qualifier
		}
		return nil
	}
	if q := trend(media); q == nil || *q != "AT_LEAST" {
		t.Errorf("media's city rollup of 3 of 13 districts: %v, want AT_LEAST", deref(q))
	}
	if q := trend(leader); q == nil || *q != "AT_LEAST" {
		t.Errorf("leader's city rollup: %v, want AT_LEAST", deref(q))
	}

	// The positive control: all districts published and exact.
	cells := api.PublishSmallCells(t, counties...)
	city = publicity(t, api, media, "2022", "370700")[statKey{cells.Indicator, "370700"}]
	if city == nil || !city.Aggregated || city.Qualifier != "EXACT" {
		t.Errorf("city total of all 13 districts: %+v, want an EXACT total", city)
	}
}

// A city total of only some published districts of a sensitive indicator
// is AT_LEAST too, and still protects the small cell.
func TestPublicityStats_PartialSensitiveTotalIsAtLeast(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	cells := api.PublishSmallCells(t, counties[:5]...)
	stats := publicity(t, api, media, "2022", "370700")
	city := stats[statKey{cells.Indicator, "370700"}]
	if city == nil || !city.Aggregated || city.Qualifier != "AT_LEAST" {
		t.Errorf("city total of 5 of 13 districts: %+v, want AT_LEAST", city)
	}
	if s := stats[statKey{cells.Indicator, cells.Small}]; s == nil || !s.Suppressed {
		t.Errorf("small cell: %+v", s)
	}
}

// explainAccess tells the media office nothing about values it may not
// read: an embargoed publicity figure, an approved but unpublished one and
// a releasable headline figure not yet published get, word for word, the
// answer of a value that does not exist.
func TestExplainAccess_MediaLearnsNothingOfHiddenValues(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	coord := api.User(t, hub.NewUser{Name: "coord", Role: hub.Coordinator, Region: "370700"})
	// lectures_held 2023: 370702 published under embargo, 370703 approved;
	// child_directors 2023 of 370781 approved and releasable.
	ownerExec(t, api, `UPDATE data_values SET status = 'APPROVED', is_released = true
WHERE period = '2023' AND is_head AND ((indicator_key = 'lectures_held' AND region_code IN ('370702', '370703'))
   OR (indicator_key = 'child_directors' AND region_code = '370781'))`)
	id := func(ind, region string) string {
		var out struct {
			DataValues struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		api.Query(t, coord, `query($i: [ID!], $r: [ID!]) { dataValues(filter: {indicators: $i, regions: $r, periods: ["2023"]}) { edges { node { id } } } }`,
			map[string]any{"i": []string{ind}, "r": []string{region}}, &out)
		if len(out.DataValues.Edges) != 1 {
			t.Fatalf("%s %s: %d values", ind, region, len(out.DataValues.Edges))
		}
		return out.DataValues.Edges[0].Node.ID
	}
	api.Query(t, coord, `mutation($i: [ID!]!, $at: Time) { publish(ids: $i, title: "later", publishAt: $at) { id } }`,
		map[string]any{"i": []string{id("lectures_held", "370702")}, "at": "2099-01-01T00:00:00Z"}, nil)
	api.Query(t, coord, `mutation($i: [ID!]!) { setReleasable(ids: $i, releasable: true) }`,
		map[string]any{"i": []string{id("child_directors", "370781")}}, nil)
	// Nobody entered values for 2015.
	explain := func(ind, region, period string) string {
		resp := api.Do(t, media, `query($i: ID!, $r: ID!, $p: String!) { explainAccess(indicator: $i, region: $r, period: $p) {
  canRead canWrite readBlockedBy writeBlockedBy rules } }`, map[string]any{"i": ind, "r": region, "p": period})
		b, _ := json.Marshal(resp)
		return string(b)
	}
	for _, tc := range []struct{ what, ind, region, period string }{
		{"embargoed", "lectures_held", "370702", "2023"},
		{"approved, unpublished", "lectures_held", "370703", "2023"},
		{"draft", "lectures_held", "370781", "2023"},
		{"releasable, unpublished", "child_directors", "370781", "2023"},
		{"approved, not releasable", "child_directors", "370702", "2022"},
	} {
		if got, none := explain(tc.ind, tc.region, tc.period), explain(tc.ind, tc.region, "2015"); got != none {
			t.Errorf("%s %s %s (%s) is told apart from a value nobody entered:\n%s\n%s", tc.ind, tc.region, tc.period, tc.what, got, none)
		}
	}
	// The positive control: a published figure is readable.
	if got := explain("lectures_held", "370702", "2022"); !strings.Contains(got, `"canRead":true`) {
		t.Errorf("a published figure: %s", got)
	}
}
