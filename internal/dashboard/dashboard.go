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
	"time"

	"github.com/sixprot/hub/internal/hub"
)

//go:embed assets templates
var files embed.FS

// AssetsHost is where the embedded assets are served; go-echarts is told so
// on the page and on every chart.
const AssetsHost = "/dashboard/assets/"

// csp allows scripts and connections to the hub only. Styles allow inline
// attributes because ECharts writes style attributes into its tooltips.
const csp = "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data: blob:; " +
	"style-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// Config wires the dashboard.
type Config struct {
	Log       *slog.Logger
	Auth      hub.AuthService
	Sessions  hub.SessionService
	Catalogue hub.CatalogueService
	Values    hub.ValueService
	// Analytics gives the comparison, the radar and the trend: the same
	// answers as the API's comparison, protectionProfile and trend.
	Analytics hub.AnalyticsService
	// SecureCookies marks cookies Secure even without TLS on this hop
	// (behind a TLS-terminating proxy).
	SecureCookies bool
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
	// ClientAddr is the address a request's client counts as for the
	// login back-off (the server's, which knows about trusted proxies);
	// the host of RemoteAddr when nil.
	ClientAddr func(*http.Request) string
}

// Dashboard serves the pages.
type Dashboard struct {
	cfg  Config
	tmpl *template.Template
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
	t := template.Must(template.New("").Funcs(funcs).ParseFS(files, "templates/*.html"))
	return &Dashboard{cfg: cfg, tmpl: t}
}

// Register adds the dashboard's routes to mux.
func (d *Dashboard) Register(mux *http.ServeMux) {
	assets, _ := fs.Sub(files, "assets")
	static := http.StripPrefix(AssetsHost, http.FileServerFS(assets))
	mux.Handle("GET "+AssetsHost, headers(cacheFor(static)))
	mux.Handle("GET /login", headers(http.HandlerFunc(d.loginPage)))
	mux.Handle("POST /login", headers(csrfOrigin(http.HandlerFunc(d.login))))
	mux.Handle("POST /logout", headers(csrfOrigin(d.authed(http.HandlerFunc(d.logout)))))
	mux.Handle("GET /dashboard", headers(d.authed(http.HandlerFunc(d.page))))
	mux.Handle("GET /dashboard/region/{code}", headers(d.authed(http.HandlerFunc(d.page))))
	mux.Handle("GET /dashboard/data.json", headers(d.authed(http.HandlerFunc(d.data))))
	mux.Handle("GET /export/{file}", headers(d.authed(http.HandlerFunc(d.export))))
}

func headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

func cacheFor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// csrfOrigin refuses cross-origin POSTs (Sec-Fetch-Site / Origin); the
// forms' tokens are checked by the handlers as well.
func csrfOrigin(next http.Handler) http.Handler {
	return http.NewCrossOriginProtection().Handler(next)
}
