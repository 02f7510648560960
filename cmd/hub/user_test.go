package main

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func TestUserCreate_PasswordStdinLetsTheUserLogIn(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = old })
	_, _ = w.WriteString("s3cret-pass-word\n")
	w.Close()
	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"user", "create", "--database-url", db.URL, "--name", "boss",
		"--role", "leader", "--password-stdin"}, &out, &errOut)
	if err != nil {
		t.Fatalf("user create: %v\n%s", err, errOut.String())
	}
	s, err := postgres.NewSessionService(db.App).Login(context.Background(), "boss", "s3cret-pass-word", "192.0.2.1")
	if err != nil || s.Token == "" {
		t.Fatalf("login with the password from stdin: %v", err)
	}
	if _, err := postgres.NewSessionService(db.App).Login(context.Background(), "boss", "s3cret-pass-word\n", "192.0.2.1"); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Errorf("the newline became part of the password: %v", err)
	}
}
