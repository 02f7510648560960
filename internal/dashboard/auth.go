package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/sixprot/hub/internal/hub"
)

const (
	// SessionCookie is the session's cookie; the HTTP edge reads it
	// (internal/server) and puts the session in the context.
	SessionCookie = "hub_session"
	loginCSRF     = "hub_login_csrf"
)

// ClearSessionCookie tells the browser to drop its session cookie (after
// logout, or when the session it names is gone).
func ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Path: "/", MaxAge: -1, HttpOnly: true})
}

// SignedIn lets a request through with a principal: a bearer token's,
// which the HTTP edge has put in the context, or, on the routes wrapped
// here only, the session's (the dashboard, its exports, the media
// office's routes). A session's unsafe request must pass the cross-origin
// check. Without either, a person's page is sent to /login and anything
// else is answered 401.
func (d *Dashboard) SignedIn(next http.Handler) http.Handler {
	fromSession := d.crossOrigin(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if hub.PrincipalFrom(ctx) != nil {
			next.ServeHTTP(w, r)
			return
		}
		if s := hub.SessionFrom(ctx); s != nil {
			fromSession.ServeHTTP(w, r.WithContext(hub.NewContext(ctx, s.Principal)))
			return
		}
		if IsPage(r) && r.Method == http.MethodGet {
			http.Redirect(w, r, loginURL(r, r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		d.fail(w, r, hub.Errorf(hub.EUNAUTHENTICATED, "请先登录 / log in first"))
	})
}

// IsPage tells a person's browser asking for a page (who should see the
// login form when signed out) from a script or a fetch (which should get
// a 401): the dashboard's pages, the login form and its post, and any
// browser navigation to an HTML page.
func IsPage(r *http.Request) bool {
	switch {
	case r.URL.Path == "/login" || r.URL.Path == "/login/sso" || r.URL.Path == "/login/sso/callback":
		return true
	case r.Method != http.MethodGet:
		return false
	case r.URL.Path == "/dashboard" || strings.HasPrefix(r.URL.Path, "/dashboard/region/") || r.URL.Path == "/account/tokens":
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
	L    labels
	Lang string
	CSRF string
	Next string
	// Username is kept after a wrong password.
	Username string
	Error    string
	// Expired: the browser came with a session that has ended.
	Expired bool
	// Switch is this page in the other language.
	Switch template.URL
	// SSO is the single sign-on button's link, when single sign-on is on.
	SSO template.URL
}

// expiredKey marks a request whose session cookie named a session that
// has ended (the HTTP edge sets it, the login page says so).
type expiredKey struct{}

// NewExpiredContext returns ctx marked as coming with an ended session.
func NewExpiredContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, expiredKey{}, true)
}

func expired(r *http.Request) bool {
	v, _ := r.Context().Value(expiredKey{}).(bool)
	return v || r.URL.Query().Get("expired") == "1"
}

// loginURL is the login page that sends the browser on to next
// afterwards, saying why when its session expired.
func loginURL(r *http.Request, next string) string {
	var q []string // next first, as it always was
	if next != "" {
		q = append(q, "next="+url.QueryEscape(next))
	}
	if expired(r) {
		q = append(q, "expired=1")
	}
	if langOf(r) == "en" {
		q = append(q, "lang=en")
	}
	if len(q) == 0 {
		return "/login"
	}
	return "/login?" + strings.Join(q, "&")
}

// loginPage shows the login form; a browser that has a session already
// goes on to next (or its landing page).
func (d *Dashboard) loginPage(w http.ResponseWriter, r *http.Request) {
	if s := hub.SessionFrom(r.Context()); s != nil {
		http.Redirect(w, r, landing(r.FormValue("next"), s.Principal), http.StatusSeeOther)
		return
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
	next := safeNext(r.FormValue("next"))
	q := url.Values{}
	if next != "" {
		q.Set("next", next)
	}
	if lang != "en" {
		q.Set("lang", "en")
	}
	data := loginData{L: labelsFor(lang), Lang: lang, CSRF: token, Next: next, Error: msg,
		Username: r.PostFormValue("username"), Expired: msg == "" && expired(r),
		Switch: template.URL("/login?" + q.Encode())}
	if d.cfg.SSO != nil {
		q := url.Values{}
		if next != "" {
			q.Set("next", next)
		}
		data.SSO = template.URL("/login/sso?" + q.Encode())
	}
	_ = d.tmpl.ExecuteTemplate(w, "login.html", data)
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
		d.fail(w, r, hub.Errorf(hub.EFORBIDDEN, "CSRF 校验失败，请刷新登录页 / CSRF check failed, reload the login page"))
		return
	}
	s, err := d.cfg.Sessions.Login(r.Context(), r.PostFormValue("username"), r.PostFormValue("password"), d.cfg.ClientAddr(r))
	switch hub.ErrorCode(err) {
	case hub.EUNAUTHENTICATED, hub.ERATELIMITED:
		// The form again, saying why; status and Retry-After from the
		// edge's table.
		d.renderLogin(w, r, d.cfg.Errors.Status(w, err), hub.ErrorMessage(err))
		return
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.signedIn(w, r, s, r.PostFormValue("next"))
}

// signedIn gives the browser its new session's cookie and sends it on:
// the same for a password login and single sign-on.
func (d *Dashboard) signedIn(w http.ResponseWriter, r *http.Request, s *hub.Session, next string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: s.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: d.secure(r), Expires: s.Expires})
	http.SetCookie(w, &http.Cookie{Name: loginCSRF, Path: "/login", MaxAge: -1})
	http.Redirect(w, r, landing(next, s.Principal), http.StatusSeeOther)
}

