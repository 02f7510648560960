// Package dashboard serves the leadership dashboard: server-rendered pages
// (html/template) whose charts are go-echarts options fetched as JSON by an
// embedded static script, so that a strict Content-Security-Policy holds and
// nothing is loaded from outside the hub. Every figure comes from the hub's
// services under the viewer's own principal: PostgreSQL decides what the
// viewer sees, the dashboard only lays it out.
package dashboard

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

//go:embed assets templates
var files embed.FS

// AssetsHost is where the embedded assets are served; go-echarts is told so
// on the page and on every chart.
const AssetsHost = "/dashboard/assets/"

// Config wires the dashboard.
type Config struct {
	Log *slog.Logger
	// Sessions logs people in and out; the HTTP edge has checked the
	// request's session already and put it in the context.
	Sessions  hub.SessionService
	Catalogue hub.CatalogueService
	Values    hub.ValueService
	// Analytics gives the comparison, the radar and the trend: the same
	// answers as the API's comparison, protectionProfile and trend.
	Analytics hub.AnalyticsService
	// Tokens lets a signed-in user manage their own API tokens
	// (/account/tokens); nil: no such page.
	Tokens hub.TokenService
	// SecureCookies marks cookies Secure even without TLS on this hop
	// (behind a TLS-terminating proxy).
	SecureCookies bool
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
	// ClientAddr is the address a request's client counts as for the
	// login back-off (the server's, which knows about trusted proxies);
	// the host of RemoteAddr when nil.
	ClientAddr func(*http.Request) string
	// SSO, when set, adds single sign-on to the login page (/login/sso).
	SSO SingleSignOn
	// Errors answers errors with the HTTP edge's code → status table and
	// error body (internal/server); required.
	Errors Errors
	// Live: the server serves subscriptions (docs/live.md), and the pages
	// load live.js, which redraws them after a change.
	Live bool
}

// SingleSignOn is a sign-on flow with an identity provider
// (internal/sso): it says who a person is, the session service starts
// their session.
type SingleSignOn interface {
	// Begin sends the browser to the provider; next is where to go after.
	Begin(w http.ResponseWriter, r *http.Request, next string)
	// Complete checks the provider's callback and returns the person and
	// next, or FORBIDDEN saying why not.
	Complete(w http.ResponseWriter, r *http.Request) (hub.SSOIdentity, string, error)
}

// Errors is how the dashboard answers an error: the HTTP edge's one table
// and body, so that the dashboard maps no code itself.
type Errors interface {
	// Write answers err with its status and the hub's error body.
	Write(w http.ResponseWriter, r *http.Request, err error)
	// Status sets the headers err's answer needs (Retry-After,
	// WWW-Authenticate) and returns its status, for a page that shows err
	// in HTML.
	Status(w http.ResponseWriter, err error) int
	// Present is Write without the body, for an HTML error page: it sets
	// the headers, logs the cause of a server error (once, as Write does)
	// and returns the status and what the person may read, code and
	// message (only the generic message for an internal error).
	Present(w http.ResponseWriter, r *http.Request, err error) (status int, code, message string)
}

// embeddedAssets are the embedded assets hashed and compressed, once per
// process: they are part of the binary and never change.
var embeddedAssets = sync.OnceValues(func() (*assetSet, error) {
	sub, err := fs.Sub(files, "assets")
	if err != nil {
		return nil, err
	}
	return loadAssets(sub)
})

// Dashboard serves the pages.
type Dashboard struct {
	cfg    Config
	tmpl   *template.Template
	assets *assetSet
}

// New returns the dashboard.
func New(cfg Config) *Dashboard {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ClientAddr == nil {
		cfg.ClientAddr = func(r *http.Request) string {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				return r.RemoteAddr
			}
			return host
		}
	}
	assets, err := embeddedAssets()
	if err != nil {
		panic(err) // the embedded files are part of the binary
	}
	t := template.Must(template.New("").Funcs(funcs).Funcs(template.FuncMap{"asset": assets.URL}).ParseFS(files, "templates/*.html"))
	return &Dashboard{cfg: cfg, tmpl: t, assets: assets}
}

// Register adds the dashboard's routes to mux. The security headers are
// the HTTP edge's (internal/server), for these pages as for every other.
func (d *Dashboard) Register(mux *http.ServeMux) {
	mux.Handle("GET "+AssetsHost, d.assets)
	mux.HandleFunc("GET "+FaviconPath, d.assets.favicon)
	mux.HandleFunc("GET /login", d.loginPage)
	mux.Handle("POST /login", d.crossOrigin(http.HandlerFunc(d.login)))
	mux.Handle("POST /logout", d.crossOrigin(d.SignedIn(http.HandlerFunc(d.logout))))
	if d.cfg.Tokens != nil {
		mux.Handle("GET /account/tokens", d.SignedIn(http.HandlerFunc(d.tokensPage)))
		mux.Handle("POST /account/tokens", d.crossOrigin(d.SignedIn(http.HandlerFunc(d.createToken))))
		mux.Handle("POST /account/tokens/{id}/revoke", d.crossOrigin(d.SignedIn(http.HandlerFunc(d.revokeToken))))
	}
	if d.cfg.SSO != nil {
		mux.HandleFunc("GET /login/sso", d.ssoBegin)
		mux.HandleFunc("GET /login/sso/callback", d.ssoCallback)
	}
	mux.Handle("POST /logout/everywhere", d.crossOrigin(d.SignedIn(http.HandlerFunc(d.logoutEverywhere))))
	mux.Handle("GET /dashboard", d.SignedIn(http.HandlerFunc(d.page)))
	mux.Handle("GET /dashboard/region/{code}", d.SignedIn(http.HandlerFunc(d.page)))
	mux.Handle("GET /dashboard/screen", d.SignedIn(http.HandlerFunc(d.screen)))
	mux.Handle("GET /dashboard/data.json", d.SignedIn(http.HandlerFunc(d.data)))
	mux.Handle("GET /export/{file}", d.SignedIn(http.HandlerFunc(d.export)))
}

// crossOrigin refuses cross-origin unsafe requests (Sec-Fetch-Site /
// Origin) with FORBIDDEN; the forms' tokens are checked by the handlers as
// well.
func (d *Dashboard) crossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.fail(w, r, hub.Errorf(hub.EFORBIDDEN, "拒绝跨站请求 / cross-origin request refused"))
	}))
	return p.Handler(next)
}
