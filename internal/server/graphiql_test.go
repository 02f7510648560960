package server_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/server"
)

// TestGraphiQLBundle_MatchesItsSources fails when tools/graphiql's inputs
// (package.json, package-lock.json, build.mjs, src/) changed without `npm
// run build`, or when a built file was edited, added or removed by hand:
// BUILD.sha256, which the build writes, names the hash of each.
func TestGraphiQLBundle_MatchesItsSources(t *testing.T) {
	root := filepath.Join("..", "..")
	f, err := os.Open("graphiql/BUILD.sha256")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		want, path, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("BUILD.sha256: bad line %q", sc.Text())
		}
		listed[path] = true
		b, err := os.ReadFile(filepath.Join(root, path))
		if err != nil {
			t.Errorf("%s: %v (rebuild: cd tools/graphiql && npm ci && npm run build)", path, err)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%s changed since the bundle was built: rebuild with cd tools/graphiql && npm ci && npm run build", path)
		}
	}
	for _, dir := range []string{"internal/server/graphiql/assets", "tools/graphiql/src"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if p := dir + "/" + e.Name(); !listed[p] {
				t.Errorf("%s is not in BUILD.sha256: rebuild the bundle", p)
			}
		}
	}
	if !listed["tools/graphiql/package-lock.json"] {
		t.Error("BUILD.sha256 does not record the lock file")
	}
}

var metaCSRF = regexp.MustCompile(`<meta name="hub-csrf" content="([^"]*)">`)

// graphiqlPage opens GET /graphql as a browser does, with the session
// cookie when given, and returns the page.
func graphiqlPage(t *testing.T, api *apitest.API, session *http.Cookie) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	r.Header.Set("Accept", "text/html")
	if session != nil {
		r.AddCookie(session)
	}
	w := httptest.NewRecorder()
	api.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GraphiQL page: %d %s", w.Code, w.Body)
	}
	return w.Body.String()
}

func postGraphQL(api *apitest.API, session *http.Cookie, token, csrf, query string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"`+query+`"}`))
	r.Header.Set("Content-Type", "application/json")
	if session != nil {
		r.AddCookie(session)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if csrf != "" {
		r.Header.Set(server.CSRFHeader, csrf)
	}
	w := httptest.NewRecorder()
	api.Handler.ServeHTTP(w, r)
	return w
}

// TestGraphQL_SessionNeedsTheCSRFHeaderTokenDoesNot: the dashboard's
// session works on /graphql only with the session's CSRF token in
// X-Hub-CSRF, which the GraphiQL page carries; a cookie alone (what a
// forged cross-site request sends) or a wrong token is refused 403
// FORBIDDEN; a bearer token needs no header.
func TestGraphQL_SessionNeedsTheCSRFHeaderTokenDoesNot(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	pw := "graphiql-leader-pw"
	token := api.User(t, hub.NewUser{Name: "gq-leader", Role: hub.Leader, Region: "370700", Password: &pw})
	session, _ := api.Login(t, "gq-leader", pw, "")

	if m := metaCSRF.FindStringSubmatch(graphiqlPage(t, api, nil)); m == nil || m[1] != "" {
		t.Fatalf("signed-out page carries a CSRF token: %v", m)
	}
	page := graphiqlPage(t, api, session)
	m := metaCSRF.FindStringSubmatch(page)
	if m == nil || m[1] == "" {
		t.Fatal("signed-in page carries no CSRF token")
	}
	csrf := m[1]
	if !strings.Contains(page, `<meta name="hub-role" content="leader">`) || !strings.Contains(page, "query Comparison") {
		t.Error("the leader's page does not preload the leader's examples")
	}
	const me = "{ me { name role } }"
	for _, tc := range []struct {
		name      string
		session   *http.Cookie
		token     string
		csrf      string
		status    int
		code, has string
	}{
		{"cookie without the header", session, "", "", http.StatusForbidden, hub.EFORBIDDEN, server.CSRFHeader},
		{"cookie with a wrong header", session, "", csrf + "x", http.StatusForbidden, hub.EFORBIDDEN, ""},
		{"cookie with the session's header", session, "", csrf, http.StatusOK, "", `"name":"gq-leader"`},
		{"token without the header", nil, token, "", http.StatusOK, "", `"name":"gq-leader"`},
		{"token and a cookie without the header", session, token, "", http.StatusOK, "", `"name":"gq-leader"`},
	} {
		w := postGraphQL(api, tc.session, tc.token, tc.csrf, me)
		body := w.Body.String()
		if w.Code != tc.status || !strings.Contains(body, tc.has) || (tc.code != "" && !strings.Contains(body, `"code":"`+tc.code+`"`)) {
			t.Errorf("%s: %d %s", tc.name, w.Code, body)
		}
		if tc.code != "" && strings.Contains(body, `"data"`) {
			t.Errorf("%s: refused request answered data: %s", tc.name, body)
		}
	}
	// A GET query under the cookie needs the header too.
	r := httptest.NewRequest(http.MethodGet, "/graphql?query=%7Bme%7Bname%7D%7D", nil)
	r.AddCookie(session)
	w := httptest.NewRecorder()
	api.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Errorf("GET with the cookie alone: %d %s", w.Code, w.Body)
	}
}

// TestGraphiQL_ExamplesRunForTheirRole runs every tab the page preloads,
// as a user of its role on the demo: none answers an error.
func TestGraphiQL_ExamplesRunForTheirRole(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	users := map[hub.Role]hub.NewUser{
		hub.Analyst:     {Name: "gq-analyst", Role: hub.Analyst, Department: &dept, Region: "370781"},
		hub.Coordinator: {Name: "gq-coordinator", Role: hub.Coordinator, Region: "370700"},
		hub.Leader:      {Name: "gq-leader", Role: hub.Leader, Region: "370700"},
		hub.Media:       {Name: "gq-media", Role: hub.Media, Region: "370700"},
		hub.Admin:       {Name: "gq-admin", Role: hub.Admin, Region: "370700"},
		"":              {Name: "gq-signed-out-reader", Role: hub.Leader, Region: "370700"},
	}
	for role, tabs := range server.GraphiQLExamples {
		u, ok := users[role]
		if !ok {
			t.Errorf("no test user for role %q", role)
			continue
		}
		token := api.User(t, u)
		if len(tabs) == 0 {
			t.Errorf("role %q has no tabs", role)
		}
		for _, tab := range tabs {
			resp := api.Do(t, token, tab.Query, nil)
			if len(resp.Errors) > 0 || resp.Status != http.StatusOK {
				t.Errorf("role %q: %d %+v\n%s", role, resp.Status, resp.Errors, tab.Query)
			}
		}
	}
}
