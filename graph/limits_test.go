package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/sixprot/hub/internal/hub"
)

func TestDepthLimitRefusesDeepQueriesWithQueryTooComplex(t *testing.T) {
	srv := NewHandler(&Resolver{}, slog.New(slog.NewTextHandler(io.Discard, nil)), Limits{Complexity: 1 << 30, Depth: 3}) // cost out of the way: depth alone
	post := func(q string) string {
		body := `{"query":` + `"` + q + `"}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	deep := post("{ regions { children { children { code } } } }")
	if !strings.Contains(deep, "QUERY_TOO_COMPLEX") {
		t.Fatalf("4 levels with limit 3: %s", deep)
	}
	ok := post("{ regions { children { code } } }")
	if strings.Contains(ok, "QUERY_TOO_COMPLEX") {
		t.Fatalf("3 levels with limit 3 refused: %s", ok)
	}
	frag := post("query { regions { ...F } } fragment F on Region { children { children { code } } }")
	if !strings.Contains(frag, "QUERY_TOO_COMPLEX") {
		t.Fatalf("depth through a fragment not counted: %s", frag)
	}
}

func TestAutomaticPersistedQueriesAreRememberedByHash(t *testing.T) {
	srv := NewHandler(&Resolver{}, slog.New(slog.NewTextHandler(io.Discard, nil)), DefaultLimits)
	const q = "{ __typename }"
	sum := sha256.Sum256([]byte(q))
	ext := `"extensions":{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
	post := func(body string) string {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	if got := post(`{` + ext + `}`); !strings.Contains(got, "PERSISTED_QUERY_NOT_FOUND") {
		t.Fatalf("unknown hash: %s", got)
	}
	if got := post(`{"query":"` + q + `",` + ext + `}`); !strings.Contains(got, `"__typename":"Query"`) {
		t.Fatalf("register: %s", got)
	}
	if got := post(`{` + ext + `}`); !strings.Contains(got, `"__typename":"Query"`) {
		t.Fatalf("hash only after registration: %s", got)
	}
}

// limitsResponse is a GraphQL answer of the handler alone (no services).
type limitsResponse struct {
	status int
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

func (r limitsResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// postLimits sends query (and vars) to a handler over an empty resolver:
// anonymously, or signed in as p. Limits are checked before any resolver,
// so an operation that passes them ends UNAUTHENTICATED (anonymous) or in
// a resolver's nil service (signed in), never in a service call.
func postLimits(t testing.TB, srv http.Handler, p *hub.Principal, query string, vars map[string]any) limitsResponse {
	t.Helper()
	rec := serveQuery(srv, p, query, vars)
	var resp limitsResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("not JSON (status %d): %.300s", rec.Code, rec.Body.String())
	}
	resp.status = rec.Code
	return resp
}

func quietHandler() http.Handler {
	return NewHandler(&Resolver{}, slog.New(slog.NewTextHandler(io.Discard, nil)), DefaultLimits)
}

var leaderPrincipal = &hub.Principal{Name: "leader", Role: hub.Leader, Region: "370700"}

func TestCost_AliasAmplificationIsRefused(t *testing.T) {
	srv := quietHandler()
	page := func(i int) string {
		return fmt.Sprintf("a%d: dataValues(filter: {}, first: 1000) { edges { node { id value } } }\n", i)
	}
	var many strings.Builder
	many.WriteString("{")
	for i := range 30 {
		many.WriteString(page(i))
	}
	many.WriteString("}")
	for _, p := range []*hub.Principal{nil, leaderPrincipal} {
		if got := postLimits(t, srv, p, many.String(), nil); got.code() != hub.ETOOCOMPLEX {
			t.Fatalf("30 pages of 1,000 (signed in: %v): %+v", p != nil, got.Errors)
		}
	}
	// The page size counts through a variable, and through a fragment.
	viaVar := `query($n: Int) { a: dataValues(filter: {}, first: $n) { ...P } b: dataValues(filter: {}, first: $n) { ...P }
	  c: dataValues(filter: {}, first: $n) { ...P } d: dataValues(filter: {}, first: $n) { ...P }
	  e: dataValues(filter: {}, first: $n) { ...P } f: dataValues(filter: {}, first: $n) { ...P } }
	  fragment P on DataValueConnection { edges { node { id value status version period } } }`
	if got := postLimits(t, srv, nil, viaVar, map[string]any{"n": 1000}); got.code() != hub.ETOOCOMPLEX {
		t.Fatalf("6 pages of 1,000 through a variable and a fragment: %+v", got.Errors)
	}
	if got := postLimits(t, srv, nil, viaVar, map[string]any{"n": 100}); got.code() == hub.ETOOCOMPLEX {
		t.Fatalf("6 pages of 100 refused: %+v", got.Errors)
	}
	// One full page with its indicator and region is a normal query.
	one := `{ dataValues(filter: {}, first: 1000) { totalCount edges { cursor node { id value qualifier status version comment
	  updatedAt updatedBy statusReason source period indicator { key name unit } region { code name } } } } }`
	if got := postLimits(t, srv, nil, one, nil); got.code() != hub.EUNAUTHENTICATED {
		t.Fatalf("one page of 1,000: %+v", got.Errors)
	}
}

func TestCost_UnpagedListsMultiply(t *testing.T) {
	srv := quietHandler()
	for name, q := range map[string]string{
		"region tree":   `{ regions { children { children { children { code name } } } } }`,
		"many profiles": `query($r: [ID!]!) { protectionProfile(regions: $r, period: "2022") { region { children { children { code name nameEn level } } } } }`,
		"comparison":    `{ a: comparison(indicator: "x", period: "2022") { region { children { children { code name } } } } }`,
	} {
		regions := make([]string, hub.MaxRegionsPerQuery)
		if got := postLimits(t, srv, nil, q, map[string]any{"r": regions}); got.code() != hub.ETOOCOMPLEX {
			t.Errorf("%s: %+v", name, got.Errors)
		}
	}
}

// TestCost_DocumentedQueriesPass runs the cost estimate and the document
// bounds over every GraphQL example of README.md and docs/.
func TestCost_DocumentedQueriesPass(t *testing.T) {
	schema := NewExecutableSchema(Config{Resolvers: &Resolver{}}).Schema()
	files, _ := filepath.Glob("../docs/*.md")
	files = append(files, "../README.md")
	block := regexp.MustCompile("(?s)```graphql\n(.*?)```")
	found := 0
	for _, name := range files {
		text, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range block.FindAllStringSubmatch(string(text), -1) {
			doc, err := parser.ParseQuery(&ast.Source{Input: m[1]})
			if err != nil {
				t.Fatalf("%s: %v\n%s", name, err, m[1])
			}
			if errs := validator.Validate(schema, doc); len(errs) > 0 {
				// A block is pasted whole into a client: several anonymous
				// operations in one block fail there (issue 17).
				t.Errorf("%s: %v\n%s", name, errs, m[1])
			}
			if n, _ := expandedFields(doc, DefaultLimits.Fields); n > DefaultLimits.Fields {
				t.Errorf("%s: %d fields", name, n)
			}
			for _, op := range doc.Operations {
				found++
				if c := operationCost(op, nil, DefaultLimits.Complexity); c > DefaultLimits.Complexity/2 {
					t.Errorf("%s: an example costs %d, more than half the limit %d", name, c, DefaultLimits.Complexity)
				}
			}
		}
	}
	if found < 10 {
		t.Fatalf("only %d documented operations found", found)
	}
}

func TestArgumentBounds_LongListsAreRefusedBeforeAnyService(t *testing.T) {
	srv := quietHandler()
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprint(370000 + i)
		}
		return out
	}
	inputs := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"indicator": "x", "region": "370702", "period": "2022", "value": 1}
		}
		return out
	}
	cases := []struct {
		name, query, arg string
		vars, ok         map[string]any
	}{
		{"trend", `query($r: [ID!]!) { trend(indicator: "x", regions: $r, from: "2019", to: "2022") { points { value } } }`, "trend.regions",
			map[string]any{"r": ids(9000)}, map[string]any{"r": ids(hub.MaxRegionsPerQuery)}},
		{"protectionProfile", `query($r: [ID!]!) { protectionProfile(regions: $r, period: "2022") { scores { score } } }`, "protectionProfile.regions",
			map[string]any{"r": ids(hub.MaxRegionsPerQuery + 1)}, map[string]any{"r": ids(hub.MaxRegionsPerQuery)}},
		{"transition", `mutation($i: [ID!]!) { transition(ids: $i, to: SUBMITTED) { id } }`, "transition.ids",
			map[string]any{"i": ids(hub.MaxIDsPerRequest + 1)}, map[string]any{"i": ids(10)}},
		{"publish", `mutation($i: [ID!]!) { publish(ids: $i, title: "t") { id } }`, "publish.ids",
			map[string]any{"i": ids(hub.MaxIDsPerRequest + 1)}, map[string]any{"i": ids(10)}},
		{"setReleasable", `mutation($i: [ID!]!) { setReleasable(ids: $i, releasable: true) }`, "setReleasable.ids",
			map[string]any{"i": ids(hub.MaxIDsPerRequest + 1)}, map[string]any{"i": ids(10)}},
		{"submitValues", `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { created } }`, "submitValues.input",
			map[string]any{"in": inputs(hub.MaxSubmitValues + 1)}, map[string]any{"in": inputs(10)}},
		{"shareIndicators", `mutation($i: [ID!]) { shareIndicators(withDepartment: "d", indicators: $i) }`, "shareIndicators.indicators",
			map[string]any{"i": ids(hub.MaxListArgument + 1)}, map[string]any{"i": ids(10)}},
		{"auditLog filter", `query($r: [String!]) { auditLog(filter: {actors: $r}) { totalCount } }`, "auditLog.filter.actors",
			map[string]any{"r": ids(hub.MaxFilterValues + 1)}, map[string]any{"r": ids(10)}},
		{"first too large", `query($n: Int) { dataValues(filter: {}, first: $n) { totalCount } }`, "dataValues.first",
			map[string]any{"n": hub.MaxPageSize + 1}, map[string]any{"n": hub.MaxPageSize}},
		{"first zero", `query($n: Int) { auditLog(first: $n) { totalCount } }`, "auditLog.first",
			map[string]any{"n": 0}, map[string]any{"n": 1}},
	}
	for _, f := range []string{"indicators", "regions", "periods", "departments"} {
		cases = append(cases, struct {
			name, query, arg string
			vars, ok         map[string]any
		}{"dataValues filter " + f, `query($l: [` + map[bool]string{true: "String", false: "ID"}[f == "periods"] + `!]) { dataValues(filter: {` + f + `: $l}) { totalCount } }`,
			"dataValues.filter." + f, map[string]any{"l": ids(hub.MaxFilterValues + 1)}, map[string]any{"l": ids(10)}})
	}
	statuses := make([]string, hub.MaxFilterValues+1)
	for i := range statuses {
		statuses[i] = "DRAFT"
	}
	cases = append(cases, struct {
		name, query, arg string
		vars, ok         map[string]any
	}{"dataValues filter statuses (literal)", `{ dataValues(filter: {statuses: [` + strings.Repeat("DRAFT ", hub.MaxFilterValues+1) + `]}) { totalCount } }`,
		"dataValues.filter.statuses", nil, nil})
	for _, c := range cases {
		for _, p := range []*hub.Principal{nil, leaderPrincipal} {
			got := postLimits(t, srv, p, c.query, c.vars)
			if got.code() != hub.EINVALID || !strings.Contains(got.Errors[0].Message, c.arg) {
				t.Errorf("%s (signed in %v): %+v", c.name, p != nil, got.Errors)
			}
			if c.ok == nil {
				continue
			}
			// At the bound the request goes on: anonymous callers are
			// then refused for who they are, not for the list.
			if got := postLimits(t, srv, nil, c.query, c.ok); got.code() != hub.EUNAUTHENTICATED {
				t.Errorf("%s at the bound: %+v", c.name, got.Errors)
			}
		}
	}
}

