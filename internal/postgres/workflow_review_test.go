package postgres_test

import (
	"context"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// reviewFixture is a demo database with a civil-affairs analyst and a
// city coordinator, and the services they use.
type reviewFixture struct {
	db                   *pgtest.DB
	sub                  *postgres.SubmitService
	wf                   *postgres.WorkflowService
	analyst, coordinator context.Context
}

func newReviewFixture(t *testing.T) *reviewFixture {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	return &reviewFixture{db: db, sub: postgres.NewSubmitService(db.App), wf: postgres.NewWorkflowService(db.App),
		analyst: as(hub.Analyst, "civil_affairs"), coordinator: as(hub.Coordinator, "")}
}

// submitted enters minors_total for region and period 2030 and submits it.
func (fx *reviewFixture) submitted(t *testing.T, region string, value float64) *hub.DataValue {
	t.Helper()
	v := fx.write(t, region, value)
	vs, err := fx.wf.Transition(fx.analyst, []int{v.ID}, hub.Submitted, nil)
	if err != nil {
		t.Fatalf("submit %s: %v", region, err)
	}
	return vs[0]
}

// write submits one value of minors_total for region and period 2030 and
// returns what was written.
func (fx *reviewFixture) write(t *testing.T, region string, value float64) *hub.DataValue {
	t.Helper()
	res, err := fx.sub.SubmitValues(fx.analyst, []hub.ValueInput{{Indicator: "minors_total", Region: region, Period: "2030", Value: f(value)}}, false)
	if err != nil || len(res.Conflicts) > 0 || len(res.Values) != 1 {
		t.Fatalf("write %s = %v: %v %+v", region, value, err, res)
	}
	return res.Values[0]
}

// stored is the head of minors_total for region and period 2030 as the owner sees it.
func (fx *reviewFixture) stored(t *testing.T, region string) (status string, value float64, version int, reason *string) {
	t.Helper()
	err := fx.db.OwnerConn(t).QueryRow(context.Background(), `SELECT status, value, version, status_reason FROM data_values
WHERE indicator_key = 'minors_total' AND region_code = $1 AND period = '2030' AND is_head`, region).Scan(&status, &value, &version, &reason)
	if err != nil {
		t.Fatal(err)
	}
	return status, value, version, reason
}

// TestSubmitValues_CorrectingAReturnedValueMakesItADraftKeepingTheReason:
// a RETURNED value was refused INTERNAL ("illegal transition RETURNED ->
// DRAFT"); it is corrected into a DRAFT that still says why it came back,
// and a dry run answers the same without writing.
func TestSubmitValues_CorrectingAReturnedValueMakesItADraftKeepingTheReason(t *testing.T) {
	fx := newReviewFixture(t)
	v := fx.submitted(t, "370702", 40)
	reason := "与公安数据不符，请核对 / does not match the police figures"
	if _, err := fx.wf.Transition(fx.coordinator, []int{v.ID}, hub.Returned, &reason); err != nil {
		t.Fatal(err)
	}
	in := []hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(42)}}
	for _, dryRun := range []bool{true, false} {
		res, err := fx.sub.SubmitValues(fx.analyst, in, dryRun)
		if err != nil || len(res.Conflicts) > 0 || res.Updated != 1 || len(res.Values) != 1 {
			t.Fatalf("dryRun=%v: correcting a returned value: %v %+v", dryRun, err, res)
		}
		got := res.Values[0]
		if got.Status != hub.Draft || got.StatusReason == nil || *got.StatusReason != reason || got.Version != v.Version+1 || *got.Value != 42 {
			t.Fatalf("dryRun=%v: answer %+v, want DRAFT, version %d, 42, reason %q", dryRun, got, v.Version+1, reason)
		}
		status, value, version, stillReason := fx.stored(t, "370702")
		want := struct {
			status  string
			value   float64
			version int
		}{"DRAFT", 42, v.Version + 1}
		if dryRun {
			want.status, want.value, want.version = "RETURNED", 40, v.Version
		}
		if status != want.status || value != want.value || version != want.version || stillReason == nil || *stillReason != reason {
			t.Fatalf("dryRun=%v: stored %s %v v%d reason %v, want %+v with the reason", dryRun, status, value, version, stillReason, want)
		}
	}
	// Resubmitted, the coordinator approves the version it reviews.
	if _, err := fx.wf.Transition(fx.analyst, []int{v.ID}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.wf.TransitionSeen(fx.coordinator, hub.TransitionRequest{IDs: []int{v.ID}, ExpectedVersions: []int{v.Version + 1}, To: hub.Approved}); err != nil {
		t.Fatalf("approving the corrected version: %v", err)
	}
}

