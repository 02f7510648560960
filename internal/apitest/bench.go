package apitest

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// BenchDatabaseEnv names the environment variable that points benchmarks
// at a database loaded by `hub demo --scale province` (owner URL).
const BenchDatabaseEnv = "HUB_BENCH_DATABASE_URL"

// Scale is a data set benchmarks run on: the hub served over it, and a
// pool as hub_app for the hand-written floor queries.
type Scale struct {
	Name string
	API  *API
	// Floor is a pool as hub_app, sized like the hub's, for the floors.
	Floor *pgxpool.Pool
}

// Scales returns the city scale (a fresh copy of the demo) and, when
// HUB_BENCH_DATABASE_URL is set, the province scale. Both are set up once
// for the whole benchmark, not per b.N round.
func Scales(b *testing.B, opts Options) []*Scale {
	b.Helper()
	city := &Scale{Name: "city", API: New(b, opts)}
	city.Floor = floorPool(b, city.API.DB.AppURL)
	out := []*Scale{city}
	if u := os.Getenv(BenchDatabaseEnv); u != "" {
		o := opts
		o.DB = pgtest.Existing(b, u, opts.Tracer)
		p := &Scale{Name: "province", API: New(b, o)}
		p.Floor = floorPool(b, p.API.DB.AppURL)
		out = append(out, p)
	} else {
		b.Logf("province scale skipped: set %s to a database loaded by `hub demo --scale province`", BenchDatabaseEnv)
	}
	return out
}

func floorPool(b *testing.B, url string) *pgxpool.Pool {
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// Token returns a bearer token of the user u, creating the user if it is
// missing (province databases are reused between runs).
func (a *API) Token(t testing.TB, u hub.NewUser) string {
	t.Helper()
	ctx := context.Background()
	if _, err := a.auth.EnsureUser(ctx, u); err != nil {
		t.Fatalf("user %s: %v", u.Name, err)
	}
	token, err := a.auth.CreateToken(ctx, u.Name)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// AsPrincipal runs query on pool as hub_app with the principal's settings
// in the same batch (one implicit transaction, one round trip), the way
// the hub's services do, and hands the rows to scan.
func AsPrincipal(ctx context.Context, pool *pgxpool.Pool, p hub.Principal, query string, args []any, scan func(pgx.Rows) error) error {
	return AsPrincipalWith(ctx, pool, p, nil, query, args, scan)
}

// AsPrincipalWith is AsPrincipal with more settings for the transaction
// (set_config(name, value, true) in the same first statement).
func AsPrincipalWith(ctx context.Context, pool *pgxpool.Pool, p hub.Principal, settings map[string]string, query string, args []any, scan func(pgx.Rows) error) error {
	b := &pgx.Batch{}
	sql, settingArgs := postgres.PrincipalSettings(hub.NewContext(ctx, &p))
	b.Queue(sql, settingArgs...)
	for name, value := range settings {
		b.Queue(`SELECT set_config($1, $2, true)`, name, value)
	}
	b.Queue(query, args...).Query(scan)
	return pool.SendBatch(ctx, b).Close()
}

// Versus runs hubFn and floorFn alternately, b.N times each, so that the
// machine's load weighs on both alike, and reports the latency of each
// (p50, p99 in ms) and the ratio of the medians. ns/op is the hub's mean.
func Versus(b *testing.B, hubFn, floorFn func(b *testing.B)) {
	b.Helper()
	// One warm-up each: caches, prepared statements, connections.
	hubFn(b)
	floorFn(b)
	hubT := make([]time.Duration, 0, b.N)
	floorT := make([]time.Duration, 0, b.N)
	var hubSum time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		hubFn(b)
		d := time.Since(start)
		hubT, hubSum = append(hubT, d), hubSum+d
		start = time.Now()
		floorFn(b)
		floorT = append(floorT, time.Since(start))
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	hp50, hp99 := Percentile(hubT, 50), Percentile(hubT, 99)
	fp50, fp99 := Percentile(floorT, 50), Percentile(floorT, 99)
	b.ReportMetric(float64(hubSum.Nanoseconds())/float64(b.N), "ns/op")
	b.ReportMetric(ms(hp50), "p50-ms")
	b.ReportMetric(ms(hp99), "p99-ms")
	b.ReportMetric(ms(fp50), "floor-p50-ms")
	b.ReportMetric(ms(fp99), "floor-p99-ms")
	b.ReportMetric(float64(hp50)/float64(fp50), "ratio")
}

// Percentile returns the p-th percentile of ds (nearest rank).
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Principal returns the principal of a bearer token.
func (a *API) Principal(t testing.TB, token string) hub.Principal {
	t.Helper()
	p, err := a.auth.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return *p
}