// fragmentBomb returns a document whose fragment i spreads fragment i-1
// three times: 3^levels fields once expanded, a few hundred bytes of text.
func fragmentBomb(levels int) string {
	var b strings.Builder
	b.WriteString("query { me { ...F" + fmt.Sprint(levels) + " } }\n")
	b.WriteString("fragment F0 on Principal { name }\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on Principal { ...F%d ...F%d ...F%d }\n", i, i-1, i-1, i-1)
	}
	return b.String()
}

// mergeBomb returns a document whose fragment i selects the same alias
// twice, each spreading fragment i-1: 2^levels fields once expanded, and
// pairs for gqlparser's OverlappingFieldsCanBeMerged to compare at every
// level.
func mergeBomb(levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query { me { region { ...R%d } } }\nfragment R0 on Region { code }\n", levels)
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment R%d on Region { b: parent { ...R%d } b: parent { ...R%d } }\n", i, i-1, i-1)
	}
	return b.String()
}

func TestDocumentLimit_FragmentBombIsRefusedFast(t *testing.T) {
	srv := quietHandler()
	for name, bomb := range map[string]string{"3 spreads × 15 levels": fragmentBomb(15), "same alias × 2, 30 levels": mergeBomb(30)} {
		for _, p := range []*hub.Principal{nil, leaderPrincipal} {
			postLimits(t, srv, p, "{ __typename }", nil) // warm up
			start := time.Now()
			got := postLimits(t, srv, p, bomb, nil)
			took := time.Since(start)
			// Refused by the document's bound, before gqlgen parses and
			// validates it (the cost estimate, memoised too, would refuse
			// it later).
			if got.code() != hub.ETOOCOMPLEX || !strings.Contains(got.Errors[0].Message, "fragments are expanded") {
				t.Fatalf("%s (signed in %v): %+v", name, p != nil, got.Errors)
			}
			// Timings are printed, not asserted (shared machines are noisy):
			// the message above proves the refusal came before expansion.
			t.Logf("%s (signed in %v) refused in %v: %s", name, p != nil, took, got.Errors[0].Message)
		}
	}
	// A cycle is refused without looping.
	cyc := "query { me { ...A } } fragment A on Principal { ...B } fragment B on Principal { name ...A }"
	if got := postLimits(t, srv, nil, cyc, nil); got.code() == "" {
		t.Fatalf("fragment cycle: %+v", got)
	}
	// Small fragment trees pass.
	if got := postLimits(t, srv, leaderPrincipal, fragmentBomb(3), nil); len(got.Errors) > 0 {
		t.Fatalf("27 fields through fragments: %+v", got.Errors)
	}
}

