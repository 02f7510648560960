package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// standardIntrospection is graphql-js 16's getIntrospectionQuery with every
// option on (descriptions, specifiedByUrl, directiveIsRepeatable,
// schemaDescription, inputValueDeprecation, oneOf), as tools/js/introspection.mjs
// prints it; TestIntrospection_GraphQLJS checks that the file is still that text.
func standardIntrospection(t testing.TB) string {
	t.Helper()
	q, err := os.ReadFile("testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	return string(q)
}

// TestIntrospection_StandardQueryPassesTheLimits: the standard query nests
// 13 levels (__schema, types, fields, type, nine ofType), above the depth limit of 12, and passes every limit
// as they are served, because introspection fields are not counted.
func TestIntrospection_StandardQueryPassesTheLimits(t *testing.T) {
	q := standardIntrospection(t)
	// __schema types fields type, then TypeRef's ofType levels: deeper
	// than the depth limit once fragments are expanded.
	if n := 4 + strings.Count(q, "ofType"); n <= DefaultLimits.Depth {
		t.Fatalf("the test query nests only %d levels", n)
	}
	srv := quietHandler()
	got := postLimits(t, srv, leaderPrincipal, q, nil)
	if len(got.Errors) > 0 || len(got.Data["__schema"]) < 1000 {
		t.Fatalf("graphql-js's introspection query: %+v", got.Errors)
	}
	// __type is introspection too.
	deepType := `{ __type(name: "DataValue") { name fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } }`
	if got := postLimits(t, srv, leaderPrincipal, deepType, nil); len(got.Errors) > 0 {
		t.Fatalf("__type: %+v", got.Errors)
	}
}

// TestIntrospection_DataFieldsStillCount: introspection next to data
// does not lift the limits from the data.
func TestIntrospection_DataFieldsStillCount(t *testing.T) {
	srv := quietHandler()
	deep := `regions { children { children { children { children { children { children { children { children { children { children { children { code } } } } } } } } } } } }`
	got := postLimits(t, srv, leaderPrincipal, `{ __schema { queryType { name } } `+deep+` }`, nil)
	if got.code() != hub.ETOOCOMPLEX {
		t.Fatalf("13 data levels next to __schema: %+v", got.Errors)
	}
	var pages strings.Builder
	for i := range 10 {
		fmt.Fprintf(&pages, "a%d: dataValues(filter: {}, first: 1000) { edges { node { id value } } }\n", i)
	}
	if got := postLimits(t, srv, leaderPrincipal, `{ __schema { types { name } } `+pages.String()+` }`, nil); got.code() != hub.ETOOCOMPLEX {
		t.Fatalf("ten full pages next to __schema: %+v", got.Errors)
	}
}

// TestIntrospection_AnonymousIsRefused: without a principal the schema
// stays closed, whatever the limits let through.
func TestIntrospection_AnonymousIsRefused(t *testing.T) {
	srv := quietHandler()
	for _, q := range []string{standardIntrospection(t), `{ __type(name: "Query") { name } }`} {
		got := postLimits(t, srv, nil, q, nil)
		if got.code() != hub.EUNAUTHENTICATED || len(got.Data["__schema"]) > 4 || len(got.Data["__type"]) > 4 {
			t.Fatalf("anonymous introspection: %+v %v", got.Errors, got.Data)
		}
	}
}

// nodeTools returns the directory of tools/js when its packages are
// installed (npm ci, as .ci/run does); without them the test is skipped,
// except in CI, where it fails.
func nodeTools(t *testing.T) string {
	t.Helper()
	dir, _ := filepath.Abs("../tools/js")
	_, errNode := exec.LookPath("node")
	_, errMod := os.Stat(filepath.Join(dir, "node_modules", "graphql", "package.json"))
	if err := errors.Join(errNode, errMod); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node or tools/js/node_modules missing (run npm ci in tools/js): %v", err)
		}
		t.Skipf("node or tools/js/node_modules missing: %v", err)
	}
	return dir
}

// runNode runs a script of tools/js with stdin and env, returning stdout.
func runNode(t *testing.T, dir string, stdin []byte, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestIntrospection_GraphQLJS: graphql-js 16 itself writes the
// introspection query, the hub answers it for a signed-in caller,
// graphql-js's buildClientSchema accepts the answer, and every ```graphql
// block of README.md and docs/ is a document that graphql-js validates
// against that schema as it is (pasted whole into GraphiQL or any client).
func TestIntrospection_GraphQLJS(t *testing.T) {
	dir := nodeTools(t)
	q := string(runNode(t, dir, nil, nil, "introspection.mjs", "query"))
	if q != standardIntrospection(t) {
		t.Fatalf("testdata/introspection.graphql is not graphql-js's query any more: regenerate it with\n  (cd tools/js && node introspection.mjs query) > graph/testdata/introspection.graphql")
	}
	answer := postRaw(t, quietHandler(), leaderPrincipal, q)
	ops, _ := json.Marshal(documentedBlocks(t))
	out := runNode(t, dir, answer, []string{"HUB_OPERATIONS=" + string(ops)}, "introspection.mjs", "check")
	var got struct {
		Types  int
		Errors []string
	}
	if err := json.Unmarshal(out, &got); err != nil || got.Types < 50 {
		t.Fatalf("buildClientSchema: %v %s", err, out)
	}
	for _, e := range got.Errors {
		t.Errorf("graphql-js refuses a documented block: %s", e)
	}
}

// postRaw posts query as p and returns the response body as it came.
func postRaw(t *testing.T, srv http.Handler, p *hub.Principal, query string) []byte {
	t.Helper()
	return serveQuery(srv, p, query, nil).Body.Bytes()
}

// serveQuery posts query and vars to srv as application/json, signed in
// as p (nil: anonymously).
func serveQuery(srv http.Handler, p *hub.Principal, query string, vars map[string]any) *httptest.ResponseRecorder {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if p != nil {
		req = req.WithContext(hub.NewContext(req.Context(), p))
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec
}

// documentedBlocks returns the text of every ```graphql block of
// README.md and docs/*.md.
func documentedBlocks(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob("../docs/*.md")
	files = append(files, "../README.md")
	block := regexp.MustCompile("(?s)```graphql\n(.*?)```")
	var out []string
	for _, name := range files {
		text, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range block.FindAllStringSubmatch(string(text), -1) {
			out = append(out, "# "+filepath.Base(name)+"\n"+m[1])
		}
	}
	if len(out) < 5 {
		t.Fatalf("only %d documented blocks", len(out))
	}
	return out
}
