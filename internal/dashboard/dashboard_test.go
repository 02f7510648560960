package dashboard_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

const leaderPassword = "leader-password-1"

var scriptTag = regexp.MustCompile(`(?s)<script(\s[^>]*)?>(.*?)</script>`)

// inlineScripts returns the openings of the page's inline scripts that a
// browser would run: every <script> with content, except JSON data blocks
// (type="application/json"), which are never run and need no CSP source.
func inlineScripts(body string) []string {
	var out []string
	for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
		if strings.TrimSpace(m[2]) == "" || strings.Contains(m[1], `type="application/json"`) {
			continue
		}
		out = append(out, m[0][:min(len(m[0]), 80)])
	}
	return out
}

// inlineData returns the page's JSON data block #hub-data.
func inlineData(t *testing.T, body string) []byte {
	t.Helper()
	for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
		if strings.Contains(m[1], `id="hub-data"`) {
			return []byte(m[2])
		}
	}
	t.Fatal("the page has no #hub-data block")
	return nil
}

// The dashboard and the 大屏 carry their first data.json answer in the
// page (a JSON data block, no script), so that their charts are drawn
// without a second request: the same figures as data.json, the boundary
// file named by its hash and preloaded from the head.
func TestDashboard_PagesCarryTheirDataJSON(t *testing.T) {
	api, token := setup(t)
	for _, q := range []string{"period=2022&indicator=child_directors&percap=1", "period=2022&parent=370781", "period=2021&lang=en"} {
		for _, page := range []string{"/dashboard?", "/dashboard/screen?"} {
			rec := get(t, api.Handler, token, page+q)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s%s: %d", page, q, rec.Code)
			}
			body := rec.Body.String()
			var inPage, served any
			if err := json.Unmarshal(inlineData(t, body), &inPage); err != nil {
				t.Fatalf("%s%s: data block: %v", page, q, err)
			}
			data := get(t, api.Handler, token, "/dashboard/data.json?"+q)
			if err := json.Unmarshal(data.Body.Bytes(), &served); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(inPage, served) {
				t.Errorf("%s%s: the page's data block differs from data.json", page, q)
			}
			if bad := inlineScripts(body); len(bad) > 0 {
				t.Errorf("%s%s: inline scripts %q", page, q, bad)
			}
			// The city's pages draw a map: its boundaries are preloaded
			// under their hashed, immutable name; a district's have none.
			preload := regexp.MustCompile(`<link rel="preload" href="(/dashboard/assets/maps/shan1_dong1_wei2_fang1\.[0-9a-f]{12}\.geojson)" as="fetch"`).FindStringSubmatch(body)
			if city := !strings.Contains(q, "parent=370781"); city != (preload != nil) {
				t.Errorf("%s%s: map preload %v", page, q, preload)
			} else if city {
				m := served.(map[string]any)["maps"].(map[string]any)["map"].(map[string]any)
				if m["url"] != preload[1] {
					t.Errorf("%s%s: preloads %s, the map registers %v", page, q, preload[1], m["url"])
				}
				if rec := get(t, api.Handler, "", preload[1]); rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
					t.Errorf("boundary file %s: %d %v", preload[1], rec.Code, rec.Header())
				}
			}
		}
	}
}

func setup(t testing.TB) (*apitest.API, string) {
	t.Helper()
	api := apitest.New(t, apitest.Options{})
	pw := leaderPassword
	token := api.User(t, hub.NewUser{Name: "demo-leader", Role: hub.Leader, Region: "370700", Password: &pw})
	return api, token
}

