package graph

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// clientMistake is one malformed request of TestErrors_ClientMistakesHaveCodes.
type clientMistake struct {
	name        string
	method      string
	contentType string
	body        string
	query       url.Values // GET
	// code is the code every error must carry ("" : any code but INTERNAL).
	code string
}

func jsonBody(v map[string]any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func clientMistakes() []clientMistake {
	q := func(query string, extra map[string]any) string {
		m := map[string]any{"query": query}
		for k, v := range extra {
			m[k] = v
		}
		return jsonBody(m)
	}
	const ct = "application/json"
	return []clientMistake{
		{"syntax error", "POST", ct, q(`{ me { name `, nil), nil, "GRAPHQL_PARSE_FAILED"},
		{"unknown field", "POST", ct, q(`{ nope }`, nil), nil, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown argument", "POST", ct, q(`{ me(x: 1) { name } }`, nil), nil, "GRAPHQL_VALIDATION_FAILED"},
		{"unknown operation name", "POST", ct, q(`query A { me { name } }`, map[string]any{"operationName": "B"}), nil, ""},
		{"several operations, no name", "POST", ct, q(`query A { me { name } } query B { me { name } }`, nil), nil, ""},
		{"variable of the wrong type", "POST", ct, q(`query($n: Int) { auditLog(first: $n) { totalCount } }`, map[string]any{"variables": map[string]any{"n": "abc"}}), nil, ""},
		{"missing required variable", "POST", ct, q(`query($f: DataValueFilter!) { dataValues(filter: $f) { totalCount } }`, nil), nil, ""},
		{"variable of an unknown type", "POST", ct, q(`query($x: Nope) { me { name } }`, nil), nil, "GRAPHQL_VALIDATION_FAILED"},
		{"malformed Time literal", "POST", ct, q(`{ auditLog(filter: {from: "2022-01-01"}) { totalCount } }`, nil), nil, hub.EINVALID},
		{"malformed Time variable", "POST", ct, q(`query($f: Time) { auditLog(filter: {from: $f}) { totalCount } }`, map[string]any{"variables": map[string]any{"f": "yesterday"}}), nil, hub.EINVALID},
		{"Upload that is not a file", "POST", ct, q(`mutation($f: Upload!) { importValues(file: $f) { created } }`, map[string]any{"variables": map[string]any{"f": "not a file"}}), nil, hub.EINVALID},
		{"bad enum value", "POST", ct, q(`mutation { transition(ids: ["1"], to: NOPE) { id } }`, nil), nil, "GRAPHQL_VALIDATION_FAILED"},
		{"Int overflow", "POST", ct, q(`{ auditLog(first: 99999999999) { totalCount } }`, nil), nil, ""},
		{"first: 0", "POST", ct, q(`{ auditLog(first: 0) { totalCount } }`, nil), nil, hub.EINVALID},
		{"first: 0 on values", "POST", ct, q(`{ dataValues(filter: {}, first: 0) { totalCount } }`, nil), nil, hub.EINVALID},
		{"malformed cursor", "POST", ct, q(`{ auditLog(after: "zzz") { totalCount } }`, nil), nil, hub.EINVALID},
		{"JSON batch", "POST", ct, `[{"query":"{ me { name } }"},{"query":"{ me { name } }"}]`, nil, hub.EINVALID},
		{"invalid JSON", "POST", ct, `{"query": `, nil, ""},
		{"empty body", "POST", ct, ``, nil, ""},
		{"no query", "POST", ct, `{}`, nil, ""},
		{"query not a string", "POST", ct, `{"query": 1}`, nil, ""},
		{"variables not an object", "POST", ct, `{"query": "{ me { name } }", "variables": [1]}`, nil, ""},
		{"unknown persisted query", "POST", ct, q(``, map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("a", 64)}}}), nil, "PERSISTED_QUERY_NOT_FOUND"},
		{"GET without a query", "GET", "", "", url.Values{}, ""},
		{"GET with malformed variables", "GET", "", "", url.Values{"query": {`{ me { name } }`}, "variables": {`{`}}, ""},
		{"too deep", "POST", ct, q(`{ regions { children { children { children { children { children { children { children { children { children { children { children { children { code } } } } } } } } } } } } } }`, nil), nil, hub.ETOOCOMPLEX},
		{"multipart without map", "POST", "multipart", "", nil, hub.EINVALID},
	}
}

// TestErrors_ClientMistakesHaveCodes: every malformed request is answered
// with errors that all carry extensions.code, none INTERNAL, none naming a
// Go type or echoing the body, for callers signed in and not.
func TestErrors_ClientMistakesHaveCodes(t *testing.T) {
	srv := quietHandler()
	for _, c := range clientMistakes() {
		for _, p := range []*hub.Principal{leaderPrincipal, nil} {
			status, body := sendMistake(t, srv, p, c)
			var resp struct {
				Errors []struct {
					Message    string
					Extensions map[string]any
				}
			}
			if err := json.Unmarshal(body, &resp); err != nil || len(resp.Errors) == 0 {
				t.Errorf("%s (signed in %v): %d not a GraphQL error response: %.300s", c.name, p != nil, status, body)
				continue
			}
			for _, e := range resp.Errors {
				code, _ := e.Extensions["code"].(string)
				switch {
				case code == "":
					t.Errorf("%s (signed in %v): an error without a code: %q", c.name, p != nil, e.Message)
				case code == hub.EINTERNAL:
					t.Errorf("%s (signed in %v): INTERNAL: %q", c.name, p != nil, e.Message)
				case p != nil && c.code != "" && code != c.code:
					t.Errorf("%s: code %s, want %s: %q", c.name, code, c.code, e.Message)
				}
				if strings.Contains(e.Message, "[]interface") || strings.Contains(e.Message, "map[string]") ||
					strings.Contains(e.Message, "graphql.RawParams") || strings.Contains(e.Message, "json: cannot unmarshal") ||
					(len(c.body) > 20 && strings.Contains(e.Message, c.body)) {
					t.Errorf("%s: the message names a Go type or echoes the body: %q", c.name, e.Message)
				}
			}
			if status >= 500 {
				t.Errorf("%s: status %d", c.name, status)
			}
		}
	}
}

func sendMistake(t *testing.T, srv http.Handler, p *hub.Principal, c clientMistake) (int, []byte) {
	t.Helper()
	var req *http.Request
	switch {
	case c.method == "GET":
		req = httptest.NewRequest(http.MethodGet, "/graphql?"+c.query.Encode(), nil)
	case c.contentType == "multipart":
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("operations", `{"query": "mutation($f: Upload!) { importValues(file: $f) { created } }", "variables": {"f": null}}`)
		_ = mw.Close()
		req = httptest.NewRequest(http.MethodPost, "/graphql", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
	default:
		req = httptest.NewRequest(c.method, "/graphql", strings.NewReader(c.body))
		req.Header.Set("Content-Type", c.contentType)
	}
	if p != nil {
		req = req.WithContext(hub.NewContext(req.Context(), p))
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}
