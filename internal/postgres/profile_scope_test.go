package postgres_test

import (
	"context"
	"math"
	"sort"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// quartileRow is one row of hub_peer_quartiles, all of its columns.
type quartileRow struct {
	Indicator      string
	Peers          int
	Q1, Median, Q3 float64
}

func peerQuartiles(t *testing.T, db *pgtest.DB, p hub.Principal, region string) map[string]quartileRow {
	t.Helper()
	out := map[string]quartileRow{}
	ctx := context.Background()
	conn := db.AppConn(t)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	pgtest.SetPrincipal(t, tx, p)
	rows, err := tx.Query(ctx, `SELECT * FROM hub_peer_quartiles($1, '2022')`, region)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rows.FieldDescriptions()); n != 5 {
		t.Errorf("hub_peer_quartiles returns %d columns, want 5 (indicator, peers, q1, median, q3)", n)
	}
	var r quartileRow
	if _, err := pgx.ForEachRow(rows, []any{&r.Indicator, &r.Peers, &r.Q1, &r.Median, &r.Q3}, func() error {
		out[r.Indicator] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// percentile is PostgreSQL's percentile_cont over sorted xs.
func percentile(xs []float64, f float64) float64 {
	pos := f * float64(len(xs)-1)
	lo := math.Floor(pos)
	if int(lo)+1 >= len(xs) {
		return xs[int(lo)]
	}
	return xs[int(lo)] + (pos-lo)*(xs[int(lo)+1]-xs[int(lo)])
}

// A county leader's profile is scored against the quartiles of the city's
// counties, not against the one county it can read (every axis 100): its
// child directors per 10,000 minors are placed among the 13 counties'
// quartiles, as the city leader's comparison gives them. The city leader's
// profile of the same county keeps the min–max method.
func TestProfile_CountyLeaderScoredAgainstTheCityQuartiles(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	a := postgres.NewAnalyticsService(db.App)
	county := hub.Principal{Name: "qz-leader", Role: hub.Leader, Region: "370781", RegionPath: "370700.370781"}
	ctx := hub.NewContext(context.Background(), &county)

	got, err := a.Profile(ctx, []string{"370781"}, "2022")
	if err != nil {
		t.Fatal(err)
	}
	pr := got[0]
	if pr.Basis != hub.PeerQuartilesBasis {
		t.Errorf("basis %q, want %q", pr.Basis, hub.PeerQuartilesBasis)
	}
	hundreds, scored := 0, 0
	for _, s := range pr.Scores {
		if s.Score != nil {
			scored++
			if *s.Score == 100 {
				hundreds++
			}
		}
	}
	if scored < 4 || hundreds == scored {
		t.Errorf("county leader's profile: %d scored, %d of them 100: %+v", scored, hundreds, pr.Scores)
	}

	// The quartiles are those of the 13 counties' values, which the city
	// leader reads.
	city := hub.NewContext(context.Background(), &hub.Principal{Name: "city", Role: hub.Leader, Region: "370700", RegionPath: "370700"})
	parent := "370700"
	rows, err := a.Comparison(city, hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: &parent, Level: hub.LevelCounty})
	if err != nil {
		t.Fatal(err)
	}
	var xs []float64
	var own float64
	for _, r := range rows {
		if r.PerTenThousandMinors != nil {
			xs = append(xs, *r.PerTenThousandMinors)
			if r.RegionCode == "370781" {
				own = *r.PerTenThousandMinors
			}
		}
	}
	sort.Float64s(xs)
	q := peerQuartiles(t, db, county, "370781")["child_directors"]
	if q.Peers != len(xs) || math.Abs(q.Q1-percentile(xs, 0.25)) > 1e-6 || math.Abs(q.Median-percentile(xs, 0.5)) > 1e-6 ||
		math.Abs(q.Q3-percentile(xs, 0.75)) > 1e-6 {
		t.Errorf("child directors' quartiles %+v; the city's %d values give %.4f %.4f %.4f", q, len(xs),
			percentile(xs, 0.25), percentile(xs, 0.5), percentile(xs, 0.75))
	}
	if sc := analytics.QuartileScore(own, q.Q1, q.Median, q.Q3); sc <= 0 || sc > 100 {
		t.Errorf("青州市's %.2f per 10,000 scores %.1f", own, sc)
	}

	cityView, err := a.Profile(city, []string{"370781"}, "2022")
	if err != nil || cityView[0].Basis != hub.PeersBasis {
		t.Errorf("the city leader's profile of 青州市: basis %q, %v", cityView[0].Basis, err)
	}
}

// A county analyst, coordinator or media office reads its own county and
// gets no quartiles (leaders and admins only), so its profile of the county
// has nothing to be scored against: no axis is scored, rather than each
// scaled across the one county it reads and scored 100.
func TestProfile_CountyReadersWithoutQuartilesGetNoScores(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	a := postgres.NewAnalyticsService(db.App)
	civil := "civil_affairs"
	for _, p := range []hub.Principal{
		{Name: "qz-analyst", Role: hub.Analyst, Department: &civil, Region: "370781", RegionPath: "370700.370781"},
		{Name: "qz-coordinator", Role: hub.Coordinator, Region: "370781", RegionPath: "370700.370781"},
		{Name: "qz-media", Role: hub.Media, Region: "370781", RegionPath: "370700.370781"},
	} {
		got, err := a.Profile(hub.NewContext(context.Background(), &p), []string{"370781"}, "2022")
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		if got[0].Basis != hub.PeerQuartilesBasis {
			t.Errorf("%s: basis %q, want %q", p.Name, got[0].Basis, hub.PeerQuartilesBasis)
		}
		for _, s := range got[0].Scores {
			if s.Score != nil || s.IndicatorsUsed != 0 {
				t.Errorf("%s: %s scored over %d indicators, with no peers to score against", p.Name, s.Protection, s.IndicatorsUsed)
			}
		}
	}
	// The same roles at city scope still score the county among its peers.
	city := hub.Principal{Name: "city-coordinator", Role: hub.Coordinator, Region: "370700", RegionPath: "370700"}
	got, err := a.Profile(hub.NewContext(context.Background(), &city), []string{"370781"}, "2022")
	if err != nil || got[0].Basis != hub.PeersBasis {
		t.Fatalf("the city coordinator's profile of 青州市: %+v, %v", got, err)
	}
	scored := 0
	for _, s := range got[0].Scores {
		if s.Score != nil {
			scored++
		}
	}
	if scored < 4 {
		t.Errorf("the city coordinator's profile of 青州市 scores %d protections", scored)
	}
}

// Nothing more leaks than the quartiles: hub_peer_quartiles answers only
// leaders and admins, only for a region in the caller's scope (a county
// leader gets nothing for a sibling county, and its profile of that county
// has no score), returns no value, region or extreme, and answers an
// indicator only over at least 5 peers with a value: with 4, the county's
// profile leaves the indicator out (fewer indicators used), so a caller
// cannot read a few peers' figures off their quartiles.
func TestPeerQuartiles_AnswerOnlyAggregatesOverFivePeersInScope(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	a := postgres.NewAnalyticsService(db.App)
	leader := hub.Principal{Name: "qz-leader", Role: hub.Leader, Region: "370781", RegionPath: "370700.370781"}
	if got := peerQuartiles(t, db, leader, "370781"); len(got) < 10 {
		t.Fatalf("only %d indicators for the county leader", len(got))
	}
	if got := peerQuartiles(t, db, leader, "370702"); len(got) != 0 {
		t.Errorf("a sibling county outside the scope: %d rows", len(got))
	}
	dept := "civil_affairs"
	for _, p := range []hub.Principal{
		{Name: "c", Role: hub.Coordinator, Region: "370781", RegionPath: "370700.370781"},
		{Name: "a", Role: hub.Analyst, Region: "370781", RegionPath: "370700.370781", Department: &dept},
		{Name: "m", Role: hub.Media, Region: "370781", RegionPath: "370700.370781"},
	} {
		if got := peerQuartiles(t, db, p, "370781"); len(got) != 0 {
			t.Errorf("%s: %d rows", p.Role, len(got))
		}
	}
	ctx := hub.NewContext(context.Background(), &leader)
	sibling, err := a.Profile(ctx, []string{"370702"}, "2022")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sibling[0].Scores {
		if s.Score != nil {
			t.Errorf("the county leader scores 潍城区's %s: %v", s.Protection, *s.Score)
		}
	}

	used := func() int {
		t.Helper()
		got, err := a.Profile(ctx, []string{"370781"}, "2022")
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got[0].Scores {
			if s.Protection == hub.Government {
				return s.IndicatorsUsed
			}
		}
		return 0
	}
	before := used()
	// Leave child directors' rollups to 青州市 and 4, then 3, other counties.
	keep := []string{"370781", "370702", "370703", "370704", "370705"}
	owner := db.OwnerConn(t)
	for _, n := range []int{5, 4} {
		if _, err := owner.Exec(context.Background(), `DELETE FROM value_rollups WHERE indicator_key = 'child_directors'
AND period = '2022' AND region_code LIKE '3707__' AND region_code <> ALL($1)`, keep[:n]); err != nil {
			t.Fatal(err)
		}
		q, ok := peerQuartiles(t, db, leader, "370781")["child_directors"]
		switch {
		case n == 5 && (!ok || q.Peers != 5):
			t.Errorf("5 peers with a value: %+v %v", q, ok)
		case n == 4 && ok:
			t.Errorf("4 peers with a value are answered: %+v", q)
		}
		if after := used(); n == 4 && after != before-1 || n == 5 && after != before {
			t.Errorf("%d peers: GOVERNMENT uses %d indicators, %d with all 13", n, after, before)
		}
	}
}
