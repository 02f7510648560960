package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestPprof_AdminsOnly proves that the profiling endpoints refuse every
// caller but an admin: no token, a bad token, and each other role.
func TestPprof_AdminsOnly(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	tokens := map[hub.Role]string{}
	for _, u := range []hub.NewUser{
		{Name: "admin", Role: hub.Admin, Region: "370700"},
		{Name: "leader", Role: hub.Leader, Region: "370700"},
		{Name: "coordinator", Role: hub.Coordinator, Region: "370700"},
		{Name: "analyst", Role: hub.Analyst, Department: &dept, Region: "370700"},
		{Name: "media", Role: hub.Media, Region: "370700"},
	} {
		tokens[u.Role] = api.User(t, u)
	}
	get := func(path, auth string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		api.Handler.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/goroutine?debug=1", "/debug/pprof/cmdline"} {
		if got := get(path, ""); got != http.StatusUnauthorized {
			t.Errorf("%s without a token: status %d, want 401", path, got)
		}
		if got := get(path, "Bearer sph_not-a-token"); got != http.StatusUnauthorized {
			t.Errorf("%s with a bad token: status %d, want 401", path, got)
		}
		for _, role := range []hub.Role{hub.Leader, hub.Coordinator, hub.Analyst, hub.Media} {
			if got := get(path, "Bearer "+tokens[role]); got != http.StatusForbidden {
				t.Errorf("%s as %s: status %d, want 403", path, role, got)
			}
		}
		if got := get(path, "Bearer "+tokens[hub.Admin]); got != http.StatusOK {
			t.Errorf("%s as admin: status %d, want 200", path, got)
		}
	}
}
