package dashboard_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// A page of a region outside the viewer's scope rendered "—" everywhere
// with the false reason 本期尚无已审核数据 (a county's leader or analyst
// opening the city, or another county): every route of such a region —
// page, region page, 大屏, data.json, the exports — answers 403 saying why,
// the pages in HTML with a way back to the viewer's own page, data.json
// and the exports in the JSON error body. The viewer's own pages, down to
// its towns, keep working, its county profile included.
func TestDashboard_RegionOutsideTheScopeIsForbiddenOnEveryRoute(t *testing.T) {
	api, city := setup(t)
	edu := "education"
	viewers := map[string]string{
		"county leader":  api.User(t, hub.NewUser{Name: "qz-leader-scope", Role: hub.Leader, Region: "370781"}),
		"county analyst": api.User(t, hub.NewUser{Name: "qz-edu-scope", Role: hub.Analyst, Department: &edu, Region: "370781"}),
	}
	const msg = "该地区不在您的查看范围内 / this region is outside your scope"
	pages := []string{"/dashboard?period=2022&parent=370700", "/dashboard/region/370700?period=2022", "/dashboard/region/370702?period=2022",
		"/dashboard/screen?period=2022&parent=370700", "/dashboard/screen?parent=370702&lang=en"}
	data := []string{"/dashboard/data.json?period=2022&parent=370700", "/dashboard/data.json?parent=370702",
		"/export/ranking.csv?period=2022&parent=370700", "/export/ranking.xlsx?period=2022&parent=370702",
		"/export/heatmap.csv?period=2022&parent=370700", "/export/heatmap.xlsx?parent=370702"}
	for who, token := range viewers {
		for _, target := range pages {
			home := "/dashboard"
			if strings.Contains(target, "lang=en") {
				home += "?lang=en"
			}
			body := wantHTMLError(t, who+" "+target, getAccept(t, api.Handler, token, target, browserAccept), http.StatusForbidden, msg, home)
			if strings.Contains(body, "本期尚无已审核数据") || strings.Contains(body, "潍城区") {
				t.Errorf("%s %s: the page shows the region:\n%s", who, target, body)
			}
		}
		for _, target := range append(pages, data...) {
			rec := getAccept(t, api.Handler, token, target, "")
			if rec.Code != http.StatusForbidden || errorCode(rec) != hub.EFORBIDDEN || !strings.Contains(rec.Body.String(), msg) {
				t.Errorf("%s %s (no Accept): %d %s, want 403 FORBIDDEN", who, target, rec.Code, rec.Body)
			}
		}
		for _, target := range data {
			rec := getAccept(t, api.Handler, token, target, browserAccept)
			if rec.Code != http.StatusForbidden || errorCode(rec) != hub.EFORBIDDEN {
				t.Errorf("%s %s (a browser): %d %s, want the JSON 403", who, target, rec.Code, rec.Body)
			}
		}
		// Its own county and its towns.
		for _, target := range []string{"/dashboard?period=2022", "/dashboard/region/370781?period=2022", "/dashboard/region/370781001?period=2022",
			"/dashboard/screen?period=2022&parent=370781", "/dashboard/data.json?period=2022&parent=370781", "/export/ranking.csv?period=2022"} {
			if rec := getAccept(t, api.Handler, token, target, browserAccept); rec.Code != http.StatusOK {
				t.Errorf("%s %s: %d, want its own page", who, target, rec.Code)
			}
		}
	}
	// The county leader's own county page still shows its profile, scored
	// against the peers' quartiles.
	leader := viewers["county leader"]
	d := dataOf(t, api.Handler, leader, "period=2022&parent=370781")
	if sub, _ := d.Charts["radar"]["title"].(map[string]any)["subtext"].(string); d.Empty["radar"] != "" || !strings.Contains(sub, "按同级地区四分位评分") {
		t.Errorf("county leader's own profile: empty %q, subtitle %q", d.Empty["radar"], sub)
	}
	// The city's leader reads the city and every county.
	for _, target := range []string{"/dashboard?period=2022&parent=370700", "/dashboard/region/370702?period=2022", "/dashboard/data.json?parent=370702",
		"/export/heatmap.xlsx?period=2022&parent=370700"} {
		if rec := getAccept(t, api.Handler, city, target, browserAccept); rec.Code != http.StatusOK {
			t.Errorf("city leader %s: %d", target, rec.Code)
		}
	}
}
