package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/sixprot/hub/internal/hub"
)

const (
	sessionCookie = "hub_session"
	loginCSRF     = "hub_login_csrf"
)

type sessionKey struct{}

func sessionFrom(ctx context.Context) *hub.Session {
	s, _ := ctx.Value(sessionKey{}).(*hub.Session)
	return s
}

// Authenticate is the dashboard's authentication for other browser-facing
// routes of the hub (the media office's release view and exports): a
// bearer token or the session cookie, and /login for a browser page.
func (d *Dashboard) Authenticate(next http.Handler) http.Handler { return d.authed(next) }

// authed puts the viewer's principal in the context: from a bearer token
// (scripts) or from the session cookie (browsers). A browser asking for a
// page without a session is sent to /login; data and exports answer 401.
func (d *Dashboard) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			token, _ := strings.CutPrefix(h, "Bearer ")
			p, err := d.cfg.Auth.Authenticate(ctx, strings.TrimSpace(token))
			if err != nil {
				d.fail(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(hub.NewContext(ctx, p)))
			return
		}
		if c, err := r.Cookie(sessionCookie); err == nil {
			s, err := d.cfg.Sessions.Session(ctx, c.Value)
			if err == nil {
				ctx = context.WithValue(hub.NewContext(ctx, s.Principal), sessionKey{}, s)
				next.ServeHTTP(w, r.WithContext(ctx))
				return
			}
			if hub.ErrorCode(err) != hub.EUNAUTHENTICATED {
				d.fail(w, r, err)
				return
			}
		}
		if wantsPage(r) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		d.fail(w, r, hub.Errorf(hub.EUNAUTHENTICATED, "请先登录 / log in first"))
	})
}

// wantsPage tells a browser navigating to a page (which should see the
// login form) from a script or a fetch (which should get a 401).
func wantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	if r.URL.Path == "/dashboard" || strings.HasPrefix(r.URL.Path, "/dashboard/region/") {
		return true
	}
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" && strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (d *Dashboard) secure(r *http.Request) bool { return d.cfg.SecureCookies || r.TLS != nil }

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext keeps redirects after login on the hub: next when it is a clean
// absolute path of the hub, else "". Browsers are lenient in ways that turn
// odd paths into other hosts: they strip tabs and newlines ("/\t/evil" is
// "//evil"), read a backslash as a slash ("/\evil"), and some servers or
// proxies decode %2F and %5C once more. So next must be printable ASCII
// without blanks or backslashes, start with exactly one '/', parse as a
// path without scheme or host, and no decoding of it may start with "//"
// or hold a backslash, a control character, "//" or a dot segment.
func safeNext(next string) string {
	if len(next) < 1 || len(next) > 2048 || next[0] != '/' {
		return ""
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Opaque != "" || u.Host != "" || u.User != nil {
		return ""
	}
	p := u.EscapedPath()
	for range 4 {
		if !cleanPath(p) {
			return ""
		}
		dec, err := url.PathUnescape(p)
		if err != nil {
			return ""
		}
		if dec == p {
			break
		}
		p = dec
	}
	if !cleanPath(p) || strings.Contains(p, "%") {
		return ""
	}
	return next
}

// cleanPath tells whether p is a single-slash absolute path without
// backslashes, control characters, empty segments or dot segments.
func cleanPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || strings.ContainsAny(p, "\\") {
		return false
	}
	for _, r := range p {
		if r < ' ' || r == 0x7f || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// landing is where a login without a next page goes: the release view for
// the media office, the dashboard for everyone else.
func landing(next string, p *hub.Principal) string {
	if next = safeNext(next); next != "" {
		return next
	}
	if p != nil && p.Role == hub.Media {
		return "/media"
	}
	return "/dashboard"
}

type loginData struct {
	L     labels
	Lang  string
	CSRF  string
	Next  string
	Error string
}

// loginPage shows the login form; a browser that has a session already
// goes on to next (or its landing page).
func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if s, err := d.cfg.Sessions.Session(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, landing(r.FormValue("next"), s.Principal), http.StatusSeeOther)
			return
		}
	}
	d.renderLogin(w, r, http.StatusOK, "")
}

func (d *Dashboard) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	token := random()
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Value: token, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: d.secure(r), MaxAge: 3600})
	lang := langOf(r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = d.tmpl.ExecuteTemplate(w, "login.html", loginData{L: labelsFor(lang), Lang: lang, CSRF: token,
		Next: safeNext(r.FormValue("next")), Error: msg})
}

// login checks the double-submitted CSRF token, then the password.
func (d *Dashboard) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, hub.Errorf(hub.EINVALID, "表单无效 / invalid form"))
		return
	}
	c, err := r.Cookie(loginCSRF)
	if err != nil || !equal(c.Value, r.PostFormValue("csrf")) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		http.Error(w, "CSRF 校验失败，请刷新登录页 / CSRF check failed, reload the login page", http.StatusForbidden)
		return
	}
	s, err := d.cfg.Sessions.Login(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"), d.cfg.ClientAddr(r))
	switch hub.ErrorCode(err) {
	case hub.EUNAUTHENTICATED:
		d.renderLogin(w, r, http.StatusUnauthorized, hub.ErrorMessage(err))
		return
	case hub.ERATELIMITED:
		setRetryAfter(w, err)
		d.renderLogin(w, r, http.StatusTooManyRequests, hub.ErrorMessage(err))
		return
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: d.secure(r), Expires: s.Expires})
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Path: "/login", MaxAge: -1})
	http.Redirect(w, r, landing(r.PostFormValue("next"), s.Principal), http.StatusSeeOther)
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// logout needs the session's CSRF token.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	s := sessionFrom(r.Context())
	if s == nil || !equal(s.CSRF, r.PostFormValue("csrf")) {
		http.Error(w, "CSRF 校验失败 / CSRF check failed", http.StatusForbidden)
		return
	}
	if err := d.cfg.Sessions.Logout(r.Context(), s.Token); err != nil {
		d.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// fail answers an error with its HTTP status; internal causes and outages
// are logged (the only ERROR line of the request) and not shown.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := map[string]int{hub.EUNAUTHENTICATED: 401, hub.EFORBIDDEN: 403, hub.EINVALID: 400,
		hub.ENOTFOUND: 404, hub.EUNAVAILABLE: 503, hub.ERATELIMITED: 429}[hub.ErrorCode(err)]
	setRetryAfter(w, err)
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		d.cfg.Log.ErrorContext(r.Context(), "dashboard", "path", r.URL.Path, "error", err)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(hub.ErrorMessage(err) + "\n"))
}

// setRetryAfter sends the error's RetryAfter, in whole seconds, if it has one.
func setRetryAfter(w http.ResponseWriter, err error) {
	if d := hub.RetryAfter(err); d > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}
