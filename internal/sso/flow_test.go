package sso_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/browsertest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/sso"
)

// provider is a real OpenID Connect provider on loopback (mockoidc) with
// the authorization requests it received.
type provider struct {
	*mockoidc.MockOIDC
	mu        sync.Mutex
	authorize []url.Values
}

func startProvider(t *testing.T) *provider {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &provider{MockOIDC: m}
	_ = m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, mockoidc.AuthorizationEndpoint) {
				p.mu.Lock()
				p.authorize = append(p.authorize, r.URL.Query())
				p.mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return p
}

// hubWithSSO serves the hub over the demo with single sign-on to p: the
// group wf-leaders signs on as a leader of 青州市 (370781).
func hubWithSSO(t *testing.T, p *provider) (*apitest.API, *httptest.Server) {
	t.Helper()
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	mc := p.Config()
	signOn, err := sso.New(context.Background(), sso.Config{Issuer: mc.Issuer, ClientID: mc.ClientID, ClientSecret: mc.ClientSecret,
		RedirectURL: srv.URL + "/login/sso/callback",
		Rules:       []sso.Rule{{Claim: "groups", Equals: "wf-leaders", Role: "leader", Region: "370781"}}})
	if err != nil {
		t.Fatal(err)
	}
	api := apitest.New(t, apitest.Options{SSO: signOn})
	h = api.Handler
	return api, srv
}

func person(name string, groups ...string) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: "sub-" + name, PreferredUsername: name, Email: name + "@example.gov.cn", Groups: groups}
}

// TestSSO_BrowserSignsOnThroughTheProvider drives Chromium through the
// whole flow: the login page's 统一身份认证登录 button, the provider's
// authorization endpoint (state, nonce and an S256 PKCE challenge sent),
// the callback, and the dashboard as the new user, in a session like a
// password login's. The user is created with the mapped role and region
// and the login audited through channel SSO.
func TestSSO_BrowserSignsOnThroughTheProvider(t *testing.T) {
	p := startProvider(t)
	api, srv := hubWithSSO(t, p)
	p.QueueUser(person("qz.leader", "staff", "wf-leaders"))
	ctx := browser(t)
	var steps []string
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/login?next=/dashboard%3Fperiod%3D2022"), chromedp.WaitVisible(chromedp.ID("sso"))); err != nil {
		t.Fatal(err)
	}
	button, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("sso")))
	if err != nil {
		t.Fatal(err)
	}
	steps = append(steps, "login page "+srv.URL+"/login: button "+button)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("sso")), chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
		t.Fatal(err)
	}
	final, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("header")))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(final)
	if u.Path != "/dashboard" || u.Query().Get("period") != "2022" || !strings.Contains(body, "qz.leader") || !strings.Contains(body, "青州市") {
		t.Fatalf("landed on %s with header %q", final, body)
	}
	steps = append(steps, "landed on "+u.RequestURI()+", header: "+strings.Join(strings.Fields(body), " "))
	p.mu.Lock()
	if len(p.authorize) != 1 {
		t.Fatalf("%d authorization requests", len(p.authorize))
	}
	q := p.authorize[0]
	p.mu.Unlock()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || len(q.Get("state")) < 40 || len(q.Get("nonce")) < 40 ||
		q.Get("redirect_uri") != srv.URL+"/login/sso/callback" || !strings.Contains(q.Get("scope"), "openid") {
		t.Fatalf("authorization request %v", q)
	}
	steps = append(steps[:1], append([]string{"provider's authorize: response_type " + q.Get("response_type") + ", scope " + q.Get("scope") +
		", state and nonce (43 characters each), code_challenge_method " + q.Get("code_challenge_method")}, steps[1:]...)...)
	owner := api.DB.OwnerConn(t)
	var role, region, identity, channel string
	if err := owner.QueryRow(t.Context(), `SELECT role, region_code, sso_identity FROM users WHERE name = 'qz.leader'`).Scan(&role, &region, &identity); err != nil {
		t.Fatal(err)
	}
	if role != "leader" || region != "370781" || identity != p.Issuer()+"#sub-qz.leader" {
		t.Fatalf("user %s %s %s", role, region, identity)
	}
	if err := owner.QueryRow(t.Context(), `SELECT channel FROM audit_log WHERE action = 'login' AND actor = 'qz.leader'`).Scan(&channel); err != nil || channel != "SSO" {
		t.Fatalf("login audit: %q %v", channel, err)
	}
	steps = append(steps, "user qz.leader created: role "+role+", region "+region+"; audit login through "+channel)
	for i, s := range steps {
		t.Logf("step %d: %s", i+1, s)
	}
}

