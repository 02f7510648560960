package server

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/hub"
)

// FuzzBearerToken: any Authorization header is either refused or yields a
// non-empty token without surrounding blanks that the header ends with.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer sph_abc", "Bearer  sph_abc ", "bearer sph_abc", "Bearer ", "Bearer", "Basic dXNlcjpwYXNz",
		"", "Bearer \t", "Bearer sph_a b", "Bearer\tsph_x", "BearerBearer x", "Bearer 令牌"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := bearerToken(h)
		if !ok {
			return
		}
		if tok == "" || tok != strings.TrimSpace(tok) || !strings.HasPrefix(h, "Bearer ") || !strings.Contains(h, tok) {
			t.Fatalf("bearerToken(%q) = %q", h, tok)
		}
	})
}

// recordingAuth accepts no token and records what it was asked.
type recordingAuth struct{ got []string }

func (a *recordingAuth) Authenticate(_ context.Context, token string) (*hub.Principal, error) {
	a.got = append(a.got, token)
	return nil, hub.Errorf(hub.EUNAUTHENTICATED, "invalid token")
}

// FuzzAuthorizationHeader: whatever the header, the edge's authentication
// never lets a request through with a principal it did not get
// from AuthService, never panics, and answers /metrics with 401.
func FuzzAuthorizationHeader(f *testing.F) {
	for _, s := range []string{"Bearer sph_abc", "Bearer ", "Basic x", "", "Bearer \x00", "Bearer sph_" + strings.Repeat("A", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if !utf8.ValidString(h) || strings.ContainsAny(h, "\r\n") {
			return // net/http refuses such headers before any handler
		}
		auth := &recordingAuth{}
		e := &edge{log: quietLog(), auth: auth}
		var sawPrincipal bool
		mw := e.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sawPrincipal = hub.PrincipalFrom(r.Context()) != nil
		}))
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.Header.Set("Authorization", h)
		mw.ServeHTTP(httptest.NewRecorder(), r)
		if sawPrincipal {
			t.Fatalf("header %q gave a principal", h)
		}
		r2 := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r2.Header.Set("Authorization", h)
		w := httptest.NewRecorder()
		e.authenticate(adminOnly(quietLog(), http.NotFoundHandler())).ServeHTTP(w, r2)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("/metrics with header %q: %d", h, w.Code)
		}
	})
}

// FuzzMultipartRequest: whatever the operations, the map and the names of
// the file parts, a multipart request is never answered with a 5xx (a
// panic in the mapping of files to variables was one), and a refused one
// says BAD_USER_INPUT.
func FuzzMultipartRequest(f *testing.F) {
	ops := `{"query":"mutation($f: Upload!, $l: [Upload], $d: Int) { importValues(file: $f) { status } }","variables":{"f":null,"l":[null],"d":1}}`
	for _, s := range [][3]string{
		{ops, `{"0":["variables.f"]}`, "0"},
		{ops, `{"0":["variables.d.x"]}`, "0"},
		{ops, `{"0":["variables.l.0"],"1":["variables.l.1"]}`, "1"},
		{ops, `{"0":["variables.l.-1"]}`, "0"},
		{ops, `{"0":["variables.f.0.x"]}`, "0"},
		{ops, `{"0":["variables"]}`, "0"},
		{`{"query":"{ __typename }","variables":{"a":{"b":[[null]]}}}`, `{"0":["variables.a.b.0.0"]}`, "0"},
		{`[` + ops + `]`, `{"0":["0.variables.f"]}`, "0"},
		{`{"variables":7}`, `{"0":["variables.x"]}`, "0"},
		{ops, `{"0":null}`, "0"},
		{ops, `{"":["variables.f"]}`, ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	h := withGraphQL(Config{Log: quietLog()}, graph.Limits{})
	f.Fuzz(func(t *testing.T, operations, fileMap, key string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("operations", operations)
		_ = mw.WriteField("map", fileMap)
		fw, _ := mw.CreateFormFile(key, "values.csv")
		_, _ = fw.Write([]byte("indicator,region,period,value\n"))
		_ = mw.Close()
		r := httptest.NewRequest(http.MethodPost, "/graphql", &body)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("operations %q map %q key %q: %d %s", operations, fileMap, key, w.Code, w.Body.String())
		}
		var resp struct {
			Errors []struct{ Extensions map[string]any }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
			t.Fatalf("not JSON: %d %s", w.Code, w.Body.String())
		}
		if w.Code == http.StatusBadRequest && (len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != hub.EINVALID) {
			t.Fatalf("400 without BAD_USER_INPUT: %s", w.Body.String())
		}
	})
}