// TestSubmitValues_EditingASubmittedValueWithdrawsIt: 40 is submitted, the
// analyst changes it to 4000; the value is a DRAFT again, and neither the
// coordinator's approval of the version it reviewed nor one without a
// version approves 4000.
func TestSubmitValues_EditingASubmittedValueWithdrawsIt(t *testing.T) {
	fx := newReviewFixture(t)
	v := fx.submitted(t, "370702", 40)
	seen := v.Version
	w := fx.write(t, "370702", 4000)
	if w.Status != hub.Draft || w.Version != seen+1 {
		t.Fatalf("edited submitted value: %s v%d, want DRAFT v%d", w.Status, w.Version, seen+1)
	}
	_, err := fx.wf.TransitionSeen(fx.coordinator, hub.TransitionRequest{IDs: []int{v.ID}, ExpectedVersions: []int{seen}, To: hub.Approved})
	if hub.ErrorCode(err) != hub.ECONFLICT {
		t.Fatalf("approving the reviewed version after an edit: %v, want CONFLICT", err)
	}
	if _, err := fx.wf.Transition(fx.coordinator, []int{v.ID}, hub.Approved, nil); err == nil {
		t.Fatal("a coordinator approved a withdrawn value without a version")
	}
	// Submitted again, an approval of the old version is still refused.
	if _, err := fx.wf.Transition(fx.analyst, []int{v.ID}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	_, err = fx.wf.TransitionSeen(fx.coordinator, hub.TransitionRequest{IDs: []int{v.ID}, ExpectedVersions: []int{seen}, To: hub.Approved})
	if hub.ErrorCode(err) != hub.ECONFLICT {
		t.Fatalf("approving the reviewed version after edit and resubmission: %v, want CONFLICT", err)
	}
	if status, value, _, _ := fx.stored(t, "370702"); status != "SUBMITTED" || value != 4000 {
		t.Fatalf("stored %s %v, want SUBMITTED 4000 (not approved)", status, value)
	}
}

// TestTransition_StaleExpectedVersionIsAConflictAndNothingMoves: one of
// two values changed since review; the approval of both is refused and
// the unchanged one is not approved either.
func TestTransition_StaleExpectedVersionIsAConflictAndNothingMoves(t *testing.T) {
	fx := newReviewFixture(t)
	a, b := fx.submitted(t, "370702", 40), fx.submitted(t, "370703", 50)
	fx.write(t, "370703", 5000)
	if _, err := fx.wf.Transition(fx.analyst, []int{b.ID}, hub.Submitted, nil); err != nil {
		t.Fatal(err)
	}
	req := hub.TransitionRequest{IDs: []int{a.ID, b.ID}, ExpectedVersions: []int{a.Version, b.Version}, To: hub.Approved}
	if _, err := fx.wf.TransitionSeen(fx.coordinator, req); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Fatalf("approving with a stale version: %v, want CONFLICT", err)
	}
	for _, r := range []string{"370702", "370703"} {
		if status, _, _, _ := fx.stored(t, r); status != "SUBMITTED" {
			t.Fatalf("%s is %s after a refused approval, want SUBMITTED", r, status)
		}
	}
	req.ExpectedVersions = []int{a.Version}
	if _, err := fx.wf.TransitionSeen(fx.coordinator, req); hub.ErrorCode(err) != hub.EINVALID {
		t.Fatalf("one version for two ids: %v, want BAD_USER_INPUT", err)
	}
	req.ExpectedVersions = []int{a.Version, b.Version + 1}
	vs, err := fx.wf.TransitionSeen(fx.coordinator, req)
	if err != nil || len(vs) != 2 || vs[1].Status != hub.Approved || *vs[1].Value != 5000 {
		t.Fatalf("approving the versions seen: %v %+v", err, vs)
	}
}

