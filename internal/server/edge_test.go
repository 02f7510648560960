package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

// wantStatus is the code → status table as issue 14 states it, written
// out again so that a change to statuses has to change this test too.
var wantStatus = map[string]int{
	hub.EUNAUTHENTICATED: 401, hub.EFORBIDDEN: 403, hub.EINVALID: 400, hub.ENOTFOUND: 404,
	hub.ECONFLICT: 409, hub.EVALIDATION: 422, hub.ETOOCOMPLEX: 400, hub.EUNAVAILABLE: 503,
	hub.ERATELIMITED: 429, hub.ETOOLARGE: 413, hub.ERETIRED: 409, hub.ENOTTRUSTED: 403, hub.EINTERNAL: 500,
}

// stubs: a token "good" is a leader, every other token and every session
// is unknown; the catalogue and the media office fail with fail.
type stubAuth struct{}

func (stubAuth) Authenticate(_ context.Context, token string) (*hub.Principal, error) {
	if token == "good" {
		return &hub.Principal{UserID: 1, Name: "lead", Role: hub.Leader, Region: "370700", RegionPath: "370700"}, nil
	}
	return nil, hub.Errorf(hub.EUNAUTHENTICATED, "令牌无效 / invalid token")
}

type stubSessions struct{ hub.SessionService }

func (stubSessions) Session(context.Context, string) (*hub.Session, error) {
	return nil, hub.Errorf(hub.EUNAUTHENTICATED, "会话已过期 / the session has expired")
}

type failingCatalogue struct {
	hub.CatalogueService
	err error
}

func (c failingCatalogue) RegionsByCode(context.Context, []string) ([]*hub.Region, error) {
	return nil, c.err
}

type failingMedia struct {
	hub.MediaService
	err error
}

func (m failingMedia) PublicityStats(context.Context, string, *string) ([]*hub.PublicityStat, error) {
	return nil, m.err
}

type stubAnalytics struct{ hub.AnalyticsService }

// edgeHandler is the whole handler over the stubs, without a database.
func edgeHandler(fail error, reg *metrics.Registry) http.Handler {
	return withGraphQL(Config{Log: quietLog(), Metrics: reg, RateLimit: RateLimit{PerSecond: -1},
		Services: hub.Services{Auth: stubAuth{}, Sessions: stubSessions{}, Catalogue: failingCatalogue{err: fail},
			Media: failingMedia{err: fail}, Analytics: stubAnalytics{}}}, graph.Limits{})
}

