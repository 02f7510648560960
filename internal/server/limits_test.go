package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// noCatalogue lets the GraphQL handler start without a database; only
// __typename may be asked.
type noCatalogue struct{ hub.CatalogueService }

// errorCode returns errors[0].extensions.code of a JSON error body.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var out struct {
		Errors []struct {
			Message    string            `json:"message"`
			Extensions map[string]string `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.Errors) == 0 {
		t.Fatalf("not a JSON error body: %v: %s", err, body)
	}
	if out.Errors[0].Message == "" {
		t.Errorf("error without a message: %s", body)
	}
	return out.Errors[0].Extensions["code"]
}

func TestRequestBodyOverLimitIs413WithJSONError(t *testing.T) {
	h := Handler(Config{Log: quietLog(), MaxBodyBytes: 1000, Catalogue: noCatalogue{}})
	big := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 2000) + `"}}`
	for name, body := range map[string]io.Reader{
		"with Content-Length": strings.NewReader(big),
		"chunked":             io.MultiReader(strings.NewReader(big)), // unknown length
	} {
		r := httptest.NewRequest(http.MethodPost, "/graphql", body)
		if name == "chunked" {
			r.ContentLength = -1
		}
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d, want 413: %s", name, w.Code, w.Body)
			continue
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q", name, ct)
		}
		if code := errorCode(t, w.Body.Bytes()); code != codeTooLarge {
			t.Errorf("%s: code %q, want %s", name, code, codeTooLarge)
		}
	}
	// Under the limit the request reaches GraphQL.
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"__typename":"Query"`) {
		t.Errorf("small body: %d %s", w.Code, w.Body)
	}
}

func TestGraphQLQueryTextOverLimitIsRefused(t *testing.T) {
	h := Handler(Config{Log: quietLog(), Catalogue: noCatalogue{}})
	q := "{ __typename " + strings.Repeat(" ", 70<<10) + "}"
	body, _ := json.Marshal(map[string]string{"query": q})
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if code := errorCode(t, w.Body.Bytes()); code != "QUERY_TOO_COMPLEX" || !strings.Contains(w.Body.String(), "query text") {
		t.Errorf("status %d code %q: %s", w.Code, code, w.Body)
	}
}

func TestRateLimitAnswers429WithRetryAfterPerClient(t *testing.T) {
	reg := metrics.New()
	h := Handler(Config{Log: quietLog(), Metrics: reg, MetricsElsewhere: true, RateLimit: RateLimit{PerSecond: 0.5, Burst: 3}})
	get := func(auth, ip string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/graphql/explorer.js", nil)
		r.RemoteAddr = ip + ":40000"
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 3 {
		if w := get("Bearer sph_a", "10.0.0.1"); w.Code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, w.Code)
		}
	}
	w := get("Bearer sph_a", "10.0.0.1")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("4th request: status %d, want 429", w.Code)
	}
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || secs < 1 || secs > 2 {
		t.Errorf("Retry-After %q, want 1–2 s at 0.5/s", w.Header().Get("Retry-After"))
	}
	if code := errorCode(t, w.Body.Bytes()); code != codeRateLimited {
		t.Errorf("code %q", code)
	}
	// Another token from the same address, and an anonymous caller, have
	// their own buckets; health checks are never limited.
	if w := get("Bearer sph_b", "10.0.0.1"); w.Code != http.StatusOK {
		t.Errorf("another token limited: %d", w.Code)
	}
	if w := get("", "10.0.0.1"); w.Code != http.StatusOK {
		t.Errorf("anonymous caller limited by a token's bucket: %d", w.Code)
	}
	for range 5 {
		r := httptest.NewRequest(http.MethodGet, "/healthz", nil)
		r.Header.Set("Authorization", "Bearer sph_a")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != http.StatusOK {
			t.Fatalf("/healthz limited: %d", rec.Code)
		}
	}
	if m := scrape(t, reg); !strings.Contains(m, "hub_http_rate_limited_total 1") {
		t.Errorf("rate-limited requests not counted:\n%s", grepLines(m, "rate_limited"))
	}
}

func TestRateLimitBucketRefillsAndForgetsIdleClients(t *testing.T) {
	ls := newLimiters(RateLimit{PerSecond: 1, Burst: 1}, nil)
	now := time.Unix(1_000_000, 0)
	ls.now = func() time.Time { return now }
	if d := ls.wait("k"); d != 0 {
		t.Fatalf("first request waits %v", d)
	}
	if d := ls.wait("k"); d <= 0 || d > time.Second {
		t.Fatalf("second request at once: wait %v, want (0, 1s]", d)
	}
	now = now.Add(time.Second)
	if d := ls.wait("k"); d != 0 {
		t.Fatalf("after a second: wait %v", d)
	}
	now = now.Add(idleAfter + 2*time.Minute)
	ls.wait("other")
	if _, ok := ls.buckets["k"]; ok {
		t.Error("idle client's bucket kept")
	}
}

func scrape(t *testing.T, reg *metrics.Registry) string {
	t.Helper()
	w := httptest.NewRecorder()
	reg.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return w.Body.String()
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
