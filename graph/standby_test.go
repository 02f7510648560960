package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// TestReadReplica_ReadsGoToTheStandbyAndWritersReadTheirWrites starts a
// real streaming standby of the test server (pg_basebackup, pg_ctl on
// another port) and serves the hub with it as its read database. Reads
// go to the standby; an analyst who submits a value reads it back at
// once. With the standby's replay paused, the proof is sharp: a colleague
// reading from the standby does not see the value yet (the standby really
// serves, and lags), while the writer's read waits, times out and runs on
// the primary; once replay resumes, the writer's read waits for the
// standby to replay their commit and is served there.
func TestReadReplica_ReadsGoToTheStandbyAndWritersReadTheirWrites(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sb := pgtest.StartStandby(t)
	app, err := postgres.Open(ctx, postgres.Config{URL: db.AppURL, ReadURL: sb.URL(t, db.AppURL), ReadYourWritesWait: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	served := *db
	served.App = app
	api := apitest.New(t, apitest.Options{DB: &served})
	dept := "civil_affairs"
	writer := api.User(t, hub.NewUser{Name: "rr-writer", Role: hub.Analyst, Department: &dept, Region: "370700"})
	colleague := api.User(t, hub.NewUser{Name: "rr-colleague", Role: hub.Analyst, Department: &dept, Region: "370700"})
	standbyOwner := pgtest.Existing(t, sb.URL(t, db.URL), nil).OwnerConn(t)

	const submit = `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { created updated conflicts { index code message } } }`
	const read = `query($k: ID!, $r: ID!, $p: String!) { dataValues(filter: {indicators: [$k], regions: [$r], periods: [$p]}) {
  totalCount edges { node { value status } } } }`
	type page struct {
		DataValues struct {
			TotalCount int
			Edges      []struct{ Node struct{ Value *float64 } }
		}
	}
	valueSeen := func(token string, period string) *float64 {
		t.Helper()
		var out page
		api.Query(t, token, read, map[string]any{"k": "minors_total", "r": "370702", "p": period}, &out)
		if len(out.DataValues.Edges) == 0 {
			return nil
		}
		return out.DataValues.Edges[0].Node.Value
	}
	write := func(period string, v float64) {
		t.Helper()
		var out struct {
			SubmitValues struct{ Created, Updated int }
		}
		api.Query(t, writer, submit, map[string]any{"in": []any{map[string]any{"indicator": "minors_total", "region": "370702", "period": period, "value": v}}}, &out)
		if out.SubmitValues.Created+out.SubmitValues.Updated != 1 {
			t.Fatalf("submit %s = %v: %+v", period, v, out.SubmitValues)
		}
	}

	// Plain reads: the standby serves.
	before := app.ReadRoutes()
	if v := valueSeen(colleague, "2030"); v != nil {
		t.Fatalf("2030 has a value before any write: %v", *v)
	}
	if r := app.ReadRoutes(); r.Standby <= before.Standby || r.Primary != before.Primary {
		t.Fatalf("a reader who wrote nothing was not served by the standby: %+v → %+v", before, r)
	}

	// Write, read back at once, many times: always the value just written.
	for i := range 20 {
		v := float64(1000 + i)
		write("2030", v)
		if got := valueSeen(writer, "2030"); got == nil || *got != v {
			t.Fatalf("round %d: the writer read %v right after writing %v", i, got, v)
		}
	}
	t.Logf("20 writes read back: %+v", app.ReadRoutes())

	// Replay paused: the standby lags for sure.
	if _, err := standbyOwner.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	resumed := false
	defer func() {
		if !resumed {
			standbyOwner.Exec(ctx, `SELECT pg_wal_replay_resume()`)
		}
	}()
	before = app.ReadRoutes()
	write("2031", 42)
	if got := valueSeen(colleague, "2031"); got != nil {
		t.Fatalf("the colleague saw %v from a standby whose replay is paused: reads do not go to the standby", *got)
	}
	if got := valueSeen(writer, "2031"); got == nil || *got != 42 {
		t.Fatalf("the writer read %v after writing 42 while the standby lags: no read-your-writes", got)
	}
	if r := app.ReadRoutes(); r.Primary <= before.Primary {
		t.Fatalf("the writer's read was not sent to the primary while the standby lagged: %+v → %+v", before, r)
	}

	// Replay resumed: the writer's next read waits for the standby.
	if _, err := standbyOwner.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	resumed = true
	write("2032", 7)
	before = app.ReadRoutes()
	if got := valueSeen(writer, "2032"); got == nil || *got != 7 {
		t.Fatalf("the writer read %v after writing 7", got)
	}
	if r := app.ReadRoutes(); r.Standby <= before.Standby {
		t.Logf("the writer's read after resume ran on the primary (the standby took longer than the wait): %+v → %+v", before, r)
	}
}
