package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// TestIndicatorsImport_TwiceChangesNothing: hub indicators import creates
// and changes indicators from a catalogue CSV and prints the summary; the
// same file again is all unchanged (and audits nothing); a file with a
// conflict writes nothing and exits non-zero with the row and column.
func TestIndicatorsImport_TwiceChangesNothing(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	dir := t.TempDir()
	file := filepath.Join(dir, "catalogue.csv")
	_ = os.WriteFile(file, []byte("key,name,name_en,protection,department,unit,value_type,aggregation,period_type,collection_level,formula\n"+
		"hotline_calls,未成年人热线来电数,Hotline calls about minors,SOCIETY,civil_affairs,calls,COUNT,SUM,MONTH,TOWN,\n"+
		"hope_rooms,希望小屋数（改名）,Hope rooms,SOCIETY,youth_league,rooms,COUNT,SUM,YEAR,COUNTY,\n"), 0o600)
	catalogueAudit := func() int {
		var n int
		_ = db.OwnerConn(t).QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'catalogue' AND channel = 'CLI'`).Scan(&n)
		return n
	}
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"indicators", "import", "--database-url", db.URL, "--file", file}, &out, &errOut); err != nil {
		t.Fatalf("first import: %v\n%s", err, out.String())
	}
	if s := out.String(); !strings.Contains(s, "新增 / created: 1\n") || !strings.Contains(s, "修改 / updated: 1\n") {
		t.Fatalf("first summary:\n%s", s)
	}
	audited := catalogueAudit()
	if audited != 2 {
		t.Fatalf("first import audited %d catalogue changes, want 2", audited)
	}
	out.Reset()
	if err := run(ctx, []string{"indicators", "import", "--database-url", db.URL, "--file", file}, &out, &errOut); err != nil {
		t.Fatalf("second import: %v", err)
	}
	if s := out.String(); !strings.Contains(s, "新增 / created: 0\n修改 / updated: 0\n未变 / unchanged: 2\n") {
		t.Fatalf("second summary:\n%s", s)
	}
	if n := catalogueAudit(); n != audited {
		t.Fatalf("the second import audited %d more changes", n-audited)
	}

	bad := filepath.Join(dir, "bad.csv")
	_ = os.WriteFile(bad, []byte("key,name,protection,department,unit,value_type,aggregation,period_type,collection_level\n"+
		"fine_one,好的,SOCIETY,civil_affairs,x,COUNT,SUM,YEAR,COUNTY\n"+
		"share_summed,占比,BASE,civil_affairs,percent,PERCENT,SUM,YEAR,COUNTY\n"), 0o600)
	out.Reset()
	err := run(ctx, []string{"indicators", "import", "--database-url", db.URL, "--file", bad}, &out, &errOut)
	var rej errRejected
	if !errors.As(err, &rej) || !strings.Contains(out.String(), "第 3 行 / row 3, 列 / column aggregation") {
		t.Fatalf("bad file: %v\n%s", err, out.String())
	}
	var n int
	_ = db.OwnerConn(t).QueryRow(ctx, `SELECT count(*) FROM indicators WHERE key IN ('fine_one', 'share_summed')`).Scan(&n)
	if n != 0 {
		t.Fatalf("a rejected file wrote %d indicators", n)
	}
}

// TestServiceAccount_TokensExpireAndRevoke: a service account belongs to a
// department, takes no password (so it cannot log in), and works with
// tokens only; an expired token is UNAUTHENTICATED "token expired"; a
// revoked one is refused too.
func TestServiceAccount_TokensExpireAndRevoke(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	var out, errOut bytes.Buffer
	args := []string{"user", "create", "--database-url", db.URL, "--name", "qz-visit-platform", "--role", "analyst",
		"--department", "civil_affairs", "--region", "370781", "--service"}
	if err := run(ctx, args, &out, &errOut); err != nil || !strings.Contains(out.String(), "service account") {
		t.Fatalf("create the service account: %v %s", err, out.String())
	}
	if err := run(ctx, []string{"user", "create", "--database-url", db.URL, "--name", "no-dept", "--role", "leader", "--service"}, &out, &errOut); hub.ErrorCode(err) != hub.EINVALID {
		t.Fatalf("a service account without a department: %v", err)
	}
	if err := postgres.NewAuthService(db.Owner).SetPassword(ctx, "qz-visit-platform", "a-long-password-1"); err == nil {
		t.Fatal("a service account got a password")
	}
	if _, err := postgres.NewSessionService(db.App).Login(ctx, "qz-visit-platform", "", "192.0.2.1"); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Fatalf("a service account logged in: %v", err)
	}

	token := func(extra ...string) (string, int64) {
		out.Reset()
		errOut.Reset()
		if err := run(ctx, append([]string{"token", "create", "--database-url", db.URL, "--user", "qz-visit-platform"}, extra...), &out, &errOut); err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(errOut.String(), "token id ")
		id, _ := strconv.ParseInt(strings.TrimSuffix(strings.Fields(rest)[0], ","), 10, 64)
		return strings.TrimSpace(out.String()), id
	}
	tok, id := token("--expires", "90d")
	if !strings.Contains(errOut.String(), "expires") || id == 0 {
		t.Fatalf("token create --expires 90d said %q", errOut.String())
	}
	auth := postgres.NewAuthService(db.App)
	if p, err := auth.Authenticate(ctx, tok); err != nil || p.Name != "qz-visit-platform" || p.Region != "370781" {
		t.Fatalf("a fresh token: %+v, %v", p, err)
	}
	// Time passes: the token's expiry is now.
	if _, err := db.OwnerConn(t).Exec(ctx, `UPDATE tokens SET created_at = now() - interval '91 days', expires_at = now() - interval '1 day' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Authenticate(ctx, tok); hub.ErrorCode(err) != hub.EUNAUTHENTICATED || hub.ErrorMessage(err) != "令牌已过期 / token expired" {
		t.Fatalf("an expired token: %v", err)
	}
	// Rotation: a new token, then the old one revoked.
	next, nextID := token("--expires", "12h")
	if _, err := auth.Authenticate(ctx, next); err != nil {
		t.Fatalf("the rotated token: %v", err)
	}
	out.Reset()
	if err := run(ctx, []string{"token", "revoke", strconv.FormatInt(nextID, 10), "--database-url", db.URL}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Authenticate(ctx, next); hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
		t.Fatalf("a revoked token: %v", err)
	}
	if err := run(ctx, []string{"token", "revoke", "999999", "--database-url", db.URL}, &out, &errOut); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Fatalf("revoke an unknown token: %v", err)
	}
	if err := run(ctx, []string{"token", "create", "--database-url", db.URL, "--user", "qz-visit-platform", "--expires", "soon"}, &out, &errOut); !errors.As(err, new(usageError)) {
		t.Fatalf("--expires soon: %v", err)
	}
}
