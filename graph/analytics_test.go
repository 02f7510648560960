package graph_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
)

// tinyAPI serves the TinyCity data set (internal/pgtest) with a leader of
// the whole city and returns the leader's token.
func tinyAPI(t *testing.T, opts apitest.Options) (*apitest.API, string) {
	t.Helper()
	opts.Empty = true
	api := apitest.New(t, opts)
	pgtest.LoadTinyCity(t, api.DB)
	return api, api.User(t, hub.NewUser{Name: "tiny-leader", Role: hub.Leader, Region: "500100"})
}

type comparisonRows struct {
	Comparison []struct {
		Region               struct{ Code, Name string }
		Value                *float64
		PerTenThousandMinors *float64
		Rank                 *int
		Status               *string
		Qualifier            *string
	}
}

func (c comparisonRows) String() string {
	var parts []string
	for _, r := range c.Comparison {
		parts = append(parts, fmt.Sprintf("%s %s %s %s #%s %s", r.Region.Code, num(r.Value), str(r.Qualifier),
			num(r.PerTenThousandMinors), rank(r.Rank), str(r.Status)))
	}
	return strings.Join(parts, "; ")
}

func num(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprint(math.Round(*v*100) / 100)
}

func str(s *string) string {
	if s == nil {
		return "—"
	}
	return *s
}

func rank(r *int) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprint(*r)
}

const comparisonQuery = `query($i: ID!, $p: String!, $parent: ID, $level: RegionLevel) {
  comparison(indicator: $i, period: $p, parent: $parent, level: $level) {
    region { code name } value perTenThousandMinors rank status qualifier
  }
}`

func TestComparisonQuery_RanksWithTiesAndNulls(t *testing.T) {
	api, token := tinyAPI(t, apitest.Options{})
	var out comparisonRows
	api.Query(t, token, comparisonQuery, map[string]any{"i": "child_directors", "p": "2022"}, &out)
	// per 10,000 minors: 丙 40, 甲 30, 乙 30 (tie), 丁 nothing released.
	want := "500103 20 EXACT 40 #1 APPROVED; 500101 30 EXACT 30 #2 APPROVED; 500102 60 AT_LEAST 30 #2 APPROVED; 500104 — — — #- —"
	if out.String() != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	if out.Comparison[0].Region.Name != "丙区" {
		t.Errorf("region not resolved: %+v", out.Comparison[0].Region)
	}
}

func TestComparisonQuery_AggregatesAndHidesWhatTheCallerMayNotRead(t *testing.T) {
	api, leader := tinyAPI(t, apitest.Options{})
	vars := map[string]any{"i": "child_directors", "p": "2022", "parent": "500100", "level": "CITY"}
	var out comparisonRows
	api.Query(t, leader, comparisonQuery, vars, &out)
	// 30 + 60 + 20: 丁's SUBMITTED 99 is not in the sum.
	if got := out.String(); got != "500100 110 AT_LEAST 31.43 #1 APPROVED" {
		t.Errorf("city total: %s", got)
	}
	// A leader of 甲区 cannot get the city total (it holds 乙, 丙), nor 乙's value.
	countyLeader := api.User(t, hub.NewUser{Name: "leader-a", Role: hub.Leader, Region: "500101"})
	out = comparisonRows{}
	api.Query(t, countyLeader, comparisonQuery, vars, &out)
	if got := out.String(); got != "500100 — — — #- —" {
		t.Errorf("county leader reads the city total: %s", got)
	}
	out = comparisonRows{}
	api.Query(t, countyLeader, comparisonQuery, map[string]any{"i": "child_directors", "p": "2022", "parent": "500100"}, &out)
	if got := out.String(); !strings.HasPrefix(got, "500101 30 EXACT 30 #1") || strings.Contains(got, "60") {
		t.Errorf("county leader's comparison: %s", got)
	}
	// An education analyst reads no civil-affairs figures, aggregated or not.
	edu := api.User(t, hub.NewUser{Name: "edu", Role: hub.Analyst, Department: ptr("education"), Region: "500100"})
	out = comparisonRows{}
	api.Query(t, edu, comparisonQuery, vars, &out)
	if got := out.String(); got != "500100 — — — #- —" {
		t.Errorf("education analyst reads civil-affairs totals: %s", got)
	}
	// Nested aliases and fragments go through the same service.
	var aliased map[string][]struct{ Value *float64 }
	api.Query(t, edu, `query { a: comparison(indicator: "child_directors", period: "2022", level: CITY) { ...f }
  b: comparison(indicator: "child_directors_per_10k", period: "2022") { ...f } }
fragment f on ComparisonRow { value }`, nil, &aliased)
	for k, v := range aliased {
		for _, r := range v {
			if r.Value != nil {
				t.Errorf("alias %s leaks %v", k, *r.Value)
			}
		}
	}
}

