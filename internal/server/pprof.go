package server

import (
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// pprofRoutes serves Go's runtime profiles under /debug/pprof/ to admins
// only: a CPU profile costs the server work while it runs and a heap
// profile shows data in memory, so nobody else may start one. The
// handlers are registered on the hub's own mux, never on
// http.DefaultServeMux.
func pprofRoutes(mux *http.ServeMux, auth hub.AuthService) {
	mux.Handle("GET /debug/pprof/", adminOnly(auth, http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/cmdline", adminOnly(auth, http.HandlerFunc(pprof.Cmdline)))
	mux.Handle("GET /debug/pprof/profile", adminOnly(auth, http.HandlerFunc(pprof.Profile)))
	mux.Handle("GET /debug/pprof/symbol", adminOnly(auth, http.HandlerFunc(pprof.Symbol)))
	mux.Handle("GET /debug/pprof/trace", adminOnly(auth, http.HandlerFunc(pprof.Trace)))
}

// adminOnly lets requests with an admin's bearer token through: no or a
// bad token is 401, any other role 403.
func adminOnly(auth hub.AuthService, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hub"`)
			http.Error(w, "需要管理员令牌 / an admin's bearer token is required", http.StatusUnauthorized)
			return
		}
		p, err := auth.Authenticate(r.Context(), strings.TrimSpace(token))
		switch {
		case err == nil && p.Role == hub.Admin:
			next.ServeHTTP(w, r.WithContext(hub.NewContext(r.Context(), p)))
		case err == nil:
			http.Error(w, "仅管理员可用 / admins only", http.StatusForbidden)
		case hub.ErrorCode(err) == hub.EUNAUTHENTICATED:
			w.Header().Set("WWW-Authenticate", `Bearer realm="hub"`)
			http.Error(w, hub.ErrorMessage(err), http.StatusUnauthorized)
		default:
			http.Error(w, "暂时无法验证令牌，请稍后再试 / cannot check the token right now, try again shortly", http.StatusServiceUnavailable)
		}
	})
}
