package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/hub"
)

// TestGraphQLOverHTTP_Audit runs graphql-http's serverAudits (npm
// graphql-http, tools/js/audit.mjs) against the hub's edge and GraphQL
// endpoint as cmd/hub wires them, signed in (a leader's token): no error
// and no warning. Skipped
// without node and tools/js/node_modules, except in CI, where it fails.
func TestGraphQLOverHTTP_Audit(t *testing.T) {
	dir, _ := filepath.Abs("../../tools/js")
	_, errNode := exec.LookPath("node")
	_, errMod := os.Stat(filepath.Join(dir, "node_modules", "graphql-http", "package.json"))
	if err := errors.Join(errNode, errMod); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or tools/js/node_modules missing (run npm ci in tools/js): %v", err)
		}
		t.Skipf("node or tools/js/node_modules missing: %v", err)
	}
	srv := httptest.NewServer(withGraphQL(Config{Log: quietLog(), Services: hub.Services{Auth: stubAuth{}}}, graph.Limits{}))
	defer srv.Close()
	cmd := exec.Command("node", "audit.mjs", srv.URL+"/graphql")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HUB_AUTHORIZATION=Bearer good") // stubAuth's leader
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node audit.mjs: %v\n%s", err, stderr.String())
	}
	var results []struct{ ID, Name, Status, Reason string }
	if err := json.Unmarshal(out, &results); err != nil || len(results) < 40 {
		t.Fatalf("audit output (%d results): %v %s", len(results), err, out)
	}
	counts := map[string]int{}
	for _, r := range results {
		counts[r.Status]++
		if r.Status == "error" || r.Status == "warn" {
			t.Errorf("%s %s %s: %s", r.Status, r.ID, r.Name, r.Reason)
		}
		if r.Status == "notice" {
			t.Logf("notice %s %s: %s", r.ID, r.Name, r.Reason)
		}
	}
	t.Logf("graphql-http audit: %v", counts)
}
