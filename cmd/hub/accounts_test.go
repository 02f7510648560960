package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// withStdin makes os.Stdin a pipe holding input for the rest of the test.
func withStdin(t *testing.T, input string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = r
	t.Cleanup(func() { os.Stdin = old; r.Close() })
	_, _ = w.WriteString(input)
	w.Close()
}

// hubRun runs a command line against db and returns stdout; stderr is in
// the failure message.
func hubRun(t *testing.T, db *pgtest.DB, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--database-url", db.URL)
	err := run(context.Background(), args, &out, &errOut)
	if err != nil {
		t.Logf("hub %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), err
}

func auditDetails(t *testing.T, db *pgtest.DB, action, like string) []string {
	t.Helper()
	rows, err := db.OwnerConn(t).Query(context.Background(), `SELECT detail FROM audit_log WHERE action = $1 AND detail LIKE $2 ORDER BY id`, action, like)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var d string
		_ = rows.Scan(&d)
		out = append(out, d)
	}
	return out
}

func TestUserCommands_ListUpdatePasswordAudited(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	db := api.DB
	if _, err := hubRun(t, db, "user", "create", "--name", "clerk", "--role", "coordinator", "--region", "370700"); err != nil {
		t.Fatal(err)
	}
	out, err := hubRun(t, db, "user", "update", "--name", "clerk", "--role", "analyst", "--department", "education", "--region", "370781")
	if err != nil || !strings.Contains(out, "analyst") {
		t.Fatalf("user update: %q %v", out, err)
	}
	// An analyst without a department is refused with the reason.
	_, err = hubRun(t, db, "user", "update", "--name", "clerk", "--department", "")
	if hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(hub.ErrorMessage(err), "department") {
		t.Errorf("analyst without department: %v", err)
	}
	if _, err := hubRun(t, db, "user", "update", "--name", "nobody", "--role", "leader"); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("update of an unknown user: %v", err)
	}

	for _, c := range []struct{ pw, want string }{
		{"short-pw\n", "至少需要 10"},
		{"CLERK\n", "至少需要 10"},
		{"clerk-is-me\n", ""},
	} {
		withStdin(t, c.pw)
		_, err := hubRun(t, db, "user", "password", "--name", "clerk")
		if c.want == "" && err != nil || c.want != "" && (hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(hub.ErrorMessage(err), c.want)) {
			t.Errorf("password %q: %v, want %q", c.pw, err, c.want)
		}
	}
	if _, err := hubRun(t, db, "user", "create", "--name", "longname-user", "--role", "leader"); err != nil {
		t.Fatal(err)
	}
	withStdin(t, "LongName-User\n")
	if _, err := hubRun(t, db, "user", "password", "--name", "longname-user"); hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(hub.ErrorMessage(err), "user name") {
		t.Errorf("the user name as password: %v", err)
	}
	if _, err := postgres.NewSessionService(db.App).Login(context.Background(), "clerk", "clerk-is-me", "192.0.2.9"); err != nil {
		t.Errorf("login with the password set by hub user password: %v", err)
	}

	out, err = hubRun(t, db, "user", "list")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "clerk ") {
			line = l
		}
	}
	if f := strings.Fields(line); len(f) < 8 || f[1] != "analyst" || f[2] != "education" || f[3] != "370781" || f[4] != "no" || f[5] != "no" || f[6] != "yes" {
		t.Errorf("user list row of clerk: %q\n%s", line, out)
	}
	if !strings.HasPrefix(out, "NAME") || strings.Contains(out, "$2a$") {
		t.Errorf("user list: header missing or a hash shown:\n%s", out)
	}

	got := strings.Join(auditDetails(t, db, "user", "%user clerk:%"), "\n")
	for _, want := range []string{"create: role coordinator", "role coordinator → analyst", "department - → education", "region 370700 → 370781", "password changed"} {
		if !strings.Contains(got, want) {
			t.Errorf("audit trail of clerk lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "clerk-is-me") {
		t.Error("the password is in the audit trail")
	}
}

func TestUserDisable_StopsTokensAndSessionsAtOnce(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	db := api.DB
	pw := "leader-password-2"
	token := api.User(t, hub.NewUser{Name: "boss", Role: hub.Leader, Region: "370700", Password: &pw})
	const q = `{ me { name } }`
	if r := api.Do(t, token, q, nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("before: %d %v", r.Status, r.Errors)
	}
	session, _ := api.Login(t, "boss", pw, "")
	if _, err := hubRun(t, db, "user", "disable", "--name", "boss"); err != nil {
		t.Fatal(err)
	}
	if r := api.Do(t, token, q, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("a disabled user's token: status %d, want 401", r.Status)
	}
	if _, err := postgres.NewSessionService(db.App).Session(context.Background(), session.Value); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Errorf("a disabled user's session: %v", err)
	}
	if _, err := postgres.NewSessionService(db.App).Login(context.Background(), "boss", pw, "192.0.2.8"); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Errorf("a disabled user logs in: %v", err)
	}
	if _, err := hubRun(t, db, "user", "enable", "--name", "boss"); err != nil {
		t.Fatal(err)
	}
	if r := api.Do(t, token, q, nil); r.Status != http.StatusOK || len(r.Errors) > 0 {
		t.Errorf("token after enable: %d %v", r.Status, r.Errors)
	}
	if _, err := postgres.NewSessionService(db.App).Session(context.Background(), session.Value); err == nil {
		t.Error("the session of before the disable came back with enable")
	}
	got := strings.Join(auditDetails(t, db, "user", "%user boss:%"), "\n")
	if !strings.Contains(got, "disabled") || !strings.Contains(got, "enabled") {
		t.Errorf("disable and enable not audited:\n%s", got)
	}
	if _, err := hubRun(t, db, "user", "disable", "--name", "nobody"); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("disable of an unknown user: %v", err)
	}
}

