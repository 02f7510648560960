package graph_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

var updateTSClient = flag.Bool("update-tsclient", false, "rewrite tools/js/tsclient/gql from the live schema")

// jsTools returns tools/js when node and its packages (npm ci) are there;
// without them the test is skipped, except in CI, where it fails.
func jsTools(t *testing.T, pkg string) string {
	t.Helper()
	dir, _ := filepath.Abs("../tools/js")
	_, errNode := exec.LookPath("node")
	_, errMod := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json"))
	if err := errors.Join(errNode, errMod); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or tools/js/node_modules missing (run npm ci in tools/js): %v", err)
		}
		t.Skipf("node or tools/js/node_modules missing: %v", err)
	}
	return dir
}

// nodeScript runs node with args in dir, the environment plus env, and
// returns stdout.
func nodeScript(t *testing.T, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %v: %v\n%s%s", args, err, out, stderr.String())
	}
	return out
}

type jsClientResult struct {
	Failed string
	Query  struct {
		Count int
		First struct{ Code, Name string }
	}
	Error struct {
		Codes   []string
		Message string
	}
	Deferred struct {
		TimedOut bool
		Emitted  []struct {
			DataState string // Apollo: streaming, then complete
			HasNext   *bool  // urql: true, then false
			Data      struct {
				Me struct {
					Name   string
					Region *struct{ Code, Name string }
				}
			}
		}
	}
}

// TestJSClients_ApolloAndUrql runs Apollo Client 4 (with its
// Defer20220824Handler) and urql (@urql/core, fetchExchange) against the
// hub's edge and GraphQL handler over a real socket (tools/js/clients.mjs):
// each gets a query's data, the extensions.code of a refused query, and a
// deferred fragment first without, then with its field.
func TestJSClients_ApolloAndUrql(t *testing.T) {
	dir := jsTools(t, "@apollo/client")
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	srv := httptest.NewServer(api.Handler)
	defer srv.Close()
	out := nodeScript(t, dir, []string{"HUB_AUTHORIZATION=Bearer " + token}, "clients.mjs", srv.URL+"/graphql")
	var results map[string]jsClientResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("clients.mjs: %v\n%s", err, out)
	}
	for _, name := range []string{"apollo", "urql"} {
		r, ok := results[name]
		if !ok || r.Failed != "" {
			t.Errorf("%s: %s", name, r.Failed)
			continue
		}
		if r.Query.Count < 12 || r.Query.First.Code == "" || r.Query.First.Name == "" {
			t.Errorf("%s query: %+v", name, r.Query)
		}
		if len(r.Error.Codes) != 1 || r.Error.Codes[0] != hub.EINVALID {
			t.Errorf("%s error: codes %v (%s), want [%s]", name, r.Error.Codes, r.Error.Message, hub.EINVALID)
		}
		em := r.Deferred.Emitted
		if r.Deferred.TimedOut || len(em) < 2 {
			t.Errorf("%s deferred: timed out %v, %d results: %s", name, r.Deferred.TimedOut, len(em), out)
			continue
		}
		first, last := em[0], em[len(em)-1]
		if first.Data.Me.Name != "leader" || first.Data.Me.Region != nil && first.Data.Me.Region.Code != "" {
			t.Errorf("%s: the first result should hold name without the deferred region: %+v", name, first)
		}
		if last.Data.Me.Region == nil || last.Data.Me.Region.Code != "370700" || last.Data.Me.Region.Name != "潍坊市" {
			t.Errorf("%s: the deferred region never arrived: %+v", name, last)
		}
		switch name {
		case "apollo":
			if first.DataState != "streaming" || last.DataState != "complete" {
				t.Errorf("apollo dataState: %q then %q", first.DataState, last.DataState)
			}
		case "urql":
			if first.HasNext == nil || !*first.HasNext || last.HasNext == nil || *last.HasNext {
				t.Errorf("urql hasNext: %v then %v", first.HasNext, last.HasNext)
			}
		}
	}
	t.Logf("clients.mjs: %s", out)
}

// TestTypedClient_TypeScript runs the TypeScript client example
// (tools/js/tsclient) as docs/clients.md describes it, against the hub
// serving the demo: graphql-codegen's client preset generates the types
// from the live schema (introspection, signed in), tsc type-checks main.ts
// with them (strict), esbuild bundles it and node runs it. The generated
// gql/graphql.ts must equal the committed one (-update-tsclient rewrites
// it; so does `npm run codegen` against a running demo).
func TestTypedClient_TypeScript(t *testing.T) {
	dir := jsTools(t, "@graphql-codegen/cli")
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	srv := httptest.NewServer(api.Handler)
	defer srv.Close()
	work, err := os.MkdirTemp(filepath.Join(dir, "tsclient"), ".test-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	for _, f := range []string{"main.ts", "tsconfig.json"} {
		b, err := os.ReadFile(filepath.Join(dir, "tsclient", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"HUB_URL=" + srv.URL + "/graphql", "HUB_AUTHORIZATION=Bearer " + token, "HUB_TSCLIENT_DIR=" + work}
	nodeScript(t, dir, env, "node_modules/.bin/graphql-codegen", "--config", "tsclient/codegen.ts", "--silent")
	nodeScript(t, dir, env, "node_modules/.bin/tsc", "-p", filepath.Join(work, "tsconfig.json"))
	nodeScript(t, dir, env, "tsclient/build.mjs", filepath.Join(work, "main.ts"), filepath.Join(work, "main.mjs"))
	out := nodeScript(t, dir, env, filepath.Join(work, "main.mjs"))
	var got struct {
		Counties []string
		Total    int
		Statuses []string
		Refused  string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("main.ts printed %s: %v", out, err)
	}
	if len(got.Counties) != 13 || !slices.Contains(got.Counties, "370781 青州市") || got.Total == 0 || len(got.Statuses) == 0 || got.Refused != hub.EINVALID {
		t.Errorf("the TypeScript client: %s", out)
	}
	fresh, err := os.ReadFile(filepath.Join(work, "gql", "graphql.ts"))
	if err != nil {
		t.Fatal(err)
	}
	if *updateTSClient {
		gen := filepath.Join(dir, "tsclient", "gql")
		if err := os.RemoveAll(gen); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(work, "gql"), gen); err != nil {
			t.Fatal(err)
		}
		return
	}
	committed, _ := os.ReadFile(filepath.Join(dir, "tsclient", "gql", "graphql.ts"))
	if !bytes.Equal(fresh, committed) {
		t.Error("tools/js/tsclient/gql is stale: go test ./graph -run TestTypedClient_TypeScript -update-tsclient")
	}
}
