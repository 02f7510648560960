package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// draft inserts a DRAFT head for indicator in region 370702, period 2030, as the owner.
func draft(t *testing.T, db *pgtest.DB, indicator string) int {
	t.Helper()
	ctx := context.Background()
	conn := db.OwnerConn(t)
	var id int
	err := conn.QueryRow(ctx, `INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, status)
SELECT i.key, i.department_code, r.code, r.path, '2030', 5, 'DRAFT' FROM regions r, indicators i WHERE r.code = '370702' AND i.key = $1
RETURNING id`, indicator).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func as(role hub.Role, dept string) context.Context {
	p := &hub.Principal{Name: "t-" + string(role), Role: role, Region: "370700", RegionPath: "370700"}
	if dept != "" {
		p.Department = &dept
	}
	return hub.NewContext(context.Background(), p)
}

func TestTransition_FollowsTheWorkflowTable(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	wf := postgres.NewWorkflowService(db.App)
	analyst, coordinator := as(hub.Analyst, "civil_affairs"), as(hub.Coordinator, "")
	id := draft(t, db, "minors_total")

	// An analyst never approves: FORBIDDEN, like every denied write.
	_, err := wf.Transition(analyst, []int{id}, hub.Approved, nil)
	if hub.ErrorCode(err) != hub.EFORBIDDEN || !strings.Contains(err.Error(), "APPROVED") {
		t.Fatalf("analyst approving a draft: got %v, want FORBIDDEN naming APPROVED", err)
	}

	if _, err := wf.Transition(analyst, []int{id}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	// RETURNED needs a reason.
	if _, err := wf.Transition(coordinator, []int{id}, hub.Returned, nil); hub.ErrorCode(err) != hub.EINVALID {
		t.Fatalf("return without reason: got %v, want EINVALID", err)
	}
	vs, err := wf.Transition(coordinator, []int{id}, hub.Approved, nil)
	if err != nil || len(vs) != 1 || vs[0].Status != hub.Approved {
		t.Fatalf("approve: %v %+v", err, vs)
	}
	// Analysts submit, but not an approved value: a step the current
	// status does not allow is a CONFLICT naming the steps from there.
	if _, err := wf.Transition(analyst, []int{id}, hub.Submitted, nil); hub.ErrorCode(err) != hub.ECONFLICT ||
		!strings.Contains(err.Error(), "APPROVED→RETURNED") {
		t.Fatalf("analyst submitting an approved value: got %v, want CONFLICT naming APPROVED→RETURNED", err)
	}
	// minors_total is no publicity indicator: it may not be published.
	if _, err := wf.Transition(coordinator, []int{id}, hub.Published, nil); hub.ErrorCode(err) != hub.EINVALID {
		t.Fatalf("publishing a non-publicity indicator: got %v, want EINVALID", err)
	}
	reason := "数字有误"
	vs, err = wf.Transition(coordinator, []int{id}, hub.Returned, &reason)
	if err != nil || vs[0].Status != hub.Returned || vs[0].StatusReason == nil {
		t.Fatalf("return with reason: %v %+v", err, vs)
	}
}

func TestTransition_PublishesPublicityIndicators(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	wf := postgres.NewWorkflowService(db.App)
	id := draft(t, db, "brochures_distributed")
	analyst, coordinator := as(hub.Analyst, "publicity"), as(hub.Coordinator, "")
	for _, step := range []struct {
		ctx context.Context
		to  hub.Status
	}{{analyst, hub.Submitted}, {coordinator, hub.Approved}, {coordinator, hub.Published}} {
		if _, err := wf.Transition(step.ctx, []int{id}, step.to, nil); err != nil {
			t.Fatalf("to %s: %v", step.to, err)
		}
	}
}

// TestWorkflowTrigger_RejectsIllegalUpdatesInSQL proves the database, not
// only the service, refuses a step the table does not list.
func TestWorkflowTrigger_RejectsIllegalUpdatesInSQL(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	id := draft(t, db, "minors_total")
	ctx := context.Background()
	conn := db.AppConn(t)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	pgtest.SetPrincipal(t, tx, hub.Principal{Name: "x", Role: hub.Analyst, Department: ptr("civil_affairs"), RegionPath: "370700"})
	_, err = tx.Exec(ctx, `UPDATE data_values SET status = 'APPROVED', is_released = true WHERE id = $1`, id)
	if err == nil || !strings.Contains(err.Error(), "SQLSTATE WF001") {
		t.Fatalf("analyst approving in SQL: got %v, want SQLSTATE WF001 (FORBIDDEN)", err)
	}
}

// TestWorkflowTrigger_ReasonChangesOnlyWithAStep: a return reason is set
// by the step that returns a value and by nothing else. Before, an UPDATE
// that left the status alone could rewrite status_reason (and the author)
// of any value the update policy let the caller change: an analyst replaced
// the coordinator's reason on its department's RETURNED values, with no
// audit row. The database now refuses it, whatever path sends the UPDATE.
func TestWorkflowTrigger_ReasonChangesOnlyWithAStep(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	id := draft(t, db, "minors_total")
	ctx := context.Background()
	if _, err := db.OwnerConn(t).Exec(ctx, `UPDATE data_values SET status = 'RETURNED', status_reason = 'check the census' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"analyst", "coordinator"} {
		t.Run(role, func(t *testing.T) {
			tx, err := db.AppConn(t).Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, `SELECT set_config('hub.user', 'x', true), set_config('hub.role', $1, true),
  set_config('hub.department', 'civil_affairs', true), set_config('hub.scope', '370700', true)`, role); err != nil {
				t.Fatal(err)
			}
			_, err = tx.Exec(ctx, `UPDATE data_values SET status_reason = 'my own words' WHERE id = $1`, id)
			if err == nil || !strings.Contains(err.Error(), "SQLSTATE WF002") {
				t.Fatalf("%s rewriting a return reason in SQL: got %v, want SQLSTATE WF002", role, err)
			}
		})
	}
}