// TestDocumentLimit_WideDocumentsValidateFast checks that gqlparser's own
// validation (OverlappingFieldsCanBeMerged compares fields of the same name
// pairwise) stays fast on the widest documents the limits let through, and
// that wider ones are refused before it runs.
func TestDocumentLimit_WideDocumentsValidateFast(t *testing.T) {
	srv := quietHandler()
	wide := func(n int, field func(int) string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			b.WriteString(field(i))
		}
		b.WriteString("}")
		return b.String()
	}
	cases := map[string]func(int) string{
		"same field": func(int) string { return " me { name }" },
		"same alias": func(i int) string {
			return fmt.Sprintf(" x: me { name%s }", map[bool]string{true: " role", false: ""}[i%2 == 0])
		},
		"distinct aliases":  func(i int) string { return fmt.Sprintf(" a%d: me { name }", i) },
		"same scalar alias": func(i int) string { return " x: __typename" },
		// 50 keys, each repeated as often as allowed.
		"repeated groups": func(i int) string { return fmt.Sprintf(" k%d: me { name }", i%50) },
	}
	for name, field := range cases {
		for _, n := range []int{maxRepeatedKey, DefaultLimits.Fields / 2, 30000} {
			n = min(n, (DefaultLimits.QueryBytes-2)/len(field(1)))
			doc := wide(n, field)
			start := time.Now()
			got := postLimits(t, srv, leaderPrincipal, doc, nil)
			took := time.Since(start)
			t.Logf("%s × %d (%d bytes): %v %s", name, n, len(doc), took, got.code())
			// A key repeated more often than maxRepeatedKey never reaches
			// gqlparser's pairwise check: refused by the document bound.
			if repeats := n; name != "distinct aliases" && name != "repeated groups" && repeats > maxRepeatedKey && got.code() != hub.ETOOCOMPLEX {
				t.Errorf("%s × %d: reached validation (%s after %v)", name, n, got.code(), took)
			}
			if got.status >= 500 || got.code() == hub.EINTERNAL {
				t.Errorf("%s × %d: %d %+v", name, n, got.status, got.Errors)
			}
		}
	}
}

