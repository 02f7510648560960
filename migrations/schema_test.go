package migrations_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/sixprot/hub/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite migrations/schema/schema.sql from the migrated template")

// snapshotPath is the checked-in schema: the live definition of every
// table, function, trigger and policy after all migrations, in one file.
var snapshotPath = filepath.Join("schema", "schema.sql")

// TestSchemaSnapshot_MatchesMigrations fails when the migrations no longer
// produce the checked-in schema. Regenerate it with
//
//	go test ./migrations -run TestSchemaSnapshot -update
func TestSchemaSnapshot_MatchesMigrations(t *testing.T) {
	if _, err := exec.LookPath("pg_dump"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pg_dump is required under CI=true")
		}
		t.Skip("no pg_dump on PATH")
	}
	db := pgtest.New(t, pgtest.Options{})
	// Owners are left out (the test database's owner is whoever runs
	// the tests); grants are kept, since they are part of the rules.
	out, err := exec.Command("pg_dump", "--schema-only", "--no-owner", db.URL).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	got := normalize(out)
	if *update {
		if err := os.WriteFile(snapshotPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(snapshotPath)
	if err != nil {
		t.Fatalf("read snapshot (create it with -update): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the migrations no longer give %s: regenerate it with\n\tgo test ./migrations -run TestSchemaSnapshot -update\nand review the diff", snapshotPath)
	}
}

var (
	// pg_dump's comments name the dump's version and time; \restrict
	// lines carry a random key (PostgreSQL 15.14 and later).
	noise  = regexp.MustCompile(`(?m)^(--.*|\\restrict .*|\\unrestrict .*)\n`)
	blanks = regexp.MustCompile(`\n{3,}`)
)

func normalize(dump []byte) []byte {
	header := "-- Schema snapshot: pg_dump --schema-only of a database with every migration applied.\n" +
		"-- Generated; do not edit. Regenerate: go test ./migrations -run TestSchemaSnapshot -update\n\n"
	body := noise.ReplaceAll(dump, nil)
	body = blanks.ReplaceAll(body, []byte("\n\n"))
	return append([]byte(header), bytes.TrimSpace(body)...)
}
