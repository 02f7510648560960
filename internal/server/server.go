// Package server is the hub's HTTP edge: routing, the one authentication
// of bearer tokens and sessions, rate limits, the one code → status table
// and error body, security headers, request ids and logging, health and
// readiness, and the routes that are not GraphQL's. The GraphQL endpoint is
// handed to it as an http.Handler (cmd/hub builds it with graph).
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/sixprot/hub/internal/dashboard"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

// Readiness reports whether the hub can serve: the database answers and
// no migration is pending.
type Readiness func(ctx context.Context) error

// Config wires the server.
type Config struct {
	Log *slog.Logger
	// Services are the hub's services (postgres.NewServices). Auth checks
	// bearer tokens; Sessions, when set, enables the dashboard, its login
	// and exports; Media the media office's routes.
	Services hub.Services
	// GraphQL serves /graphql (graph.NewHTTPHandler); it finds the
	// request's principal in the context. Nil: no /graphql.
	GraphQL http.Handler
	Ready   Readiness
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// MaxUploadBytes bounds the file of a multipart request to /graphql
	// (importValues), beyond MaxBodyBytes for the rest of the request;
	// 0: multipart requests are bounded like any other body.
	MaxUploadBytes int64
	// SecureCookies marks session cookies Secure behind a TLS proxy.
	SecureCookies bool
	// SSO, when set, offers single sign-on on the login page
	// (internal/sso); its sessions are checked here like any other.
	SSO dashboard.SingleSignOn
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
	// Live: GraphQL serves subscriptions (graph.LiveConfig), so the
	// dashboard's pages subscribe to redraw themselves.
	Live bool
}

// Handler returns the hub's HTTP handler. Every request passes, in order:
// the request log, the security headers, panic recovery, then the edge
// (credential, rate limit, refusal of a bad credential), then its route.
func Handler(cfg Config) http.Handler {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.RateLimit == (RateLimit{}) {
		cfg.RateLimit = DefaultRateLimit
	}
	cfg.Log = slog.New(WithRequestIDs(cfg.Log.Handler()))
	svc := cfg.Services
	e := &edge{log: cfg.Log, auth: svc.Auth, sessions: svc.Sessions, metrics: cfg.Metrics,
		addr: func(r *http.Request) string { return clientAddress(r, cfg.TrustedProxies) }}
	if cfg.RateLimit.PerSecond > 0 {
		e.limits = newLimiters(cfg.RateLimit, cfg.Metrics)
	}

	mux := http.NewServeMux()
	if cfg.GraphQL != nil {
		gql := graphQLSessions(cfg.Log, cfg.GraphQL)
		mux.Handle("POST /graphql", bodyLimit(gql, cfg.MaxBodyBytes, cfg.MaxUploadBytes))
		mux.Handle("GET /graphql", graphiQLOr(gql))
		mux.Handle("GET "+graphiqlAssets, graphiqlAssetsHandler())
	}
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
	// configured, the dashboard's session.
	signedIn := func(h http.Handler) http.Handler { return h }
	if svc.Sessions != nil {
		dash := dashboard.New(dashboard.Config{Log: cfg.Log, Sessions: svc.Sessions, Catalogue: svc.Catalogue,
			Values: svc.Values, Analytics: svc.Analytics, Tokens: svc.Tokens, SecureCookies: cfg.SecureCookies, ClientAddr: e.addr, SSO: cfg.SSO,
			Errors: errorWriter{log: cfg.Log}, Live: cfg.Live})
		dash.Register(mux)
		signedIn = dash.SignedIn
	}
	if svc.Media != nil {
		mediaRoutes(mux, cfg, signedIn)
	}
	templateRoutes(mux, cfg, signedIn)
	if cfg.Metrics != nil && !cfg.MetricsElsewhere {
		mux.Handle("GET /metrics", adminOnly(cfg.Log, cfg.Metrics.Handler()))
	}
	pprofRoutes(mux, cfg.Log)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/graphql", http.StatusFound)
	})
	return requestLog(cfg.Log, cfg.Metrics, mux, securityHeaders(recoverPanics(cfg.Log, e.authenticate(mux))))
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
			writeError(w, r, nil, errors.New("panic"))
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

// bodyLimit bounds request bodies: multipart uploads (importValues) by
// upload plus room for the operation, streamed to the GraphQL transport,
// which answers an upload over its limit (413, BAD_USER_INPUT); everything
// else by body (limitBody).
func bodyLimit(next http.Handler, body, upload int64) http.Handler {
	plain := limitBody(body, next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if upload <= 0 || mediaType != "multipart/form-data" {
			plain.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, upload+body)
		next.ServeHTTP(w, r)
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

// requestLog gives every request an id (X-Request-Id), logs one line per
// request and counts it by the pattern of routes it matches (nil: none)
// and its status. Tokens, cookies, query strings and bodies are never
// logged.
func requestLog(log *slog.Logger, reg *metrics.Registry, routes *http.ServeMux, next http.Handler) http.Handler {
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
		// The route is asked of the mux: the edge may answer before the mux
		// runs, and the mux marks only the request it is given.
		var route string
		if routes != nil {
			_, route = routes.Handler(r)
		}
		reg.HTTPRequest(route, sw.status, d)
		log.Log(ctx, requestLevel(sw.status), "request", "method", r.Method, "path", r.URL.Path, "route", route,
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
