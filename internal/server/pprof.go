package server

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
)

// pprofRoutes serves Go's runtime profiles under /debug/pprof/ to admins
// only: a CPU profile costs the server work while it runs and a heap
// profile shows data in memory, so nobody else may start one. The
// handlers are registered on the hub's own mux, never on
// http.DefaultServeMux.
func pprofRoutes(mux *http.ServeMux, log *slog.Logger) {
	mux.Handle("GET /debug/pprof/", adminOnly(log, http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/cmdline", adminOnly(log, http.HandlerFunc(pprof.Cmdline)))
	mux.Handle("GET /debug/pprof/profile", adminOnly(log, http.HandlerFunc(pprof.Profile)))
	mux.Handle("GET /debug/pprof/symbol", adminOnly(log, http.HandlerFunc(pprof.Symbol)))
	mux.Handle("GET /debug/pprof/trace", adminOnly(log, http.HandlerFunc(pprof.Trace)))
}