// TestWorkflowTrigger_SQLAsHubAppCannotChangeWhatIsUnderReview runs SQL
// as hub_app, past every Go check: an edit of a submitted value still
// withdraws it and bumps its version, released values are not changed in
// place, and every refusal has its code, none INTERNAL.
func TestWorkflowTrigger_SQLAsHubAppCannotChangeWhatIsUnderReview(t *testing.T) {
	fx := newReviewFixture(t)
	v := fx.submitted(t, "370702", 40)
	ret := fx.submitted(t, "370703", 50)
	reason := "请核对"
	if _, err := fx.wf.Transition(fx.coordinator, []int{ret.ID}, hub.Returned, &reason); err != nil {
		t.Fatal(err)
	}
	var approved int
	if err := fx.db.OwnerConn(t).QueryRow(context.Background(), `SELECT id FROM data_values
WHERE indicator_key = 'joint_meeting_units' AND region_code = '370705' AND period = '2022' AND is_head AND status = 'APPROVED'`).Scan(&approved); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		who  context.Context
		sql  string
		id   int
		code string
	}{
		{"analyst edits an approved value in place", fx.analyst, `UPDATE data_values SET value = 1 WHERE id = $1`, approved, hub.ECONFLICT},
		{"coordinator edits a submitted value", fx.coordinator, `UPDATE data_values SET value = 4000 WHERE id = $1`, v.ID, hub.EFORBIDDEN},
		{"analyst approves", fx.analyst, `UPDATE data_values SET status = 'APPROVED', is_released = true WHERE id = $1`, v.ID, hub.EFORBIDDEN},
		{"coordinator approves a returned value", fx.coordinator, `UPDATE data_values SET status = 'APPROVED', is_released = true WHERE id = $1`, ret.ID, hub.ECONFLICT},
		{"analyst moves a value to another period", fx.analyst, `UPDATE data_values SET period = '2031' WHERE id = $1`, v.ID, hub.EINVALID},
		{"analyst retires a submitted head", fx.analyst, `UPDATE data_values SET is_head = false WHERE id = $1`, v.ID, hub.EINVALID},
		{"coordinator returns without a reason", fx.coordinator, `UPDATE data_values SET status = 'RETURNED', status_reason = NULL WHERE id = $1`, v.ID, hub.EINVALID},
	} {
		if err := fx.db.App.ExecForTest(tc.who, tc.sql, tc.id); hub.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v (code %s), want %s", tc.name, err, hub.ErrorCode(err), tc.code)
		}
	}

	// An edit that names neither status nor version, and one that insists
	// on SUBMITTED: both withdraw the value and make a new version.
	for i, sql := range []string{
		`UPDATE data_values SET value = 4000 WHERE id = $1`,
		`UPDATE data_values SET value = 4001, status = 'SUBMITTED', version = version WHERE id = $1`,
	} {
		if i == 1 {
			if _, err := fx.wf.Transition(fx.analyst, []int{v.ID}, hub.Submitted, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := fx.db.App.ExecForTest(fx.analyst, sql, v.ID); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		if status, _, version, _ := fx.stored(t, "370702"); status != "DRAFT" || version != v.Version+1+i {
			t.Fatalf("after %s: %s v%d, want DRAFT v%d", sql, status, version, v.Version+1+i)
		}
	}
	// Resubmitted in SQL, the version the coordinator reviewed is stale.
	if err := fx.db.App.ExecForTest(fx.analyst, `UPDATE data_values SET status = 'SUBMITTED' WHERE id = $1`, v.ID); err != nil {
		t.Fatal(err)
	}
	_, err := fx.wf.TransitionSeen(fx.coordinator, hub.TransitionRequest{IDs: []int{v.ID}, ExpectedVersions: []int{v.Version}, To: hub.Approved})
	if hub.ErrorCode(err) != hub.ECONFLICT {
		t.Fatalf("approving the reviewed version after SQL edits: %v, want CONFLICT", err)
	}
	// A returned value corrected in SQL is a draft that keeps its reason.
	if err := fx.db.App.ExecForTest(fx.analyst, `UPDATE data_values SET value = 51 WHERE id = $1`, ret.ID); err != nil {
		t.Fatal(err)
	}
	if status, _, _, why := fx.stored(t, "370703"); status != "DRAFT" || why == nil || *why != reason {
		t.Fatalf("returned value corrected in SQL: %s reason %v, want DRAFT with %q", status, why, reason)
	}
}
