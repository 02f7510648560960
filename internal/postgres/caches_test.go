package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// listen runs a Listener over pdb, with register's caches on it, until
// the test ends; it returns once the listener listens.
func listen(t *testing.T, pdb *postgres.DB, register func(*postgres.Listener)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := pdb.Listener(slog.New(slog.DiscardHandler), nil)
	listening := make(chan struct{}, 1)
	l.Listening = func() {
		select {
		case listening <- struct{}{}:
		default:
		}
	}
	register(l)
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not LISTEN within 30 s")
	}
}

// cached turns db's App pool's process caches on (as hub serve runs) and
// returns a second pool over the same database without them, which says
// what the answer should be.
func cached(t *testing.T, db *pgtest.DB) (fresh *postgres.DB) {
	t.Helper()
	listen(t, db.App, func(l *postgres.Listener) { db.App.Cache(l, time.Hour) })
	fresh, err := postgres.Open(context.Background(), postgres.Config{URL: db.AppURL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fresh.Close)
	return fresh
}

func asIn(role hub.Role, dept, region string) context.Context {
	p := &hub.Principal{Name: "c-" + string(role) + "-" + region, Role: role, Region: region, RegionPath: region}
	if dept != "" {
		p.Department = &dept
	}
	return hub.NewContext(context.Background(), p)
}

// TestCaches_CountsFollowEveryChangeThatDecidesThem: with the caches on,
// each principal's totalCount is its own (a city leader, a county leader
// and an analyst whose department reads another's figures by agreement
// get what an uncached pool gives them), the cache serves (a change
// nobody is told about stays unseen), and a value written, a sharing
// agreement withdrawn or a value removed by another process is counted
// as soon as its notification arrives. It fails if the cache is keyed
// without the principal, or if a notification does not empty it.
func TestCaches_CountsFollowEveryChangeThatDecidesThem(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	fresh := cached(t, db)
	values, truth := postgres.NewValueService(db.App), postgres.NewValueService(fresh)
	year := hub.ValueFilter{Periods: []string{"2022", "2023"}}
	shared := hub.ValueFilter{Indicators: []string{hub.MinorsKey}}
	readers := []struct {
		name string
		ctx  context.Context
		f    hub.ValueFilter
	}{
		{"city leader", asIn(hub.Leader, "", "370700"), year},
		{"青州市 leader", asIn(hub.Leader, "", "370700.370781"), year},
		{"education analyst, minors by agreement", asIn(hub.Analyst, "education", "370700"), shared},
		{"civil affairs analyst", asIn(hub.Analyst, "civil_affairs", "370700"), shared},
	}
	count := func(s *postgres.ValueService, ctx context.Context, f hub.ValueFilter) int {
		t.Helper()
		conn, err := s.FindValues(ctx, f, hub.ValuePage{First: 1})
		if err != nil {
			t.Fatal(err)
		}
		return conn.TotalCount
	}
	agree := func(when string) {
		t.Helper()
		for _, r := range readers {
			eventually(t, when+": "+r.name, func() bool { return count(values, r.ctx, r.f) == count(truth, r.ctx, r.f) })
		}
	}
	seen := map[int]bool{}
	for _, r := range readers {
		c := count(values, r.ctx, r.f) // fills the cache
		if want := count(truth, r.ctx, r.f); c != want || c == 0 {
			t.Fatalf("%s: count %d, uncached %d", r.name, c, want)
		}
		seen[c] = true
	}
	if len(seen) < 3 {
		t.Fatalf("precondition: the readers' counts should differ, got %v", seen)
	}

	owner := db.OwnerConn(t)
	ctx := context.Background()
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := owner.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	leader := readers[0]
	before := count(values, leader.ctx, leader.f)

	// The cache serves: an approval nobody is told about goes unseen.
	exec(`ALTER TABLE data_values DISABLE TRIGGER data_values_notify_update`)
	exec(`UPDATE data_values SET status = 'APPROVED', is_released = true
WHERE id = (SELECT id FROM data_values WHERE period = '2023' AND is_head AND status = 'SUBMITTED' AND NOT is_released
            AND region_path <@ '370700' ORDER BY id LIMIT 1)`)
	exec(`ALTER TABLE data_values ENABLE TRIGGER data_values_notify_update`)
	if got, want := count(values, leader.ctx, leader.f), count(truth, leader.ctx, leader.f); got != before || want != before+1 {
		t.Fatalf("precondition: cached %d (before %d), uncached %d: the cache should serve the old count", got, before, want)
	}

	// Another process approves one more, with its notification: both are seen.
	exec(`UPDATE data_values SET status = 'APPROVED', is_released = true
WHERE id = (SELECT id FROM data_values WHERE period = '2023' AND is_head AND status = 'SUBMITTED' AND NOT is_released
            AND region_path <@ '370700' ORDER BY id LIMIT 1)`)
	eventually(t, "approval by another process", func() bool { return count(values, leader.ctx, leader.f) == before+2 })
	agree("after two approvals")

	// An agreement withdrawn: the education analyst no longer counts the minors.
	edu := readers[2]
	withShare := count(values, edu.ctx, edu.f)
	exec(`DELETE FROM shares WHERE grantee_department = 'education'`)
	eventually(t, "agreement withdrawn", func() bool { return count(values, edu.ctx, edu.f) < withShare })
	agree("after the agreement was withdrawn")

	// A removed value (no row policy lets hub_app delete; the owner can).
	exec(`ALTER TABLE data_values DISABLE TRIGGER USER`)
	exec(`DELETE FROM data_values WHERE id = (SELECT id FROM data_values WHERE period = '2022' AND is_released AND is_head
      AND indicator_key = $1 ORDER BY id LIMIT 1)`, hub.MinorsKey)
	exec(`ALTER TABLE data_values ENABLE TRIGGER USER`)
	exec(`SELECT pg_notify('hub_values', '{"many": true}')`) // what the delete trigger sends
	agree("after a delete")
}

// TestCaches_DeleteAndTruncateOfValuesNotify: migration 00068's trigger
// tells listeners when values are removed, which 00064's insert and
// update triggers do not.
func TestCaches_DeleteAndTruncateOfValuesNotify(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	listen, owner := db.OwnerConn(t), db.OwnerConn(t)
	if _, err := listen.Exec(ctx, `LISTEN hub_values`); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`DELETE FROM data_values WHERE id = (SELECT max(id) FROM data_values)`,
		`TRUNCATE data_values CASCADE`,
	} {
		if _, err := owner.Exec(ctx, `SET session_replication_role = origin`); err != nil {
			t.Fatal(err)
		}
		if _, err := owner.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		n, err := listen.WaitForNotification(wctx)
		cancel()
		if err != nil || n.Payload != `{"many": true}` {
			t.Fatalf("%s: notification %+v, %v", sql, n, err)
		}
	}
}

