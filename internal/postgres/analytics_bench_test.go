package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// floorComparison is the comparison written by hand as one query: the
// released values of the indicator and of minors_total summed over each
// region's subtree at the moment of the query, under the same row policies,
// ranked by PostgreSQL (per 10,000 minors when every region with a value
// has minors, like the service). It knows only SUM over the indicator's
// native periods, which is enough for the benchmark's indicators; it is the
// floor the service is measured against.
const floorComparison = `
WITH r AS (
  SELECT code, path FROM regions WHERE level = $3 AND path <@ (SELECT path FROM regions WHERE code = $4)
), v AS (
  SELECT r.code,
         sum(d.value) FILTER (WHERE d.indicator_key = $1) AS value,
         sum(d.value) FILTER (WHERE d.indicator_key = 'minors_total') AS minors,
         max(d.qualifier) FILTER (WHERE d.indicator_key = $1) AS qualifier,
         min(d.status) FILTER (WHERE d.indicator_key = $1) AS status
  FROM r
  LEFT JOIN data_values d ON d.is_released AND d.region_path <@ r.path AND d.period = $2
                         AND d.indicator_key IN ($1, 'minors_total')
  GROUP BY r.code
), f AS (
  -- per 10,000 minors only when every region with a value has minors
  -- (a missing minors count is NULL, which bool_and would skip)
  SELECT coalesce(bool_and(coalesce(minors, 0) > 0) FILTER (WHERE value IS NOT NULL), false) AS percap FROM v
)
SELECT code, value, value / nullif(minors, 0) * 10000 AS per10k,
       CASE WHEN value IS NOT NULL THEN rank() OVER (
         ORDER BY CASE WHEN f.percap THEN value / nullif(minors, 0) ELSE value END DESC NULLS LAST) END,
       status, qualifier
FROM v, f ORDER BY 4 NULLS LAST, code`

type floorRow struct {
	Region    string   `json:"region"`
	Value     *float64 `json:"value"`
	PerTenK   *float64 `json:"perTenThousandMinors"`
	Rank      *int64   `json:"rank"`
	Status    *string  `json:"status"`
	Qualifier *string  `json:"qualifier"`
}

// benchTarget is what the benchmark compares: the demo (a clone of the
// demo database) or, with HUB_BENCH_DATABASE_URL, a database built by the
// province generator (issue 8), read through hub_app.
type benchTarget struct {
	app       *postgres.DB
	url       string
	ctx       context.Context
	indicator string
	period    string
	parent    string
	level     hub.RegionLevel
}

func demoTarget(b *testing.B) *benchTarget {
	db := pgtest.New(b, pgtest.Options{Demo: true})
	return &benchTarget{app: db.App, url: db.AppURL, ctx: tiny(hub.Leader, "", "370700"),
		indicator: "child_directors", period: "2022", parent: "370700", level: hub.LevelCounty}
}

