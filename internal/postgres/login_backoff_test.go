package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

const backoffPassword = "correct horse battery"

// backoffSetup makes users lead and other (password backoffPassword) and a
// session service that allows 3 failures in 15 minutes, then waits 1 min,
// 2 min, 4 min …
func backoffSetup(t *testing.T) (*pgtest.DB, *postgres.SessionService) {
	t.Helper()
	db := pgtest.New(t, pgtest.Options{Demo: true})
	pw := backoffPassword
	for _, name := range []string{"lead", "other"} {
		if _, err := postgres.NewAuthService(db.Owner).CreateUser(context.Background(),
			hub.NewUser{Name: name, Role: hub.Leader, Region: "370700", Password: &pw}); err != nil {
			t.Fatal(err)
		}
	}
	s := postgres.NewSessionService(db.App)
	s.Backoff = postgres.LoginBackoff{MaxFailures: 3, Window: 15 * time.Minute, Base: time.Minute}
	return db, s
}

func wantBadLogin(t *testing.T, s *postgres.SessionService, name, pw, addr string) {
	t.Helper()
	if _, err := s.Login(context.Background(), name, pw, addr); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Fatalf("login %s from %s: %v, want UNAUTHENTICATED", name, addr, err)
	}
}

func wantBackedOff(t *testing.T, s *postgres.SessionService, name, pw, addr string, min, max time.Duration) {
	t.Helper()
	_, err := s.Login(context.Background(), name, pw, addr)
	if hub.ErrorCode(err) != hub.ERATELIMITED {
		t.Fatalf("login %s from %s: %v, want RATE_LIMITED", name, addr, err)
	}
	if d := hub.RetryAfter(err); d < min || d > max {
		t.Errorf("login %s from %s: retry after %v, want %v–%v", name, addr, d, min, max)
	}
	if msg := hub.ErrorMessage(err); !strings.HasPrefix(msg, "登录失败次数过多，请 ") || !strings.Contains(msg, "Too many failed logins, try again in ") {
		t.Errorf("message %q", msg)
	}
}

func TestLogin_BacksOffOneUserGuessedFromRotatingAddresses(t *testing.T) {
	_, s := backoffSetup(t)
	for i := range 3 {
		wantBadLogin(t, s, "lead", fmt.Sprintf("guess-%d-password", i), fmt.Sprintf("198.51.100.%d", i))
	}
	// Even the right password is not checked while the name waits.
	wantBackedOff(t, s, "lead", backoffPassword, "198.51.100.99", 50*time.Second, time.Minute)
	// Another user from a fresh address is not affected.
	if _, err := s.Login(context.Background(), "other", backoffPassword, "198.51.100.200"); err != nil {
		t.Fatalf("other user: %v", err)
	}
}

func TestLogin_BacksOffOneAddressGuessingManyUsers(t *testing.T) {
	_, s := backoffSetup(t)
	for _, name := range []string{"lead", "other", "nobody"} {
		wantBadLogin(t, s, name, "wrong-password", "203.0.113.7")
	}
	wantBackedOff(t, s, "admin", "wrong-password", "203.0.113.7", 50*time.Second, time.Minute)
	wantBackedOff(t, s, "lead", backoffPassword, "203.0.113.7", 50*time.Second, time.Minute)
	// The users themselves, elsewhere, still log in.
	if _, err := s.Login(context.Background(), "lead", backoffPassword, "203.0.113.8"); err != nil {
		t.Fatalf("lead from another address: %v", err)
	}
}

func TestLogin_SuccessResetsTheUsersCount(t *testing.T) {
	_, s := backoffSetup(t)
	ctx := context.Background()
	wantBadLogin(t, s, "lead", "wrong-password", "198.51.100.1")
	wantBadLogin(t, s, "lead", "wrong-password", "198.51.100.2")
	if _, err := s.Login(ctx, "lead", backoffPassword, "198.51.100.3"); err != nil {
		t.Fatal(err)
	}
	wantBadLogin(t, s, "lead", "wrong-password", "198.51.100.4")
	wantBadLogin(t, s, "lead", "wrong-password", "198.51.100.5")
	// Four failures in the window, but only two since the success.
	if _, err := s.Login(ctx, "lead", backoffPassword, "198.51.100.6"); err != nil {
		t.Fatalf("after a success the earlier failures still count: %v", err)
	}
}