// errorBody decodes the hub's one error body, failing on any other shape.
func errorBody(t *testing.T, w *httptest.ResponseRecorder) (code, msg string) {
	t.Helper()
	var out struct {
		Errors []struct {
			Message    string            `json:"message"`
			Extensions map[string]string `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out.Errors) != 1 || out.Errors[0].Message == "" {
		t.Fatalf("%d: not the hub's error body: %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, hub.MediaJSON) && !strings.HasPrefix(ct, hub.MediaGraphQLResponse) {
		t.Errorf("error body with Content-Type %q", ct)
	}
	return out.Errors[0].Extensions["code"], out.Errors[0].Message
}

func TestStatuses_CoverEveryHubCode(t *testing.T) {
	for _, code := range hub.Codes {
		if got, ok := statuses[code]; !ok || got != wantStatus[code] {
			t.Errorf("%s: status %d (in table: %v), want %d", code, got, ok, wantStatus[code])
		}
	}
	if len(statuses) != len(hub.Codes) {
		t.Errorf("statuses has %d codes, hub.Codes %d", len(statuses), len(hub.Codes))
	}
}

// TestRoutes_AnswerEveryCodeFromTheTable: a media export (server) and the
// dashboard's data (dashboard) fail with each hub code in turn and answer
// with the table's status, the one body, Retry-After for 429 and 503,
// (1 s for an outage without its own), WWW-Authenticate for 401, and only the generic message for INTERNAL.
func TestRoutes_AnswerEveryCodeFromTheTable(t *testing.T) {
	for _, code := range hub.Codes {
		err := &hub.Error{Code: code, Message: "细节 / detail " + code}
		wantRetry := map[string]string{hub.ERATELIMITED: "3", hub.EUNAVAILABLE: "1"}[code]
		if code == hub.ERATELIMITED {
			err.RetryAfter = 2500 * time.Millisecond // whole seconds, rounded up
		}
		h := edgeHandler(err, nil)
		for _, target := range []string{"/export/publicity.json?period=2022", "/dashboard/data.json?period=2022"} {
			r := httptest.NewRequest(http.MethodGet, target, nil)
			r.Header.Set("Authorization", "Bearer good")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != wantStatus[code] {
				t.Errorf("%s failing with %s: status %d, want %d", target, code, w.Code, wantStatus[code])
				continue
			}
			got, msg := errorBody(t, w)
			if got != code {
				t.Errorf("%s failing with %s: code %q", target, code, got)
			}
			if code == hub.EINTERNAL && msg != hub.ErrorMessage(nil) {
				t.Errorf("%s: internal error shows %q", target, msg)
			}
			if ra := w.Header().Get("Retry-After"); ra != wantRetry {
				t.Errorf("%s failing with %s: Retry-After %q", target, code, ra)
			}
			if wa := w.Header().Get("WWW-Authenticate"); (code == hub.EUNAUTHENTICATED) != strings.HasPrefix(wa, "Bearer") {
				t.Errorf("%s failing with %s: WWW-Authenticate %q", target, code, wa)
			}
		}
	}
}

// TestEdge_BadTokenAndBadSessionAnsweredAlike: on /graphql, the
// dashboard, the exports and /metrics, a bad bearer token and a bad
// session cookie get the same answer, before any handler: 401, the
// UNAUTHENTICATED body and WWW-Authenticate: Bearer; a person's page
// (the dashboard) is sent to /login instead, for both alike. A stale
// cookie is cleared.
func TestEdge_BadTokenAndBadSessionAnsweredAlike(t *testing.T) {
	h := edgeHandler(hub.Errorf(hub.EINTERNAL, "unreachable"), metrics.New())
	send := func(method, target string, cookie bool) *httptest.ResponseRecorder {
		var r *http.Request
		if method == http.MethodPost {
			r = httptest.NewRequest(method, target, strings.NewReader(`{"query":"{ __typename }"}`))
			r.Header.Set("Content-Type", "application/json")
		} else {
			r = httptest.NewRequest(method, target, nil)
		}
		if cookie {
			r.AddCookie(&http.Cookie{Name: "hub_session", Value: "stale"})
		} else {
			r.Header.Set("Authorization", "Bearer sph_bad")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for _, tc := range []struct{ method, target string }{
		{http.MethodPost, "/graphql"},
		{http.MethodGet, "/graphql?query=%7B__typename%7D"},
		{http.MethodGet, "/dashboard/data.json?period=2022"},
		{http.MethodGet, "/export/ranking.csv?period=2022"},
		{http.MethodGet, "/export/publicity.csv?period=2022"},
		{http.MethodGet, "/export/template.xlsx"},
		{http.MethodGet, "/metrics"},
	} {
		for _, cookie := range []bool{false, true} {
			w := send(tc.method, tc.target, cookie)
			if w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s %s (cookie %v): %d, WWW-Authenticate %q", tc.method, tc.target, cookie, w.Code, w.Header().Get("WWW-Authenticate"))
				continue
			}
			if code, _ := errorBody(t, w); code != hub.EUNAUTHENTICATED {
				t.Errorf("%s %s (cookie %v): code %q", tc.method, tc.target, cookie, code)
			}
			if cleared := strings.Contains(w.Header().Get("Set-Cookie"), "hub_session=;"); cleared != cookie {
				t.Errorf("%s %s (cookie %v): Set-Cookie %q", tc.method, tc.target, cookie, w.Header().Get("Set-Cookie"))
			}
		}
	}
	for _, cookie := range []bool{false, true} {
		w := send(http.MethodGet, "/dashboard?period=2022", cookie)
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
			t.Errorf("/dashboard (cookie %v): %d to %q, want 303 to /login", cookie, w.Code, w.Header().Get("Location"))
		}
	}
}

// TestSecurityHeaders_OneSetOnEveryResponse: whatever answers (a route,
// the edge's 401 or 429, the mux's 404, a redirect, a static asset, the
// login page, a panic), the response carries the same headers; only the
// dashboard's pages add ECharts' image sources to the CSP.
func TestSecurityHeaders_OneSetOnEveryResponse(t *testing.T) {
	h := edgeHandler(hub.Errorf(hub.ENOTFOUND, "none"), metrics.New())
	limited := withGraphQL(Config{Log: quietLog(), RateLimit: RateLimit{PerSecond: 0.001, Burst: 1}}, graph.Limits{})
	panics := securityHeaders(recoverPanics(quietLog(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("bug") })))
	cases := []struct {
		name   string
		h      http.Handler
		target string
		auth   string
	}{
		{"health", h, "/healthz", ""},
		{"GraphiQL script", h, "/graphql/assets/graphiql.js", ""},
		{"GraphiQL page", h, "/graphql", ""},
		{"bad token on /graphql", h, "/graphql?query=%7B__typename%7D", "Bearer sph_bad"},
		{"unknown path", h, "/nosuch", ""},
		{"root redirect", h, "/", ""},
		{"login page", h, "/login", ""},
		{"dashboard redirect", h, "/dashboard", ""},
		{"dashboard error", h, "/dashboard/data.json", "Bearer good"},
		{"dashboard asset", h, "/dashboard/assets/dashboard.css", ""},
		{"export error", h, "/export/publicity.csv?period=2022", "Bearer good"},
		{"metrics 403", h, "/metrics", "Bearer good"},
		{"pprof 401", h, "/debug/pprof/", ""},
		{"rate limited", limited, "/graphql", ""},
		{"panic", panics, "/graphql", ""},
	}
	limited.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/graphql", nil))
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodGet, tc.target, nil)
		r.Header.Set("Accept", "text/html")
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		tc.h.ServeHTTP(w, r)
		want := csp
		if strings.HasPrefix(tc.target, "/dashboard") {
			want = dashboardCSP
		}
		if strings.HasPrefix(tc.target, "/graphql") && !strings.HasPrefix(tc.target, "/graphql/") {
			want = graphiqlCSP // every GET of /graphql: the page, or the API's answer
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
			"Referrer-Policy": "same-origin", "Content-Security-Policy": want} {
			if got := w.Header().Values(k); len(got) != 1 || got[0] != v {
				t.Errorf("%s (%d): %s = %q, want %q", tc.name, w.Code, k, got, v)
			}
		}
		if v := w.Header().Get("Access-Control-Allow-Origin"); v != "" {
			t.Errorf("%s: Access-Control-Allow-Origin %q", tc.name, v)
		}
	}
}
