package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sixprot/hub/graph"
)

func TestResponsesCarrySecurityHeadersAndNoCORS(t *testing.T) {
	h := withGraphQL(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, graph.Limits{})
	for _, path := range []string{"/healthz", "/graphql/assets/graphiql.js"} {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("Origin", "https://evil.example")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		for _, k := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy"} {
			if w.Header().Get(k) == "" {
				t.Errorf("%s: missing %s", path, k)
			}
		}
		if v := w.Header().Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("%s: CORS must be closed, got Access-Control-Allow-Origin %q", path, v)
		}
	}
}
