package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// TestCataloguePolicies_OnlyAdminsOfTheWholeTreeWriteFromSQL: the rule
// lives in the row policies of migration 00051, so it holds for any SQL
// hub_app runs, not only for the service: as hub_app, every principal but
// an admin of the whole tree is refused an insert (42501) and updates
// nothing; the admin's insert and update go through, and each is audited.
func TestCataloguePolicies_OnlyAdminsOfTheWholeTreeWriteFromSQL(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	app := db.AppConn(t)
	as := func(role, dept, scope string, sql string, args ...any) (int64, error) {
		tx, err := app.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck // the test's writes are rolled back unless committed below
		if _, err := tx.Exec(ctx, `SELECT set_config('hub.user', 'u', true), set_config('hub.role', $1, true),
  set_config('hub.department', $2, true), set_config('hub.scope', $3, true), set_config('hub.channel', 'API', true)`, role, dept, scope); err != nil {
			t.Fatal(err)
		}
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			return 0, err
		}
		return tag.RowsAffected(), tx.Commit(ctx)
	}
	const (
		insert = `INSERT INTO indicators (key, name, protection, unit, department_code, value_type, aggregation)
VALUES ($1, '测试', 'SOCIETY', 'items', 'civil_affairs', 'COUNT', 'SUM')`
		update     = `UPDATE indicators SET name = 'renamed' WHERE key = 'minors_total'`
		insertDept = `INSERT INTO departments (code, name) VALUES ($1, '测试部门')`
		retireDept = `UPDATE departments SET name = 'x' WHERE code = 'publicity'`
	)
	refused := []struct{ role, dept, scope string }{
		{"analyst", "civil_affairs", "370700"},
		{"coordinator", "", "370700"},
		{"leader", "", "370700"},
		{"media", "", "370700"},
		{"admin", "", "370700.370781"},
		{"", "", ""},
	}
	for _, p := range refused {
		var pgErr *pgconn.PgError
		if _, err := as(p.role, p.dept, p.scope, insert, "x_"+p.role); !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s of %s inserted an indicator: %v", p.role, p.scope, err)
		}
		if _, err := as(p.role, p.dept, p.scope, insertDept, "d_"+p.role); !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			t.Errorf("%s of %s inserted a department: %v", p.role, p.scope, err)
		}
		for _, q := range []string{update, retireDept} {
			if n, err := as(p.role, p.dept, p.scope, q); err != nil || n != 0 {
				t.Errorf("%s of %s: %q changed %d rows (%v)", p.role, p.scope, q, n, err)
			}
		}
	}
	if _, err := as("admin", "", "370700", `UPDATE indicators SET key = 'renamed_key' WHERE key = 'minors_total'`); err == nil {
		t.Error("an admin changed an indicator's key (identities never change)")
	}
	if _, err := as("admin", "", "370700", `DELETE FROM indicators WHERE key = 'hope_rooms'`); err == nil {
		t.Error("an admin deleted an indicator (retire instead)")
	}
	if n, err := as("admin", "", "370700", insert, "admin_made"); err != nil || n != 1 {
		t.Fatalf("the city admin's insert: %d, %v", n, err)
	}
	if n, err := as("admin", "", "370700", update); err != nil || n != 1 {
		t.Fatalf("the city admin's update: %d, %v", n, err)
	}
	var audited int
	if err := db.OwnerConn(t).QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'catalogue'
  AND indicator_key IN ('admin_made', 'minors_total') AND channel = 'API' AND actor = 'u'`).Scan(&audited); err != nil || audited != 2 {
		t.Fatalf("catalogue audit rows: %d (%v), want 2", audited, err)
	}
}

// TestRetireIndicator_KeepsHistoryAndRefusesNewValues: a retired indicator
// keeps its values and audit trail, leaves the list, refuses new values
// (RETIRED, in submitValues' conflicts and, as the last line, from the
// database itself), keeps its workflow; an indicator an active derived one
// reads cannot be retired.
func TestRetireIndicator_KeepsHistoryAndRefusesNewValues(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	owner := db.OwnerConn(t)
	count := func(sql string, args ...any) int {
		var n int
		if err := owner.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	admin := hub.NewContext(ctx, &hub.Principal{Name: "root", Role: hub.Admin, Region: "370700", RegionPath: "370700"})
	cat := postgres.NewCatalogueService(db.App)
	valuesBefore := count(`SELECT count(*) FROM data_values WHERE indicator_key = 'care_visits'`)
	auditBefore := count(`SELECT count(*) FROM audit_log WHERE indicator_key = 'care_visits'`)
	if valuesBefore == 0 {
		t.Fatal("the demo has no care_visits values")
	}

	if _, err := cat.RetireIndicator(admin, "child_directors"); hub.ErrorCode(err) != hub.ECONFLICT || !strings.Contains(err.Error(), "child_directors_per_10k") {
		t.Fatalf("retiring child_directors, which child_directors_per_10k reads: %v", err)
	}
	ca := "civil_affairs"
	analyst := hub.NewContext(ctx, &hub.Principal{Name: "ca", Role: hub.Analyst, Department: &ca, Region: "370700", RegionPath: "370700"})
	if _, err := cat.RetireIndicator(analyst, "care_visits"); hub.ErrorCode(err) != hub.EFORBIDDEN {
		t.Fatalf("an analyst retired an indicator: %v", err)
	}
	ind, err := cat.RetireIndicator(admin, "care_visits")
	if err != nil || ind.RetiredAt == nil {
		t.Fatalf("retire care_visits: %+v, %v", ind, err)
	}
	if again, err := cat.RetireIndicator(admin, "care_visits"); err != nil || !again.RetiredAt.Equal(*ind.RetiredAt) {
		t.Fatalf("retiring twice: %+v, %v", again, err)
	}
	if n := count(`SELECT count(*) FROM data_values WHERE indicator_key = 'care_visits'`); n != valuesBefore {
		t.Errorf("retiring changed the values: %d, was %d", n, valuesBefore)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE indicator_key = 'care_visits'`); n != auditBefore+1 {
		t.Errorf("audit rows of care_visits: %d, want the %d before and one catalogue row", n, auditBefore)
	}
	if n := count(`SELECT count(*) FROM audit_log WHERE action = 'catalogue' AND indicator_key = 'care_visits' AND detail LIKE '%retire%' AND actor = 'root'`); n != 1 {
		t.Errorf("retirement audited %d times", n)
	}

	list, err := cat.Indicators(admin, hub.IndicatorFilter{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := cat.Indicators(admin, hub.IndicatorFilter{IncludeRetired: true})
	if err != nil {
		t.Fatal(err)
	}
	if has(list, "care_visits") || !has(all, "care_visits") || len(all) != len(list)+1 {
		t.Errorf("indicators: %d listed (care_visits %v), %d with includeRetired", len(list), has(list, "care_visits"), len(all))
	}

	var town string
	if err := owner.QueryRow(ctx, `SELECT region_code FROM data_values WHERE indicator_key = 'care_visits' LIMIT 1`).Scan(&town); err != nil {
		t.Fatal(err)
	}
	v := 12.0
	res, err := postgres.NewSubmitService(db.App).SubmitValues(analyst, []hub.ValueInput{
		{Indicator: "care_visits", Region: town, Period: "2031", Value: &v}}, false)
	if err != nil || len(res.Conflicts) != 1 || res.Conflicts[0].Code != hub.ERETIRED || !strings.Contains(res.Conflicts[0].Message, "retired") {
		t.Fatalf("a value of a retired indicator: %+v, %v", res, err)
	}
	// The last line: the database refuses it whatever path writes it.
	_, err = owner.Exec(ctx, `INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value)
SELECT 'care_visits', 'civil_affairs', code, path, '2031', 1 FROM regions WHERE code = $1`, town)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "CT001" {
		t.Fatalf("the owner inserted a value of a retired indicator: %v", err)
	}
	_, err = owner.Exec(ctx, `UPDATE data_values SET value = value + 1 WHERE indicator_key = 'care_visits' AND is_head AND status = 'DRAFT'`)
	if !errors.As(err, &pgErr) || pgErr.Code != "CT001" {
		t.Fatalf("the owner changed a value of a retired indicator: %v", err)
	}
	// Nor may an active formula read it, nor its department be retired.
	f := "care_visits * 2"
	_, err = owner.Exec(ctx, `INSERT INTO indicators (key, name, protection, unit, department_code, value_type, aggregation, formula)
VALUES ('twice', 'x', 'SOCIETY', 'x', 'civil_affairs', 'RATE', 'NONE', $1)`, f)
	if !errors.As(err, &pgErr) || pgErr.Code != "CT002" {
		t.Fatalf("a formula over a retired indicator: %v", err)
	}
	if _, err := cat.RetireDepartment(admin, "civil_affairs"); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Fatalf("retiring a department with active indicators: %v", err)
	}
}