func get(t testing.TB, h http.Handler, token, target string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var externalURL = regexp.MustCompile(`https?://[^\s"'<>]+`)

func TestDashboard_LeaderSeesRankingFromReleasedValues(t *testing.T) {
	api, token := setup(t)
	rec := get(t, api.Handler, token, "/dashboard?period=2022")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	if !strings.Contains(body, `<html lang="zh-CN">`) {
		t.Error("page is not Chinese first")
	}
	if !regexp.MustCompile(`<tr data-region="370781"><td>\d+</td><td><a href="[^"]+">青州市</a></td><td class="num">1080</td>`).MatchString(body) {
		t.Errorf("ranking does not show 青州市 1080:\n%s", body)
	}
	if !strings.Contains(body, "万") {
		t.Error("KPIs are not written with 万")
	}
	if !regexp.MustCompile(`src="/dashboard/assets/echarts\.min\.[0-9a-f]{12}\.js"`).MatchString(body) {
		t.Error("ECharts is not loaded from the hub")
	}
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") || strings.Contains(csp, "script-src 'self' 'unsafe-inline'") {
		t.Errorf("CSP not strict for scripts: %s", csp)
	}
	if bad := inlineScripts(body); len(bad) > 0 {
		t.Errorf("page has inline scripts: %q", bad)
	}

	data := get(t, api.Handler, token, "/dashboard/data.json?period=2022")
	var out struct {
		Charts map[string]map[string]any `json:"charts"`
		Links  map[string][]string       `json:"links"`
	}
	if err := json.Unmarshal(data.Body.Bytes(), &out); err != nil {
		t.Fatalf("data.json: %v: %s", err, data.Body)
	}
	for _, id := range []string{"bar", "radar", "trend", "heatmap"} {
		if out.Charts[id] == nil || out.Charts[id]["series"] == nil {
			t.Errorf("chart %s has no options", id)
		}
	}
	if len(out.Links["bar"]) == 0 || !strings.HasPrefix(out.Links["bar"][0], "/dashboard/region/") {
		t.Errorf("bar links: %v", out.Links["bar"])
	}
}

func TestDashboard_NoPageReferencesOutsideTheHub(t *testing.T) {
	api, token := setup(t)
	for _, target := range []string{"/login", "/dashboard?period=2022", "/dashboard?period=2022&lang=en&percap=1",
		"/dashboard/region/370781?period=2022", "/dashboard/data.json?period=2022", "/dashboard/assets/dashboard.js",
		"/dashboard/assets/dashboard.css"} {
		rec := get(t, api.Handler, token, target)
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d", target, rec.Code)
		}
		if u := externalURL.FindString(rec.Body.String()); u != "" {
			t.Errorf("%s references %s", target, u)
		}
	}
}

func TestDashboard_EnglishPerCapitaAndRegionPage(t *testing.T) {
	api, token := setup(t)
	body := get(t, api.Handler, token, "/dashboard?period=2022&lang=en&percap=1").Body.String()
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Qingzhou") || !strings.Contains(body, "<b>Per 10,000 minors</b>") {
		t.Errorf("English per-capita page wrong:\n%s", body)
	}
	rec := get(t, api.Handler, token, "/dashboard/region/370781?period=2022")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "王府街道") {
		t.Errorf("district page does not compare its towns: %d\n%s", rec.Code, rec.Body)
	}
	if rec := get(t, api.Handler, token, "/dashboard/region/999999?period=2022"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown region: status %d", rec.Code)
	}
	if rec := get(t, api.Handler, token, "/dashboard?period=20x2"); rec.Code != http.StatusBadRequest {
		t.Errorf("bad period: status %d", rec.Code)
	}
}

func TestDashboard_UnapprovedValuesNeverAppear(t *testing.T) {
	api, token := setup(t)
	// The demo's 2023 values are drafts and submissions only.
	body := get(t, api.Handler, token, "/dashboard?period=2023").Body.String()
	if m := regexp.MustCompile(`<td class="num">[≥≈]?[0-9]`).FindString(body); m != "" {
		t.Errorf("a 2023 value reached the leader: %s", m)
	}
}

