package postgres_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// tiny is a principal of the TinyCity data set; scope is a region path.
func tiny(role hub.Role, dept, scope string) context.Context {
	parts := strings.Split(scope, ".")
	p := &hub.Principal{Name: "t-" + string(role) + dept, Role: role, Region: parts[len(parts)-1], RegionPath: scope}
	if dept != "" {
		p.Department = &dept
	}
	return hub.NewContext(context.Background(), p)
}

func tinyDB(t *testing.T) (*pgtest.DB, *postgres.AnalyticsService) {
	t.Helper()
	db := pgtest.New(t, pgtest.Options{})
	pgtest.LoadTinyCity(t, db)
	return db, postgres.NewAnalyticsService(db.App)
}

// show renders a number and its qualifier for comparisons in tests.
func show(v *float64, q *hub.Qualifier) string {
	if v == nil {
		return "—"
	}
	s := fmt.Sprintf("%.4g", math.Round(*v*100)/100)
	if q != nil && *q != hub.Exact {
		s += " " + string(*q)
	}
	return s
}

func showRank(r *int) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprint(*r)
}

// comparison renders rows as "region value per10k #rank".
func comparison(t *testing.T, a *postgres.AnalyticsService, ctx context.Context, q hub.ComparisonQuery) string {
	t.Helper()
	rows, err := a.Comparison(ctx, q)
	if err != nil {
		t.Fatalf("comparison %+v: %v", q, err)
	}
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s %s %s #%s", r.RegionCode, show(r.Value, r.Qualifier),
			show(r.PerTenThousandMinors, nil), showRank(r.Rank)))
	}
	return strings.Join(parts, "; ")
}

func TestComparison_RanksPerTenThousandMinorsWithTiesAndMissingLast(t *testing.T) {
	_, a := tinyDB(t)
	leader := tiny(hub.Leader, "", "500100")
	// per 10,000 minors: A 30, B 30, C 40; D has no released value.
	got := comparison(t, a, leader, hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Level: hub.LevelCounty})
	want := "500103 20 40 #1; 500101 30 30 #2; 500102 60 AT_LEAST 30 #2; 500104 — — #-"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A rate is ranked as it is (no per-capita), here a derived one.
	got = comparison(t, a, leader, hub.ComparisonQuery{Indicator: "child_directors_per_10k", Period: "2022", Level: hub.LevelCounty})
	want = "500103 40 — #1; 500101 30 — #2; 500102 30 APPROX — #2; 500104 — — #-"
	if got != want {
		t.Errorf("derived: got  %s\nwant %s", got, want)
	}
}

