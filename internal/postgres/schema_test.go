package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/pgtest"
)

// TestSchema_RejectsBadRows proves that the constraints, not the code,
// keep bad rows out: each statement must fail with the SQLSTATE given.
func TestSchema_RejectsBadRows(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	conn := db.OwnerConn(t)

	const insertValue = `INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, status, is_released)
SELECT 'child_directors', 'civil_affairs', r.code, r.path, $1, $2, $3, $4 FROM regions r WHERE r.code = $5`
	tests := []struct {
		name  string
		sql   string
		args  []any
		state string
	}{
		{"bad period", insertValue, []any{"2022Q5", 1.0, "DRAFT", false, "370702"}, "23514"},
		{"month 13", insertValue, []any{"2022-13", 1.0, "DRAFT", false, "370702"}, "23514"},
		{"infinite value", insertValue, []any{"2030", "Infinity", "DRAFT", false, "370702"}, "23514"},
		{"unknown status", insertValue, []any{"2030", 1.0, "DONE", false, "370702"}, "23514"},
		{"approved head not released", insertValue, []any{"2030", 1.0, "APPROVED", false, "370702"}, "23514"},
		{"draft released", insertValue, []any{"2030", 1.0, "DRAFT", true, "370702"}, "23514"},
		{"second head for a key", insertValue, []any{"2022", 1.0, "DRAFT", false, "370781"}, "23505"},
		{"returned without reason",
			`INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, status)
			 SELECT 'child_directors', 'civil_affairs', code, path, '2030', 'RETURNED' FROM regions WHERE code = '370702'`, nil, "23514"},
		{"department disagrees with catalogue",
			`INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period)
			 SELECT 'child_directors', 'education', code, path, '2030' FROM regions WHERE code = '370702'`, nil, "23503"},
		{"region path disagrees with tree",
			`INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period)
			 VALUES ('child_directors', 'civil_affairs', '370702', '370700.370781', '2030')`, nil, "23503"},
		{"region code malformed", `INSERT INTO regions (code, parent_code, level, name) VALUES ('37A', '370700', 'COUNTY', 'x')`, nil, "23514"},
		{"town directly under city", `INSERT INTO regions (code, parent_code, level, name) VALUES ('370700999', '370700', 'TOWN', 'x')`, nil, "23514"},
		{"region code changed", `UPDATE regions SET code = '370799' WHERE code = '370702'`, nil, "23514"},
		{"town moved under the city", `UPDATE regions SET parent_code = '370700' WHERE code = '370702001'`, nil, "23514"},
		{"county with towns made a town", `UPDATE regions SET level = 'TOWN' WHERE code = '370702'`, nil, "23514"},
		{"unknown protection", `UPDATE indicators SET protection = 'HEALTH' WHERE key = 'hope_rooms'`, nil, "23514"},
		{"analyst without department", `INSERT INTO users (name, role, region_code) VALUES ('x', 'analyst', '370700')`, nil, "23514"},
		{"audit rows cannot change", `UPDATE audit_log SET actor = 'someone else'`, nil, "42501"},
		{"audit rows cannot go", `DELETE FROM audit_log`, nil, "42501"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := conn.Exec(context.Background(), tt.sql, tt.args...)
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) {
				t.Fatalf("statement succeeded or failed oddly (%v); want SQLSTATE %s", err, tt.state)
			}
			if pgErr.Code != tt.state {
				t.Fatalf("SQLSTATE %s (%s), want %s", pgErr.Code, pgErr.Message, tt.state)
			}
		})
	}
}

// TestAuditTrail_RecordsEveryValueWrite checks that the trigger audits
// writes however they are made, here straight SQL.
func TestAuditTrail_RecordsEveryValueWrite(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	conn := db.OwnerConn(t)
	var before int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM audit_log`).Scan(&before)
	if before == 0 {
		t.Fatal("the demo load left no audit rows")
	}
	_, err := conn.Exec(ctx, `UPDATE data_values SET value = value + 1, version = version + 1
WHERE indicator_key = 'hope_rooms' AND region_code = '370702' AND period = '2023' AND is_head`)
	if err != nil {
		t.Fatal(err)
	}
	var action, channel string
	var oldV, newV float64
	err = conn.QueryRow(ctx, `SELECT action, channel, old_value, new_value FROM audit_log ORDER BY id DESC LIMIT 1`).
		Scan(&action, &channel, &oldV, &newV)
	if err != nil {
		t.Fatal(err)
	}
	if action != "update" || channel != "sql" || newV != oldV+1 {
		t.Errorf("audit row = %s via %s, %v → %v; want update via sql, +1", action, channel, oldV, newV)
	}
}
