package importer_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// benchRows is the size of the measured import.
const benchRows = 100_000

type benchKey struct{ indicator, region, regionPath, period string }

// value is the benchmark's value for k at row i, consistent with the
// demo's validation rules (minors within population).
func (k benchKey) value(i int) int {
	switch k.indicator {
	case "population_total":
		return 1_000_000
	case "minors_total":
		return 200_000
	}
	return i % 100
}

// benchKeys returns n new keys: civil-affairs county indicators (the
// demo's and 60 added ones, bench_01…) × the counties × the years from
// fromYear on that the demo and province data do not use (2019–2024).
func benchKeys(t testing.TB, db *pgtest.DB, n, fromYear int) []benchKey {
	ctx := context.Background()
	conn := db.OwnerConn(t)
	if _, err := conn.Exec(ctx, `INSERT INTO indicators (key, name, protection, unit, department_code, value_type, aggregation)
SELECT format('bench_%s', lpad(i::text, 2, '0')), format('基准指标 %s', i), 'GOVERNMENT', 'units', 'civil_affairs', 'COUNT', 'SUM'
FROM generate_series(1, 60) AS i ON CONFLICT (key) DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	rows, _ := conn.Query(ctx, `SELECT key FROM indicators WHERE department_code = 'civil_affairs' AND collection_level = 'COUNTY'
AND period_type = 'YEAR' AND formula IS NULL ORDER BY key`)
	inds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	rows, _ = conn.Query(ctx, `SELECT code, path::text FROM regions WHERE level = 'COUNTY' ORDER BY code`)
	type reg struct{ code, path string }
	regs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (reg, error) {
		var x reg
		return x, r.Scan(&x.code, &x.path)
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]benchKey, 0, n)
	for year := fromYear; len(keys) < n; year++ {
		if year >= 2019 && year <= 2024 {
			continue
		}
		for _, i := range inds {
			for _, r := range regs {
				if len(keys) < n {
					keys = append(keys, benchKey{i, r.code, r.path, strconv.Itoa(year)})
				}
			}
		}
	}
	return keys
}

// BenchmarkImport_100kVersusCopy imports a 100,000-row CSV (a new value
// per row, as a civil-affairs analyst, through RLS, one transaction) and
// COPYs the same number of rows into data_values as the owner (no RLS, no
// checks; the audit trigger fires for both), and reports both rates and
// their ratio. City: each on a fresh copy of the demo database. Province
// (HUB_BENCH_DATABASE_URL): on one copy of that database (13 GB, copied
// file by file, about a minute), the three loads into years of their own.
//
//	CI=true go test ./internal/importer -run '^$' -bench Import_100k -benchtime 1x
func BenchmarkImport_100kVersusCopy(b *testing.B) {
	b.Run("city", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			fresh := func() *pgtest.DB { return pgtest.New(b, pgtest.Options{Demo: true}) }
			measureImport(b, "370700", fresh(), 1990, fresh(), 1990, fresh(), 1990)
		}
	})
	b.Run("province", func(b *testing.B) {
		u := os.Getenv(apitest.BenchDatabaseEnv)
		if u == "" {
			b.Skipf("%s is not set: no province-scale database to measure", apitest.BenchDatabaseEnv)
		}
		for range b.N {
			b.StopTimer()
			db := pgtest.CopyOf(b, u)
			// 160 counties × ~70 indicators: 9 years per 100,000 rows.
			measureImport(b, "370000", db, 1990, db, 2000, db, 2010)
		}
	})
}

// measureImport imports benchRows new values into importDB (years from
// importYear) as a civil-affairs analyst of root, then COPYs as many into
// copyDB (with the audit trigger) and into bareDB (without triggers), and
// reports the rates.
func measureImport(b *testing.B, root string, importDB *pgtest.DB, importYear int, copyDB *pgtest.DB, copyYear int, bareDB *pgtest.DB, bareYear int) {
	ctx := context.Background()
	keys := benchKeys(b, importDB, benchRows, importYear)
	name := filepath.Join(b.TempDir(), "bench.csv")
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "指标代码,地区代码,期间,数值,限定,备注")
	for i, k := range keys {
		fmt.Fprintf(w, "%s,%s,%s,%d,精确,\n", k.indicator, k.region, k.period, k.value(i))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	st, _ := f.Stat()
	if _, err := f.Seek(0, 0); err != nil {
		b.Fatal(err)
	}
	im := &importer.Importer{Submit: postgres.NewSubmitService(importDB.App), BatchSize: 5000}
	// The heap after each batch shows that the file streams: it stays
	// near one batch's size, not the file's.
	var peak uint64
	progress := func(int, int64, int64) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapInuse)
	}
	dept := "civil_affairs"
	who := hub.NewContext(ctx, &hub.Principal{Name: "t-analyst", Role: hub.Analyst, Department: &dept, Region: root, RegionPath: root})
	runtime.GC()
	b.StartTimer()
	start := time.Now()
	sum, err := im.Import(who, name, f, st.Size(), importer.Options{Progress: progress})
	importTime := time.Since(start)
	b.StopTimer()
	_ = f.Close()
	if err != nil || sum.Created != benchRows {
		if sum != nil && len(sum.Conflicts) > 3 {
			sum.Warnings = nil
			sum.Conflicts = sum.Conflicts[:3]
		}
		b.Fatalf("import: %v %+v", err, sum)
	}

	// A text COPY, as psql's \copy does (pgx's binary COPY cannot encode ltree).
	copyRows := func(db *pgtest.DB, year int, bare bool) time.Duration {
		keys := benchKeys(b, db, benchRows, year)
		conn := db.OwnerConn(b)
		var rows bytes.Buffer
		for i, k := range keys {
			fmt.Fprintf(&rows, "%s,civil_affairs,%s,%s,%s,%d,EXACT,DRAFT,1,import,t-analyst\n", k.indicator, k.region, k.regionPath, k.period, k.value(i))
		}
		if bare {
			// without triggers (audit trail, foreign keys), to show what
			// the audit trail costs both
			if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		tag, err := conn.PgConn().CopyFrom(ctx, &rows, `COPY data_values (indicator_key, department_code, region_code, region_path, period,
  value, qualifier, status, version, source, updated_by) FROM STDIN WITH (FORMAT csv)`)
		d := time.Since(start)
		if err != nil || tag.RowsAffected() != benchRows {
			b.Fatalf("copy: %d rows, %v", tag.RowsAffected(), err)
		}
		return d
	}
	copyTime := copyRows(copyDB, copyYear, false)
	bareTime := copyRows(bareDB, bareYear, true)
	b.ReportMetric(float64(benchRows)/bareTime.Seconds(), "copy_no_triggers_rows/s")

	importRate := float64(benchRows) / importTime.Seconds()
	copyRate := float64(benchRows) / copyTime.Seconds()
	b.ReportMetric(importRate, "import_rows/s")
	b.ReportMetric(copyRate, "copy_rows/s")
	b.ReportMetric(importRate/copyRate, "import/copy")
	b.ReportMetric(float64(peak)/(1<<20), "peak_heap_MiB")
	b.ReportMetric(float64(len(sum.Warnings)), "warnings")
	b.Logf("import %d rows (%.1f MiB CSV) in %v (%.0f rows/s, peak heap %.1f MiB), COPY in %v (%.0f rows/s): ratio %.2f; COPY without triggers %v (%.0f rows/s)",
		benchRows, float64(st.Size())/(1<<20), importTime.Round(time.Millisecond), importRate, float64(peak)/(1<<20),
		copyTime.Round(time.Millisecond), copyRate, importRate/copyRate, bareTime.Round(time.Millisecond), float64(benchRows)/bareTime.Seconds())
}