func TestComparison_AggregatesUpTheTreeAndOverTime(t *testing.T) {
	_, a := tinyDB(t)
	leader := tiny(hub.Leader, "", "500100")
	city := "500100"
	cases := []struct {
		name string
		q    hub.ComparisonQuery
		want string
	}{
		// 30+60+20; B is AT_LEAST and D reported nothing released: AT_LEAST.
		{"sum over counties", hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: &city, Level: hub.LevelCity},
			"500100 110 AT_LEAST 31.43 #1"},
		// derived at the city: 110 / 35000 * 10000, from aggregated inputs.
		{"derived over aggregates", hub.ComparisonQuery{Indicator: "child_directors_per_10k", Period: "2022", Parent: &city, Level: hub.LevelCity},
			"500100 31.43 APPROX — #1"},
		// towns' months to counties' years: A = 10+20+5, 5 is APPROX; B's town only has a draft.
		{"months to year, towns to counties", hub.ComparisonQuery{Indicator: "care_visits", Period: "2022", Level: hub.LevelCounty},
			"500101 35 APPROX 35 #1; 500102 — — #-; 500103 — — #-; 500104 — — #-"},
		// one month: 10 + 5 (APPROX).
		{"one month", hub.ComparisonQuery{Indicator: "care_visits", Period: "2022-01", Level: hub.LevelCounty},
			"500101 15 APPROX 15 #1; 500102 — — #-; 500103 — — #-; 500104 — — #-"},
		// a town's year from two of twelve months is a lower bound.
		{"incomplete months", hub.ComparisonQuery{Indicator: "care_visits", Period: "2022", Parent: ptr("500101"), Level: hub.LevelTown},
			"500101001 30 AT_LEAST — #1; 500101002 5 APPROX — #2"},
		// LAST: A's latest quarter (5), B's (4); the city adds them.
		{"last over time", hub.ComparisonQuery{Indicator: "stations", Period: "2022", Level: hub.LevelCounty},
			"500101 5 5 #1; 500102 4 2 #2; 500103 — — #-; 500104 — — #-"},
		{"last, summed over regions", hub.ComparisonQuery{Indicator: "stations", Period: "2022", Parent: &city, Level: hub.LevelCity},
			"500100 9 AT_LEAST 2.57 #1"},
		// AVERAGE: (80+90+100)/3, all counties with a value.
		{"average", hub.ComparisonQuery{Indicator: "guard_rate", Period: "2022", Parent: &city, Level: hub.LevelCity},
			"500100 90 — #1"},
		// NONE is not aggregated.
		{"none", hub.ComparisonQuery{Indicator: "meeting_units", Period: "2022", Parent: &city, Level: hub.LevelCity},
			"500100 — — #-"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := comparison(t, a, leader, c.q); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestComparison_HiddenValuesDoNotChangeSums proves that what a principal
// may not read never enters an aggregate: unreleased values, other
// departments' unshared values, regions outside the scope.
func TestComparison_HiddenValuesDoNotChangeSums(t *testing.T) {
	db, a := tinyDB(t)
	city := ptr("500100")
	cityQ := hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: city, Level: hub.LevelCity}
	// D's 99 is SUBMITTED: coordinators may read it in dataValues, but no
	// sum includes it, for any role.
	for _, ctx := range []context.Context{tiny(hub.Leader, "", "500100"), tiny(hub.Coordinator, "", "500100"),
		tiny(hub.Admin, "", "500100"), tiny(hub.Analyst, "civil_affairs", "500100")} {
		if got := comparison(t, a, ctx, cityQ); got != "500100 110 AT_LEAST 31.43 #1" {
			t.Errorf("%s: city sum %s, want 110 without D's unreleased 99", hub.PrincipalFrom(ctx).Name, got)
		}
	}
	// The civil-affairs analyst's DRAFT town value stays out of the county.
	q := hub.ComparisonQuery{Indicator: "care_visits", Period: "2022", Level: hub.LevelCounty}
	if got := comparison(t, a, tiny(hub.Analyst, "civil_affairs", "500100"), q); !strings.Contains(got, "500102 — — #-") {
		t.Errorf("own draft entered an aggregate: %s", got)
	}
	// An education analyst reads no civil-affairs values until they are shared.
	edu := tiny(hub.Analyst, "education", "500100")
	if got := comparison(t, a, edu, cityQ); got != "500100 — — #-" {
		t.Errorf("education analyst sees unshared values: %s", got)
	}
	if _, err := db.OwnerConn(t).Exec(context.Background(),
		`INSERT INTO shares (owner_department, grantee_department, indicator_key, created_by) VALUES ('civil_affairs', 'education', 'child_directors', 't')`); err != nil {
		t.Fatal(err)
	}
	if got := comparison(t, a, edu, cityQ); got != "500100 110 AT_LEAST — #1" {
		t.Errorf("education analyst after sharing: %s (minors_total is still not shared: no per-capita)", got)
	}
	// A leader of county A sees A only: no other county, and no city total
	// (it would contain B and C).
	leaderA := tiny(hub.Leader, "", "500100.500101")
	got := comparison(t, a, leaderA, hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: city, Level: hub.LevelCounty})
	if got != "500101 30 30 #1; 500102 — — #-; 500103 — — #-; 500104 — — #-" {
		t.Errorf("county leader: %s", got)
	}
	if got := comparison(t, a, leaderA, cityQ); got != "500100 — — #-" {
		t.Errorf("county leader sees the city total: %s", got)
	}
	// Media principals read no unpublished, non-publicity totals.
	if got := comparison(t, a, tiny(hub.Media, "", "500100"), cityQ); got != "500100 — — #-" {
		t.Errorf("media: %s", got)
	}
}

