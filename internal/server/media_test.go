package server_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

func get(api *apitest.API, token, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	api.Handler.ServeHTTP(rec, req)
	return rec
}

func TestPublicityExport_MediaGetsPublishedFiguresAsCSVAndJSON(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})

	csv := get(api, media, "/export/publicity.csv?period=2022")
	if csv.Code != http.StatusOK || !strings.Contains(csv.Body.String(), "brochures_distributed,370705,2022,20000,AT_LEAST,copies,PUBLISHED,false,2万余份") {
		t.Fatalf("CSV %d:\n%s", csv.Code, csv.Body.String())
	}
	if strings.Contains(csv.Body.String(), "child_directors") || strings.Contains(csv.Body.String(), ",2023,") {
		t.Error("CSV holds a non-publicity or unpublished figure")
	}
	js := get(api, media, "/export/publicity.json?period=2022&region=370781")
	var out struct{ Observations []map[string]any }
	if err := json.Unmarshal(js.Body.Bytes(), &out); err != nil || len(out.Observations) == 0 {
		t.Fatalf("JSON %d: %s", js.Code, js.Body.String())
	}
	for _, o := range out.Observations {
		if !strings.HasPrefix(o["region"].(string), "370781") || o["status"] != "PUBLISHED" {
			t.Errorf("observation outside the request: %v", o)
		}
	}
	for _, tc := range []struct {
		token, path string
		status      int
	}{
		{"", "/export/publicity.csv?period=2022", http.StatusUnauthorized},
		{"", "/export/publicity.json?period=2022", http.StatusUnauthorized},
		{"", "/media", http.StatusUnauthorized},
		{analyst, "/export/publicity.csv?period=2022", http.StatusForbidden},
		{analyst, "/media", http.StatusForbidden},
		{media, "/export/publicity.csv", http.StatusBadRequest},
		{media, "/export/publicity.csv?period=2022Q9", http.StatusBadRequest},
	} {
		if rec := get(api, tc.token, tc.path); rec.Code != tc.status {
			t.Errorf("%s (token %v): %d, want %d", tc.path, tc.token != "", rec.Code, tc.status)
		}
	}
	page := get(api, media, "/media")
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "2022年度未成年人保护宣传统计") ||
		!strings.Contains(page.Body.String(), `lang="zh-CN"`) || !strings.Contains(html.UnescapeString(page.Body.String()), "北京时间 (UTC+08:00 Asia/Shanghai)") {
		t.Errorf("release view %d:\n%s", page.Code, page.Body.String())
	}
}

// The media office works in a browser: after /login its session cookie
// opens the release view and the downloads, and a browser arriving without
// one is sent to the login form rather than shown a bare 401.
func TestReleaseView_MediaLogsInWithABrowser(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	pw := "media-password-1"
	api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700", Password: &pw})

	nav := httptest.NewRequest(http.MethodGet, "/media", nil)
	nav.Header.Set("Accept", "text/html,application/xhtml+xml")
	nav.Header.Set("Sec-Fetch-Mode", "navigate")
	rec := httptest.NewRecorder()
	api.Handler.ServeHTTP(rec, nav)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login?next=%2Fmedia" {
		t.Errorf("browser without a session: %d to %q, want 303 to the login form", rec.Code, rec.Header().Get("Location"))
	}

	session, next := api.Login(t, "media", pw, "")
	if next != "/media" {
		t.Errorf("the media office lands on %q after login, want /media", next)
	}
	withCookie := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(session)
		rec := httptest.NewRecorder()
		api.Handler.ServeHTTP(rec, req)
		return rec
	}
	if page := withCookie("/media"); page.Code != http.StatusOK || !strings.Contains(page.Body.String(), "/export/publicity.csv?period=2022") {
		t.Errorf("release view with a session: %d", page.Code)
	}
	if csv := withCookie("/export/publicity.csv?period=2022"); csv.Code != http.StatusOK || !strings.Contains(csv.Body.String(), "2万余份") {
		t.Errorf("download with a session: %d", csv.Code)
	}
	forged := &http.Cookie{Name: session.Name, Value: "forged-" + session.Value}
	req := httptest.NewRequest(http.MethodGet, "/export/publicity.json?period=2022", nil)
	req.AddCookie(forged)
	rec = httptest.NewRecorder()
	api.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("forged session cookie: %d, want 401", rec.Code)
	}
}

// TestPublicityExports_MarkSyntheticFigures: /export/publicity.csv has a
// synthetic column and .json a synthetic field, like GraphQL's
// publicityStats: true for a generated figure and for a total that adds
// one, false for the seed's real figures; template.xlsx, which shows the
// current values, keeps their synthetic comment.
func TestPublicityExports_MarkSyntheticFigures(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})

	rec := get(api, media, "/export/publicity.csv?period=2022")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\uFEFF"))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("CSV %d: %v\n%s", rec.Code, err, rec.Body.String())
	}
	col := slices.Index(rows[0], "synthetic")
	if col < 0 {
		t.Fatalf("CSV header %v has no synthetic column", rows[0])
	}
	csvMarks := map[string]string{}
	for _, r := range rows[1:] {
		csvMarks[r[0]+"/"+r[1]] = r[col]
	}
	var js struct {
		Observations []struct {
			Indicator, Region string
			Aggregated        bool
			Synthetic         *bool
		}
	}
	if err := json.Unmarshal(get(api, media, "/export/publicity.json?period=2022").Body.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	var gql struct {
		PublicityStats []struct {
			Indicator struct{ Key string }
			Region    struct{ Code string }
			Synthetic bool
		}
	}
	api.Query(t, media, `{ publicityStats(period: "2022") { indicator { key } region { code } synthetic } }`, nil, &gql)
	gqlMarks := map[string]bool{}
	for _, s := range gql.PublicityStats {
		gqlMarks[s.Indicator.Key+"/"+s.Region.Code] = s.Synthetic
	}
	var real, synthetic, totals int
	for _, o := range js.Observations {
		k := o.Indicator + "/" + o.Region
		if o.Synthetic == nil {
			t.Fatalf("%s: no synthetic field", k)
		}
		if csvMarks[k] != strconv.FormatBool(*o.Synthetic) || gqlMarks[k] != *o.Synthetic {
			t.Errorf("%s: JSON %v, CSV %q, GraphQL %v", k, *o.Synthetic, csvMarks[k], gqlMarks[k])
		}
		switch {
		case k == "brochures_distributed/370705" && *o.Synthetic:
			t.Errorf("%s is a seed figure, marked synthetic", k)
		case o.Aggregated && *o.Synthetic:
			totals++
		case *o.Synthetic:
			synthetic++
		default:
			real++
		}
	}
	if real == 0 || synthetic == 0 || totals == 0 {
		t.Errorf("%d real, %d synthetic figures, %d synthetic totals; want some of each", real, synthetic, totals)
	}

	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	tpl := get(api, analyst, "/export/template.xlsx?period=2021")
	f, err := excelize.OpenReader(bytes.NewReader(tpl.Body.Bytes()))
	if err != nil {
		t.Fatalf("template %d: %v", tpl.Code, err)
	}
	sheet, _ := f.GetRows(f.GetSheetName(0))
	marked := 0
	for _, r := range sheet[1:] {
		if len(r) > 5 && r[5] != "" && len(r) > 9 && strings.HasPrefix(r[9], "模拟数据") {
			marked++
		}
	}
	if marked == 0 {
		t.Error("template.xlsx shows no current synthetic value with its 模拟数据 comment")
	}
}
