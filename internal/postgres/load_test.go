package postgres_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/demo"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// TestCopyValues_BulkLoadIsConsistent: the generator's bulk path writes
// rows the table's rules accept (released flags, embargo times, reasons),
// records the load as one audit row instead of one per value, and rebuilds
// the rollups its bypassed triggers would have maintained.
func TestCopyValues_BulkLoadIsConsistent(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{})
	l := postgres.NewLoader(db.Owner)
	regions, _ := demo.Regions()
	depts, _ := demo.Departments()
	inds, _ := demo.Indicators()
	if _, err := l.ImportRegions(ctx, regions, "test"); err != nil {
		t.Fatal(err)
	}
	if err := l.UpsertDepartments(ctx, depts); err != nil {
		t.Fatal(err)
	}
	if err := l.UpsertIndicators(ctx, inds); err != nil {
		t.Fatal(err)
	}
	v := func(f float64) *float64 { return &f }
	reason := "请核实 / please check"
	records := []hub.ValueRecord{
		{Indicator: "child_directors", Region: "370702", Period: "2022", Value: v(10), Qualifier: hub.Exact, Status: hub.Approved, Source: "synthetic"},
		{Indicator: "child_directors", Region: "370703", Period: "2022", Value: v(20), Qualifier: hub.Exact, Status: hub.Published, Source: "synthetic"},
		{Indicator: "child_directors", Region: "370704", Period: "2022", Value: v(30), Qualifier: hub.Exact, Status: hub.Returned, StatusReason: &reason, Source: "synthetic"},
		{Indicator: "child_directors", Region: "370705", Period: "2022", Value: v(40), Qualifier: hub.Exact, Status: hub.Draft, Source: "synthetic"},
	}
	var progress []int64
	n, err := l.CopyValues(ctx, "test:bulk", slices.Values(records), func(n int64) { progress = append(progress, n) })
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(records)) {
		t.Fatalf("copied %d, want %d", n, len(records))
	}
	var rebuilt []int
	if err := l.RebuildMissingRollups(ctx, func(done, total int) { rebuilt = append(rebuilt, done, total) }); err != nil {
		t.Fatal(err)
	}
	if len(rebuilt) != 2*len(inds) || rebuilt[len(rebuilt)-2] != len(inds) {
		t.Errorf("rollup progress %v, want 1..%d of %d", rebuilt, len(inds), len(inds))
	}
	conn := db.OwnerConn(t)
	var released, published, audits, perValue int
	var cityTotal *float64
	err = conn.QueryRow(ctx, `SELECT
  (SELECT count(*) FILTER (WHERE is_released) FROM data_values),
  (SELECT count(*) FROM data_values WHERE status = 'PUBLISHED' AND publish_at IS NOT NULL),
  (SELECT count(*) FROM audit_log WHERE action = 'import' AND channel = 'test:bulk'),
  (SELECT count(*) FROM audit_log WHERE value_id IS NOT NULL),
  (SELECT value FROM value_rollups WHERE indicator_key = 'child_directors' AND region_code = '370700' AND period = '2022')`).
		Scan(&released, &published, &audits, &perValue, &cityTotal)
	if err != nil {
		t.Fatal(err)
	}
	if released != 2 || published != 1 || audits != 1 || perValue != 0 {
		t.Errorf("released %d, published with embargo %d, import audit rows %d, per-value audit rows %d; want 2, 1, 1, 0",
			released, published, audits, perValue)
	}
	if cityTotal == nil || *cityTotal != 30 {
		t.Errorf("city rollup %v, want 30 (the two released values)", cityTotal)
	}
	// A second call (a resumed load) skips child_directors, which has its
	// rollups, and rebuilds only indicators that have none.
	var second int
	if err := l.RebuildMissingRollups(ctx, func(_, total int) { second = total }); err != nil {
		t.Fatal(err)
	}
	if second != len(inds)-1 {
		t.Errorf("second rebuild went over %d indicators, want %d (all but child_directors)", second, len(inds)-1)
	}
	if n, err := l.CountValues(ctx); err != nil || n != 4 {
		t.Errorf("CountValues = %d, %v; want 4", n, err)
	}
}

// TestDemoLoad_AuditTrailAndRollupsAsRowByRow: inserts are audited once
// per statement (migration 00056), and the demo load with a new version
// of three values writes exactly the audit rows and rollups the per-row
// trigger wrote before: the same database loaded with the old trigger put
// back gives the same rows, in the same order.
func TestDemoLoad_AuditTrailAndRollupsAsRowByRow(t *testing.T) {
	ctx := context.Background()
	load := func(rowByRow bool) (audit, rollups []string) {
		db := pgtest.New(t, pgtest.Options{})
		owner := db.OwnerConn(t)
		if rowByRow {
			for _, q := range []string{`DROP TRIGGER data_values_audit_inserts ON data_values`,
				`CREATE TRIGGER data_values_audit_insert_rows AFTER INSERT ON data_values FOR EACH ROW EXECUTE FUNCTION data_values_audit()`} {
				if _, err := owner.Exec(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := demo.Load(ctx, postgres.NewLoader(db.Owner)); err != nil {
			t.Fatal(err)
		}
		// New versions of three released values, in one statement.
		if _, err := owner.Exec(ctx, `WITH old AS (
  UPDATE data_values SET is_head = false
  WHERE id IN (SELECT id FROM data_values WHERE is_released ORDER BY id LIMIT 3) RETURNING *)
INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, qualifier, comment,
  status, version, source, updated_by)
SELECT indicator_key, department_code, region_code, region_path, period, value + 1, 'APPROX', comment,
  'DRAFT', version + 1, 'api', 'test' FROM old`); err != nil {
			t.Fatal(err)
		}
		read := func(q string) []string {
			rows, _ := owner.Query(ctx, q)
			out, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		// Times differ between the two loads; everything else must not.
		return read(`SELECT concat_ws('|', actor, actor_role, channel, file_name, action, value_id, indicator_key,
  department_code, region_code, region_path, period, old_value, new_value, old_qualifier, new_qualifier,
  old_status, new_status, regexp_replace(detail, '\d{4}-\d\d-\d\d[ T][0-9:.+]+', 'T', 'g'))
FROM audit_log ORDER BY id`),
			read(`SELECT concat_ws('|', indicator_key, region_code, period, value, qualifier, status, publish_at IS NULL,
  releasable, values_used, regions_expected) FROM value_rollups ORDER BY indicator_key, region_code, period`)
	}
	audit, rollups := load(false)
	wantAudit, wantRollups := load(true)
	if len(audit) < 19_000 {
		t.Fatalf("%d audit rows, want one per loaded value", len(audit))
	}
	if !slices.Equal(audit, wantAudit) {
		for i := range min(len(audit), len(wantAudit)) {
			if audit[i] != wantAudit[i] {
				t.Fatalf("audit row %d differs:\n per statement %s\n per row       %s", i, audit[i], wantAudit[i])
			}
		}
		t.Fatalf("%d audit rows per statement, %d per row", len(audit), len(wantAudit))
	}
	updates := 0
	for _, a := range audit {
		if strings.Contains(a, "|update|") && strings.Contains(a, "|APPROX|") {
			updates++
		}
	}
	if updates != 3 {
		t.Errorf("%d 'update' rows for the new versions, want 3", updates)
	}
	if !slices.Equal(rollups, wantRollups) {
		t.Errorf("rollups differ: %d vs %d rows", len(rollups), len(wantRollups))
	}
}