func TestLogin_BackOffDoublesWithEachFurtherFailure(t *testing.T) {
	db, s := backoffSetup(t)
	owner := db.OwnerConn(t)
	// Five failures a minute ago: two beyond the three allowed, so the
	// wait is 1 min × 2² = 4 min from the last one.
	if _, err := owner.Exec(context.Background(), `INSERT INTO login_failures (at, user_name, address)
SELECT now() - interval '1 minute', 'lead', '198.51.100.' || i FROM generate_series(1, 5) i`); err != nil {
		t.Fatal(err)
	}
	wantBackedOff(t, s, "lead", backoffPassword, "198.51.100.99", 170*time.Second, 181*time.Second)
	// Failures older than the window no longer count.
	if _, err := owner.Exec(context.Background(), `UPDATE login_failures SET at = now() - interval '16 minutes'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(context.Background(), "lead", backoffPassword, "198.51.100.99"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestLogin_ParallelGuessesCannotOutrunTheCount(t *testing.T) {
	db, s := backoffSetup(t)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = s.Login(context.Background(), "lead", fmt.Sprintf("guess-%d-password", i), fmt.Sprintf("198.51.100.%d", i))
		}()
	}
	wg.Wait()
	var n int
	if err := db.OwnerConn(t).QueryRow(context.Background(), `SELECT count(*) FROM login_failures WHERE user_name = 'lead'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("%d parallel guesses had their password checked, want 3", n)
	}
}

func TestLogin_AttemptsAuditedWithNameAndAddressNeverThePassword(t *testing.T) {
	db, s := backoffSetup(t)
	ctx := context.Background()
	const secret = "my-secret-guess-42"
	wantBadLogin(t, s, "lead", secret, "198.51.100.1")
	wantBadLogin(t, s, "nobody", secret, "198.51.100.2")
	if _, err := s.Login(ctx, "lead", backoffPassword, "198.51.100.3"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.OwnerConn(t).Query(ctx, `SELECT action, actor, actor_role, coalesce(region_code, ''), coalesce(detail, ''), a::text
FROM audit_log a WHERE action IN ('login', 'login_failure') ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var action, actor, role, region, detail, all string
		if err := rows.Scan(&action, &actor, &role, &region, &detail, &all); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(all, secret) || strings.Contains(all, backoffPassword) {
			t.Errorf("audit row holds a password: %s", all)
		}
		got = append(got, strings.Join([]string{action, actor, role, region, detail}, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"login_failure|lead|anonymous|370700|address 198.51.100.1",
		"login_failure|nobody|anonymous||address 198.51.100.2, no such user",
		"login|lead|leader|370700|address 198.51.100.3",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// hub_app sees nothing of the counters and cannot write them but
	// through the functions.
	app := db.AppConn(t)
	if _, err := app.Exec(ctx, `SELECT * FROM login_failures`); err == nil {
		t.Error("hub_app reads login_failures")
	}
	if _, err := app.Exec(ctx, `UPDATE login_failures SET cleared = true`); err == nil {
		t.Error("hub_app clears login failures")
	}
}

func TestLogin_WaitingForAnotherAttemptGivesUpInsteadOfHoldingAConnection(t *testing.T) {
	db, s := backoffSetup(t)
	ctx := context.Background()
	owner := db.OwnerConn(t)
	tx, err := owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Another attempt on lead is in progress.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(4601, hashtext('lead'))`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	wantBackedOffAtOnce := func() {
		_, err := s.Login(ctx, "lead", backoffPassword, "198.51.100.1")
		if hub.ErrorCode(err) != hub.ERATELIMITED || hub.RetryAfter(err) != time.Second {
			t.Fatalf("login while another holds the lock: %v (retry after %v)", err, hub.RetryAfter(err))
		}
	}
	wantBackedOffAtOnce()
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("gave up after %v", d)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, "lead", backoffPassword, "198.51.100.1"); err != nil {
		t.Fatalf("after the other attempt: %v", err)
	}
}
