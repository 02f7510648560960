package postgres_test

import (
	"context"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func TestLogin_PasswordCheckedWithoutAppReadingHashes(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	pw := "correct horse battery"
	if _, err := postgres.NewAuthService(db.Owner).CreateUser(ctx, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700", Password: &pw}); err != nil {
		t.Fatal(err)
	}
	sessions := postgres.NewSessionService(db.App)
	for _, bad := range [][2]string{{"lead", "wrong password"}, {"nobody", pw}, {"lead", ""}} {
		if _, err := sessions.Login(ctx, bad[0], bad[1], "192.0.2.1"); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
			t.Errorf("login %q/%q: got %v, want UNAUTHENTICATED", bad[0], bad[1], err)
		}
	}
	s, err := sessions.Login(ctx, "lead", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := sessions.Session(ctx, s.Token)
	if err != nil || got.Principal.Name != "lead" || got.Principal.Role != hub.Leader || got.CSRF != s.CSRF {
		t.Fatalf("session: %+v, %v", got, err)
	}
	if err := sessions.Logout(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Session(ctx, s.Token); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Fatalf("session after logout: %v", err)
	}

	auth := postgres.NewAuthService(db.Owner)
	if err := auth.SetPassword(ctx, "lead", "another password"); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Login(ctx, "lead", pw, "192.0.2.1"); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Errorf("old password still works: %v", err)
	}
	if _, err := sessions.Login(ctx, "lead", "another password", "192.0.2.1"); err != nil {
		t.Errorf("new password: %v", err)
	}
	if err := auth.SetPassword(ctx, "nobody", "another password"); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("set password of nobody: %v", err)
	}
	if err := auth.SetPassword(ctx, "lead", "short"); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("short password: %v", err)
	}
	pw = "another password"

	app := db.AppConn(t)
	var hash string
	if err := app.QueryRow(ctx, `SELECT password_hash FROM users WHERE name = 'lead'`).Scan(&hash); err == nil {
		t.Fatal("hub_app read a password hash")
	}
	var id *int64
	if err := app.QueryRow(ctx, `SELECT hub_check_password('lead', $1)`, pw).Scan(&id); err != nil || id == nil {
		t.Fatalf("hub_check_password as hub_app: %v, %v", id, err)
	}
	if _, err := app.Exec(ctx, `SELECT hash FROM sessions`); err != nil {
		t.Fatalf("sessions readable by hub_app: %v", err)
	}
}
