package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// TestUnreleasePrevious_NotCallableByHubApp: the SECURITY DEFINER function
// would let any user unrelease any value; only the trigger may call it.
func TestUnreleasePrevious_NotCallableByHubApp(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	app := db.AppConn(t)
	for _, p := range []principal{{"coordinator", "", "370700"}, {"admin", "", "370700"}, {"analyst", "civil_affairs", "370700"}} {
		asApp(t, ctx, app, p, func(tx pgx.Tx) {
			_, err := tx.Exec(ctx, `SELECT unrelease_previous('minors_total', '2022', '370705')`)
			if err == nil || !strings.Contains(err.Error(), "permission denied") {
				t.Errorf("%s calls unrelease_previous: %v, want permission denied", p, err)
			}
		})
		asApp(t, ctx, app, p, func(tx pgx.Tx) {
			if _, err := tx.Exec(ctx, `SELECT data_values_release()`); err == nil {
				t.Errorf("%s calls the trigger function directly", p)
			}
		})
	}
}

// TestTransition_ApprovingACorrectionStillUnreleasesTheOldVersion: the
// trigger does what the revoked direct call did.
func TestTransition_ApprovingACorrectionStillUnreleasesTheOldVersion(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub, wf := postgres.NewSubmitService(db.App), postgres.NewWorkflowService(db.App)
	analyst, coordinator := as(hub.Analyst, "civil_affairs"), as(hub.Coordinator, "")
	res, err := sub.SubmitValues(analyst, []hub.ValueInput{{Indicator: "joint_meeting_units", Region: "370705", Period: "2022", Value: f(16)}}, false)
	if err != nil || res.Updated != 1 {
		t.Fatalf("correction: %v %+v", err, res)
	}
	id := res.Values[0].ID
	if _, err := wf.Transition(analyst, []int{id}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := wf.Transition(coordinator, []int{id}, hub.Approved, nil); err != nil {
		t.Fatal(err)
	}
	var released []float64
	rows, _ := db.OwnerConn(t).Query(context.Background(), `SELECT value FROM data_values
WHERE indicator_key = 'joint_meeting_units' AND region_code = '370705' AND period = '2022' AND is_released`)
	released, err = pgx.CollectRows(rows, pgx.RowTo[float64])
	if err != nil || len(released) != 1 || released[0] != 16 {
		t.Fatalf("released rows after approving the correction: %v %v, want only 16", released, err)
	}
}

// approved inserts an APPROVED released head of indicator for 370702/2030 as the owner.
func approved(t *testing.T, db *pgtest.DB, indicator string, releasable bool) int {
	t.Helper()
	var id int
	err := db.OwnerConn(t).QueryRow(context.Background(), `INSERT INTO data_values (indicator_key, department_code, region_code,
  region_path, period, value, status, is_released, releasable)
SELECT i.key, i.department_code, r.code, r.path, '2030', 5, 'APPROVED', true, $2 FROM regions r, indicators i
WHERE r.code = '370702' AND i.key = $1 RETURNING id`, indicator, releasable).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestTransition_PublishesPublicityOrReleasableValuesOnly(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	wf := postgres.NewWorkflowService(db.App)
	coordinator := as(hub.Coordinator, "")
	cases := []struct {
		name       string
		indicator  string
		releasable bool
		ok         bool
	}{
		{"publicity indicator", "lectures_held", false, true},
		{"headline figure marked releasable", "minors_total", true, true},
		{"neither", "child_directors", false, false},
	}
	for _, c := range cases {
		id := approved(t, db, c.indicator, c.releasable)
		vs, err := wf.Transition(coordinator, []int{id}, hub.Published, nil)
		if c.ok && (err != nil || vs[0].Status != hub.Published) {
			t.Errorf("%s: %v, want PUBLISHED", c.name, err)
		}
		if !c.ok && (hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(err.Error(), "releasable")) {
			t.Errorf("%s: %v, want BAD_USER_INPUT naming the rule", c.name, err)
		}
	}
	// The trigger refuses the same in SQL.
	id := approved(t, db, "hope_rooms", false)
	ctx := context.Background()
	asApp(t, ctx, db.AppConn(t), principal{"coordinator", "", "370700"}, func(tx pgx.Tx) {
		_, err := tx.Exec(ctx, `UPDATE data_values SET status = 'PUBLISHED', publish_at = now() WHERE id = $1`, id)
		if err == nil || !strings.Contains(err.Error(), "releasable") {
			t.Errorf("publishing a non-releasable headline figure in SQL: %v", err)
		}
	})
}
