package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDepthLimitRefusesDeepQueriesWithQueryTooComplex(t *testing.T) {
	srv := NewHandler(&Resolver{}, slog.New(slog.NewTextHandler(io.Discard, nil)), Limits{Complexity: 20000, Depth: 3})
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
