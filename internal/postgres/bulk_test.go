package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func TestSubmitBulk_UpdatesDraftsAndCorrectsReleasedValuesLikeSubmitValues(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	analyst := hub.NewChannelContext(as(hub.Analyst, "civil_affairs"), hub.ImportChannel("x.csv"))
	conn := db.OwnerConn(t)
	ctx := context.Background()
	var draftRegion, draftPeriod, apprRegion, apprPeriod string
	var draftVersion, apprVersion int
	if err := conn.QueryRow(ctx, `SELECT region_code, period, version FROM data_values WHERE is_head AND indicator_key = 'minors_total' AND status = 'DRAFT' LIMIT 1`).
		Scan(&draftRegion, &draftPeriod, &draftVersion); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT region_code, period, version FROM data_values WHERE is_head AND indicator_key = 'minors_total' AND status = 'APPROVED' LIMIT 1`).
		Scan(&apprRegion, &apprPeriod, &apprVersion); err != nil {
		t.Fatal(err)
	}
	in := []hub.ValueInput{
		{Indicator: "minors_total", Region: draftRegion, Period: draftPeriod, Value: f(1)},
		{Indicator: "minors_total", Region: apprRegion, Period: apprPeriod, Value: f(2), ExpectedVersion: &apprVersion},
		{Indicator: "minors_total", Region: "370702", Period: "2031", Value: nil},
	}
	var res *hub.SubmitResult
	committed, err := sub.SubmitBulk(analyst, false, func(w hub.BatchWriter) error {
		var err error
		res, err = w.Write(analyst, in, []int{0, 1, 2})
		return err
	})
	if err != nil || !committed || res.Created != 1 || res.Updated != 2 || len(res.Conflicts) != 0 {
		t.Fatalf("%v committed=%v %+v", err, committed, res)
	}
	var n int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM data_values WHERE indicator_key = 'minors_total' AND region_code = $1 AND period = $2
AND is_head AND status = 'DRAFT' AND version = $3 AND value = 1 AND source = 'import'`, draftRegion, draftPeriod, draftVersion+1).Scan(&n)
	if n != 1 {
		t.Error("the DRAFT head was not updated in place with version+1")
	}
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM data_values WHERE indicator_key = 'minors_total' AND region_code = $1 AND period = $2
AND (is_head AND status = 'DRAFT' AND version = $3 AND value = 2 OR NOT is_head AND is_released AND version = $4)`, apprRegion, apprPeriod, apprVersion+1, apprVersion).Scan(&n)
	if n != 2 {
		t.Error("a correction of an APPROVED value must be a new DRAFT head while the approved row stays released")
	}
	// The same batch again changes nothing; a stale version is a conflict.
	committed, err = sub.SubmitBulk(analyst, false, func(w hub.BatchWriter) error {
		in[1].ExpectedVersion = nil
		res, err = w.Write(analyst, in, []int{0, 1, 2})
		return err
	})
	if err != nil || !committed || res.Unchanged != 3 {
		t.Fatalf("resubmit: %v %+v", err, res)
	}
	committed, _ = sub.SubmitBulk(analyst, false, func(w hub.BatchWriter) error {
		in[1].ExpectedVersion, in[1].Value = &apprVersion, f(3)
		res, err = w.Write(analyst, in, []int{0, 1, 2})
		return err
	})
	if committed || len(res.Conflicts) != 1 || res.Conflicts[0].Code != hub.ECONFLICT || res.Conflicts[0].Field != hub.FieldVersion {
		t.Fatalf("stale version: committed=%v %+v", committed, res)
	}
}

func TestSubmitBulk_NonAnalystsAreForbidden(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	for _, role := range []hub.Role{hub.Coordinator, hub.Leader, hub.Media, hub.Admin} {
		ctx := as(role, "")
		called := false
		committed, err := sub.SubmitBulk(ctx, false, func(w hub.BatchWriter) error {
			called = true
			_, err := w.Write(ctx, []hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2031", Value: f(1)}}, []int{0})
			return err
		})
		// A role that never enters values is refused as a whole, before
		// the file is read (docs/data-in.md, Refusals).
		if hub.ErrorCode(err) != hub.EFORBIDDEN || committed || called {
			t.Errorf("%s: %v committed=%v read=%v, want FORBIDDEN before reading", role, err, committed, called)
		}
	}
}

func TestSubmitBulk_ConcurrentCreationOfTheSameValueIsAConflict(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub := postgres.NewSubmitService(db.App)
	ctx := as(hub.Analyst, "civil_affairs")
	in := []hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2031", Value: f(1)}}
	written, release := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := sub.SubmitBulk(ctx, false, func(w hub.BatchWriter) error {
			_, err := w.Write(ctx, in, []int{0})
			close(written)
			<-release
			return err
		})
		first <- err
	}()
	<-written
	type outcome struct {
		committed bool
		res       *hub.SubmitResult
		err       error
	}
	second := make(chan outcome, 1)
	go func() {
		var o outcome
		o.committed, o.err = sub.SubmitBulk(ctx, false, func(w hub.BatchWriter) error {
			var err error
			o.res, err = w.Write(ctx, in, []int{7})
			return err
		})
		second <- o
	}()
	// Release the first transaction once the second waits for its lock
	// (on the head index); the second then collides with the committed row.
	owner := db.OwnerConn(t)
	for i := 0; ; i++ {
		var waiting int
		_ = owner.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if waiting > 0 {
			break
		}
		if i > 500 {
			t.Fatal("the second writer never waited for the first")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	// The collision is the conflict of the input (an import's row), and
	// nothing of the second transaction is written.
	if o := <-second; o.err != nil || o.committed || len(o.res.Conflicts) != 1 ||
		o.res.Conflicts[0].Code != hub.ECONFLICT || o.res.Conflicts[0].Index != 7 {
		t.Fatalf("second writer: %+v, want a CONFLICT at input 7 and no commit", o)
	}
}
