package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
)

// BenchmarkRLSOverhead_LeaderCityWide runs a city-wide leader query as
// hub_app under the policies and the same query as the owner (no RLS)
// with the leader's rule written into the WHERE clause, alternating them
// in one run, and reports the ratio. The data are the demo's values
// repeated over 20 more years (about 100,000 rows).
//
//	go test ./internal/postgres -run '^$' -bench RLSOverhead -benchtime 200x
func BenchmarkRLSOverhead_LeaderCityWide(b *testing.B) {
	ctx := context.Background()
	db := pgtest.New(b, pgtest.Options{Demo: true})
	owner := db.OwnerConn(b)
	_, err := owner.Exec(ctx, `
INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, qualifier,
                         status, is_released, source, publish_at, updated_by)
SELECT indicator_key, department_code, region_code, region_path, (y)::text, value * (1 + (y - 2000) / 100.0),
       qualifier, status, is_released, 'synthetic', publish_at, updated_by
FROM data_values, generate_series(1999, 2018) AS y
WHERE period = '2022' AND is_head;
ANALYZE data_values`)
	if err != nil {
		b.Fatal(err)
	}
	app := db.AppConn(b)

	shapes := []struct {
		name, rls, floor string
	}{
		{"sum per indicator over all years",
			`SELECT indicator_key, count(*), sum(value) FROM data_values GROUP BY indicator_key`,
			`SELECT indicator_key, count(*), sum(value) FROM data_values
			 WHERE is_released AND region_path <@ '370700' GROUP BY indicator_key`},
		{"one year, every value",
			`SELECT indicator_key, region_code, value, qualifier FROM data_values WHERE period = '2010'`,
			`SELECT indicator_key, region_code, value, qualifier FROM data_values
			 WHERE period = '2010' AND is_released AND region_path <@ '370700'`},
	}
	for _, sh := range shapes {
		b.Run(sh.name, func(b *testing.B) {
			var withRLS, without time.Duration
			var nRLS, nFloor int
			for i := 0; i < b.N; i++ {
				start := time.Now()
				asAppB(b, ctx, app, func(tx pgx.Tx) {
					rows, _ := tx.Query(ctx, sh.rls)
					nRLS = drain(b, rows)
				})
				withRLS += time.Since(start)

				start = time.Now()
				tx, err := owner.Begin(ctx)
				if err != nil {
					b.Fatal(err)
				}
				// The same round trips as the app side: the settings, then the query.
				pgtest.SetPrincipal(b, tx, benchLeader)
				rows, _ := tx.Query(ctx, sh.floor)
				nFloor = drain(b, rows)
				_ = tx.Rollback(ctx)
				without += time.Since(start)
			}
			if nRLS != nFloor {
				b.Fatalf("answers differ: %d rows with RLS, %d without", nRLS, nFloor)
			}
			b.ReportMetric(float64(withRLS.Microseconds())/float64(b.N), "µs/rls")
			b.ReportMetric(float64(without.Microseconds())/float64(b.N), "µs/no-rls")
			b.ReportMetric(float64(withRLS)/float64(without), "ratio")
		})
	}
}

// benchLeader is who the benchmark's SQL runs as.
var benchLeader = hub.Principal{Name: "bench", Role: hub.Leader, RegionPath: "370700"}

func asAppB(b *testing.B, ctx context.Context, conn *pgx.Conn, fn func(tx pgx.Tx)) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only
	pgtest.SetPrincipal(b, tx, benchLeader)
	fn(tx)
}

func drain(b *testing.B, rows pgx.Rows) int {
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}