// signOn runs the flow with a plain HTTP client that follows redirects
// and keeps cookies, as a browser would, and returns the last answer.
func signOn(t *testing.T, srv *httptest.Server, jar http.CookieJar) (*http.Response, string) {
	t.Helper()
	c := &http.Client{Jar: jar}
	resp, err := c.Get(srv.URL + "/login/sso")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, html.UnescapeString(string(b))
}

func newJar(t *testing.T) http.CookieJar {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return jar
}

// flowOf reads and rewrites the flow cookie the hub set (tests tamper
// with it the way an attacker who swaps codes or replays tokens would).
func flowOf(t *testing.T, jar http.CookieJar, srv *httptest.Server, change func(map[string]any)) {
	t.Helper()
	u, _ := url.Parse(srv.URL + "/login/sso/callback")
	for _, c := range jar.Cookies(u) {
		if c.Name != "hub_sso_flow" {
			continue
		}
		b, _ := base64.RawURLEncoding.DecodeString(c.Value)
		var f map[string]any
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		change(f)
		b, _ = json.Marshal(f)
		jar.SetCookies(u, []*http.Cookie{{Name: "hub_sso_flow", Value: base64.RawURLEncoding.EncodeToString(b), Path: "/login/sso"}})
		return
	}
	t.Fatal("no flow cookie")
}