// provinceTarget opens HUB_BENCH_DATABASE_URL (the owner's URL; requests
// run as hub_app) and picks its root region. HUB_BENCH_INDICATOR,
// HUB_BENCH_PERIOD and HUB_BENCH_LEVEL override child_directors, the latest
// year with released values, and COUNTY.
func provinceTarget(b *testing.B) *benchTarget {
	url := os.Getenv("HUB_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("HUB_BENCH_DATABASE_URL is not set: no province-scale database to measure")
	}
	ctx := context.Background()
	owner, err := pgx.Connect(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer owner.Close(ctx)
	t := &benchTarget{indicator: envOr("HUB_BENCH_INDICATOR", "child_directors"), level: hub.RegionLevel(envOr("HUB_BENCH_LEVEL", "COUNTY"))}
	var path string
	if err := owner.QueryRow(ctx, `SELECT code, path::text FROM regions WHERE parent_code IS NULL ORDER BY code LIMIT 1`).Scan(&t.parent, &path); err != nil {
		b.Fatal(err)
	}
	t.period = os.Getenv("HUB_BENCH_PERIOD")
	if t.period == "" {
		if err := owner.QueryRow(ctx, `SELECT max(left(period, 4)) FROM data_values WHERE indicator_key = $1 AND is_released`, t.indicator).Scan(&t.period); err != nil {
			b.Fatal(err)
		}
	}
	var values, rollups int64
	if err := owner.QueryRow(ctx, `SELECT (SELECT count(*) FROM data_values), (SELECT count(*) FROM value_rollups)`).Scan(&values, &rollups); err != nil {
		b.Fatal(err)
	}
	if rollups == 0 && values > 0 {
		b.Skip("value_rollups is empty: run SELECT value_rollups_rebuild() after a load with the triggers disabled")
	}
	b.Logf("province database: %d values, %d rollups; %s %s at %s under %s", values, rollups, t.indicator, t.period, t.level, t.parent)
	if t.url, err = postgres.AppURL(url); err != nil {
		b.Fatal(err)
	}
	if t.app, err = postgres.Open(ctx, postgres.Config{URL: t.url, MaxConns: 4}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(t.app.Close)
	t.ctx = tiny(hub.Leader, "", path)
	return t
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// BenchmarkComparison measures comparison (service + JSON encoding of its
// rows) next to the floor (one hand-written query through pgx + JSON
// encoding) on the demo data, and on HUB_BENCH_DATABASE_URL when set. The
// service's sub-benchmark reports x-floor, its time over the floor's.
func BenchmarkComparison(b *testing.B) {
	b.Run("demo", func(b *testing.B) { benchComparison(b, demoTarget(b)) })
	b.Run("province", func(b *testing.B) { benchComparison(b, provinceTarget(b)) })
}

func benchComparison(b *testing.B, t *benchTarget) {
	a := postgres.NewAnalyticsService(t.app)
	conn, err := pgx.Connect(context.Background(), t.url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(context.Background()) })
	p := hub.PrincipalFrom(t.ctx)
	floorRows := func() []floorRow {
		batch := &pgx.Batch{}
		sql, args := postgres.PrincipalSettings(hub.NewContext(context.Background(), &hub.Principal{Name: p.Name, Role: p.Role, RegionPath: p.RegionPath}))
		batch.Queue(sql, args...)
		var rows []floorRow
		batch.Queue(floorComparison, t.indicator, t.period, string(t.level), t.parent).Query(func(rs pgx.Rows) error {
			var err error
			rows, err = pgx.CollectRows(rs, func(r pgx.CollectableRow) (floorRow, error) {
				var x floorRow
				return x, r.Scan(&x.Region, &x.Value, &x.PerTenK, &x.Rank, &x.Status, &x.Qualifier)
			})
			return err
		})
		if err := conn.SendBatch(context.Background(), batch).Close(); err != nil {
			b.Fatal(err)
		}
		return rows
	}
	floor := func() []byte {
		out, err := json.Marshal(floorRows())
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	serviceRows := func() []*hub.ComparisonRow {
		rows, err := a.Comparison(t.ctx, hub.ComparisonQuery{Indicator: t.indicator, Period: t.period, Parent: &t.parent, Level: t.level})
		if err != nil {
			b.Fatal(err)
		}
		return rows
	}
	// Both must give the same answer, else the ratio means nothing.
	fr, sr := floorRows(), serviceRows()
	if len(fr) != len(sr) || len(fr) == 0 {
		b.Fatalf("floor %d rows, service %d", len(fr), len(sr))
	}
	for i := range fr {
		same := fr[i].Region == sr[i].RegionCode && (fr[i].Rank == nil) == (sr[i].Rank == nil) &&
			(fr[i].Rank == nil || int(*fr[i].Rank) == *sr[i].Rank) && (fr[i].Value == nil) == (sr[i].Value == nil)
		if !same {
			b.Fatalf("row %d: floor %+v, service %+v", i, fr[i], *sr[i])
		}
	}
	b.Logf("%d regions compared", len(fr))
	service := func() []byte {
		out, err := json.Marshal(serviceRows())
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	// The ratio uses the floor's time per operation from its own
	// sub-benchmark, which runs first, on the same machine in the same minute.
	var floorPer time.Duration
	b.Run("floor", func(b *testing.B) {
		start, n := time.Now(), 0
		for b.Loop() {
			floor()
			n++
		}
		floorPer = time.Since(start) / time.Duration(n)
	})
	b.Run("service", func(b *testing.B) {
		start, n := time.Now(), 0
		for b.Loop() {
			service()
			n++
		}
		per := time.Since(start) / time.Duration(n)
		if floorPer > 0 {
			b.ReportMetric(float64(per)/float64(floorPer), "x-floor")
		}
	})
}

// BenchmarkApprovalToComparison approves a value through the workflow
// service and polls comparison until it shows; it reports the approval's
// own latency (the rollup trigger runs in it) and the delay from the
// approval's commit to the value's visibility in comparison.
func BenchmarkApprovalToComparison(b *testing.B) {
	db := pgtest.New(b, pgtest.Options{Demo: true})
	ctx := context.Background()
	owner := db.OwnerConn(b)
	var id int
	if err := owner.QueryRow(ctx, `SELECT id FROM data_values WHERE indicator_key = 'child_directors'
  AND region_code = '370781' AND period = '2022' AND is_head`).Scan(&id); err != nil {
		b.Fatal(err)
	}
	a := postgres.NewAnalyticsService(db.App)
	wf := postgres.NewWorkflowService(db.App)
	leader, coordinator := tiny(hub.Leader, "", "370700"), tiny(hub.Coordinator, "", "370700")
	parent := "370781"
	q := hub.ComparisonQuery{Indicator: "child_directors", Period: "2022", Parent: &parent, Level: hub.LevelCounty}
	var approve, visible time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		want := float64(2000 + i)
		if _, err := owner.Exec(ctx, `UPDATE data_values SET value = $2, status = 'SUBMITTED', is_released = false WHERE id = $1`, id, want); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := wf.Transition(coordinator, []int{id}, hub.Approved, nil); err != nil {
			b.Fatal(err)
		}
		committed := time.Now()
		for {
			rows, err := a.Comparison(leader, q)
			if err != nil {
				b.Fatal(err)
			}
			if rows[0].Value != nil && *rows[0].Value == want {
				break
			}
			if time.Since(committed) > 5*time.Second {
				b.Fatalf("approval not visible after 5 s")
			}
		}
		approve += committed.Sub(start)
		visible += time.Since(committed)
	}
	b.ReportMetric(float64(approve.Microseconds())/1000/float64(b.N), "ms-approve")
	b.ReportMetric(float64(visible.Microseconds())/1000/float64(b.N), "ms-commit-to-visible")
}

// BenchmarkProfileAndTrend measures what the dashboard's radar and line
// ask for on the demo data: the profile of three counties (scaled across
// all twelve) and a five-year trend.
func BenchmarkProfileAndTrend(b *testing.B) {
	t := demoTarget(b)
	a := postgres.NewAnalyticsService(t.app)
	regions := []string{"370781", "370705", "370702"}
	b.Run("profile", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Profile(t.ctx, regions, "2022"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("trend", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.Trend(t.ctx, "child_directors", regions, "2018", "2022"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
