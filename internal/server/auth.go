package server

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/sixprot/hub/internal/dashboard"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/metrics"
)

// edge is the hub's one authentication, in front of every route: it
// resolves the request's credential once (a bearer token, else the
// dashboard's session cookie), counts the request against its client's
// rate limit, refuses a bad credential, and puts what it found in the
// context: the token's principal (hub.NewContext) or the session
// (hub.NewSessionContext). Handlers that need a signed-in user check the
// context; a session's principal counts only on the routes that accept
// sessions (dashboard.SignedIn, and /graphql with the session's CSRF
// header: graphQLSessions), never on /metrics or pprof.
type edge struct {
	log      *slog.Logger
	auth     hub.AuthService
	sessions hub.SessionService // nil: no dashboard, cookies are not read
	limits   *limiters          // nil: no rate limit
	metrics  *metrics.Registry
	addr     func(*http.Request) string
}

// credential is what a request's credential resolved to.
type credential struct {
	principal *hub.Principal // from a bearer token
	session   *hub.Session   // from the session cookie
	// err: a credential was sent and is no good (UNAUTHENTICATED), or it
	// could not be checked (anything else).
	err    error
	cookie bool // the credential sent was the session cookie
}

// bearerToken is the one parser of the Authorization header: the token of
// "Bearer <token>", without surrounding blanks; ok is false for any other
// form or an empty token.
func bearerToken(header string) (token string, ok bool) {
	token, ok = strings.CutPrefix(header, "Bearer ")
	token = strings.TrimSpace(token)
	return token, ok && token != ""
}

// resolve checks the request's credential: at most one lookup, none for
// a malformed header (the token services refuse malformed tokens before
// any lookup too).
func (e *edge) resolve(r *http.Request) credential {
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := bearerToken(h)
		switch {
		case !ok:
			return credential{err: hub.Errorf(hub.EUNAUTHENTICATED, "Authorization 头应为 \"Bearer <令牌>\" / the Authorization header must be \"Bearer <token>\"")}
		case e.auth == nil:
			return credential{err: hub.Errorf(hub.EUNAUTHENTICATED, "本服务不接受令牌 / this server accepts no tokens")}
		}
		p, err := e.auth.Authenticate(r.Context(), token)
		return credential{principal: p, err: err}
	}
	if e.sessions == nil {
		return credential{}
	}
	c, err := r.Cookie(dashboard.SessionCookie)
	if err != nil {
		return credential{}
	}
	s, err := e.sessions.Session(r.Context(), c.Value)
	return credential{session: s, err: err, cookie: true}
}

// public routes read no credential and are never rate limited: health and
// readiness (a probe must see an overloaded hub) and the dashboard's
// static assets (the favicon too) and GraphiQL's.
func public(r *http.Request) bool {
	return r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || strings.HasPrefix(r.URL.Path, dashboard.AssetsHost) ||
		r.URL.Path == dashboard.FaviconPath || strings.HasPrefix(r.URL.Path, graphiqlAssets)
}

// authenticate is the middleware. A bad credential (malformed, unknown,
// revoked or expired token; unknown or expired session) is answered 401
// with WWW-Authenticate and the hub's error body on every route, before
// any handler runs; a stale session cookie is cleared at the same time.
// The one exception is a person's page (dashboard.IsPage: the dashboard's
// pages, the login form, a browser navigating): it goes on signed out, so
// that the dashboard sends the browser to /login instead of locking it out
// with a cookie it cannot drop. A credential that cannot be checked (the
// database is down) is 503.
func (e *edge) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if public(r) {
			next.ServeHTTP(w, r)
			return
		}
		c := e.resolve(r)
		if !e.allow(w, r, c) {
			return
		}
		if c.err != nil && c.cookie {
			dashboard.ClearSessionCookie(w)
		}
		ctx := r.Context()
		switch {
		case c.err == nil:
		case hub.ErrorCode(c.err) != hub.EUNAUTHENTICATED:
			writeError(w, r, e.log, fmt.Errorf("%w: %w", hub.Errorf(hub.EUNAVAILABLE,
				"暂时无法验证登录凭据，请稍后再试 / cannot check the credential right now, try again shortly"), c.err))
			return
		case dashboard.IsPage(r):
			if c.cookie {
				// The login page says the session expired.
				ctx = dashboard.NewExpiredContext(ctx)
			}
			c = credential{}
		default:
			writeError(w, r, e.log, c.err)
			return
		}
		if c.principal != nil {
			ctx = hub.NewContext(ctx, c.principal)
		}
		if c.session != nil {
			ctx = hub.NewSessionContext(ctx, c.session)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// allow counts the request against its client's bucket and answers 429
// when the bucket is empty. A valid token or session counts against its
// user ("u:<id>", whichever token or browser they use); anything else (no
// credential, a bad one) against the client address, so that random
// tokens buy no fresh buckets. Metrics are never limited: monitoring must
// see an overloaded hub.
func (e *edge) allow(w http.ResponseWriter, r *http.Request, c credential) bool {
	if e.limits == nil || r.URL.Path == "/metrics" {
		return true
	}
	key := "ip:" + e.addr(r)
	switch {
	case c.err != nil:
	case c.principal != nil:
		key = "u:" + strconv.FormatInt(c.principal.UserID, 10)
	case c.session != nil:
		key = "u:" + strconv.FormatInt(c.session.Principal.UserID, 10)
	}
	d := e.limits.wait(key)
	if d == 0 {
		return true
	}
	e.metrics.RateLimited()
	secs := int(math.Ceil(d.Seconds()))
	writeError(w, r, e.log, &hub.Error{Code: hub.ERATELIMITED, RetryAfter: d,
		Message: fmt.Sprintf("请求过于频繁，请 %d 秒后重试 / too many requests, retry in %d s", secs, secs)})
	return false
}

// adminOnly lets only an admin's bearer token through (metrics, pprof):
// they describe the whole hub, which is an admin's business. No token is
// 401, another role 403; a bad token never gets here (authenticate).
func adminOnly(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := hub.PrincipalFrom(r.Context()); {
		case p == nil:
			writeError(w, r, log, hub.Errorf(hub.EUNAUTHENTICATED, "需要管理员令牌 / an admin's bearer token is required"))
		case p.Role != hub.Admin:
			writeError(w, r, log, hub.Errorf(hub.EFORBIDDEN, "仅管理员可用 / admins only"))
		default:
			next.ServeHTTP(w, r)
		}
	})
}