// TestUpsertIndicators_DerivedIndicatorAndIdempotence: an admin's batch is
// written once; the same batch again is unchanged; a change is an update;
// a refused batch writes nothing.
func TestUpsertIndicators_DerivedIndicatorAndIdempotence(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	admin := hub.NewContext(context.Background(), &hub.Principal{Name: "root", Role: hub.Admin, Region: "370700", RegionPath: "370700"})
	cat := postgres.NewCatalogueService(db.App)
	f := "care_visits / minors_total * 10000"
	batch := func(name string) []*hub.Indicator {
		return []*hub.Indicator{{Key: "care_visits_per_10k", Name: name, Protection: hub.Government, Unit: "per_10k_minors",
			DepartmentCode: "civil_affairs", ValueType: hub.Rate, Aggregation: hub.None, PeriodType: hub.Year,
			CollectionLevel: hub.LevelCounty, Formula: &f}}
	}
	for i, want := range []hub.CatalogueResult{{Created: 1}, {Unchanged: 1}} {
		res, err := cat.UpsertIndicators(admin, batch("每万名未成年人走访人次"), false)
		if err != nil || res.Created != want.Created || res.Unchanged != want.Unchanged || len(res.Conflicts) > 0 {
			t.Fatalf("run %d: %+v, %v", i+1, res, err)
		}
	}
	if res, err := cat.UpsertIndicators(admin, batch("改名"), false); err != nil || res.Updated != 1 {
		t.Fatalf("rename: %+v, %v", res, err)
	}
	bad := "care_visits / nobody"
	in := append(batch("x"), &hub.Indicator{Key: "broken", Name: "x", Protection: hub.Base, Unit: "x", DepartmentCode: "civil_affairs",
		ValueType: hub.Rate, Aggregation: hub.None, PeriodType: hub.Year, CollectionLevel: hub.LevelCounty, Formula: &bad})
	res, err := cat.UpsertIndicators(admin, in, false)
	if err != nil || len(res.Conflicts) != 1 || res.Conflicts[0].Index != 1 || res.Created+res.Updated != 0 {
		t.Fatalf("a batch with an unknown key: %+v, %v", res, err)
	}
	got, _ := cat.IndicatorsByKey(admin, []string{"care_visits_per_10k", "broken"})
	if got[0].Name != "改名" || got[1] != nil {
		t.Fatalf("the refused batch wrote: %+v %+v", got[0], got[1])
	}
}

func has(is []*hub.Indicator, key string) bool {
	for _, i := range is {
		if i.Key == key {
			return true
		}
	}
	return false
}