func TestComparisonQuery_BadInput(t *testing.T) {
	api, token := tinyAPI(t, apitest.Options{})
	for _, c := range []struct {
		vars map[string]any
		code string
	}{
		{map[string]any{"i": "nope", "p": "2022"}, "NOT_FOUND"},
		{map[string]any{"i": "child_directors", "p": "2022Q9"}, "BAD_USER_INPUT"},
		{map[string]any{"i": "child_directors", "p": "2022", "parent": "999999"}, "NOT_FOUND"},
	} {
		if resp := api.Do(t, token, comparisonQuery, c.vars); resp.Code() != c.code {
			t.Errorf("%v: got %s %+v, want %s", c.vars, resp.Code(), resp.Errors, c.code)
		}
	}
	if resp := api.Do(t, "", comparisonQuery, map[string]any{"i": "child_directors", "p": "2022"}); resp.Code() != "UNAUTHENTICATED" {
		t.Errorf("without a token: %s", resp.Code())
	}
}

func TestProtectionProfileQuery_HandComputedScores(t *testing.T) {
	api, token := tinyAPI(t, apitest.Options{})
	var out struct {
		ProtectionProfile []struct {
			Region struct{ Code string }
			Scores []struct {
				Protection     string
				Score          *float64
				IndicatorsUsed int
			}
		}
	}
	api.Query(t, token, `{ protectionProfile(regions: ["500101", "500102", "500103"], period: "2022") {
  region { code } scores { protection score indicatorsUsed } } }`, nil, &out)
	// See TestProfile_ScoresOnTheTinyCity (internal/postgres) for the arithmetic.
	want := map[string]string{
		"500101": "FAMILY —/0 SCHOOL 0/1 SOCIETY 37.5/1 ONLINE —/0 GOVERNMENT 75/4 JUDICIAL —/0",
		"500102": "FAMILY —/0 SCHOOL 50/1 SOCIETY 100/1 ONLINE —/0 GOVERNMENT 0/2 JUDICIAL —/0",
		"500103": "FAMILY —/0 SCHOOL 100/1 SOCIETY 0/1 ONLINE —/0 GOVERNMENT 100/1 JUDICIAL —/0",
	}
	if len(out.ProtectionProfile) != 3 {
		t.Fatalf("profiles: %+v", out)
	}
	for _, p := range out.ProtectionProfile {
		var parts []string
		for _, s := range p.Scores {
			parts = append(parts, fmt.Sprintf("%s %s/%d", s.Protection, num(s.Score), s.IndicatorsUsed))
		}
		if got := strings.Join(parts, " "); got != want[p.Region.Code] {
			t.Errorf("%s: got  %s\n        want %s", p.Region.Code, got, want[p.Region.Code])
		}
	}
}

func TestTrendQuery_ValuesPerPeriod(t *testing.T) {
	api, token := tinyAPI(t, apitest.Options{})
	var out struct {
		Trend []struct {
			Indicator struct{ Key string }
			Region    struct{ Code string }
			Points    []struct {
				Period    string
				Value     *float64
				Qualifier *string
			}
		}
	}
	api.Query(t, token, `{ trend(indicator: "child_directors_per_10k", regions: ["500101", "500100"], from: "2021", to: "2022") {
  indicator { key } region { code } points { period value qualifier } } }`, nil, &out)
	var got []string
	for _, s := range out.Trend {
		for _, p := range s.Points {
			got = append(got, s.Indicator.Key+" "+s.Region.Code+" "+p.Period+" "+num(p.Value)+" "+str(p.Qualifier))
		}
	}
	// 2021 has no minors: no derived value; 2022: 30/10000, 110/35000 (inputs AT_LEAST → APPROX).
	want := "child_directors_per_10k 500101 2021 — —|child_directors_per_10k 500101 2022 30 EXACT|" +
		"child_directors_per_10k 500100 2021 — —|child_directors_per_10k 500100 2022 31.43 APPROX"
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
}

// TestComparisonQuery_StatementsDoNotGrowWithRows counts the statements of
// a comparison of one region (the city) and of three (its towns), region
// names included: they must be the same.
func TestComparisonQuery_StatementsDoNotGrowWithRows(t *testing.T) {
	counter := &statementCounter{}
	api, token := tinyAPI(t, apitest.Options{Tracer: counter, LoaderWait: 200 * time.Millisecond})
	count := func(vars map[string]any) (int64, int) {
		var out comparisonRows
		counter.n.Store(0)
		api.Query(t, token, comparisonQuery, vars, &out)
		return counter.n.Load(), len(out.Comparison)
	}
	n1, rows1 := count(map[string]any{"i": "care_visits", "p": "2022", "parent": "500100", "level": "CITY"})
	n2, rows2 := count(map[string]any{"i": "care_visits", "p": "2022", "parent": "500100", "level": "TOWN"})
	if rows1 != 1 || rows2 != 3 || n1 != n2 {
		t.Errorf("%d rows: %d statements; %d rows: %d statements", rows1, n1, rows2, n2)
	}
	t.Logf("comparison with region names: %d statements", n2)
}
