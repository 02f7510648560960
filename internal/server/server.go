// Package server is the hub's HTTP front: routing, authentication of
// bearer tokens, request ids and logging, health and readiness.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/dashboard"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/loader"
)

// Readiness reports whether the hub can serve: the database answers and
// no migration is pending.
type Readiness func(ctx context.Context) error

// Config wires the server.
type Config struct {
	Log        *slog.Logger
	Auth       hub.AuthService
	Catalogue  hub.CatalogueService
	Values     hub.ValueService
	Workflow   hub.WorkflowService
	Audit      hub.AuditService
	Submit     hub.SubmitService
	Validation hub.ValidationService
	Access     hub.AccessService
	Media      hub.MediaService
	Ready      Readiness
	Limits     graph.Limits
	// MaxBodyBytes bounds a request body.
	MaxBodyBytes int64
	// LoaderWait is how long dataloaders collect keys (loader.DefaultWait).
	LoaderWait time.Duration
	// Sessions enables the dashboard, its login and exports.
	Sessions hub.SessionService
	// Analytics answers comparison, protectionProfile and trend, and feeds
	// the dashboard's comparison, radar and trend.
	Analytics hub.AnalyticsService
	// SecureCookies marks session cookies Secure behind a TLS proxy.
	SecureCookies bool
}

// Handler returns the hub's HTTP handler.
func Handler(cfg Config) http.Handler {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.LoaderWait == 0 {
		cfg.LoaderWait = loader.DefaultWait
	}
	if cfg.Limits == (graph.Limits{}) {
		cfg.Limits = graph.DefaultLimits
	}
	gql := graph.NewHandler(&graph.Resolver{Catalogue: cfg.Catalogue, Values: cfg.Values, Workflow: cfg.Workflow, Audit: cfg.Audit, Submit: cfg.Submit, Access: cfg.Access, Media: cfg.Media, Validation: cfg.Validation, Analytics: cfg.Analytics}, cfg.Log, cfg.Limits)

	mux := http.NewServeMux()
	api := authenticate(cfg.Auth, loader.Middleware(cfg.Catalogue, cfg.LoaderWait, gql))
	mux.Handle("POST /graphql", http.MaxBytesHandler(api, cfg.MaxBodyBytes))
	mux.Handle("GET /graphql", graphiQLOr(api))
	mux.HandleFunc("GET /graphql/explorer.js", serveExplorerScript)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.Ready(ctx); err != nil {
			cfg.Log.WarnContext(ctx, "not ready", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": hub.ErrorMessage(err)})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	// Browser-facing routes take a bearer token or, with sessions
	// configured, the dashboard's session cookie.
	browser := func(h http.Handler) http.Handler { return authenticate(cfg.Auth, h) }
	if cfg.Sessions != nil {
		dash := dashboard.New(dashboard.Config{Log: cfg.Log, Auth: cfg.Auth, Sessions: cfg.Sessions, Catalogue: cfg.Catalogue,
			Values: cfg.Values, Analytics: cfg.Analytics, SecureCookies: cfg.SecureCookies})
		dash.Register(mux)
		browser = dash.Authenticate
	}
	if cfg.Media != nil {
		mediaRoutes(mux, cfg, browser)
	}
	pprofRoutes(mux, cfg.Auth)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/graphql", http.StatusFound)
	})
	return requestLog(cfg.Log, securityHeaders(mux))
}

// securityHeaders sets headers that keep browsers from sniffing types,
// framing the hub or leaking URLs. The explorer page may only load its own
// script (/graphql/explorer.js). No CORS header is ever set: cross-origin
// browser calls are refused by default.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// authenticate puts the principal of a valid bearer token in the request
// context. A request without a token goes on without a principal (GraphQL
// then allows only __typename); a bad token is recorded so that the error
// can say so.
func authenticate(auth hub.AuthService, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		token, ok := strings.CutPrefix(h, "Bearer ")
		ctx := r.Context()
		if !ok {
			ctx = graph.WithAuthError(ctx, hub.Errorf(hub.EUNAUTHENTICATED, "Authorization 头应为 \"Bearer <令牌>\" / the Authorization header must be \"Bearer <token>\""))
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		p, err := auth.Authenticate(ctx, strings.TrimSpace(token))
		switch {
		case err == nil:
			ctx = hub.NewContext(ctx, p)
		case hub.ErrorCode(err) == hub.EUNAUTHENTICATED:
			ctx = graph.WithAuthError(ctx, err)
		default:
			slog.ErrorContext(ctx, "authenticate", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": []map[string]any{{
				"message":    "暂时无法验证令牌，请稍后再试 / cannot check the token right now, try again shortly",
				"extensions": map[string]string{"code": hub.EUNAVAILABLE}}}})
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusWriter remembers the status code for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type requestIDKey struct{}

// RequestID returns the id of the request in ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestLog gives every request an id (X-Request-Id) and logs one line
// per request. Tokens, cookies and bodies are never logged.
func requestLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		log.Log(ctx, level, "request", "id", id, "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
	})
}

// ErrServerClosed is returned by Serve after a graceful shutdown.
var ErrServerClosed = http.ErrServerClosed

// Serve serves h on addr until ctx ends, then shuts down gracefully,
// giving in-flight requests up to grace to finish.
func Serve(ctx context.Context, log *slog.Logger, addr string, h http.Handler, grace time.Duration) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
