package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// TestAuthenticate_RecordsLastUsedAtMostOnceAMinute: the first request
// of a token writes last_used_at, a second within the minute writes
// nothing (the row's xmin stays), one after the minute writes again.
func TestAuthenticate_RecordsLastUsedAtMostOnceAMinute(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	owner := postgres.NewAuthService(db.Owner)
	if _, err := owner.CreateUser(ctx, hub.NewUser{Name: "user1", Role: hub.Leader, Region: "370700"}); err != nil {
		t.Fatal(err)
	}
	tok, err := owner.IssueToken(ctx, "user1", 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := db.OwnerConn(t)
	state := func() (xmin string, used *time.Time) {
		t.Helper()
		if err := conn.QueryRow(ctx, `SELECT xmin::text, last_used_at FROM tokens WHERE id = $1`, tok.ID).Scan(&xmin, &used); err != nil {
			t.Fatal(err)
		}
		return xmin, used
	}
	app := postgres.NewAuthService(db.App)
	x0, used := state()
	if used != nil {
		t.Fatalf("a new token was used at %v", used)
	}
	if _, err := app.Authenticate(ctx, tok.Token); err != nil {
		t.Fatal(err)
	}
	x1, used1 := state()
	if used1 == nil || x1 == x0 {
		t.Fatalf("the first use wrote no last_used_at (%v, xmin %s → %s)", used1, x0, x1)
	}
	for range 3 {
		if _, err := app.Authenticate(ctx, tok.Token); err != nil {
			t.Fatal(err)
		}
	}
	if x2, used2 := state(); x2 != x1 || !used2.Equal(*used1) {
		t.Errorf("uses within a minute wrote the token again (xmin %s → %s, last used %v → %v)", x1, x2, used1, used2)
	}
	if _, err := conn.Exec(ctx, `UPDATE tokens SET last_used_at = now() - interval '61 seconds' WHERE id = $1`, tok.ID); err != nil {
		t.Fatal(err)
	}
	x3, old := state()
	if _, err := app.Authenticate(ctx, tok.Token); err != nil {
		t.Fatal(err)
	}
	if x4, used4 := state(); x4 == x3 || !used4.After(*old) {
		t.Errorf("a use after a minute did not record it (xmin %s → %s, %v → %v)", x3, x4, old, used4)
	}
	// An expired token is refused and not marked used.
	if _, err := conn.Exec(ctx, `UPDATE tokens SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day', last_used_at = NULL WHERE id = $1`, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Authenticate(ctx, tok.Token); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Errorf("expired token: %v", err)
	}
	if _, used := state(); used != nil {
		t.Errorf("an expired token was marked used at %v", used)
	}
}
