package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/demo"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func rollupOf(t *testing.T, conn *pgx.Conn, ind, region, period string) (v float64, expected int) {
	t.Helper()
	err := conn.QueryRow(context.Background(), `SELECT coalesce(value, 0), regions_expected FROM value_rollups
WHERE indicator_key = $1 AND region_code = $2 AND period = $3`, ind, region, period).Scan(&v, &expected)
	if err != nil {
		t.Fatalf("rollup %s %s %s: %v", ind, region, period, err)
	}
	return v, expected
}

// TestRegionImport_TwiceChangesNothing imports the demo's tree into the
// demo database: everything is there, nothing changes, nothing is audited.
func TestRegionImport_TwiceChangesNothing(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	tree, err := demo.Regions()
	if err != nil {
		t.Fatal(err)
	}
	st := postgres.NewRegionStore(db.Owner)
	conn := db.OwnerConn(t)
	var before int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM audit_log`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		sum, err := st.Import(t.Context(), tree, "import:weifang.csv", "weifang.csv")
		if err != nil {
			t.Fatal(err)
		}
		if sum.Changed() || sum.Unchanged != len(tree) {
			t.Errorf("run %d: %+v, want all %d unchanged", run, sum, len(tree))
		}
	}
	var after int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM audit_log`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("importing an unchanged tree wrote %d audit rows", after-before)
	}
}

// TestRegionImport_MovedTownKeepsItsValues moves a real town of 青州市 to
// 诸城市 and renames another: the town's values stay with its code
// (same rows, versions and numbers), its villages move with it, its
// values count under the new county from then on, the old county's
// rollups are recomputed, the city's do not change, and the trail records
// the move and the rename once. The same file again changes nothing.
func TestRegionImport_MovedTownKeepsItsValues(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	conn := db.OwnerConn(t)
	st := postgres.NewRegionStore(db.Owner)
	const town, from, to = "370781001", "370781", "370782"
	values := func() (n int, sum float64, paths []string) {
		t.Helper()
		rows, err := conn.Query(t.Context(), `SELECT id, version, coalesce(value, 0), region_path::text FROM data_values
WHERE region_code = $1 OR region_code LIKE $1 || '___' ORDER BY id`, town)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var version int
			var v float64
			var p string
			if err := rows.Scan(&id, &version, &v, &p); err != nil {
				t.Fatal(err)
			}
			n, sum, paths = n+1, sum+v*float64(version)+float64(id), append(paths, p)
		}
		return n, sum, paths
	}
	n0, sum0, _ := values()
	if n0 == 0 {
		t.Fatal("the demo has no values for the town or its villages")
	}
	townCare, _ := rollupOf(t, conn, "care_visits", town, "2022")
	townHomes, _ := rollupOf(t, conn, "children_homes", town, "2022")
	fromCare, fromTowns := rollupOf(t, conn, "care_visits", from, "2022")
	toCare, toTowns := rollupOf(t, conn, "care_visits", to, "2022")
	cityCare, _ := rollupOf(t, conn, "care_visits", "370700", "2022")
	fromHomes, _ := rollupOf(t, conn, "children_homes", from, "2022")
	toHomes, _ := rollupOf(t, conn, "children_homes", to, "2022")

	file := []*hub.Region{
		{Code: town, Name: "王府街道", ParentCode: ptr(to), Level: hub.LevelTown},
		{Code: "370781002", Name: "益都街道（改名）", ParentCode: ptr(from), Level: hub.LevelTown},
	}
	sum, err := st.Import(t.Context(), file, "import:move.csv", "move.csv")
	if err != nil {
		t.Fatal(err)
	}
	if sum.Moved != 1 || sum.Renamed != 1 || sum.Created != 0 {
		t.Fatalf("summary %+v, want 1 moved, 1 renamed", sum)
	}

	n1, sum1, paths := values()
	if n1 != n0 || sum1 != sum0 {
		t.Errorf("the town's values changed: %d rows (was %d)", n1, n0)
	}
	for _, p := range paths {
		if p[:len("370700.370782.370781001")] != "370700.370782.370781001" {
			t.Fatalf("a value of the moved town or its villages has path %s", p)
		}
	}
	if v, n := rollupOf(t, conn, "care_visits", to, "2022"); v != toCare+townCare || n != toTowns+1 {
		t.Errorf("%s care_visits = %v over %d towns, want %v over %d", to, v, n, toCare+townCare, toTowns+1)
	}
	if v, n := rollupOf(t, conn, "care_visits", from, "2022"); v != fromCare-townCare || n != fromTowns-1 {
		t.Errorf("%s care_visits = %v over %d towns, want %v over %d", from, v, n, fromCare-townCare, fromTowns-1)
	}
	if v, _ := rollupOf(t, conn, "care_visits", "370700", "2022"); v != cityCare {
		t.Errorf("city care_visits = %v, want %v (the city still has the town)", v, cityCare)
	}
	if v, _ := rollupOf(t, conn, "children_homes", to, "2022"); v != toHomes+townHomes {
		t.Errorf("%s children_homes = %v, want %v (the villages moved with their town)", to, v, toHomes+townHomes)
	}
	if v, _ := rollupOf(t, conn, "children_homes", from, "2022"); v != fromHomes-townHomes {
		t.Errorf("%s children_homes = %v, want %v", from, v, fromHomes-townHomes)
	}

	var audited int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM audit_log WHERE action = 'region' AND file_name = 'move.csv'
AND (region_code, detail) IN (($1, $2), ('370781002', $3))`, town,
		"地区上级由 370781 改为 370782（数值保留在原代码下）/ region moved from parent 370781 to 370782 (its values stay with its code)",
		"地区改名 益都街道 → 益都街道（改名） / region renamed 益都街道 → 益都街道（改名）").Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 2 {
		t.Errorf("%d audit rows for the move and the rename, want 2", audited)
	}

	// The trigger-maintained rollups equal a rebuild from scratch.
	const cols = `indicator_key, region_code, region_path, period, value, qualifier, values_used, regions_expected`
	if _, err := conn.Exec(t.Context(), `CREATE TEMP TABLE rollups_before AS SELECT `+cols+` FROM value_rollups`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), `SELECT value_rollups_rebuild()`); err != nil {
		t.Fatal(err)
	}
	var differ int
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM (
  (TABLE rollups_before EXCEPT SELECT `+cols+` FROM value_rollups)
  UNION ALL (SELECT `+cols+` FROM value_rollups EXCEPT TABLE rollups_before)) d`).Scan(&differ); err != nil {
		t.Fatal(err)
	}
	if differ != 0 {
		t.Errorf("%d rollups differ from a rebuild after the move", differ)
	}
	if again, err := st.Import(t.Context(), file, "import:move.csv", "move.csv"); err != nil || again.Changed() {
		t.Errorf("the same file again: %+v, %v; want nothing changed", again, err)
	}
}
