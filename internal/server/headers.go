package server

import (
	"net/http"
	"strings"
)

// csp is the Content-Security-Policy of every response: scripts, styles,
// images, fonts, workers and connections from the hub only, no plugins,
// no framing, forms posting only to the hub. Styles allow inline because
// the pages (GraphiQL, the release view) carry a <style> block, and
// ECharts and Monaco (GraphiQL's editor) write style attributes; no page
// runs an inline script (GraphiQL's bundle, its Monaco workers and fonts
// are files under /graphql/assets/, the dashboard's under
// /dashboard/assets/).
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// dashboardCSP adds, for the dashboard's pages only, images from data: and
// blob: URLs, which ECharts makes when a chart is saved as a picture.
const dashboardCSP = csp + "; img-src 'self' data: blob:"

// graphiqlCSP adds, for the GraphiQL page only, images from data: URLs:
// Monaco draws its error and warning squiggles with SVG data: URLs it
// writes into style rules at run time (the bundle's own CSS has none).
const graphiqlCSP = csp + "; img-src 'self' data:"

// securityHeaders is the one place that sets the security headers, on
// every response: no type sniffing, no framing, no URL of the hub sent to
// other sites (same-origin: the hub's own form posts keep their Origin,
// which the cross-origin check of the login and logout forms reads), and
// the CSP above. No CORS header is ever set: cross-origin browser calls
// are refused by default.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		switch {
		case r.URL.Path == "/dashboard" || strings.HasPrefix(r.URL.Path, "/dashboard/"):
			h.Set("Content-Security-Policy", dashboardCSP)
		case r.URL.Path == "/graphql" && r.Method == http.MethodGet:
			h.Set("Content-Security-Policy", graphiqlCSP)
		default:
			h.Set("Content-Security-Policy", csp)
		}
		next.ServeHTTP(w, r)
	})
}