// TestCaches_CatalogueFollowsItsChangesAndStopsWithTheListener: indicator
// and region names come from the cache (a rename nobody is told about
// stays unseen), a rename with its notification is seen at once, and
// while the listener's connection is down nothing is served from it.
func TestCaches_CatalogueFollowsItsChangesAndStopsWithTheListener(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	cached(t, db)
	cat := postgres.NewCatalogueService(db.App)
	ctx := asIn(hub.Leader, "", "370700")
	name := func() string {
		t.Helper()
		is, err := cat.IndicatorsByKey(ctx, []string{"child_directors", "no_such_indicator"})
		if err != nil || len(is) != 2 || is[0] == nil || is[1] != nil {
			t.Fatalf("indicators by key: %v %v", is, err)
		}
		rs, err := cat.RegionsByCode(ctx, []string{"370781"})
		if err != nil || len(rs) != 1 || rs[0] == nil {
			t.Fatalf("regions by code: %v %v", rs, err)
		}
		return is[0].Name + "/" + rs[0].Name
	}
	owner := db.OwnerConn(t)
	truth := func() string {
		t.Helper()
		var s string
		if err := owner.QueryRow(context.Background(), `SELECT (SELECT name FROM indicators WHERE key = 'child_directors') || '/' ||
       (SELECT name FROM regions WHERE code = '370781')`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	exec := func(sql string) {
		t.Helper()
		if _, err := owner.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	orig := name()
	exec(`ALTER TABLE indicators DISABLE TRIGGER indicators_catalogue_changed`)
	exec(`UPDATE indicators SET name = name || '（未通知）' WHERE key = 'child_directors'`)
	exec(`ALTER TABLE indicators ENABLE TRIGGER indicators_catalogue_changed`)
	if got := name(); got != orig || truth() == orig {
		t.Fatalf("precondition: the cache should serve %q, got %q (database: %q)", orig, got, truth())
	}
	exec(`UPDATE regions SET name = '青州' WHERE code = '370781'`)
	eventually(t, "rename seen", func() bool { return name() == truth() })

	// A change the listener never hears of, then its connection dies and
	// cannot come back (no new connections to the database): from then on
	// the cache must not answer.
	exec(`ALTER TABLE indicators DISABLE TRIGGER indicators_catalogue_changed`)
	exec(`UPDATE indicators SET name = '儿童主任' WHERE key = 'child_directors'`)
	exec(`ALTER TABLE indicators ENABLE TRIGGER indicators_catalogue_changed`)
	if name() == truth() {
		t.Fatal("precondition: the cache should serve the old name")
	}
	exec(`UPDATE pg_database SET datallowconn = false WHERE datname = current_database()`)
	defer exec(`UPDATE pg_database SET datallowconn = true WHERE datname = current_database()`)
	var n int
	if err := owner.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1`, postgres.ListenApplication).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminated %d listeners (%v), want 1", n, err)
	}
	eventually(t, "the cache served with its listener gone", func() bool { return name() == truth() })
}

// TestListener_OneConnectionServesTokensAndCaches: the token cache and
// the catalogue and count caches share the process's one LISTEN
// connection with live updates (the other tests here show each channel
// reaching its cache through it).
func TestListener_OneConnectionServesTokensAndCaches(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	auth := postgres.NewAuthService(db.App)
	listen(t, db.App, func(l *postgres.Listener) {
		auth.CacheTokens(l, time.Minute)
		db.App.Cache(l, time.Minute)
	})
	var conns int
	err := db.OwnerConn(t).QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND application_name = $1`, postgres.ListenApplication).Scan(&conns)
	if err != nil || conns != 1 {
		t.Fatalf("%d LISTEN connections (%v), want 1", conns, err)
	}
}

// TestCaches_ComparisonFollowsTheTreeAndTheFormulas: with the caches on, a
// comparison takes the derived indicators, the parent, the regions at the
// level and their towns and villages from them (a rename nobody is told
// about stays unseen) and gives what an uncached pool gives as soon as a
// region added, a village added or a formula changed is notified. It fails
// when the catalogue's notification leaves the comparison's caches alone.
// (One cache left alone by itself goes unnoticed: the others' misses make
// the next comparison read the whole catalogue part again and store it
// over the stale entries.)
func TestCaches_ComparisonFollowsTheTreeAndTheFormulas(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	fresh := cached(t, db)
	analytics, truth := postgres.NewAnalyticsService(db.App), postgres.NewAnalyticsService(fresh)
	city, qingzhou := "370700", "370781"
	cases := []struct {
		name string
		ctx  context.Context
		q    hub.ComparisonQuery
	}{
		{"city leader, counties", asIn(hub.Leader, "", "370700"), hub.ComparisonQuery{Indicator: "child_directors", Period: "2022"}},
		{"city leader, coverage by county", asIn(hub.Leader, "", "370700"),
			hub.ComparisonQuery{Indicator: "child_director_coverage", Period: "2022", Parent: &city, Level: hub.LevelCounty}},
		{"city leader, 青州市's towns", asIn(hub.Leader, "", "370700"),
			hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: &qingzhou, Level: hub.LevelTown}},
		{"青州市 leader, counties of the city", asIn(hub.Leader, "", "370700.370781"),
			hub.ComparisonQuery{Indicator: "child_directors_per_10k", Period: "2022", Parent: &city, Level: hub.LevelCounty}},
	}
	render := func(s *postgres.AnalyticsService, i int) string {
		t.Helper()
		rows, err := s.Comparison(cases[i].ctx, cases[i].q)
		if err != nil {
			t.Fatalf("%s: %v", cases[i].name, err)
		}
		var b strings.Builder
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %s", r.RegionCode, r.Region.Name)
			for _, f := range []*float64{r.Value, r.PerTenThousandMinors} {
				if f != nil {
					fmt.Fprintf(&b, " %.4f", *f)
				} else {
					b.WriteString(" -")
				}
			}
			if r.Rank != nil {
				fmt.Fprintf(&b, " #%d", *r.Rank)
			}
			b.WriteByte('\n')
		}
		return b.String()
	}
	agree := func(when string) {
		t.Helper()
		for i, c := range cases {
			eventually(t, when+": "+c.name, func() bool { return render(analytics, i) == render(truth, i) })
		}
	}
	before := make([]string, len(cases))
	for i, c := range cases {
		before[i] = render(analytics, i) // fills the caches
		if want := render(truth, i); before[i] != want || before[i] == "" {
			t.Fatalf("%s: cached\n%s\nuncached\n%s", c.name, before[i], want)
		}
	}
	if l := before[3]; !strings.HasPrefix(l, "370781 青州市 ") || strings.HasPrefix(l, "370781 青州市 -") ||
		strings.Count(l, " - -\n") != strings.Count(l, "\n")-1 {
		t.Fatalf("precondition: the county leader should see only 青州市's value:\n%s", l)
	}

	owner := db.OwnerConn(t)
	exec := func(sql string) {
		t.Helper()
		if _, err := owner.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// change runs sql, which changes what case i answers, and waits for
	// every case to agree with the uncached pool.
	change := func(what string, i int, sql string) {
		t.Helper()
		was := render(truth, i)
		exec(sql)
		if render(truth, i) == was {
			t.Fatalf("precondition: %s should change %s", what, cases[i].name)
		}
		agree("after " + what)
	}

	// The caches serve: a rename and a village nobody is told about go
	// unseen.
	exec(`ALTER TABLE regions DISABLE TRIGGER regions_catalogue_changed`)
	exec(`UPDATE regions SET name = name || '（未通知）' WHERE code = '370781'`)
	exec(`INSERT INTO regions (code, parent_code, level, name) VALUES ('370781002999', '370781002', 'VILLAGE', '未通知社区')`)
	exec(`ALTER TABLE regions ENABLE TRIGGER regions_catalogue_changed`)
	for i := range 2 {
		if got := render(analytics, i); got != before[i] || render(truth, i) == before[i] {
			t.Fatalf("precondition: the caches should serve the old regions and counts to %s:\n%s", cases[i].name, got)
		}
	}

	// Each change below is seen (the ones above with the first).
	change("a county added", 0, `INSERT INTO regions (code, parent_code, level, name) VALUES ('370799', '370700', 'COUNTY', '新设区')`)
	change("a town added under 青州市", 2, `INSERT INTO regions (code, parent_code, level, name) VALUES ('370781999', '370781', 'TOWN', '新设街道')`)
	change("a village added under a town of 青州市", 1,
		`INSERT INTO regions (code, parent_code, level, name) VALUES ('370781001999', '370781001', 'VILLAGE', '新设社区')`)
	change("a formula changed", 3, `UPDATE indicators SET formula = 'child_directors / minors_total * 1000' WHERE key = 'child_directors_per_10k'`)
}

// TestCaches_CountKeyCollision: two filters of one reader that differ
// only in where their strings end (control characters are the caller's
// to send, as GraphQL's dataValues passes them) are two counts, not one:
// the second must not be answered with the first's.
func TestCaches_CountKeyCollision(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	fresh := cached(t, db)
	values, truth := postgres.NewValueService(db.App), postgres.NewValueService(fresh)
	ctx := asIn(hub.Leader, "", "370700")
	b := hub.ValueFilter{Indicators: []string{hub.MinorsKey, "\x02370781"}, Departments: []string{"civil_affairs"}}
	a := hub.ValueFilter{Indicators: []string{hub.MinorsKey}, Regions: []string{"370781"}, Departments: []string{"\x01\x02civil_affairs"}}
	count := func(s *postgres.ValueService, f hub.ValueFilter) int {
		t.Helper()
		conn, err := s.FindValues(ctx, f, hub.ValuePage{First: 1})
		if err != nil {
			t.Fatal(err)
		}
		return conn.TotalCount
	}
	if n := count(values, b); n == 0 || n != count(truth, b) {
		t.Fatalf("precondition: count %d", n)
	}
	if got, want := count(values, a), count(truth, a); got != want {
		t.Fatalf("another filter's count: cached %d, uncached %d", got, want)
	}
}

// TestCaches_CopiedValuesNotify: values copied by the generators' bulk
// copy (triggers off) reach the caches of a running hub.
func TestCaches_CopiedValuesNotify(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	fresh := cached(t, db)
	values, truth := postgres.NewValueService(db.App), postgres.NewValueService(fresh)
	ctx := asIn(hub.Leader, "", "370700")
	f := hub.ValueFilter{Indicators: []string{hub.MinorsKey}}
	count := func(s *postgres.ValueService) int {
		t.Helper()
		conn, err := s.FindValues(ctx, f, hub.ValuePage{First: 1})
		if err != nil {
			t.Fatal(err)
		}
		return conn.TotalCount
	}
	before := count(values)
	v := 1.0
	rec := hub.ValueRecord{Indicator: hub.MinorsKey, Region: "370781", Period: "2031", Value: &v, Qualifier: hub.Exact, Status: hub.Approved, Source: "seed"}
	n, err := postgres.NewLoader(db.Owner).CopyValues(context.Background(), "test", slices.Values([]hub.ValueRecord{rec}), nil)
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
	if count(truth) != before+1 {
		t.Fatalf("precondition: uncached %d, before %d", count(truth), before)
	}
	eventually(t, "copied value", func() bool { return count(values) == before+1 })
}

// TestCaches_RestoreOverARunningHubNotifies: hub restore --force replaces
// the tables under a running hub without a trigger firing (pg_restore
// loads the data before it creates the triggers): a token that is not in
// the backup, and counts of values that are not, must not be served on.
func TestCaches_RestoreOverARunningHubNotifies(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	file := t.TempDir() + "/hub.dump"
	if err := postgres.Backup(ctx, db.URL, file); err != nil {
		t.Fatal(err)
	}
	cli := postgres.NewAuthService(db.Owner)
	tok := leaderToken(t, cli, "after-backup", "370700", 0)
	app := cachedEverything(t, db, tok)
	values := postgres.NewValueService(db.App)
	lead := asIn(hub.Leader, "", "370700")
	f := hub.ValueFilter{Indicators: []string{hub.MinorsKey}}
	count := func() int {
		t.Helper()
		conn, err := values.FindValues(lead, f, hub.ValuePage{First: 1})
		if err != nil {
			t.Fatal(err)
		}
		return conn.TotalCount
	}
	before := count()
	owner := db.OwnerConn(t)
	if _, err := owner.Exec(ctx, `UPDATE data_values SET status = 'APPROVED', is_released = true
WHERE id = (SELECT id FROM data_values WHERE indicator_key = $1 AND is_head AND status = 'SUBMITTED' AND NOT is_released ORDER BY id LIMIT 1)`, hub.MinorsKey); err != nil {
		t.Fatal(err)
	}
	eventually(t, "approval", func() bool { return count() == before+1 })
	owner.Close(ctx)
	if err := postgres.Restore(ctx, db.URL, file, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "token missing from the restored database still accepted", func() bool {
		_, err := app.Authenticate(ctx, tok.Token)
		return err != nil
	})
	eventually(t, "count of the replaced tables still served", func() bool { return count() == before })
}

// TestCaches_TimeAloneEndsAnEmbargoAndAToken: what the clock changes, no
// notification says: a token past its expiry and a batch past its embargo
// (the media office's count) are answered as of now.
func TestCaches_TimeAloneEndsAnEmbargoAndAToken(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	cli := postgres.NewAuthService(db.Owner)
	tok := leaderToken(t, cli, "short", "370700", 2*time.Second)
	app := cachedEverything(t, db, tok)
	values := postgres.NewValueService(db.App)
	media := asIn(hub.Media, "publicity", "370700")
	count := func() int {
		t.Helper()
		conn, err := values.FindValues(media, hub.ValueFilter{}, hub.ValuePage{First: 1})
		if err != nil {
			t.Fatal(err)
		}
		return conn.TotalCount
	}
	owner := db.OwnerConn(t)
	exec := func(sql string) {
		t.Helper()
		if _, err := owner.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(`ALTER TABLE data_values DISABLE TRIGGER USER`)
	exec(`UPDATE data_values SET publish_at = now() + interval '2 seconds' WHERE id = (SELECT v.id FROM data_values v
JOIN indicators i ON i.key = v.indicator_key WHERE v.is_released AND v.status = 'PUBLISHED' AND i.publicity AND NOT i.sensitive ORDER BY v.id LIMIT 1)`)
	exec(`ALTER TABLE data_values ENABLE TRIGGER USER`)
	before := count()
	time.Sleep(2500 * time.Millisecond)
	if _, err := app.Authenticate(ctx, tok.Token); err == nil {
		t.Error("an expired token still works from the cache")
	}
	if after := count(); after != before+1 {
		t.Errorf("media count %d after the embargo ended, %d before", after, before)
	}
}

// cachedEverything is an AuthService of db's app pool whose token cache,
// and the pool's process caches, listen on a listener of their own, with
// tok authenticated once, so that it is cached.
func cachedEverything(t *testing.T, db *pgtest.DB, tok *postgres.IssuedToken) *postgres.AuthService {
	t.Helper()
	app := postgres.NewAuthService(db.App)
	listen(t, db.App, func(l *postgres.Listener) {
		app.CacheTokens(l, time.Hour)
		db.App.Cache(l, time.Hour)
	})
	if _, err := app.Authenticate(context.Background(), tok.Token); err != nil {
		t.Fatal(err)
	}
	return app
}
