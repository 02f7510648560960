package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
)

// TestRegionsImport_SecondRunSaysNothingChanged imports a small tree into
// an empty hub twice through the command line.
func TestRegionsImport_SecondRunSaysNothingChanged(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{})
	f := filepath.Join(t.TempDir(), "tree.csv")
	tree := "code,name,parent_code,level\n370700,潍坊市,,CITY\n370781,青州市,370700,COUNTY\n370781001,王府街道,370781,TOWN\n"
	if err := os.WriteFile(f, []byte(tree), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	for run, want := range []string{"created 3, renamed 0, moved 0, unchanged 0", "nothing changed (3 regions unchanged)"} {
		out.Reset()
		if err := runArgs(t, &out, &errOut, "regions", "import", "--database-url", db.URL, "--file", f); err != nil {
			t.Fatalf("run %d: %v\n%s", run+1, err, errOut.String())
		}
		if !strings.Contains(out.String(), want) {
			t.Errorf("run %d said %q, want %q", run+1, out.String(), want)
		}
	}
}

// TestUserCreate_DefaultsToTheTreesRoot creates a user without --region:
// the scope is the single root; with two cities in the hub it asks for
// --region.
func TestUserCreate_DefaultsToTheTreesRoot(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{})
	f := filepath.Join(t.TempDir(), "tree.csv")
	if err := os.WriteFile(f, []byte("code,name,parent_code,level\n370800,济宁市,,CITY\n370811,任城区,370800,COUNTY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := runArgs(t, &out, &errOut, "regions", "import", "--database-url", db.URL, "--file", f); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runArgs(t, &out, &errOut, "user", "create", "--database-url", db.URL, "--name", "lead", "--role", "leader"); err != nil {
		t.Fatalf("user create: %v", err)
	}
	if !strings.Contains(out.String(), "region 370800") {
		t.Errorf("user create said %q, want region 370800 (the root)", out.String())
	}
	if err := os.WriteFile(f, []byte("code,name,parent_code,level\n370700,潍坊市,,CITY\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := runArgs(t, &out, &errOut, "regions", "import", "--database-url", db.URL, "--file", f); err != nil {
		t.Fatal(err)
	}
	err := runArgs(t, &out, &errOut, "user", "create", "--database-url", db.URL, "--name", "lead2", "--role", "leader")
	if hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(hub.ErrorMessage(err), "--region") {
		t.Errorf("user create with two roots: %v, want EINVALID asking for --region", err)
	}
	if err := runArgs(t, &out, &errOut, "user", "create", "--database-url", db.URL, "--name", "lead2", "--role", "leader", "--region", "370700"); err != nil {
		t.Errorf("user create --region 370700: %v", err)
	}
}

func runArgs(t *testing.T, out, errOut *bytes.Buffer, args ...string) error {
	t.Helper()
	return run(context.Background(), args, out, errOut)
}
