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

func f(x float64) *float64 { return &x }

func TestSubmitValues_CreatesThenIsIdempotent(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	analyst := as(hub.Analyst, "civil_affairs")
	in := []hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(100)}}
	res, err := sub.SubmitValues(analyst, in, false)
	if err != nil || res.Created != 1 || len(res.Conflicts) != 0 {
		t.Fatalf("first submit: %v %+v", err, res)
	}
	res, err = sub.SubmitValues(analyst, in, false)
	if err != nil || res.Unchanged != 1 || res.Created+res.Updated != 0 {
		t.Fatalf("resubmit: %v %+v", err, res)
	}
	// NULL is not 0: submitting 0 changes the value.
	in[0].Value = nil
	if res, _ = sub.SubmitValues(analyst, in, false); res.Updated != 1 {
		t.Fatalf("to NULL: %+v", res)
	}
	in[0].Value = f(0)
	if res, _ = sub.SubmitValues(analyst, in, false); res.Updated != 1 {
		t.Fatalf("NULL to 0: %+v", res)
	}
	stale := 1
	in[0].ExpectedVersion = &stale
	in[0].Value = f(7)
	if res, _ = sub.SubmitValues(analyst, in, false); len(res.Conflicts) != 1 || res.Conflicts[0].Code != hub.ECONFLICT {
		t.Fatalf("stale expectedVersion: %+v", res)
	}
}

func TestSubmitValues_AllOrNothingWithConflictsByIndex(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	analyst := as(hub.Analyst, "civil_affairs")
	in := []hub.ValueInput{
		{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(100)},
		{Indicator: "minors_total", Region: "370702", Period: "2031", Value: f(-1)},
		{Indicator: "minors_total", Region: "370700", Period: "2030", Value: f(1)},
		{Indicator: "minors_total", Region: "370702", Period: "2030Q1", Value: f(1)},
		{Indicator: "minors_total", Region: "999999", Period: "2030", Value: f(1)},
		{Indicator: "minors_total", Region: "370702", Period: "2032", Value: f(1.5)},
	}
	res, err := sub.SubmitValues(analyst, in, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{1: hub.EINVALID, 2: hub.EINVALID, 3: hub.EINVALID, 4: hub.ENOTFOUND, 5: hub.EINVALID}
	if len(res.Conflicts) != len(want) || res.Created != 0 {
		t.Fatalf("conflicts %+v, want %v and nothing created", res.Conflicts, want)
	}
	for _, c := range res.Conflicts {
		if want[c.Index] != c.Code {
			t.Errorf("input %d: %s %s, want %s", c.Index, c.Code, c.Message, want[c.Index])
		}
	}
	if res, _ := sub.SubmitValues(analyst, in[:1], true); res.Created != 1 {
		t.Fatalf("dry run: %+v", res)
	}
	if res, _ := sub.SubmitValues(analyst, in[:1], false); res.Created != 1 {
		t.Fatalf("after rollback and dry run the value must still be new: %+v", res)
	}
}

func TestSubmitValues_OtherDepartmentIsForbidden(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	res, err := sub.SubmitValues(as(hub.Analyst, "education"),
		[]hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(1)}}, false)
	if err != nil || len(res.Conflicts) != 1 || res.Conflicts[0].Code != hub.EFORBIDDEN ||
		!strings.Contains(res.Conflicts[0].Message, "education analysts may not write indicators of civil_affairs") {
		t.Fatalf("got %v %+v, want a FORBIDDEN conflict", err, res)
	}
}

// TestSubmitValues_CorrectingAReleasedValueKeepsItReleased edits an
// approved head: a new DRAFT head appears, the old version stays released
// until the correction is approved.
func TestSubmitValues_CorrectingAReleasedValueKeepsItReleased(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub, wf := postgres.NewSubmitService(db.App), postgres.NewWorkflowService(db.App)
	analyst, coordinator := as(hub.Analyst, "civil_affairs"), as(hub.Coordinator, "")
	in := []hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2030", Value: f(100)}}
	res, _ := sub.SubmitValues(analyst, in, false)
	id := res.Values[0].ID
	for _, s := range []struct {
		ctx context.Context
		to  hub.Status
	}{{analyst, hub.Submitted}, {coordinator, hub.Approved}} {
		if _, err := wf.Transition(s.ctx, []int{id}, s.to, nil); err != nil {
			t.Fatal(err)
		}
	}
	in[0].Value = f(101)
	res, err := sub.SubmitValues(analyst, in, false)
	if err != nil || res.Updated != 1 || res.Values[0].Status != hub.Draft || res.Values[0].Version != 2 {
		t.Fatalf("correction: %v %+v", err, res)
	}
	released := func() (n int) {
		conn, _ := pgx.Connect(context.Background(), db.URL)
		defer conn.Close(context.Background())
		conn.QueryRow(context.Background(), `SELECT version FROM data_values WHERE indicator_key = 'minors_total'
AND period = '2030' AND region_code = '370702' AND is_released`).Scan(&n)
		return n
	}
	if v := released(); v != 1 {
		t.Fatalf("released version %d during correction, want 1", v)
	}
	newID := res.Values[0].ID
	wf.Transition(analyst, []int{newID}, hub.Submitted, nil)
	if _, err := wf.Transition(coordinator, []int{newID}, hub.Approved, nil); err != nil {
		t.Fatal(err)
	}
	if v := released(); v != 2 {
		t.Fatalf("released version %d after approving the correction, want 2", v)
	}
}
