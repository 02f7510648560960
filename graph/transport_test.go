package graph

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sixprot/hub/internal/hub"
)

// sendHTTP sends one request to srv as leaderPrincipal and returns the
// recorder and the decoded body's top-level keys.
func sendHTTP(t *testing.T, srv http.Handler, method, target, accept, body string) (*httptest.ResponseRecorder, map[string]json.RawMessage) {
	t.Helper()
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	r = r.WithContext(hub.NewContext(r.Context(), leaderPrincipal))
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	var out map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: not JSON (%d): %s", method, target, w.Code, w.Body)
	}
	return w, out
}

func firstCode(t *testing.T, out map[string]json.RawMessage) string {
	t.Helper()
	var errs []struct{ Extensions map[string]any }
	_ = json.Unmarshal(out["errors"], &errs)
	if len(errs) == 0 {
		return ""
	}
	c, _ := errs[0].Extensions["code"].(string)
	return c
}

func TestHTTP_GETMutationIs405AllowPOST(t *testing.T) {
	srv := quietHandler()
	q := url.Values{"query": {`mutation { setReleasable(ids: ["1"], releasable: true) }`}}
	w, out := sendHTTP(t, srv, http.MethodGet, "/graphql?"+q.Encode(), "", "")
	if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "POST" || firstCode(t, out) != hub.EINVALID {
		t.Fatalf("GET mutation: %d Allow %q %s", w.Code, w.Header().Get("Allow"), w.Body)
	}
	if _, ok := out["data"]; ok {
		t.Errorf("GET mutation answered data: %s", w.Body)
	}
	// Several operations, the chosen one a mutation: refused too.
	q = url.Values{"query": {`query A { __typename } mutation B { setReleasable(ids: ["1"], releasable: true) }`}, "operationName": {"B"}}
	if w, _ := sendHTTP(t, srv, http.MethodGet, "/graphql?"+q.Encode(), "", ""); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET of a named mutation: %d", w.Code)
	}
	q = url.Values{"query": {`query A { __typename } mutation B { setReleasable(ids: ["1"], releasable: true) }`}, "operationName": {"A"}}
	if w, _ := sendHTTP(t, srv, http.MethodGet, "/graphql?"+q.Encode(), "", ""); w.Code != http.StatusOK {
		t.Errorf("GET of the query next to a mutation: %d %s", w.Code, w.Body)
	}
	if w, out := sendHTTP(t, srv, http.MethodPut, "/graphql", "", `{"query":"{ __typename }"}`); w.Code != http.StatusMethodNotAllowed ||
		w.Header().Get("Allow") != "GET, POST" || firstCode(t, out) != hub.EINVALID {
		t.Errorf("PUT: %d %q %s", w.Code, w.Header().Get("Allow"), w.Body)
	}
}

func TestHTTP_AcceptNegotiationFollowsQValues(t *testing.T) {
	srv := quietHandler()
	for accept, want := range map[string]string{
		"":                       hub.MediaJSON,
		"*/*":                    hub.MediaJSON,
		hub.MediaGraphQLResponse: hub.MediaGraphQLResponse,
		hub.MediaJSON:            hub.MediaJSON,
		hub.MediaGraphQLResponse + ", " + hub.MediaJSON:       hub.MediaGraphQLResponse,
		hub.MediaGraphQLResponse + ";q=0.4, " + hub.MediaJSON: hub.MediaJSON,
		hub.MediaJSON + ";q=0.4, " + hub.MediaGraphQLResponse: hub.MediaGraphQLResponse,
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			target, body := "/graphql?query="+url.QueryEscape("{ __typename }"), ""
			if method == http.MethodPost {
				target, body = "/graphql", `{"query":"{ __typename }"}`
			}
			w, _ := sendHTTP(t, srv, method, target, accept, body)
			if ct := w.Header().Get("Content-Type"); w.Code != http.StatusOK || ct != want+"; charset=utf-8" {
				t.Errorf("%s Accept %q: %d %q, want %s", method, accept, w.Code, ct, want)
			}
		}
	}
}

