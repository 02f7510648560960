package dashboard_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
)

// loginFrom posts the login form from the client address addr.
func loginFrom(h http.Handler, csrf *http.Cookie, addr string, form url.Values) *httptest.ResponseRecorder {
	form.Set("csrf", csrf.Value)
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr + ":50000"
	req.AddCookie(csrf)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func loginCSRF(t *testing.T, api *apitest.API) *http.Cookie {
	t.Helper()
	c := cookieNamed(get(t, api.Handler, "", "/login"), "hub_login_csrf")
	if c == nil {
		t.Fatal("no CSRF cookie")
	}
	return c
}

// wantLoginBackedOff checks a 429 login page with Retry-After and the
// message, Chinese first.
func wantLoginBackedOff(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", rec.Code, rec.Body)
	}
	secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Errorf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	want := fmt.Sprintf("登录失败次数过多，请 %d 秒后再试 / Too many failed logins, try again in %d s", secs, secs)
	if body := html.UnescapeString(rec.Body.String()); !strings.Contains(body, want) {
		t.Errorf("login page does not say %q:\n%s", want, body)
	}
	if cookieNamed(rec, "hub_session") != nil {
		t.Error("a backed-off login got a session")
	}
}

func TestLogin_OneUserFromRotatingAddressesBacksOffAfterFiveFailures(t *testing.T) {
	api, _ := setup(t)
	csrf := loginCSRF(t, api)
	for i := range 5 {
		rec := loginFrom(api.Handler, csrf, fmt.Sprintf("198.51.100.%d", i+1), url.Values{"username": {"demo-leader"}, "password": {fmt.Sprintf("guess-%d", i)}})
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, rec.Code)
		}
	}
	// The sixth attempt, from yet another address and with the right
	// password, waits.
	wantLoginBackedOff(t, loginFrom(api.Handler, csrf, "198.51.100.77", url.Values{"username": {"demo-leader"}, "password": {leaderPassword}}))
}

func TestLogin_ManyUsersFromOneAddressBackOffAfterFiveFailures(t *testing.T) {
	api, _ := setup(t)
	csrf := loginCSRF(t, api)
	for i := range 5 {
		rec := loginFrom(api.Handler, csrf, "203.0.113.50", url.Values{"username": {fmt.Sprintf("user-%d", i)}, "password": {"guess-password"}})
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, rec.Code)
		}
	}
	wantLoginBackedOff(t, loginFrom(api.Handler, csrf, "203.0.113.50", url.Values{"username": {"demo-leader"}, "password": {leaderPassword}}))
	// Elsewhere the leader logs in.
	if rec := loginFrom(api.Handler, csrf, "203.0.113.51", url.Values{"username": {"demo-leader"}, "password": {leaderPassword}}); rec.Code != http.StatusSeeOther {
		t.Errorf("leader from another address: %d", rec.Code)
	}
}

func TestLogin_FailuresAreAuditedWithoutThePassword(t *testing.T) {
	api, _ := setup(t)
	csrf := loginCSRF(t, api)
	loginFrom(api.Handler, csrf, "198.51.100.9", url.Values{"username": {"demo-leader"}, "password": {"hunter2-secret"}})
	var n int
	err := api.DB.OwnerConn(t).QueryRow(context.Background(), `SELECT count(*) FROM audit_log a
WHERE action = 'login_failure' AND actor = 'demo-leader' AND detail LIKE '%198.51.100.9%' AND a::text NOT LIKE '%hunter2%'`).Scan(&n)
	if err != nil || n != 1 {
		t.Errorf("login_failure rows: %d, %v", n, err)
	}
}

// openRedirects are next values that must never leave the hub: each falls
// back to the landing page.
var openRedirects = []string{
	"//evil.example", "//evil.example/", "///evil.example", "////evil.example",
	`/\evil.example`, `/\/evil.example`, `\/evil.example`, `\\evil.example`, `/\\evil.example`,
	"/\t/evil.example/", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", "/\x00/evil.example",
	" /evil.example", "/ /evil.example", "/evil.example ", "/\u3000/evil.example", "/\u200b/evil.example",
	"https://evil.example", "http://evil.example/dashboard", "HTTPS://evil.example", "//evil.example@hub/",
	"https:evil.example", "http:/evil.example", "ftp://evil.example",
	"javascript:alert(1)", "JavaScript:alert(document.domain)", "javascript://%0Aalert(1)", "data:text/html,<script>alert(1)</script>",
	"vbscript:msgbox(1)",
	"/%2F%2Fevil.example", "/%2fevil.example", "%2F%2Fevil.example", "/%5Cevil.example", "/%5cevil.example",
	"/%252F%252Fevil.example", "/%09/evil.example", "/%0A/evil.example", "/%00/evil.example",
	"/./\\evil.example", "/.//evil.example", "/../evil.example", "/dashboard/../..//evil.example", "/./evil.example",
	"evil.example", "dashboard", ".", "", "@evil.example", "/\u2215\u2215evil.example", "/\uff0f/evil.example",
	"/dashboard\\@evil.example", "/" + strings.Repeat("a", 3000),
}

// safeNexts are paths of the hub that stay.
var safeNexts = []string{"/dashboard", "/dashboard?period=2022", "/dashboard/region/370781?period=2022&lang=en", "/media", "/dashboard#top"}

func TestLogin_RedirectsOnlyToPathsOfTheHub(t *testing.T) {
	api, _ := setup(t)
	csrf := loginCSRF(t, api)
	var session *http.Cookie
	check := func(next string) string {
		t.Helper()
		rec := loginFrom(api.Handler, csrf, "192.0.2.10", url.Values{"username": {"demo-leader"}, "password": {leaderPassword}, "next": {next}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("login with next %q: status %d", next, rec.Code)
		}
		session = cookieNamed(rec, "hub_session")
		return rec.Header().Get("Location")
	}
	for _, next := range openRedirects {
		if loc := check(next); loc != "/dashboard" {
			t.Errorf("POST /login next=%q: Location %q, want /dashboard", next, loc)
		}
	}
	for _, next := range safeNexts {
		if loc := check(next); loc != next {
			t.Errorf("POST /login next=%q: Location %q", next, loc)
		}
	}

	// GET /login: with a session it redirects at once, through the same
	// rule; without one the form must not carry the payload on.
	hidden := regexp.MustCompile(`name="next" value="([^"]*)"`)
	for _, next := range append(openRedirects, safeNexts...) {
		target := "/login?next=" + url.QueryEscape(next)
		want := "/dashboard"
		if contains(safeNexts, next) {
			want = next
		}
		rec := get(t, api.Handler, "", target, session)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
			t.Errorf("GET %s with a session: %d, Location %q, want %q", target, rec.Code, rec.Header().Get("Location"), want)
		}
		page := get(t, api.Handler, "", target)
		m := hidden.FindStringSubmatch(page.Body.String())
		if m == nil {
			t.Fatalf("GET %s: no next field", target)
		}
		if got := html.UnescapeString(m[1]); got != "" && !contains(safeNexts, next) {
			t.Errorf("GET %s: the form carries next %q on", target, got)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
