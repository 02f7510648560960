package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gql "github.com/vektah/gqlparser/v2/ast"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
	"github.com/sixprot/hub/internal/server"
)

func send(h http.Handler, method, target, token string, body string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		if strings.HasPrefix(body, "{") {
			r.Header.Set("Content-Type", "application/json")
		} else {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func gqlBody(query string) string {
	b, _ := json.Marshal(map[string]string{"query": query})
	return string(b)
}

func TestMetrics_AdminsOnlyAndCountOperationsErrorsRoutesAndPool(t *testing.T) {
	reg := metrics.New()
	api := apitest.New(t, apitest.Options{Metrics: reg})
	reg.MustRegister(metrics.NewPoolCollector("app", api.DB.App.PoolStats))
	leader := api.User(t, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700"})
	admin := api.User(t, hub.NewUser{Name: "root", Role: hub.Admin, Region: "370700"})

	if w := send(api.Handler, "POST", "/graphql", leader, gqlBody(`query CountyList { regions(level: COUNTY) { code } }`)); w.Code != 200 {
		t.Fatalf("query: %d %s", w.Code, w.Body)
	}
	send(api.Handler, "POST", "/graphql", "", gqlBody(`query Anon { regions { code } }`))
	send(api.Handler, "POST", "/graphql", leader, gqlBody(`{ nosuchfield }`))

	if w := send(api.Handler, "GET", "/metrics", "", ""); w.Code != http.StatusUnauthorized {
		t.Errorf("/metrics without a token: %d", w.Code)
	}
	if w := send(api.Handler, "GET", "/metrics", leader, ""); w.Code != http.StatusForbidden {
		t.Errorf("/metrics as a leader: %d", w.Code)
	}
	w := send(api.Handler, "GET", "/metrics", admin, "")
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics as admin: %d %s", w.Code, w.Body)
	}
	m := w.Body.String()
	for _, want := range []string{
		`hub_graphql_operations_total{operation="CountyList",type="query"} 1`,
		`hub_graphql_operation_duration_seconds_count{operation="CountyList",type="query"} 1`,
		`hub_graphql_errors_total{code="UNAUTHENTICATED"} 1`,
		`hub_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"} 1`,
		// A validation failure under application/json answers 200, as
		// GraphQL over HTTP asks (400 under application/graphql-response+json).
		`hub_http_requests_total{route="POST /graphql",status="200"} 3`,
		`hub_http_requests_total{route="GET /metrics",status="401"} 1`,
		`hub_db_pool_max_connections{pool="app"} 8`,
		`hub_db_pool_acquires_total{pool="app"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", m)
	}
}

func TestMetrics_ImportCountsForTheImporter(t *testing.T) {
	reg := metrics.New()
	reg.ImportFinished(metrics.ImportOK, metrics.ImportRows{Created: 3, Updated: 1})
	reg.ImportFinished(metrics.ImportRejected, metrics.ImportRows{Rejected: 2})
	var nilReg *metrics.Registry
	nilReg.ImportFinished(metrics.ImportOK, metrics.ImportRows{Created: 1}) // the CLI counts without a registry
	w := httptest.NewRecorder()
	reg.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{`hub_imports_total{outcome="ok"} 1`, `hub_imports_total{outcome="rejected"} 1`,
		`hub_import_rows_total{outcome="created"} 3`, `hub_import_rows_total{outcome="rejected"} 2`} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// A GraphQL read that waits past the statement timeout (here on a lock
// an owner transaction holds) ends with UNAVAILABLE and says it took too
// long, instead of hanging or failing with an internal error.
func TestStatementTimeout_BlockedGraphQLQueryIsUnavailable(t *testing.T) {
	api := apitest.New(t, apitest.Options{StatementTimeout: 300 * time.Millisecond})
	leader := api.User(t, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700"})
	owner := api.DB.OwnerConn(t)
	ctx := context.Background()
	tx, err := owner.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `LOCK TABLE data_values IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp := api.Do(t, leader, `{ dataValues(filter: {periods: ["2022"]}, first: 5) { totalCount } }`, nil)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v", took)
	}
	if resp.Code() != hub.EUNAVAILABLE || !strings.Contains(resp.Errors[0].Message, "took too long") {
		t.Fatalf("blocked query: %+v", resp.Errors)
	}
}

// Every line logged while serving a login, a failed login, bearer
// requests (good and bad tokens) and a session's pages is free of the
// tokens, passwords and cookie values involved.
func TestLogs_NeverContainTokensPasswordsOrCookies(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(server.WithRequestIDs(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	api := apitest.New(t, apitest.Options{Log: log})
	const password, wrong = "s3cret-Password-xyz", "wr0ng-Password-abc"
	pw := password
	token := api.User(t, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700", Password: &pw})
	badToken := "sph_" + strings.Repeat("Q", 43)
	secrets := []string{token, badToken, password, wrong}

	send(api.Handler, "POST", "/graphql", token, gqlBody(`{ me { name } }`))
	send(api.Handler, "POST", "/graphql", badToken, gqlBody(`{ me { name } }`))
	send(api.Handler, "GET", "/dashboard?period=2022", token, "")
	send(api.Handler, "GET", "/export/publicity.csv?period=2022", badToken, "")
	login := func(pass string) *httptest.ResponseRecorder {
		page := send(api.Handler, "GET", "/login", "", "")
		var csrf *http.Cookie
		for _, c := range page.Result().Cookies() {
			if c.Name == "hub_login_csrf" {
				csrf = c
			}
		}
		if csrf == nil {
			t.Fatal("no CSRF cookie on /login")
		}
		secrets = append(secrets, csrf.Value)
		form := url.Values{"username": {"lead"}, "password": {pass}, "csrf": {csrf.Value}}
		return send(api.Handler, "POST", "/login", "", form.Encode(), csrf)
	}
	if w := login(wrong); w.Code != http.StatusUnauthorized {
		t.Fatalf("failed login: %d", w.Code)
	}
	w := login(password)
	var session *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == "hub_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("login: %d, no session", w.Code)
	}
	secrets = append(secrets, session.Value)
	send(api.Handler, "GET", "/dashboard?period=2022", "", "", session)
	send(api.Handler, "GET", "/graphql?query="+url.QueryEscape("{ me { name } }"), token, "")

	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 8 {
		t.Fatalf("only %d log lines captured:\n%s", len(lines), out)
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("the log contains the secret %q", s[:min(len(s), 12)]+"…")
		}
	}
	for _, l := range lines {
		if strings.Contains(l, `"msg":"request"`) && !strings.Contains(l, `"request_id":"`) {
			t.Errorf("request line without request_id: %s", l)
		}
	}
}

// The schema's every mutation, called without a token or with a bad one,
// is refused with UNAUTHENTICATED: a mutation added later without a check
// fails this test. Arguments are made up from the schema so that the
// request passes validation and reaches the resolver layer.
func TestUnauthenticated_EveryMutationIsRefused(t *testing.T) {
	api := apitest.New(t, apitest.Options{Empty: true})
	schema := graph.NewExecutableSchema(graph.Config{Resolvers: &graph.Resolver{}}).Schema()
	if schema.Mutation == nil || len(schema.Mutation.Fields) < 3 {
		t.Fatal("no mutations found in the schema")
	}
	n := 0
	for _, f := range schema.Mutation.Fields {
		if strings.HasPrefix(f.Name, "__") {
			continue
		}
		n++
		q := "mutation { " + f.Name + args(schema, f.Arguments) + selection(schema, f.Type) + " }"
		for _, tok := range []string{"", "sph_not-a-real-token", "garbage"} {
			resp := api.Do(t, tok, q, nil)
			if resp.Code() != hub.EUNAUTHENTICATED {
				t.Errorf("%s with token %q: %+v (query %s)", f.Name, tok, resp.Errors, q)
				continue
			}
			var data map[string]any
			_ = json.Unmarshal(resp.Data, &data)
			if data != nil && data[f.Name] != nil {
				t.Errorf("%s returned data to an anonymous caller: %v", f.Name, data[f.Name])
			}
		}
	}
	t.Logf("%d mutations checked", n)
}

func args(s *gql.Schema, defs gql.ArgumentDefinitionList) string {
	var parts []string
	for _, a := range defs {
		if a.Type.NonNull && a.DefaultValue == nil {
			parts = append(parts, a.Name+": "+literal(s, a.Type, 0))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// literal returns a valid GraphQL value of type t.
func literal(s *gql.Schema, t *gql.Type, depth int) string {
	if t.Elem != nil {
		return "[" + literal(s, t.Elem, depth) + "]"
	}
	def := s.Types[t.NamedType]
	switch {
	case def.Kind == gql.Enum:
		return def.EnumValues[0].Name
	case def.Kind == gql.InputObject:
		var fs []string
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil && depth < 5 {
				fs = append(fs, f.Name+": "+literal(s, f.Type, depth+1))
			}
		}
		return "{" + strings.Join(fs, ", ") + "}"
	}
	switch t.NamedType {
	case "Int":
		return "1"
	case "Float":
		return "1.5"
	case "Boolean":
		return "true"
	case "Time":
		return strconv.Quote("2024-01-01T00:00:00Z")
	}
	return strconv.Quote("x")
}

func selection(s *gql.Schema, t *gql.Type) string {
	for t.Elem != nil {
		t = t.Elem
	}
	switch s.Types[t.NamedType].Kind {
	case gql.Object, gql.Interface, gql.Union:
		return " { __typename }"
	}
	return ""
}

// Every /export route registered anywhere in the code base refuses a
// caller without a token, or with a bad one, with 401. The routes are
// found in the source, so a new export is checked without editing this
// test.
func TestUnauthenticated_EveryExportRouteIsRefused(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	routes := exportRoutes(t)
	if len(routes) < 3 {
		t.Fatalf("found only %v", routes)
	}
	fill := regexp.MustCompile(`\{[^}]+\}`)
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		var targets []string
		if fill.MatchString(path) {
			for _, name := range []string{"comparison.csv", "comparison.xlsx", "ranking.csv", "values.xlsx", "nosuch.csv"} {
				targets = append(targets, fill.ReplaceAllString(path, name))
			}
		} else {
			targets = []string{path}
		}
		for _, target := range targets {
			for _, tok := range []string{"", "sph_not-a-real-token"} {
				w := send(api.Handler, method, target+"?period=2022", tok, "")
				if w.Code != http.StatusUnauthorized {
					t.Errorf("%s %s with token %q: status %d, want 401: %.200s", method, target, tok, w.Code, w.Body)
				}
			}
		}
	}
	t.Logf("export routes checked: %v", routes)
}

// exportRoutes returns the "METHOD /export/..." patterns in the module's
// non-test Go files.
func exportRoutes(t *testing.T) []string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	pat := regexp.MustCompile(`^(GET|POST|PUT|DELETE|PATCH)? ?(/export/\S*)$`)
	seen := map[string]bool{}
	var out []string
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			return fmt.Errorf("parse %s: %w", p, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if m := pat.FindStringSubmatch(v); err == nil && m != nil {
				method := m[1]
				if method == "" {
					method = "GET"
				}
				if r := method + " " + m[2]; !seen[r] {
					seen[r] = true
					out = append(out, r)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
