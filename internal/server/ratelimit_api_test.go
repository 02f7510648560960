package server_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
	"github.com/sixprot/hub/internal/server"
)

// credentialLookups counts the statements that look up a token or a session.
type credentialLookups struct{ n atomic.Int64 }

func (c *credentialLookups) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if strings.Contains(d.SQL, "FROM tokens") || strings.Contains(d.SQL, "FROM sessions") {
		c.n.Add(1)
	}
	return ctx
}

func (c *credentialLookups) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func typename(h http.Handler, auth, addr string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = addr + ":40000"
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "sph_" + base64.RawURLEncoding.EncodeToString(b)
}

func TestRateLimit_RandomBogusTokensCountAgainstTheAddress(t *testing.T) {
	lookups := &credentialLookups{}
	api := apitest.New(t, apitest.Options{Tracer: lookups, RateLimit: server.RateLimit{PerSecond: 0.5, Burst: 20}})
	leader := api.User(t, hub.NewUser{Name: "lead", Role: hub.Leader, Region: "370700"})

	limited := 0
	for i := range 200 {
		auth := "Bearer " + randomToken()
		switch i % 4 {
		case 1:
			auth = "Bearer sph_" + strconv.Itoa(i) // malformed
		case 2:
			auth = "Basic " + strconv.Itoa(i)
		case 3:
			auth = "Bearer " + strings.Repeat("x", 4000)
		}
		w := typename(api.Handler, auth, "203.0.113.66")
		if w.Code != http.StatusTooManyRequests {
			continue
		}
		limited++
		if secs, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || secs < 1 {
			t.Fatalf("429 without Retry-After: %q", w.Header().Get("Retry-After"))
		}
		if !strings.Contains(w.Body.String(), `"code":"RATE_LIMITED"`) || !strings.Contains(w.Body.String(), "请求过于频繁") {
			t.Fatalf("429 body: %s", w.Body)
		}
	}
	if limited < 200-21 {
		t.Errorf("%d of 200 requests with bogus tokens from one address limited, want at least 179", limited)
	}
	// Only the well-formed bogus tokens cost a lookup; malformed ones none.
	if n := lookups.n.Load(); n > 50 {
		t.Errorf("%d credential lookups for 50 well-formed and 150 malformed bogus tokens", n)
	}

	// The valid user, from that same address and from another, has a
	// bucket of their own: the bogus traffic does not limit them.
	before := lookups.n.Load()
	for i := range 8 {
		for _, addr := range []string{"203.0.113.66", "198.51.100.3"} {
			if w := typename(api.Handler, "Bearer "+leader, addr); w.Code != http.StatusOK {
				t.Fatalf("valid token from %s, request %d: %d %s", addr, i, w.Code, w.Body)
			}
		}
		if i == 4 {
			if w := typename(api.Handler, "", "203.0.113.66"); w.Code != http.StatusTooManyRequests {
				t.Errorf("anonymous request from the flooding address: %d", w.Code)
			}
		}
	}
	// One lookup per request: the authentication reuses the limiter's.
	if n := lookups.n.Load() - before; n != 16 {
		t.Errorf("%d credential lookups for 16 requests with a valid token, want 16", n)
	}
	// The user's tokens share one bucket (16 of 20 used): a new token
	// buys no new bucket.
	more, err := postgres.NewAuthService(api.DB.Owner).CreateToken(context.Background(), "lead")
	if err != nil {
		t.Fatal(err)
	}
	got429 := false
	for range 10 {
		if typename(api.Handler, "Bearer "+more, "198.51.100.4").Code == http.StatusTooManyRequests {
			got429 = true
		}
	}
	if !got429 {
		t.Error("a fresh token of the same user has a fresh bucket")
	}
}

func TestRateLimit_InvalidSessionCookiesCountAgainstTheAddress(t *testing.T) {
	api := apitest.New(t, apitest.Options{Empty: true, RateLimit: server.RateLimit{PerSecond: 0.5, Burst: 5}})
	limited := 0
	for range 30 {
		r := httptest.NewRequest(http.MethodGet, "/dashboard/data.json", nil)
		r.RemoteAddr = "203.0.113.67:1"
		r.AddCookie(&http.Cookie{Name: "hub_session", Value: strings.TrimPrefix(randomToken(), "sph_")})
		w := httptest.NewRecorder()
		api.Handler.ServeHTTP(w, r)
		if w.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited < 24 {
		t.Errorf("%d of 30 requests with random session cookies limited, want at least 24", limited)
	}
}