// ssoBegin starts single sign-on.
func (d *Dashboard) ssoBegin(w http.ResponseWriter, r *http.Request) {
	d.cfg.SSO.Begin(w, r, safeNext(r.URL.Query().Get("next")))
}

// ssoCallback finishes single sign-on: the provider's answer checked
// (internal/sso), then the session service's decision (mapped, enabled,
// audited). A refusal is the login page again, saying why, in both
// languages.
func (d *Dashboard) ssoCallback(w http.ResponseWriter, r *http.Request) {
	id, next, err := d.cfg.SSO.Complete(w, r)
	if err == nil {
		var s *hub.Session
		if s, err = d.cfg.Sessions.SignOn(r.Context(), id, d.cfg.ClientAddr(r)); err == nil {
			d.signedIn(w, r, s, next)
			return
		}
	}
	if hub.ErrorCode(err) == hub.EFORBIDDEN {
		d.cfg.Log.Info("single sign-on refused", "error", err)
		d.renderLogin(w, r, d.cfg.Errors.Status(w, err), hub.ErrorMessage(err))
		return
	}
	d.fail(w, r, err)
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// logout needs the session's CSRF token.
func (d *Dashboard) logout(w http.ResponseWriter, r *http.Request) {
	s := hub.SessionFrom(r.Context())
	if s == nil || !equal(s.CSRF, r.PostFormValue("csrf")) {
		d.fail(w, r, hub.Errorf(hub.EFORBIDDEN, "CSRF 校验失败 / CSRF check failed"))
		return
	}
	if err := d.cfg.Sessions.Logout(r.Context(), s.Token); err != nil {
		d.fail(w, r, err)
		return
	}
	ClearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// logoutEverywhere ends every session of the signed-in user (needs the
// session's CSRF token): every other browser is sent to the login page.
func (d *Dashboard) logoutEverywhere(w http.ResponseWriter, r *http.Request) {
	s := hub.SessionFrom(r.Context())
	if s == nil || !equal(s.CSRF, r.PostFormValue("csrf")) {
		d.fail(w, r, hub.Errorf(hub.EFORBIDDEN, "CSRF 校验失败 / CSRF check failed"))
		return
	}
	if _, err := d.cfg.Sessions.LogoutEverywhere(r.Context(), s.Token); err != nil {
		d.fail(w, r, err)
		return
	}
	ClearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