// TestRollups_VisibleExactlyLikeTheValues checks the rollup policy against
// the data_values policy: at the collection level and native period a
// rollup is one released value, and each principal must see the one
// exactly when it sees the other.
func TestRollups_VisibleExactlyLikeTheValues(t *testing.T) {
	db, _ := tinyDB(t)
	ctx := context.Background()
	owner := db.OwnerConn(t)
	// a city-wide agreement and one of district A only
	if _, err := owner.Exec(ctx, `INSERT INTO shares (owner_department, grantee_department, indicator_key, region_code, created_by)
VALUES ('youth_league', 'education', NULL, NULL, 't'), ('civil_affairs', 'youth_league', NULL, '500101', 't')`); err != nil {
		t.Fatal(err)
	}
	var inds, regs, pers []string
	rows, err := owner.Query(ctx, `SELECT indicator_key, region_code, period FROM data_values WHERE is_released`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var i, r, p string
		if err := rows.Scan(&i, &r, &p); err != nil {
			t.Fatal(err)
		}
		inds, regs, pers = append(inds, i), append(regs, r), append(pers, p)
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	conn := db.AppConn(t)
	principals := []struct{ user, role, dept, scope string }{
		{"l", "leader", "", "500100"}, {"la", "leader", "", "500100.500101"}, {"c", "coordinator", "", "500100"},
		{"ad", "admin", "", "500100"}, {"ca", "analyst", "civil_affairs", "500100"},
		{"ed", "analyst", "education", "500100"}, {"yb", "analyst", "youth_league", "500100.500102"},
		{"yc", "analyst", "youth_league", "500100"}, {"ya", "analyst", "youth_league", "500100.500101"},
		{"m", "media", "", "500100"},
	}
	const keys = `SELECT string_agg(indicator_key || '/' || region_code || '/' || period, ' ' ORDER BY indicator_key, region_code, period) FROM %s
WHERE (indicator_key, region_code, period) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]))`
	for _, p := range principals {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pgtest.SetPrincipal(t, tx, hub.Principal{Name: p.user, Role: hub.Role(p.role), Department: &p.dept, RegionPath: p.scope})
		var values, rollups *string
		if err := tx.QueryRow(ctx, fmt.Sprintf(keys, `(SELECT * FROM data_values WHERE is_released) v`), inds, regs, pers).Scan(&values); err != nil {
			t.Fatal(err)
		}
		if err := tx.QueryRow(ctx, fmt.Sprintf(keys, `value_rollups`), inds, regs, pers).Scan(&rollups); err != nil {
			t.Fatal(err)
		}
		_ = tx.Rollback(ctx)
		if deref(values) != deref(rollups) {
			t.Errorf("%s %s %s: released values %s\n rollups %s", p.role, p.dept, p.scope, deref(values), deref(rollups))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}

func TestProfile_ScoresOnTheTinyCity(t *testing.T) {
	_, a := tinyDB(t)
	got, err := a.Profile(tiny(hub.Leader, "", "500100"), []string{"500101", "500102", "500103", "500104"}, "2022")
	if err != nil {
		t.Fatal(err)
	}
	// Worked out by hand from TinyCity, per 10,000 minors, peers A–D:
	// GOVERNMENT child_directors 30,30,40 → 0,0,100; care_visits A 35 → 100;
	// stations A 5, B 2 → 100, 0; meeting_units A 12 → 100.
	// SOCIETY hope_rooms 5,10,2 → 37.5,100,0. SCHOOL guard_rate 80,90,100 → 0,50,100.
	want := map[string]string{
		"500101": "FAMILY —/0 SCHOOL 0/1 SOCIETY 37.5/1 ONLINE —/0 GOVERNMENT 75/4 JUDICIAL —/0",
		"500102": "FAMILY —/0 SCHOOL 50/1 SOCIETY 100/1 ONLINE —/0 GOVERNMENT 0/2 JUDICIAL —/0",
		"500103": "FAMILY —/0 SCHOOL 100/1 SOCIETY 0/1 ONLINE —/0 GOVERNMENT 100/1 JUDICIAL —/0",
		"500104": "FAMILY —/0 SCHOOL —/0 SOCIETY —/0 ONLINE —/0 GOVERNMENT —/0 JUDICIAL —/0",
	}
	for _, p := range got {
		var parts []string
		for _, s := range p.Scores {
			parts = append(parts, fmt.Sprintf("%s %s/%d", s.Protection, show(s.Score, nil), s.IndicatorsUsed))
		}
		if g := strings.Join(parts, " "); g != want[p.RegionCode] {
			t.Errorf("%s: got  %s\n        want %s", p.RegionCode, g, want[p.RegionCode])
		}
	}
	// Peers are the siblings whether or not they are asked for.
	one, err := a.Profile(tiny(hub.Leader, "", "500100"), []string{"500102"}, "2022")
	if err != nil || *one[0].Scores[2].Score != 100 || *one[0].Scores[1].Score != 50 {
		t.Errorf("one region: %v %+v", err, one)
	}
}

// TestProfile_LowerIsBetterScoresTheOtherWay: marked lower-is-better,
// hope rooms (5, 10, 2 per 10,000 minors) score A 62.5, B 0, C 100 on
// SOCIETY instead of 37.5, 100, 0.
func TestProfile_LowerIsBetterScoresTheOtherWay(t *testing.T) {
	db, a := tinyDB(t)
	if _, err := db.OwnerConn(t).Exec(context.Background(), `UPDATE indicators SET lower_is_better = true WHERE key = 'hope_rooms'`); err != nil {
		t.Fatal(err)
	}
	got, err := a.Profile(tiny(hub.Leader, "", "500100"), []string{"500101", "500102", "500103"}, "2022")
	if err != nil {
		t.Fatal(err)
	}
	var society []string
	for _, p := range got {
		society = append(society, p.RegionCode+" "+show(p.Scores[2].Score, nil))
	}
	if g := strings.Join(society, ", "); g != "500101 62.5, 500102 0, 500103 100" {
		t.Errorf("SOCIETY with hope rooms lower-is-better: %s", g)
	}
}

func TestTrend_ValuesPerPeriod(t *testing.T) {
	_, a := tinyDB(t)
	leader := tiny(hub.Leader, "", "500100")
	series, err := a.Trend(leader, "child_directors", []string{"500101", "500100"}, "2020", "2022")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range series {
		for _, p := range s.Points {
			got = append(got, s.RegionCode+" "+p.Period+" "+show(p.Value, p.Qualifier))
		}
	}
	want := "500101 2020 —|500101 2021 25|500101 2022 30|500100 2020 —|500100 2021 85 AT_LEAST|500100 2022 110 AT_LEAST"
	if g := strings.Join(got, "|"); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
	months, err := a.Trend(leader, "care_visits", []string{"500101"}, "2021-12", "2022-02")
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, p := range months[0].Points {
		got = append(got, p.Period+" "+show(p.Value, p.Qualifier))
	}
	if g := strings.Join(got, "|"); g != "2021-12 —|2022-01 15 APPROX|2022-02 20 AT_LEAST" {
		t.Errorf("monthly trend: %s", g)
	}
	for _, bad := range [][2]string{{"2022", "2022Q1"}, {"2023", "2022"}, {"1990-01", "2099-12"}} {
		if _, err := a.Trend(leader, "care_visits", []string{"500101"}, bad[0], bad[1]); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("trend %v: got %v, want BAD_USER_INPUT", bad, err)
		}
	}
}

func TestAnalytics_RefusesUnknownNames(t *testing.T) {
	_, a := tinyDB(t)
	leader := tiny(hub.Leader, "", "500100")
	if _, err := a.Comparison(leader, hub.ComparisonQuery{Indicator: "nope", Period: "2022"}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown indicator: %v", err)
	}
	if _, err := a.Comparison(leader, hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: ptr("999999")}); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown parent: %v", err)
	}
	if _, err := a.Comparison(leader, hub.ComparisonQuery{Indicator: "child_directors", Period: "22"}); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("bad period: %v", err)
	}
	if _, err := a.Profile(leader, []string{"999999"}, "2022"); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown region: %v", err)
	}
	if _, err := a.Comparison(context.Background(), hub.ComparisonQuery{Indicator: "child_directors", Period: "2022"}); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Errorf("nobody: %v", err)
	}
}