// TestHTTP_RequestErrorsHaveNoData: parse, validation, variable coercion
// and limit errors answer without "data": 400 under
// application/graphql-response+json, 200 under application/json.
func TestHTTP_RequestErrorsHaveNoData(t *testing.T) {
	srv := quietHandler()
	deep := `{ regions { children { children { children { children { children { children { children { children { children { children { children { children { code } } } } } } } } } } } } } }`
	for name, c := range map[string]struct{ body, code string }{
		"parse":      {jsonBody(map[string]any{"query": `{ me { `}), "GRAPHQL_PARSE_FAILED"},
		"validation": {jsonBody(map[string]any{"query": `{ nope }`}), "GRAPHQL_VALIDATION_FAILED"},
		"variables": {jsonBody(map[string]any{"query": `query($n: Int) { auditLog(first: $n) { totalCount } }`,
			"variables": map[string]any{"n": "x"}}), ""},
		"depth":        {jsonBody(map[string]any{"query": deep}), hub.ETOOCOMPLEX},
		"invalid JSON": {`{"query": `, hub.EINVALID},
		"no query":     {`{"qeury": "{ __typename }"}`, hub.EINVALID},
	} {
		for accept, status := range map[string]int{hub.MediaGraphQLResponse: http.StatusBadRequest, hub.MediaJSON: http.StatusOK} {
			w, out := sendHTTP(t, srv, http.MethodPost, "/graphql", accept, c.body)
			if name == "invalid JSON" || name == "no query" {
				status = http.StatusBadRequest // not a well-formed request under either type
			}
			code := firstCode(t, out)
			if w.Code != status || code == "" || (c.code != "" && code != c.code) {
				t.Errorf("%s under %s: %d code %q, want %d %s: %s", name, accept, w.Code, code, status, c.code, w.Body)
			}
			if _, ok := out["data"]; ok {
				t.Errorf("%s under %s: the answer has data: %s", name, accept, w.Body)
			}
		}
	}
	// A field error is not a request error: data, and 200 under either type.
	for _, accept := range []string{hub.MediaGraphQLResponse, hub.MediaJSON} {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { name } }"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Accept", accept)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, r) // anonymous: UNAUTHENTICATED at the field
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"data"`) {
			t.Errorf("field error under %s: %d %s", accept, w.Code, w.Body)
		}
	}
}

// TestHTTP_BodyOverTheEdgeLimitIs413: when the edge bounds the body
// (http.MaxBytesReader), the transport answers 413 REQUEST_TOO_LARGE in
// the accepted media type.
func TestHTTP_BodyOverTheEdgeLimitIs413(t *testing.T) {
	srv := quietHandler()
	bounded := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 100)
		srv.ServeHTTP(w, r)
	})
	w, out := sendHTTP(t, bounded, http.MethodPost, "/graphql", hub.MediaGraphQLResponse,
		jsonBody(map[string]any{"query": "{ __typename }", "variables": map[string]any{"pad": strings.Repeat("x", 200)}}))
	if w.Code != http.StatusRequestEntityTooLarge || firstCode(t, out) != hub.ETOOLARGE ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), hub.MediaGraphQLResponse) {
		t.Errorf("%d %q %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
}

// TestEncodeResponse_AsEncoderWrites: the response writer's shortcut writes
// the bytes json.Encoder would.
func TestEncodeResponse_AsEncoderWrites(t *testing.T) {
	yes := true
	for _, resp := range []*graphql.Response{
		{Data: json.RawMessage(`{"dataValues":{"totalCount":3,"edges":[{"node":{"id":"1","value":1.5,"region":{"name":"奎文区"}}}]}}`)},
		{Data: json.RawMessage(`null`)},
		// gqlgen hands every response a map of extensions, empty unless
		// an extension wrote one (graphql.GetExtensions).
		{Data: json.RawMessage(`{"a":[1,2]}`), Extensions: map[string]any{}},
		{Data: json.RawMessage(`{"a":"<b>&amp;</b>"}`)},
		{Data: json.RawMessage("{\"a\":\"line\u2028separator — dash\"}")},
		{Data: json.RawMessage(`{"a":1}`), Errors: gqlerror.List{{Message: "x"}}},
		{Data: json.RawMessage(`{"a":1}`), HasNext: &yes, Label: "l", Extensions: map[string]any{"k": 1}},
	} {
		var want, got bytes.Buffer
		_ = json.NewEncoder(&want).Encode(resp)
		encodeResponse(&got, resp)
		if got.String() != want.String() {
			t.Errorf("wrote %s, json.Encoder writes %s", got.String(), want.String())
		}
	}
}