// TestSSO_RefusalsOverHTTP: an unmapped group, a disabled user and a name
// taken by a local account are refused with a bilingual page and
// audited; a callback whose state does not match, one without the flow's
// cookie, a wrong PKCE verifier and a replaced nonce are refused, and no
// refusal starts a session.
func TestSSO_RefusalsOverHTTP(t *testing.T) {
	p := startProvider(t)
	api, srv := hubWithSSO(t, p)
	owner := api.DB.OwnerConn(t)
	refused := func(name string, resp *http.Response, body, want string) {
		t.Helper()
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want 403 saying %q:\n%s", name, resp.StatusCode, want, body)
		}
		for _, c := range resp.Cookies() {
			if c.Name == "hub_session" && c.MaxAge >= 0 {
				t.Errorf("%s: a session cookie", name)
			}
		}
	}

	p.QueueUser(person("outsider", "engineering"))
	resp, body := signOn(t, srv, newJar(t))
	refused("unmapped", resp, body, "您的统一身份认证账号没有对应的角色，请联系管理员 / your single sign-on account maps to no role of the hub")

	p.QueueUser(person("qz.leader", "wf-leaders"))
	if resp, body := signOn(t, srv, newJar(t)); resp.StatusCode != http.StatusOK || !strings.Contains(body, "qz.leader") {
		t.Fatalf("mapped user: %d", resp.StatusCode)
	}
	if _, err := owner.Exec(t.Context(), `UPDATE users SET disabled = true WHERE name = 'qz.leader'`); err != nil {
		t.Fatal(err)
	}
	p.QueueUser(person("qz.leader", "wf-leaders"))
	resp, body = signOn(t, srv, newJar(t))
	refused("disabled", resp, body, "您的账号已停用，请联系管理员 / your account is disabled")

	pw := "a-local-password-1"
	api.User(t, hub.NewUser{Name: "local.admin", Role: hub.Admin, Region: "370700", Password: &pw})
	p.QueueUser(person("local.admin", "wf-leaders"))
	resp, body = signOn(t, srv, newJar(t))
	refused("name taken", resp, body, "用户名已被本地账号使用")
	var role string
	if err := owner.QueryRow(t.Context(), `SELECT role FROM users WHERE name = 'local.admin' AND sso_identity IS NULL`).Scan(&role); err != nil || role != "admin" {
		t.Fatalf("the local account changed: %q %v", role, err)
	}

	var audited []string
	rows, _ := owner.Query(t.Context(), `SELECT detail FROM audit_log WHERE action = 'login_failure' AND channel = 'SSO' ORDER BY id`)
	for rows.Next() {
		var d string
		_ = rows.Scan(&d)
		audited = append(audited, d)
	}
	if len(audited) != 3 || !strings.Contains(audited[0], "(unmapped)") || !strings.Contains(audited[1], "(disabled)") || !strings.Contains(audited[2], "(name taken)") {
		t.Fatalf("audited refusals %q", audited)
	}

	// The callback's checks, with a client that stops at the callback.
	noFollow := func(jar http.CookieJar) *http.Client {
		return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
			if req.URL.Path == "/login/sso/callback" {
				return http.ErrUseLastResponse
			}
			return nil
		}}
	}
	callback := func(name string, jar http.CookieJar, tamper func(q url.Values), want string) {
		t.Helper()
		p.QueueUser(person("qz.leader2", "wf-leaders"))
		r, err := noFollow(jar).Get(srv.URL + "/login/sso")
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		loc, _ := url.Parse(r.Header.Get("Location"))
		q := loc.Query()
		if tamper != nil {
			tamper(q)
		}
		loc.RawQuery = q.Encode()
		resp, err := (&http.Client{Jar: jar}).Get(loc.String())
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		refused(name, resp, html.UnescapeString(string(b)), want)
	}
	callback("bad state", newJar(t), func(q url.Values) { q.Set("state", "forged") }, "登录状态校验失败，请重新登录 / the sign-on state did not match")
	jar := newJar(t)
	callback("no flow cookie", &dropFlow{jar}, nil, "登录状态校验失败")
	callback("provider error", newJar(t), func(q url.Values) { q.Del("code"); q.Set("error", "access_denied") }, "统一身份认证拒绝了登录")
	// A wrong PKCE verifier: the provider refuses the code.
	jar = newJar(t)
	pkce := &rewriteFlow{t: t, jar: jar, srv: srv, change: func(f map[string]any) { f["v"] = strings.Repeat("A", 43) }}
	callback("wrong PKCE verifier", pkce, nil, "single sign-on did not confirm the login")
	// A nonce other than the flow's: the ID token is not this flow's.
	jar = newJar(t)
	nonce := &rewriteFlow{t: t, jar: jar, srv: srv, change: func(f map[string]any) { f["n"] = "another-nonce" }}
	callback("replaced nonce", nonce, nil, "the ID token's nonce did not match")
	var n int
	if err := owner.QueryRow(t.Context(), `SELECT count(*) FROM users WHERE name = 'qz.leader2'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused callback created the user: %d %v", n, err)
	}
}

// dropFlow is a cookie jar that never sends the flow cookie back.
type dropFlow struct{ http.CookieJar }

func (d *dropFlow) Cookies(u *url.URL) []*http.Cookie {
	var out []*http.Cookie
	for _, c := range d.CookieJar.Cookies(u) {
		if c.Name != "hub_sso_flow" {
			out = append(out, c)
		}
	}
	return out
}

// rewriteFlow is a cookie jar that changes the flow cookie as it stores it.
type rewriteFlow struct {
	t      *testing.T
	jar    http.CookieJar
	srv    *httptest.Server
	change func(map[string]any)
}

func (r *rewriteFlow) SetCookies(u *url.URL, cs []*http.Cookie) {
	r.jar.SetCookies(u, cs)
	for _, c := range cs {
		if c.Name == "hub_sso_flow" && c.MaxAge >= 0 && c.Value != "" {
			flowOf(r.t, r.jar, r.srv, r.change)
		}
	}
}

func (r *rewriteFlow) Cookies(u *url.URL) []*http.Cookie { return r.jar.Cookies(u) }

// browser starts Debian's chromium with a fresh profile, or skips outside
// CI when there is none (flags as internal/dashboard's browser tests).
func browser(t *testing.T) context.Context {
	return browsertest.Chromium(t, 1366, 900, 180*time.Second)
}