func TestDashboard_WithoutLoginGoesToLogin(t *testing.T) {
	api, _ := setup(t)
	rec := get(t, api.Handler, "", "/dashboard?period=2022")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login?next=") {
		t.Errorf("status %d location %q", rec.Code, rec.Header().Get("Location"))
	}
	for _, target := range []string{"/dashboard/data.json", "/export/ranking.csv"} {
		if rec := get(t, api.Handler, "", target); rec.Code != http.StatusUnauthorized {
			t.Errorf("%s without login: status %d", target, rec.Code)
		}
	}
	if rec := get(t, api.Handler, "sph_bogus", "/export/ranking.csv"); rec.Code != http.StatusUnauthorized {
		t.Errorf("bad token: status %d", rec.Code)
	}
}

func cookieNamed(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func post(h http.Handler, target string, form url.Values, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestLogin_SessionCookieCSRFAndLogout(t *testing.T) {
	api, _ := setup(t)
	page := get(t, api.Handler, "", "/login?next=/dashboard%3Fperiod%3D2022")
	csrf := cookieNamed(page, "hub_login_csrf")
	if csrf == nil || !strings.Contains(page.Body.String(), `value="`+csrf.Value+`"`) {
		t.Fatal("login page has no CSRF token")
	}
	form := url.Values{"username": {"demo-leader"}, "password": {leaderPassword}, "csrf": {csrf.Value}, "next": {"/dashboard?period=2022"}}

	noToken := url.Values{"username": {"demo-leader"}, "password": {leaderPassword}}
	if rec := post(api.Handler, "/login", noToken, csrf); rec.Code != http.StatusForbidden {
		t.Errorf("login without CSRF token: status %d", rec.Code)
	}
	cross := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	cross.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	cross.AddCookie(csrf)
	rec := httptest.NewRecorder()
	api.Handler.ServeHTTP(rec, cross)
	if rec.Code != http.StatusForbidden {
		t.Errorf("cross-site login: status %d", rec.Code)
	}
	wrong := url.Values{"username": {"demo-leader"}, "password": {"nope-nope-nope"}, "csrf": {csrf.Value}}
	if rec := post(api.Handler, "/login", wrong, csrf); rec.Code != http.StatusUnauthorized || cookieNamed(rec, "hub_session") != nil {
		t.Errorf("wrong password: status %d", rec.Code)
	}

	rec = post(api.Handler, "/login", form, csrf)
	sess := cookieNamed(rec, "hub_session")
	if rec.Code != http.StatusSeeOther || sess == nil || rec.Header().Get("Location") != "/dashboard?period=2022" {
		t.Fatalf("login: status %d, location %q", rec.Code, rec.Header().Get("Location"))
	}
	if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure {
		t.Errorf("session cookie flags: %+v", sess)
	}
	dash := get(t, api.Handler, "", "/dashboard?period=2022", sess)
	if dash.Code != http.StatusOK {
		t.Fatalf("dashboard with session: %d", dash.Code)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(dash.Body.String())
	if m == nil {
		t.Fatal("no logout form")
	}
	if rec := post(api.Handler, "/logout", url.Values{"csrf": {"forged"}}, sess); rec.Code != http.StatusForbidden {
		t.Errorf("logout with a forged token: status %d", rec.Code)
	}
	if rec := post(api.Handler, "/logout", url.Values{"csrf": {m[1]}}, sess); rec.Code != http.StatusSeeOther {
		t.Errorf("logout: status %d", rec.Code)
	}
	if rec := get(t, api.Handler, "", "/dashboard?period=2022", sess); rec.Code != http.StatusSeeOther {
		t.Errorf("dashboard after logout: status %d", rec.Code)
	}
	if rec := post(api.Handler, "/login", url.Values{"username": {"demo-leader"}, "password": {leaderPassword}, "csrf": {csrf.Value}, "next": {"//evil.example/"}}, csrf); rec.Header().Get("Location") != "/dashboard" {
		t.Errorf("open redirect: %q", rec.Header().Get("Location"))
	}
}

func TestExport_RankingAsCSVAndXLSX(t *testing.T) {
	api, token := setup(t)
	rec := get(t, api.Handler, token, "/export/ranking.csv?period=2022")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "370781,青州市,1080,") {
		t.Fatalf("csv %d:\n%s", rec.Code, rec.Body)
	}
	rec = get(t, api.Handler, token, "/export/ranking.xlsx?period=2022")
	f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	rows, _ := f.GetRows(f.GetSheetName(0), excelize.Options{RawCellValue: true})
	found := false
	for _, r := range rows {
		if len(r) > 3 && r[1] == "370781" && r[3] == "1080" {
			found = true
		}
	}
	if !found {
		t.Errorf("xlsx has no 青州市 1080: %v", rows)
	}
	if rec := get(t, api.Handler, token, "/export/heatmap.csv?period=2022&protection=GOVERNMENT"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "村（居）儿童主任数") {
		t.Errorf("heatmap csv %d", rec.Code)
	}
	if rec := get(t, api.Handler, token, "/export/secrets.csv"); rec.Code != http.StatusNotFound {
		t.Errorf("unknown table: %d", rec.Code)
	}
}

func TestDashboard_CountyLeaderSeesOnlyTheirCounty(t *testing.T) {
	api, _ := setup(t)
	token := api.User(t, hub.NewUser{Name: "qingzhou-leader", Role: hub.Leader, Region: "370781"})
	body := get(t, api.Handler, token, "/dashboard?period=2022").Body.String()
	if !strings.Contains(body, "王府街道") || strings.Contains(body, "奎文区") {
		t.Errorf("a county leader's dashboard is not their towns")
	}
	// Another county's page exists, but it is not theirs to read: it is
	// refused (TestDashboard_RegionOutsideTheScopeIsForbiddenOnEveryRoute).
	rec := get(t, api.Handler, token, "/dashboard/region/370705?period=2022")
	if m := regexp.MustCompile(`<td class="num">[≥≈]?[0-9]`).FindString(rec.Body.String()); rec.Code != http.StatusForbidden || m != "" {
		t.Errorf("奎文区's page for Qingzhou's leader: %d, value %q", rec.Code, m)
	}
	rec = get(t, api.Handler, token, "/export/ranking.csv?period=2022&parent=370700")
	if csv := rec.Body.String(); rec.Code != http.StatusForbidden || strings.Contains(csv, "1080") || strings.Contains(csv, "奎文区") {
		t.Errorf("the city's export for Qingzhou's leader: %d\n%s", rec.Code, csv)
	}
}

// The media office may open the dashboard, but it must show them nothing
// the release rules keep from them: for every indicator of the catalogue,
// the ranking and the heatmap hold figures only of publicity indicators,
// and only of the published year.
func TestDashboard_MediaSeesOnlyPublishedPublicityFigures(t *testing.T) {
	api, _ := setup(t)
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	var cat struct {
		Indicators []struct {
			Key, Name string
			Publicity bool
		}
	}
	api.Query(t, media, `{ indicators { key name publicity } }`, nil, &cat)
	publicity := map[string]bool{} // by name, as the heatmap lists them
	shown := 0
	for _, ind := range cat.Indicators {
		publicity[ind.Name] = ind.Publicity
		for _, period := range []string{"2022", "2023"} {
			rec := get(t, api.Handler, media, "/export/ranking.csv?period="+period+"&indicator="+ind.Key)
			if rec.Code != http.StatusOK {
				t.Fatalf("ranking of %s %s: %d %s", ind.Key, period, rec.Code, rec.Body)
			}
			rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows[1:] {
				if row[3] == "" {
					continue
				}
				if !ind.Publicity || period != "2022" {
					t.Errorf("media sees %s of %s for %s: %s", ind.Key, row[1], period, row[3])
				}
				shown++
			}
		}
	}
	if shown == 0 {
		t.Fatal("media sees no published figure at all; the test proves nothing")
	}
	for _, p := range []string{"FAMILY", "SCHOOL", "SOCIETY", "ONLINE", "GOVERNMENT", "JUDICIAL"} {
		rec := get(t, api.Handler, media, "/export/heatmap.csv?period=2022&protection="+p)
		rows, _ := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
		// indicator, key, region code, region, value, ...
		for _, row := range rows[1:] {
			if row[4] != "" && !publicity[row[0]] {
				t.Errorf("heatmap %s: media sees %q of %s = %s", p, row[0], row[2], row[4])
			}
		}
	}
	if body := get(t, api.Handler, media, "/dashboard?period=2022").Body.String(); strings.Contains(body, ">1080<") {
		t.Error("the dashboard shows the media office 青州市's unpublished 1080 child directors")
	}
}

// The headline figures are the page's own region's totals (the rollups
// the API's trend reads): a district page shows 青州市's county-level minors
// and child directors, which its towns do not carry, and a city page the
// city's totals; unapproved periods show "—".
func TestDashboard_KPIsAreTheRegionsOwnTotals(t *testing.T) {
	api, token := setup(t)
	figures := func(target string) []string {
		t.Helper()
		rec := get(t, api.Handler, token, target)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", target, rec.Code)
		}
		var out []string
		for _, m := range regexp.MustCompile(`<div class="figure"[^>]*>([^<]*)</div><div class="note">([^<]*)</div>`).FindAllStringSubmatch(rec.Body.String(), -1) {
			out = append(out, m[1]+" | "+m[2])
		}
		if len(out) != 4 {
			t.Fatalf("%s: %d KPI cards, want 4: %v", target, len(out), out)
		}
		return out
	}
	district := figures("/dashboard/region/370781?period=2022")
	if district[0] != "17.90万 | 青州市 2022" || district[1] != "1080 | 青州市 2022" {
		t.Errorf("district KPIs %v, want 青州市's minors 17.90万 and child directors 1080", district)
	}
	city := figures("/dashboard?period=2022")
	if !strings.HasSuffix(city[0], "| 潍坊市 2022") || !strings.Contains(city[0], "万") || city[0] == district[0] {
		t.Errorf("city KPIs %v: want 潍坊市's own total", city)
	}
	for i, f := range figures("/dashboard?period=2023")[:3] {
		if !strings.HasPrefix(f, "— |") {
			t.Errorf("2023 KPI %d is %q, want — (nothing approved)", i, f)
		}
	}
}

// TestDashboard_SyntheticValuesAreLabelled: the demo's regions are real,
// so a page and an export showing generated values say so; a page whose
// values are all real (a county leader's seed-only period) does not.
func TestDashboard_SyntheticValuesAreLabelled(t *testing.T) {
	api, token := setup(t)
	const note = syntheticNote
	if body := get(t, api.Handler, token, "/dashboard/region/370781?period=2022").Body.String(); !strings.Contains(body, note) {
		t.Errorf("青州市's page of synthetic town values has no synthetic label")
	}
	if body := get(t, api.Handler, token, "/dashboard?period=2022&lang=en").Body.String(); !strings.Contains(body, "includes synthetic demo data, not real figures") {
		t.Errorf("the English city page has no synthetic label")
	}
	// Exports mark each generated figure in a column of its own.
	rec := get(t, api.Handler, token, "/export/ranking.csv?period=2022")
	lines := strings.Split(strings.TrimSpace(rec.Body.String()), "\n")
	if !strings.HasSuffix(strings.TrimSpace(lines[0]), "模拟数据") || !slices.ContainsFunc(lines[1:], func(l string) bool { return strings.HasSuffix(strings.TrimSpace(l), ",模拟") }) {
		t.Errorf("ranking export marks no synthetic figure: %q …", lines[:2])
	}
	if body := get(t, api.Handler, token, "/dashboard?period=1999").Body.String(); strings.Contains(body, note) {
		t.Errorf("a period without values is labelled synthetic")
	}
}

// syntheticNote is what a page showing generated demo values says.
const syntheticNote = "含模拟演示数据，非真实统计"
