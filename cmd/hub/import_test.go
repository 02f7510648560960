package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
)

func TestImportCommand_DryRunThenImportAndExitCodeOnConflicts(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"user", "create", "--database-url", db.URL, "--name", "ca", "--role", "analyst",
		"--department", "civil_affairs"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	_ = os.WriteFile(good, []byte("指标代码,地区代码,期间,数值\nminors_total,370702,2030,12\nminors_total,370703,2030,13\n"), 0o600)
	bad := filepath.Join(dir, "bad.csv")
	_ = os.WriteFile(bad, []byte("指标代码,地区代码,期间,数值\nminors_total,370702,2031,12\nminors_total,370703,2031,x\n"), 0o600)
	heads := func(period string) int {
		var n int
		_ = db.OwnerConn(t).QueryRow(ctx, `SELECT count(*) FROM data_values WHERE period = $1`, period).Scan(&n)
		return n
	}

	out.Reset()
	errOut.Reset()
	if err := run(ctx, []string{"import", "--database-url", db.URL, "--user", "ca", "--file", good, "--dry-run"}, &out, &errOut); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if !strings.Contains(out.String(), "新增 / created: 2") || heads("2030") != 0 {
		t.Fatalf("dry run printed %q and left %d rows", out.String(), heads("2030"))
	}
	out.Reset()
	if err := run(ctx, []string{"import", "--database-url", db.URL, "--user", "ca", "--file", good}, &out, &errOut); err != nil {
		t.Fatalf("import: %v", err)
	}
	if heads("2030") != 2 {
		t.Fatalf("import wrote %d rows, want 2", heads("2030"))
	}
	var channel, file string
	_ = db.OwnerConn(t).QueryRow(ctx, `SELECT DISTINCT channel, file_name FROM audit_log WHERE period = '2030'`).Scan(&channel, &file)
	if channel != "IMPORT" || file != "good.csv" {
		t.Errorf("audit channel %q, file %q; want IMPORT, good.csv", channel, file)
	}

	out.Reset()
	err := run(ctx, []string{"import", "--database-url", db.URL, "--user", "ca", "--file", bad}, &out, &errOut)
	var rej errRejected
	if !errors.As(err, &rej) || !strings.Contains(out.String(), "第 3 行 / row 3, 列 / column D（数值）") || heads("2031") != 0 {
		t.Fatalf("bad file: err %v, output %q, %d rows written", err, out.String(), heads("2031"))
	}
	// Non-terminal stderr gets no bar and no escape codes.
	if strings.Contains(errOut.String(), "\x1b[") {
		t.Errorf("escape codes on a non-terminal stderr: %q", errOut.String())
	}

	err = run(ctx, []string{"import", "--database-url", db.URL, "--user", "nobody", "--file", good}, &out, &errOut)
	if hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown user: %v", err)
	}
}

// TestImportCommand_FileOverTheLimitsIsRefusedWithAMessage: hub import
// refuses a file over --import-max-rows (or HUB_IMPORT_MAX_ROWS) with an
// error a person can act on (exit status 1), writing nothing.
func TestImportCommand_FileOverTheLimitsIsRefusedWithAMessage(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := context.Background()
	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"user", "create", "--database-url", db.URL, "--name", "ca", "--role", "analyst",
		"--department", "civil_affairs"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "many.csv")
	_ = os.WriteFile(file, []byte("指标代码,地区代码,期间,数值\n"+strings.Repeat("minors_total,370702,2030,12\n", 20)), 0o600)
	err := run(ctx, []string{"import", "--database-url", db.URL, "--user", "ca", "--file", file, "--import-max-rows", "10"}, &out, &errOut)
	if hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(message(err), "10 rows") {
		t.Fatalf("21 lines with --import-max-rows 10: %v", err)
	}
	t.Setenv("HUB_IMPORT_MAX_BYTES", "100")
	err = run(ctx, []string{"import", "--database-url", db.URL, "--user", "ca", "--file", file}, &out, &errOut)
	if hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(message(err), "100 bytes") {
		t.Fatalf("a file over HUB_IMPORT_MAX_BYTES: %v", err)
	}
	if err := run(ctx, []string{"import", "--database-url", db.URL, "--user", "ca", "--file", file, "--import-max-bytes", "lots"}, &out, &errOut); !errors.As(err, new(usageError)) {
		t.Fatalf("a malformed limit: %v", err)
	}
}
