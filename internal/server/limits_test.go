package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// noCatalogue lets the GraphQL handler start without a database; only
// __typename may be asked.
type noCatalogue struct{ hub.CatalogueService }

// withGraphQL serves cfg with a GraphQL endpoint over its services bounded
// by lim (zero: the defaults), as cmd/hub wires it, and without a database:
// the catalogue is noCatalogue unless cfg has one.
func withGraphQL(cfg Config, lim graph.Limits) http.Handler {
	if cfg.Services.Catalogue == nil {
		cfg.Services.Catalogue = noCatalogue{}
	}
	cfg.GraphQL = graph.NewHTTPHandler(cfg.Services, graph.HTTPConfig{Log: cfg.Log, Limits: lim})
	if cfg.MaxUploadBytes == 0 {
		cfg.MaxUploadBytes = cmp.Or(lim.Upload, graph.DefaultLimits.Upload)
	}
	return Handler(cfg)
}

func TestRequestBodyOverLimitIs413WithJSONError(t *testing.T) {
	h := withGraphQL(Config{Log: quietLog(), MaxBodyBytes: 1000}, graph.Limits{})
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
		if code, _ := errorBody(t, w); code != hub.ETOOLARGE {
			t.Errorf("%s: code %q, want %s", name, code, hub.ETOOLARGE)
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
	h := withGraphQL(Config{Log: quietLog()}, graph.Limits{})
	q := "{ __typename " + strings.Repeat(" ", 70<<10) + "}"
	body, _ := json.Marshal(map[string]string{"query": q})
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if code, _ := errorBody(t, w); code != "QUERY_TOO_COMPLEX" || !strings.Contains(w.Body.String(), "query text") {
		t.Errorf("status %d code %q: %s", w.Code, code, w.Body)
	}
}

func TestRateLimitAnswers429WithRetryAfterPerClient(t *testing.T) {
	reg := metrics.New()
	h := withGraphQL(Config{Log: quietLog(), Metrics: reg, MetricsElsewhere: true, RateLimit: RateLimit{PerSecond: 0.5, Burst: 3}}, graph.Limits{})
	get := func(auth, ip string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/graphql", nil) // the GraphiQL page
		r.Header.Set("Accept", "text/html")
		r.RemoteAddr = ip + ":40000"
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 3 {
		if w := get("", "10.0.0.1"); w.Code != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, w.Code)
		}
	}
	w := get("", "10.0.0.1")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("4th request: status %d, want 429", w.Code)
	}
	secs, err := strconv.Atoi(w.Header().Get("Retry-After"))
	if err != nil || secs < 1 || secs > 2 {
		t.Errorf("Retry-After %q, want 1–2 s at 0.5/s", w.Header().Get("Retry-After"))
	}
	if code, _ := errorBody(t, w); code != hub.ERATELIMITED {
		t.Errorf("code %q", code)
	}
	// A token nobody checked (no auth service here) counts against the
	// address too; another address has its own bucket; health checks are
	// never limited.
	if w := get("Bearer sph_b", "10.0.0.1"); w.Code != http.StatusTooManyRequests {
		t.Errorf("an unchecked token escaped the address's limit: %d", w.Code)
	}
	if w := get("", "10.0.0.2"); w.Code != http.StatusOK {
		t.Errorf("another address limited: %d", w.Code)
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
	if m := scrape(t, reg); !strings.Contains(m, "hub_http_rate_limited_total 2") {
		t.Errorf("rate-limited requests not counted:\n%s", grepLines(m, "rate_limited"))
	}
}

func TestRateLimitBucketRefillsAndForgetsRefilledClients(t *testing.T) {
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
	now = now.Add(2 * time.Minute)
	ls.wait("other")
	if _, ok := ls.buckets["k"]; ok {
		t.Error("refilled client's bucket kept")
	}
}