// TestComparison_ShowsAnApprovalAtOnce approves D's submitted value through
// the workflow service and reads the comparison right after the commit.
func TestComparison_ShowsAnApprovalAtOnce(t *testing.T) {
	db, a := tinyDB(t)
	var id int
	if err := db.OwnerConn(t).QueryRow(context.Background(),
		`SELECT id FROM data_values WHERE indicator_key = 'child_directors' AND region_code = '500104'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	leader := tiny(hub.Leader, "", "500100")
	q := hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: ptr("500100"), Level: hub.LevelCity}
	if got := comparison(t, a, leader, q); !strings.HasPrefix(got, "500100 110 ") {
		t.Fatalf("before approval: %s", got)
	}
	wf := postgres.NewWorkflowService(db.App)
	if _, err := wf.Transition(tiny(hub.Coordinator, "", "500100"), []int{id}, hub.Approved, nil); err != nil {
		t.Fatal(err)
	}
	committed := time.Now()
	got := comparison(t, a, leader, q)
	delay := time.Since(committed)
	// 110 + 99; B is still AT_LEAST.
	if got != "500100 209 AT_LEAST 59.71 #1" {
		t.Fatalf("first comparison after the approval: %s", got)
	}
	t.Logf("approval commit → visible in comparison: %v (the first query after the commit sees it)", delay)
}

func TestUpsertIndicators_RejectsCircularFormulas(t *testing.T) {
	db, _ := tinyDB(t)
	loader := postgres.NewLoader(db.Owner)
	f1, f2 := "b_derived + 1", "a_derived * 2"
	err := loader.UpsertIndicators(context.Background(), []*hub.Indicator{
		{Key: "a_derived", Name: "a", Protection: hub.Base, Unit: "x", DepartmentCode: "civil_affairs", ValueType: hub.Rate,
			Aggregation: hub.None, PeriodType: hub.Year, CollectionLevel: hub.LevelCounty, Formula: &f1},
		{Key: "b_derived", Name: "b", Protection: hub.Base, Unit: "x", DepartmentCode: "civil_affairs", ValueType: hub.Rate,
			Aggregation: hub.None, PeriodType: hub.Year, CollectionLevel: hub.LevelCounty, Formula: &f2},
	})
	if hub.ErrorCode(err) != hub.EVALIDATION {
		t.Fatalf("circular formulas: got %v, want VALIDATION", err)
	}
	// A formula that closes a cycle with one already stored is refused too.
	self := "child_directors_per_10k * 2"
	err = loader.UpsertIndicators(context.Background(), []*hub.Indicator{{Key: "child_directors", Name: "x", Protection: hub.Government,
		Unit: "x", DepartmentCode: "civil_affairs", ValueType: hub.Count, Aggregation: hub.None, PeriodType: hub.Year,
		CollectionLevel: hub.LevelCounty, Formula: &self}})
	if hub.ErrorCode(err) != hub.EVALIDATION {
		t.Fatalf("cycle through a stored formula: got %v, want VALIDATION", err)
	}
}

// TestComparison_MediaReadsOnlyFullyPublishedTotals: a media principal
// reads a total only when every part is published and past its embargo,
// and never one of a sensitive indicator.
func TestComparison_MediaReadsOnlyFullyPublishedTotals(t *testing.T) {
	db, a := tinyDB(t)
	if _, err := db.OwnerConn(t).Exec(context.Background(), `
INSERT INTO indicators (key, name, protection, unit, department_code, value_type, aggregation, publicity, sensitive) VALUES
  ('lectures', '讲座场次', 'SOCIETY', 'sessions', 'civil_affairs', 'COUNT', 'SUM', true, false),
  ('small_cases', '个案数', 'SOCIETY', 'cases', 'civil_affairs', 'COUNT', 'SUM', true, true);
INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, status, is_released, publish_at)
SELECT v.ind, 'civil_affairs', r.code, r.path, '2022', v.val, v.st, true, v.at
FROM (VALUES ('lectures', '500101', 10, 'PUBLISHED', now() - interval '1 day'),
             ('lectures', '500102', 20, 'PUBLISHED', now() + interval '1 day'),
             ('lectures', '500103', 30, 'APPROVED', NULL::timestamptz),
             ('small_cases', '500101', 2, 'PUBLISHED', now() - interval '1 day')) v(ind, reg, val, st, at)
JOIN regions r ON r.code = v.reg`); err != nil {
		t.Fatal(err)
	}
	media := tiny(hub.Media, "", "500100")
	got := comparison(t, a, media, hub.ComparisonQuery{Indicator: "lectures", Period: "2022", Level: hub.LevelCounty})
	if got != "500101 10 — #1; 500102 — — #-; 500103 — — #-; 500104 — — #-" {
		t.Errorf("media, counties: %s", got)
	}
	if got := comparison(t, a, media, hub.ComparisonQuery{Indicator: "lectures", Period: "2022", Parent: ptr("500100"), Level: hub.LevelCity}); got != "500100 — — #-" {
		t.Errorf("media reads a total with embargoed and unpublished parts: %s", got)
	}
	if got := comparison(t, a, media, hub.ComparisonQuery{Indicator: "small_cases", Period: "2022", Level: hub.LevelCounty}); strings.Contains(got, " 2 ") {
		t.Errorf("media reads a sensitive count outside publicityStats: %s", got)
	}
	if got := comparison(t, a, tiny(hub.Leader, "", "500100"), hub.ComparisonQuery{Indicator: "lectures", Period: "2022", Parent: ptr("500100"), Level: hub.LevelCity}); !strings.HasPrefix(got, "500100 60 ") {
		t.Errorf("leader: %s", got)
	}
}

// TestComparison_FollowsACorrection: a correction of a released value is a
// new DRAFT head while the old version stays released; totals keep the old
// value until the correction is approved, then switch to it.
func TestComparison_FollowsACorrection(t *testing.T) {
	db, a := tinyDB(t)
	analyst, coordinator := tiny(hub.Analyst, "civil_affairs", "500100"), tiny(hub.Coordinator, "", "500100")
	leader := tiny(hub.Leader, "", "500100")
	q := hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: ptr("500100"), Level: hub.LevelCity}
	out, err := postgres.NewSubmitService(db.App).SubmitValues(analyst, []hub.ValueInput{
		{Indicator: "child_directors", Region: "500101", Period: "2022", Value: ptr(35.0), Qualifier: hub.Exact}}, false)
	if err != nil || len(out.Conflicts) > 0 || len(out.Values) != 1 {
		t.Fatalf("correction: %v %+v", err, out)
	}
	if got := comparison(t, a, leader, q); !strings.HasPrefix(got, "500100 110 ") {
		t.Fatalf("a draft correction changed the total: %s", got)
	}
	wf := postgres.NewWorkflowService(db.App)
	id := int(out.Values[0].ID)
	if _, err := wf.Transition(analyst, []int{id}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := wf.Transition(coordinator, []int{id}, hub.Approved, nil); err != nil {
		t.Fatal(err)
	}
	if got := comparison(t, a, leader, q); !strings.HasPrefix(got, "500100 115 ") {
		t.Errorf("approved correction: %s, want 115 (35 replaces 30)", got)
	}
}

// TestRollups_OnlyValuesChangeThem: requests cannot write rollups or call
// the refresh; they change only through values.
func TestRollups_OnlyValuesChangeThem(t *testing.T) {
	db, _ := tinyDB(t)
	conn := db.AppConn(t)
	for _, sql := range []string{
		`INSERT INTO value_rollups (indicator_key, department_code, region_code, region_path, period, value, qualifier, status, releasable, values_used, regions_expected)
		 VALUES ('child_directors', 'civil_affairs', '500100', '500100', '2030', 1, 'EXACT', 'APPROVED', false, 1, 1)`,
		`UPDATE value_rollups SET value = 0`,
		`DELETE FROM value_rollups`,
		`SELECT value_rollups_refresh(ARRAY['child_directors'], ARRAY['2022'], ARRAY['500100.500101'::ltree])`,
		`SELECT value_rollups_rebuild()`,
	} {
		if _, err := conn.Exec(context.Background(), sql); err == nil || !strings.Contains(err.Error(), "permission denied") {
			t.Errorf("hub_app ran %.40s…: %v", sql, err)
		}
	}
}

// TestRollups_IncrementalEqualsRebuild checks the triggers' incremental
// refreshes against a rebuild from scratch, after the demo's bulk load and
// after single changes of every kind.
func TestRollups_IncrementalEqualsRebuild(t *testing.T) {
	for _, demo := range []bool{false, true} {
		db := pgtest.New(t, pgtest.Options{Demo: demo})
		ctx := context.Background()
		owner := db.OwnerConn(t)
		if !demo {
			pgtest.LoadTinyCity(t, db)
			for _, sql := range []string{
				`UPDATE data_values SET status = 'APPROVED', is_released = true WHERE region_code = '500104'`,
				`UPDATE data_values SET value = 7, qualifier = 'APPROX' WHERE indicator_key = 'care_visits' AND region_code = '500101001' AND period = '2022-02'`,
				`DELETE FROM data_values WHERE indicator_key = 'stations' AND period = '2022Q3'`,
				`UPDATE data_values SET is_released = false, status = 'RETURNED', status_reason = 'x' WHERE indicator_key = 'guard_rate' AND region_code = '500102'`,
				`UPDATE indicators SET aggregation = 'AVERAGE' WHERE key = 'hope_rooms'`,
			} {
				if _, err := owner.Exec(ctx, sql); err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
		}
		// Values rounded: the two paths may add in another order.
		const snapshot = `SELECT coalesce(string_agg(format('%s/%s/%s=%s %s %s %s %s/%s', indicator_key, region_code, period, round(value::numeric, 6),
  qualifier, status, publish_at, values_used, regions_expected), E'\n' ORDER BY indicator_key, region_code, period), '')
FROM value_rollups`
		var before, after string
		if err := owner.QueryRow(ctx, snapshot).Scan(&before); err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Exec(ctx, `SELECT value_rollups_rebuild()`); err != nil {
			t.Fatal(err)
		}
		if err := owner.QueryRow(ctx, snapshot).Scan(&after); err != nil {
			t.Fatal(err)
		}
		// The key-by-key refresh of every released value gives the same rows.
		var refreshed string
		if _, err := owner.Exec(ctx, `SELECT value_rollups_refresh(array_agg(indicator_key), array_agg(period), array_agg(region_path))
FROM data_values WHERE is_released`); err != nil {
			t.Fatal(err)
		}
		if err := owner.QueryRow(ctx, snapshot).Scan(&refreshed); err != nil {
			t.Fatal(err)
		}
		if refreshed != after {
			t.Errorf("demo=%v: key-by-key refresh differs from a rebuild", demo)
		}
		if before != after || before == "" {
			t.Errorf("demo=%v: incremental rollups differ from a rebuild (%d vs %d bytes)", demo, len(before), len(after))
			bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
			for i := 0; i < len(bl) && i < len(al); i++ {
				if bl[i] != al[i] {
					t.Fatalf("first difference:\n incremental %s\n rebuild     %s", bl[i], al[i])
				}
			}
		}
	}
}
