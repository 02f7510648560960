package dashboard_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// sessionCSRF returns the session's CSRF token from a page's forms.
func sessionCSRF(t *testing.T, api *apitest.API, session *http.Cookie, path string) string {
	t.Helper()
	page := get(t, api.Handler, "", path, session)
	m := csrfField.FindStringSubmatch(page.Body.String())
	if page.Code != http.StatusOK || m == nil {
		t.Fatalf("%s: %d, no CSRF field: %s", path, page.Code, page.Body)
	}
	return m[1]
}

// TestLoginPage_BilingualKeepsTheNameAndSaysWhenTheSessionExpired: the
// login page is Chinese first with an English switch, keeps the user name
// after a wrong password, and says the session expired when an ended
// session sends the browser there (not after a plain logout).
func TestLoginPage_BilingualKeepsTheNameAndSaysWhenTheSessionExpired(t *testing.T) {
	api, _ := setup(t)
	zh := get(t, api.Handler, "", "/login").Body.String()
	if !strings.Contains(zh, `lang="zh-CN"`) || !strings.Contains(zh, "用户名") || !strings.Contains(zh, `id="lang" href="/login?lang=en">English`) {
		t.Fatalf("Chinese login page:\n%s", zh)
	}
	en := get(t, api.Handler, "", "/login?lang=en").Body.String()
	if !strings.Contains(en, `lang="en"`) || !strings.Contains(en, "User name") {
		t.Fatalf("English login page:\n%s", en)
	}
	csrf := loginCSRF(t, api)
	wrong := loginFrom(api.Handler, csrf, "192.0.2.7", url.Values{"username": {"demo-leader"}, "password": {"not-the-password"}})
	if wrong.Code != http.StatusUnauthorized || !strings.Contains(wrong.Body.String(), `name="username" autocomplete="username" value="demo-leader"`) ||
		strings.Contains(wrong.Body.String(), "not-the-password") {
		t.Fatalf("after a wrong password (%d):\n%s", wrong.Code, wrong.Body)
	}
	if strings.Contains(wrong.Body.String(), "会话已过期") {
		t.Error("a wrong password says the session expired")
	}

	session, _ := api.Login(t, "demo-leader", leaderPassword, "")
	if _, err := api.DB.OwnerConn(t).Exec(t.Context(), `UPDATE sessions SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	rec := get(t, api.Handler, "", "/dashboard?period=2022", session)
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.Contains(loc, "expired=1") || !strings.Contains(loc, "next=") {
		t.Fatalf("expired session on /dashboard: %d → %q", rec.Code, loc)
	}
	page := html.UnescapeString(get(t, api.Handler, "", loc).Body.String())
	if !strings.Contains(page, "会话已过期，请重新登录") {
		t.Fatalf("the login page does not say the session expired:\n%s", page)
	}
	if en := html.UnescapeString(get(t, api.Handler, "", loc+"&lang=en").Body.String()); !strings.Contains(en, "Your session expired, please sign in again") {
		t.Fatalf("English: %s", en)
	}
	// The stale cookie itself on /login says it too.
	if page := html.UnescapeString(get(t, api.Handler, "", "/login", session).Body.String()); !strings.Contains(page, "会话已过期") {
		t.Fatal("/login with an ended session's cookie does not say it expired")
	}
	if page := get(t, api.Handler, "", "/login").Body.String(); strings.Contains(page, "会话已过期") {
		t.Fatal("a fresh login page says the session expired")
	}
}

// TestLogoutEverywhere_EndsTheOtherBrowsersSessions: "sign out
// everywhere" from one browser ends the user's other sessions (their
// cookies stop working) and needs the session's CSRF token; another
// user's session goes on.
func TestLogoutEverywhere_EndsTheOtherBrowsersSessions(t *testing.T) {
	api, _ := setup(t)
	office, _ := api.Login(t, "demo-leader", leaderPassword, "")
	laptop, _ := api.Login(t, "demo-leader", leaderPassword, "")
	if rec := get(t, api.Handler, "", "/dashboard?period=2022", laptop); rec.Code != http.StatusOK {
		t.Fatalf("laptop signed in: %d", rec.Code)
	}
	csrf := sessionCSRF(t, api, office, "/dashboard?period=2022")
	if !strings.Contains(get(t, api.Handler, "", "/dashboard?period=2022", office).Body.String(), "退出所有会话") {
		t.Error("the dashboard offers no 退出所有会话")
	}
	if rec := post(api.Handler, "/logout/everywhere", url.Values{"csrf": {"wrong"}}, office); rec.Code != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", rec.Code)
	}
	if rec := post(api.Handler, "/logout/everywhere", url.Values{"csrf": {csrf}}, office); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Fatalf("sign out everywhere: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	for name, c := range map[string]*http.Cookie{"office": office, "laptop": laptop} {
		if rec := get(t, api.Handler, "", "/dashboard/data.json?period=2022", c); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s's cookie after sign out everywhere: %d", name, rec.Code)
		}
	}
	var n int
	if err := api.DB.OwnerConn(t).QueryRow(t.Context(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d sessions left (%v)", n, err)
	}
}

// TestTokensPage_CreateShowsTheSecretOnceListsAndRevokes: a signed-in
// user makes a named token on /account/tokens (CSRF-checked), sees its
// secret once, which works as a bearer token; the list shows name and
// times, never the secret; revoking stops it.
func TestTokensPage_CreateShowsTheSecretOnceListsAndRevokes(t *testing.T) {
	api, _ := setup(t)
	session, _ := api.Login(t, "demo-leader", leaderPassword, "")
	csrf := sessionCSRF(t, api, session, "/account/tokens")
	if rec := post(api.Handler, "/account/tokens", url.Values{"name": {"x"}, "days": {"30"}}, session); rec.Code != http.StatusForbidden {
		t.Fatalf("create without CSRF: %d", rec.Code)
	}
	made := post(api.Handler, "/account/tokens", url.Values{"csrf": {csrf}, "name": {"领导周报 weekly"}, "days": {"30"}}, session)
	secret := regexp.MustCompile(`<code id="secret">(sph_[A-Za-z0-9_-]{43})</code>`).FindStringSubmatch(made.Body.String())
	if made.Code != http.StatusOK || secret == nil || made.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %q:\n%s", made.Code, made.Header().Get("Cache-Control"), made.Body)
	}
	if resp := api.Do(t, secret[1], `{ me { name } }`, nil); len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), "demo-leader") {
		t.Fatalf("the new token: %s %v", resp.Data, resp.Errors)
	}
	list := get(t, api.Handler, "", "/account/tokens", session).Body.String()
	if strings.Contains(list, secret[1]) || !strings.Contains(list, "领导周报 weekly") || !strings.Contains(list, "北京时间") {
		t.Fatalf("list:\n%s", list)
	}
	if bad := post(api.Handler, "/account/tokens", url.Values{"csrf": {csrf}, "name": {"x"}, "days": {"9999"}}, session); bad.Code != http.StatusBadRequest {
		t.Errorf("9999 days: %d", bad.Code)
	}
	id := regexp.MustCompile(`action="/account/tokens/(\d+)/revoke"`).FindAllStringSubmatch(list, -1)
	if len(id) == 0 {
		t.Fatalf("no revoke button:\n%s", list)
	}
	// Newest first: the token made here.
	if rec := post(api.Handler, "/account/tokens/"+id[0][1]+"/revoke", url.Values{}, session); rec.Code != http.StatusForbidden {
		t.Fatalf("revoke without CSRF: %d", rec.Code)
	}
	if rec := post(api.Handler, "/account/tokens/"+id[0][1]+"/revoke", url.Values{"csrf": {csrf}}, session); rec.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	if resp := api.Do(t, secret[1], `{ me { name } }`, nil); resp.Code() != "UNAUTHENTICATED" {
		t.Fatalf("revoked token: %q", resp.Code())
	}
	if en := get(t, api.Handler, "", "/account/tokens?lang=en", session).Body.String(); !strings.Contains(en, "Revoked") || !strings.Contains(en, "New token") {
		t.Fatalf("English page:\n%s", en)
	}
	// Signed out, a browser is sent to the login page.
	if rec := get(t, api.Handler, "", "/account/tokens"); rec.Code != http.StatusSeeOther && rec.Code != http.StatusUnauthorized {
		t.Fatalf("signed out: %d", rec.Code)
	}
}