// TestCost_RegionListsCountTheirLevel: a list of every region or of the
// villages costs what it returns (thousands), so aliases of it are refused
// before any SQL, while a search, a parent's children and the counties
// stay cheap.
func TestCost_RegionListsCountTheirLevel(t *testing.T) {
	srv := quietHandler()
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 10 {
		fmt.Fprintf(&aliases, " a%d: regions { code }", i)
	}
	aliases.WriteString(" }")
	// A comparison ranks at most hub.MaxComparisonRows regions: twelve
	// aliases of a village comparison are 30,000 rows.
	var comparisons strings.Builder
	comparisons.WriteString("{")
	for i := range 12 {
		fmt.Fprintf(&comparisons, ` c%d: comparison(indicator: "x", period: "2022", parent: "370781", level: VILLAGE) { value }`, i)
	}
	comparisons.WriteString(" }")
	for _, q := range []string{aliases.String(),
		`{ a: regions(level: VILLAGE) { code name } b: regions(level: VILLAGE) { code name } }`,
		comparisons.String()} {
		if got := postLimits(t, srv, leaderPrincipal, q, nil); got.code() != hub.ETOOCOMPLEX {
			t.Errorf("%.60s…: %+v, want QUERY_TOO_COMPLEX", q, got.Errors)
		}
	}
	for _, q := range []string{`{ regions(search: "青州") { code name level } }`, `{ regions(parent: "370781") { code name children { code } } }`,
		`{ regions(level: COUNTY) { code name children { code name } } }`} {
		if got := postLimits(t, srv, leaderPrincipal, q, nil); got.code() == hub.ETOOCOMPLEX {
			t.Errorf("%s: refused as too complex", q)
		}
	}
}
