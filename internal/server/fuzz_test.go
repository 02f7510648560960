package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

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

// FuzzAuthorizationHeader: whatever the header, the authentication
// middleware never lets a request through with a principal it did not get
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
		var sawPrincipal bool
		mw := authenticate(auth, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sawPrincipal = hub.PrincipalFrom(r.Context()) != nil
		}))
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.Header.Set("Authorization", h)
		mw.ServeHTTP(httptest.NewRecorder(), r)
		if sawPrincipal {
			t.Fatalf("header %q gave a principal", h)
		}
		w := httptest.NewRecorder()
		adminOnly(auth, quietLog(), http.NotFoundHandler()).ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("/metrics with header %q: %d", h, w.Code)
		}
	})
}