func TestRateLimitMemoryBoundedWhateverTheKeys(t *testing.T) {
	ls := newLimiters(RateLimit{PerSecond: 1, Burst: 2, MaxClients: 100}, nil)
	now := time.Unix(1_000_000, 0)
	ls.now = func() time.Time { return now }
	allowed := 0
	for i := range 10_000 {
		if ls.wait("ip:"+strconv.Itoa(i)) == 0 {
			allowed++
		}
	}
	if n := len(ls.buckets); n > 100 {
		t.Errorf("%d buckets kept, want at most 100", n)
	}
	// The first 100 keys got their own bucket (2 each); the other 9,900
	// share the overflow bucket: rotating keys buys nothing.
	if allowed > 100+2 {
		t.Errorf("%d of 10,000 requests with fresh keys allowed, want at most 102", allowed)
	}
	// Once buckets have refilled they are dropped and new clients get
	// their own again.
	now = now.Add(5 * time.Second)
	if d := ls.wait("ip:fresh"); d != 0 {
		t.Errorf("fresh client after the sweep waits %v", d)
	}
	if _, ok := ls.buckets["ip:fresh"]; !ok {
		t.Error("fresh client has no bucket of its own after the sweep")
	}
}

func TestClientAddress_ForwardedForOnlyFromTrustedProxies(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		remote, xff string
		trusted     []netip.Prefix
		want        string
	}{
		{"192.0.2.1:1234", "", nil, "192.0.2.1"},
		{"192.0.2.1:1234", "203.0.113.9", nil, "192.0.2.1"},     // not a trusted proxy: header ignored
		{"192.0.2.1:1234", "203.0.113.9", proxies, "192.0.2.1"}, // peer not in the trusted list
		{"10.1.1.1:1234", "203.0.113.9", proxies, "203.0.113.9"},
		{"10.1.1.1:1234", "198.51.100.1, 203.0.113.9, 10.2.2.2", proxies, "203.0.113.9"}, // left part is the client's say
		{"10.1.1.1:1234", "garbage, 203.0.113.9", proxies, "203.0.113.9"},
		{"10.1.1.1:1234", "garbage", proxies, "10.1.1.1"},
		{"[2001:db8:1:2:3:4:5:6]:443", "", nil, "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:443", "", nil, "192.0.2.7"},
	}
	for _, c := range cases {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientAddress(r, c.trusted); got != c.want {
			t.Errorf("%s with X-Forwarded-For %q (trusted %v): %s, want %s", c.remote, c.xff, c.trusted, got, c.want)
		}
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

// TestLimits_413And429AnswerInTheAcceptedMediaType: the edge's refusals of
// /graphql are GraphQL responses with extensions.code, in the media type
// the client accepts (hub.ResponseMediaType), so that a client keeps their
// codes.
func TestLimits_413And429AnswerInTheAcceptedMediaType(t *testing.T) {
	h := withGraphQL(Config{Log: quietLog(), MaxBodyBytes: 1000, RateLimit: RateLimit{PerSecond: 0.01, Burst: 1}}, graph.Limits{})
	big := `{"query":"{ __typename }","variables":{"pad":"` + strings.Repeat("x", 2000) + `"}}`
	for _, c := range []struct{ accept, want string }{
		{hub.MediaGraphQLResponse, hub.MediaGraphQLResponse},
		{hub.MediaJSON, hub.MediaJSON},
		{hub.MediaGraphQLResponse + ";q=0.5, " + hub.MediaJSON, hub.MediaJSON},
		{"", hub.MediaJSON},
	} {
		for _, want := range []struct {
			status int
			code   string
		}{{http.StatusRequestEntityTooLarge, hub.ETOOLARGE}, {http.StatusTooManyRequests, hub.ERATELIMITED}} {
			r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(big))
			r.RemoteAddr = "10.1.0.1:40000"
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", c.accept)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != want.status {
				t.Errorf("Accept %q: status %d, want %d: %s", c.accept, w.Code, want.status, w.Body)
				continue
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, c.want+";") {
				t.Errorf("Accept %q, %d: Content-Type %q, want %s", c.accept, w.Code, ct, c.want)
			}
			if code, _ := errorBody(t, w); code != want.code {
				t.Errorf("Accept %q, %d: code %q", c.accept, w.Code, code)
			}
		}
		h = withGraphQL(Config{Log: quietLog(), MaxBodyBytes: 1000, RateLimit: RateLimit{PerSecond: 0.01, Burst: 1}}, graph.Limits{})
	}
}
