package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// backupQueries are answered the same by the demo and its restored copy.
var backupQueries = []string{
	`{ dataValues(filter: {indicators: ["child_directors"], periods: ["2022"]}) { totalCount edges { node { region { code name } value qualifier status source } } } }`,
	`{ dataValues(filter: {regions: ["370705"], protections: [SOCIETY], periods: ["2022"]}, first: 20) { edges { cursor node { indicator { key } value qualifier comment } } pageInfo { hasNextPage endCursor } } }`,
	`{ regions(level: COUNTY) { code name children { code } } indicators(protection: GOVERNMENT) { key name unit formula } }`,
	`{ explainAccess(indicator: "child_directors", region: "370781", period: "2022") { canRead canWrite readBlockedBy writeBlockedBy rules } }`,
}

func auditCount(t *testing.T, db *pgtest.DB) int {
	t.Helper()
	var n int
	if err := db.OwnerConn(t).QueryRow(context.Background(), `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackupRestore_SameAnswersAuditAndLogins backs up a demo database,
// restores it into a fresh one and compares: the same answers to GraphQL
// queries as hub_app (so grants and row policies came back), the same
// audit trail, a password login and the old token. A restore into a
// database with tables is refused unless --force.
func TestBackupRestore_SameAnswersAuditAndLogins(t *testing.T) {
	ctx := context.Background()
	api := apitest.New(t, apitest.Options{})
	pw := "backup-password-1"
	token := api.User(t, hub.NewUser{Name: "backup-leader", Role: hub.Leader, Region: "370700", Password: &pw})
	analyst := api.User(t, hub.NewUser{Name: "backup-analyst", Role: hub.Analyst, Department: ptr("education"), Region: "370781"})
	file := filepath.Join(t.TempDir(), "hub.dump")
	start := time.Now()
	if _, err := hubRun(t, api.DB, "backup", "--file", file); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(file); err == nil {
		t.Logf("backup of the demo: %d bytes in %s", st.Size(), time.Since(start).Round(time.Millisecond))
	}

	name, err := postgres.DatabaseName(api.DB.URL)
	if err != nil {
		t.Fatal(err)
	}
	restoredURL, err := postgres.WithDatabase(api.DB.URL, name+"_restored")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = postgres.DropDatabase(context.Background(), restoredURL, name+"_restored") })
	var out, errOut bytes.Buffer
	start = time.Now()
	if err := run(ctx, []string{"restore", "--file", file, "--database-url", restoredURL}, &out, &errOut); err != nil {
		t.Fatalf("restore: %v\n%s", err, errOut.String())
	}
	t.Logf("restored in %s", time.Since(start).Round(time.Millisecond))
	restored := apitest.New(t, apitest.Options{DB: pgtest.Existing(t, restoredURL, nil)})

	for _, tok := range []string{token, analyst} {
		for _, q := range backupQueries {
			a, b := api.Do(t, tok, q, nil), restored.Do(t, tok, q, nil)
			if len(a.Errors) > 0 || len(a.Data) < 20 {
				t.Fatalf("the original answers %s with %v", q, a.Errors)
			}
			if !jsonEqual(a.Data, b.Data) || len(b.Errors) > 0 {
				t.Errorf("restored answers differ for %s:\noriginal %s\nrestored %s %v", q, a.Data, b.Data, b.Errors)
			}
		}
	}
	if a, b := auditCount(t, api.DB), auditCount(t, restored.DB); a != b || a == 0 {
		t.Errorf("audit rows: original %d, restored %d", a, b)
	}
	restored.Login(t, "backup-leader", pw, "")

	// The restored database has tables now: a second restore is refused …
	err = run(ctx, []string{"restore", "--file", file, "--database-url", restoredURL}, &out, &errOut)
	if hub.ErrorCode(err) != hub.ECONFLICT {
		t.Fatalf("restore into a database with data: %v, want CONFLICT", err)
	}
	// … unless --force, which replaces it with the backup.
	if err := run(ctx, []string{"restore", "--file", file, "--database-url", restoredURL, "--force"}, &out, &errOut); err != nil {
		t.Fatalf("restore --force: %v\n%s", err, errOut.String())
	}
	again := apitest.New(t, apitest.Options{DB: pgtest.Existing(t, restoredURL, nil)})
	if a, b := auditCount(t, api.DB), auditCount(t, again.DB); a != b {
		t.Errorf("audit rows after restore --force: original %d, restored %d", a, b)
	}
	again.Login(t, "backup-leader", pw, "")
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
