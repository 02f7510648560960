// Package server is the hub's HTTP front: routing, authentication of
// bearer tokens, request ids and logging, health and readiness.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/dashboard"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
	"github.com/sixprot/hub/internal/loader"
	"github.com/sixprot/hub/internal/metrics"
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
	// MaxBodyBytes bounds a request body; multipart uploads are bounded by
	// Limits.Upload instead.
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
	// Metrics counts requests, operations and errors; with it, /metrics
	// is served to admins (bearer token) unless MetricsElsewhere.
	Metrics *metrics.Registry
	// MetricsElsewhere leaves /metrics off this handler because it is
	// served on a separate listen address (MetricsHandler).
	MetricsElsewhere bool
	// RateLimit bounds each client's request rate (zero: DefaultRateLimit;
	// PerSecond < 0: off).
	RateLimit RateLimit
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (clientAddress); empty: the peer address is the client.
	TrustedProxies []netip.Prefix
	// ImportLimits bound the files of importValues (zero fields:
	// importer.DefaultLimits).
	ImportLimits importer.Limits
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
	if cfg.RateLimit == (RateLimit{}) {
		cfg.RateLimit = DefaultRateLimit
	}
	cfg.Log = slog.New(WithRequestIDs(cfg.Log.Handler()))
	// The rate limiter checks each request's credential first; the
	// authentication after it answers from that check (memoAuth).
	creds := credentials{addr: func(r *http.Request) string { return clientAddress(r, cfg.TrustedProxies) }}
	if cfg.Auth != nil {
		creds.auth = cfg.Auth
		cfg.Auth = memoAuth{cfg.Auth}
	}
	if cfg.Sessions != nil {
		creds.sessions = cfg.Sessions
		cfg.Sessions = memoSessions{cfg.Sessions}
	}
	res := &graph.Resolver{Catalogue: cfg.Catalogue, Values: cfg.Values, Workflow: cfg.Workflow, Audit: cfg.Audit, Submit: cfg.Submit, Access: cfg.Access, Media: cfg.Media, Validation: cfg.Validation, Analytics: cfg.Analytics}
	// Imports use the submit service's bulk path when it has one (postgres does).
	if bulk, ok := cfg.Submit.(hub.BulkSubmitService); ok {
		res.Import = &importer.Importer{Submit: bulk, Limits: cfg.ImportLimits}
	}
	gql := graph.NewHandler(res, cfg.Log, cfg.Limits)

	graph.Instrument(gql, cfg.Log, cfg.Metrics)

	mux := http.NewServeMux()
	api := authenticate(cfg.Auth, loader.Middleware(cfg.Catalogue, cfg.LoaderWait, gql))
	mux.Handle("POST /graphql", bodyLimit(api, cfg.MaxBodyBytes, cfg.Limits.Upload))
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
			w.Header().Set("Retry-After", "1")
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
			Values: cfg.Values, Analytics: cfg.Analytics, SecureCookies: cfg.SecureCookies, ClientAddr: creds.addr})
		dash.Register(mux)
		browser = dash.Authenticate
	}
	if cfg.Media != nil {
		mediaRoutes(mux, cfg, browser)
	}
	templateRoutes(mux, cfg, browser)
	if cfg.Metrics != nil && !cfg.MetricsElsewhere {
		mux.Handle("GET /metrics", adminOnly(cfg.Auth, cfg.Log, cfg.Metrics.Handler()))
	}
	pprofRoutes(mux, cfg.Auth, cfg.Log)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/graphql", http.StatusFound)
	})
	return requestLog(cfg.Log, cfg.Metrics, recoverPanics(cfg.Log, securityHeaders(rateLimited(cfg.RateLimit, cfg.Metrics, creds, mux))))
}

// recoverPanics is the last line at the HTTP edge: a panic anywhere below
// (a bug: users' mistakes are refused with their own codes long before) is
// logged with its stack and answered 500 with a GraphQL error INTERNAL,
// instead of a dropped connection. http.ErrAbortHandler keeps its meaning.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			log.ErrorContext(r.Context(), "panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			writeGraphQLError(w, http.StatusInternalServerError, hub.EINTERNAL, hub.ErrorMessage(nil))
		}()
		next.ServeHTTP(w, r)
	})
}

// MetricsHandler serves /metrics alone, without authentication, for a
// separate listen address that only the monitoring network reaches.
func MetricsHandler(reg *metrics.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler())
	return mux
}

