package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// Every connection of the pool carries the configured statement_timeout;
// a statement running past it ends with UNAVAILABLE and a message that
// says it took too long.
func TestStatementTimeout_SlowQueryIsUnavailableWithClearMessage(t *testing.T) {
	tdb := pgtest.New(t, pgtest.Options{})
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: tdb.AppURL, MaxConns: 2, StatementTimeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.ReadForTest(ctx, `SELECT current_setting('statement_timeout')`)
	if err != nil || got != "150ms" {
		t.Fatalf("statement_timeout on the pool's connection: %q, %v", got, err)
	}
	start := time.Now()
	_, err = db.ReadForTest(ctx, `SELECT pg_sleep(5)::text`)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("slow statement ran %v despite the timeout", took)
	}
	if hub.ErrorCode(err) != hub.EUNAVAILABLE || !strings.Contains(hub.ErrorMessage(err), "took too long") {
		t.Fatalf("slow statement: code %s, message %q (%v)", hub.ErrorCode(err), hub.ErrorMessage(err), err)
	}
	// The connection is fine afterwards.
	if _, err := db.ReadForTest(ctx, `SELECT 'ok'`); err != nil {
		t.Fatalf("after a timeout: %v", err)
	}
}

// When PostgreSQL drops the pool's connections (as a restart does), a
// request sees UNAVAILABLE, never an internal error, and the pool serves
// again at once on new connections.
func TestLostConnections_AreUnavailableAndThePoolRecovers(t *testing.T) {
	tdb := pgtest.New(t, pgtest.Options{})
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: tdb.AppURL, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ReadForTest(ctx, `SELECT 'warm'`); err != nil {
		t.Fatal(err)
	}
	owner := tdb.OwnerConn(t)
	if _, err := owner.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = 'hub_app'`, tdb.Name); err != nil {
		t.Fatal(err)
	}
	_, err = db.ReadForTest(ctx, `SELECT 'after'`)
	if err != nil && hub.ErrorCode(err) != hub.EUNAVAILABLE {
		t.Fatalf("query on a terminated connection: code %s (%v), want UNAVAILABLE", hub.ErrorCode(err), err)
	}
	for i := range 3 {
		if _, err = db.ReadForTest(ctx, `SELECT 'again'`); err == nil {
			break
		}
		t.Logf("attempt %d: %v", i, err)
	}
	if err != nil {
		t.Fatalf("pool did not recover: %v", err)
	}
}

// A database that cannot be reached is UNAVAILABLE quickly (connect
// timeout), not a hang or an internal error.
func TestUnreachableDatabase_IsUnavailable(t *testing.T) {
	tdb := pgtest.New(t, pgtest.Options{})
	ctx := context.Background()
	db, err := postgres.Open(ctx, postgres.Config{URL: tdb.AppURL, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	owner, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(ctx)
	// Forbid new connections to this database, then drop the pool's one.
	if _, err := owner.Exec(ctx, `ALTER DATABASE `+tdb.Name+` ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := owner.Exec(ctx, `ALTER DATABASE `+tdb.Name+` ALLOW_CONNECTIONS true`); err != nil {
			t.Error(err)
		}
	}()
	if _, err := owner.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND usename = 'hub_app'`, tdb.Name); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		start := time.Now()
		_, err = db.ReadForTest(ctx, `SELECT 'x'`)
		if hub.ErrorCode(err) != hub.EUNAVAILABLE {
			t.Fatalf("unreachable database: code %s (%v), want UNAVAILABLE", hub.ErrorCode(err), err)
		}
		if took := time.Since(start); took > 6*time.Second {
			t.Errorf("took %v to fail", took)
		}
	}
}

// Text PostgreSQL cannot store (not UTF-8, or NUL) comes only from the
// caller's input: BAD_USER_INPUT, never an internal error.
func TestInvalidText_IsBadUserInput(t *testing.T) {
	tdb := pgtest.New(t, pgtest.Options{})
	ctx := context.Background()
	for _, in := range []string{"a\x00b", "\xef\x4d\x34"} {
		_, err := tdb.App.ReadForTest(ctx, `SELECT $1::text`, in)
		if hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%q: %v, want BAD_USER_INPUT", in, err)
		}
	}
}