func TestTokenList_AndDefaultExpiry(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	for _, name := range []string{"tok", "other"} {
		if _, err := hubRun(t, db, "user", "create", "--name", name, "--role", "leader"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hubRun(t, db, "token", "create", "--user", "other"); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--user", "tok", "--database-url", db.URL}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(out.String())
	t.Setenv("HUB_TOKEN_EXPIRY", "never")
	if _, err := hubRun(t, db, "token", "create", "--user", "tok"); err != nil {
		t.Fatal(err)
	}
	if _, err := hubRun(t, db, "token", "create", "--user", "tok", "--expires", "2d"); err != nil {
		t.Fatal(err)
	}
	var lives []*time.Duration
	rows, err := db.OwnerConn(t).Query(context.Background(), `SELECT CASE WHEN t.expires_at IS NULL THEN NULL ELSE extract(epoch FROM t.expires_at - t.created_at) END::float8
FROM tokens t JOIN users u ON u.id = t.user_id WHERE u.name = 'tok' ORDER BY t.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var secs *float64
		if err := rows.Scan(&secs); err != nil {
			t.Fatal(err)
		}
		var d *time.Duration
		if secs != nil {
			v := time.Duration(*secs) * time.Second
			d = &v
		}
		lives = append(lives, d)
	}
	if len(lives) != 3 || lives[0] == nil || *lives[0] != 365*24*time.Hour || lives[1] != nil || lives[2] == nil || *lives[2] != 48*time.Hour {
		t.Errorf("lifetimes (default 365d, HUB_TOKEN_EXPIRY=never, --expires 2d): %v", lives)
	}
	list, err := hubRun(t, db, "token", "list", "--user", "tok")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(list, " tok "); n != 3 || strings.Contains(list, secret) || strings.Contains(list, "sph_") {
		t.Errorf("token list --user tok: %d rows, or a secret shown:\n%s", n, list)
	}
	all, _ := hubRun(t, db, "token", "list")
	if strings.Count(all, "\n") <= strings.Count(list, "\n") {
		t.Errorf("token list without --user lists no more than one user's:\n%s", all)
	}
	if _, err := hubRun(t, db, "token", "list", "--user", "nobody"); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("token list of an unknown user: %v", err)
	}
}

// demoLogins returns the user → password lines hub demo printed.
func demoLogins(out string) map[string]string {
	logins := map[string]string{}
	_, after, _ := strings.Cut(out, "logins / 登录")
	for _, l := range strings.Split(after, "\n")[1:] {
		f := strings.Fields(l)
		if len(f) == 2 && strings.HasPrefix(f[0], "demo-") {
			logins[f[0]] = f[1]
		}
	}
	return logins
}

func TestDemo_EveryUserGetsAPasswordKeptOnTheSecondRun(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	out, err := hubRun(t, api.DB, "demo", "--load-only")
	if err != nil {
		t.Fatal(err)
	}
	var forever int
	if err := api.DB.OwnerConn(t).QueryRow(context.Background(), `SELECT count(*) FROM tokens WHERE expires_at IS NULL`).Scan(&forever); err != nil || forever != 0 {
		t.Errorf("hub demo made %d tokens without expiry (%v)", forever, err)
	}
	first := demoLogins(out)
	if len(first) != len(demoUsers) {
		t.Fatalf("hub demo printed %d logins, want one for each of %d demo users:\n%s", len(first), len(demoUsers), out)
	}
	for _, u := range demoUsers {
		_, where := api.Login(t, u.Name, first[u.Name], "")
		want := "/dashboard"
		if u.Role == hub.Media {
			want = "/media"
		}
		if where != want {
			t.Errorf("%s logs in to %s, want %s (as the README says)", u.Name, where, want)
		}
	}
	out, err = hubRun(t, api.DB, "demo", "--load-only")
	if err != nil {
		t.Fatal(err)
	}
	if again := demoLogins(out); len(again) != 0 || !strings.Contains(out, "已保留现有密码 / existing passwords kept") {
		t.Errorf("the second hub demo printed new passwords %v or did not say it kept them:\n%s", again, out)
	}
	api.Login(t, "demo-media", first["demo-media"], "")
	out, err = hubRun(t, api.DB, "demo", "--load-only", "--reset-passwords")
	if err != nil {
		t.Fatal(err)
	}
	reset := demoLogins(out)
	if len(reset) != len(demoUsers) || reset["demo-leader"] == first["demo-leader"] {
		t.Fatalf("--reset-passwords: %v", reset)
	}
	api.Login(t, "demo-leader", reset["demo-leader"], "")
	if _, err := postgres.NewSessionService(api.DB.App).Login(context.Background(), "demo-leader", first["demo-leader"], "192.0.2.7"); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Errorf("the old password works after --reset-passwords: %v", err)
	}
}