// adminOnly lets only an admin's bearer token through (metrics, pprof):
// they describe the whole hub, which is an admin's business. No token is
// 401, another role 403.
func adminOnly(auth hub.AuthService, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hub"`)
			writeGraphQLError(w, http.StatusUnauthorized, hub.EUNAUTHENTICATED, "需要管理员令牌 / an admin's bearer token is required")
			return
		}
		p, err := auth.Authenticate(r.Context(), token)
		switch {
		case hub.ErrorCode(err) == hub.EUNAUTHENTICATED:
			writeGraphQLError(w, http.StatusUnauthorized, hub.EUNAUTHENTICATED, hub.ErrorMessage(err))
			return
		case err != nil:
			log.ErrorContext(r.Context(), "authenticate", "error", err)
			writeGraphQLError(w, http.StatusServiceUnavailable, hub.EUNAVAILABLE, "暂时无法验证令牌，请稍后再试 / cannot check the token right now, try again shortly")
			return
		case p.Role != hub.Admin:
			writeGraphQLError(w, http.StatusForbidden, hub.EFORBIDDEN, "仅管理员可用 / admins only")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bodyLimit bounds request bodies: multipart uploads (importValues) by
// upload plus room for the operation, streamed to the transport;
// everything else by body (limitBody).
func bodyLimit(next http.Handler, body, upload int64) http.Handler {
	plain := limitBody(body, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if upload <= 0 || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
			plain.ServeHTTP(w, r)
			return
		}
		limit := upload + body
		if r.ContentLength > limit {
			writeGraphQLError(w, http.StatusRequestEntityTooLarge, hub.EINVALID,
				fmt.Sprintf("上传的文件过大（上限 %d MiB）：请拆分文件或使用 hub import / the upload is too large (limit %d MiB): split the file or use hub import",
					upload>>20, upload>>20))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
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
		token, ok := bearerToken(h)
		ctx := r.Context()
		if !ok {
			ctx = graph.WithAuthError(ctx, hub.Errorf(hub.EUNAUTHENTICATED, "Authorization 头应为 \"Bearer <令牌>\" / the Authorization header must be \"Bearer <token>\""))
			next.ServeHTTP(w, r.WithContext(ctx))
			return
		}
		p, err := auth.Authenticate(ctx, token)
		switch {
		case err == nil:
			ctx = hub.NewContext(ctx, p)
		case hub.ErrorCode(err) == hub.EUNAUTHENTICATED:
			ctx = graph.WithAuthError(ctx, err)
		default:
			slog.ErrorContext(ctx, "authenticate", "error", err)
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{"errors": []map[string]any{{
				"message":    "暂时无法验证令牌，请稍后再试 / cannot check the token right now, try again shortly",
				"extensions": map[string]string{"code": hub.EUNAVAILABLE}}}})
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearerToken returns the token of an Authorization header of the form
// "Bearer <token>", without surrounding blanks; ok is false for any other
// form or an empty token.
func bearerToken(header string) (token string, ok bool) {
	token, ok = strings.CutPrefix(header, "Bearer ")
	token = strings.TrimSpace(token)
	return token, ok && token != ""
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

// requestLog gives every request an id (X-Request-Id), logs one line per
// request and counts it by route pattern and status. Tokens, cookies,
// query strings and bodies are never logged.
func requestLog(log *slog.Logger, reg *metrics.Registry, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(ctx)
		next.ServeHTTP(sw, r)
		d := time.Since(start)
		// The mux sets the matched pattern on the request it was given.
		reg.HTTPRequest(r.Pattern, sw.status, d)
		log.Log(ctx, requestLevel(sw.status), "request", "method", r.Method, "path", r.URL.Path, "route", r.Pattern,
			"status", sw.status, "duration_ms", float64(d.Microseconds())/1000)
	})
}

// requestLevel is the level of a request's log line. A 503 is an outage the
// code that answered it has logged with its cause (at ERROR); the request
// line only warns, so that one failure is one ERROR line. Other 5xx are
// errors nobody else reported.
func requestLevel(status int) slog.Level {
	switch {
	case status == http.StatusServiceUnavailable:
		return slog.LevelWarn
	case status >= 500:
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// Timeouts bound the server's connections and its shutdown.
type Timeouts struct {
	// ReadHeader, Read, Write and Idle are http.Server's timeouts.
	ReadHeader, Read, Write, Idle time.Duration
	// Shutdown is how long in-flight requests may take to finish after
	// SIGTERM; then they are cancelled (their transactions roll back).
	Shutdown time.Duration
}

// DefaultTimeouts are the timeouts the hub serves with unless configured.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second,
	Write: 120 * time.Second, Idle: 120 * time.Second, Shutdown: 30 * time.Second}

// Serve serves h on ln until ctx ends, then shuts down gracefully: it
// stops accepting connections at once, lets in-flight requests finish for
// up to t.Shutdown, then cancels the contexts of those still running and
// closes their connections. It returns when no request is left.
func Serve(ctx context.Context, log *slog.Logger, ln net.Listener, h http.Handler, t Timeouts) error {
	// Requests' contexts derive from base, not from ctx: ending ctx starts
	// the shutdown but must not cancel the requests it lets finish.
	base, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: no new connections, waiting for requests in flight", "addr", ln.Addr().String(), "grace", t.Shutdown.String())
	sctx, cancel := context.WithTimeout(base, t.Shutdown)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("shutdown grace over: cancelling the requests still running")
		cancelRequests()
		err = srv.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}
