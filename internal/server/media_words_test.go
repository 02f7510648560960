package server_test

import (
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// The publicity CSV and JSON carry, beside the codes, the indicator's and
// region's names and the unit's word, in Chinese (headers too), or in
// English with lang=en; and each withheld cell says why: 小数保护 for the
// small count, and for a complement the region whose figure it protects.
func TestPublicityExport_NamesUnitsAndWhyACellIsWithheld(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	cells := api.PublishSmallCells(t, "370702", "370703", "370704")

	read := func(path string) [][]string {
		rec := get(api, media, path)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
		if rec.Code != http.StatusOK || err != nil || len(rows) < 2 {
			t.Fatalf("%s: %d %v %s", path, rec.Code, err, rec.Body)
		}
		return rows
	}
	find := func(rows [][]string, ind, region string) []string {
		for _, r := range rows[1:] {
			if r[0] == ind && r[1] == region {
				return r
			}
		}
		t.Fatalf("no row %s %s", ind, region)
		return nil
	}

	zh := read("/export/publicity.csv?period=2022")
	if got := strings.Join(zh[0], ","); got != "指标代码,地区代码,期间,数值,限定,单位代码,状态,已隐藏,新闻稿写法,指标,地区,单位,隐藏原因,说明,模拟数据" {
		t.Errorf("Chinese header: %s", got)
	}
	if r := find(zh, "brochures_distributed", "370705"); r[8] != "2万余份" || r[9] == "" || r[9] == r[0] || r[10] != "奎文区" || r[11] != "份" || r[12] != "" {
		t.Errorf("brochures of 奎文区: %v", r)
	}
	small := find(zh, cells.Indicator, cells.Small)
	if small[7] != "true" || small[3] != "" || small[12] != "SMALL_COUNT" || !strings.Contains(small[13], "小数保护") || small[9] != cells.Name {
		t.Errorf("the small cell: %v", small)
	}
	complements := 0
	for _, r := range zh[1:] {
		if r[0] == cells.Indicator && r[12] == "COMPLEMENTARY" {
			complements++
			if r[3] != "" || r[7] != "true" || !strings.Contains(r[13], "互补隐藏") || !strings.Contains(r[13], "潍城区") {
				t.Errorf("a complement does not say it protects 潍城区's figure: %v", r)
			}
		}
	}
	if complements == 0 {
		t.Error("no complementary cell named")
	}

	en := read("/export/publicity.csv?period=2022&lang=en")
	if got := strings.Join(en[0], ","); got != "indicator,region,period,value,qualifier,unit,status,suppressed,text,indicator_name,region_name,unit_name,suppression,suppression_note,synthetic" {
		t.Errorf("English header: %s", got)
	}
	if r := find(en, "brochures_distributed", "370705"); r[9] != "Brochures distributed" || r[10] != "Kuiwen District" || r[11] != "copies" {
		t.Errorf("English brochures of 奎文区: %v", r)
	}

	var js struct {
		Observations []map[string]any
	}
	if err := json.Unmarshal(get(api, media, "/export/publicity.json?period=2022&region=370702").Body.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	named := false
	for _, o := range js.Observations {
		if o["indicator"] == cells.Indicator && o["region"] == cells.Small {
			named = o["indicatorName"] == cells.Name && o["regionName"] == "潍城区" && o["suppression"] == "SMALL_COUNT" && o["unitName"] == "人"
		}
	}
	if !named {
		t.Errorf("JSON of the small cell lacks names or reason: %v", js.Observations)
	}
}

// /media has navigation and a logout button, explains what 小数保护 and
// 互补隐藏 mean, and lists each withheld cell of the open periods with its
// reason.
func TestReleaseView_NavigationLogoutAndWithheldCells(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	pw := "media-password-1"
	api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700", Password: &pw})
	cells := api.PublishSmallCells(t, "370702", "370703", "370704")
	session, _ := api.Login(t, "media", pw, "")
	req := httptest.NewRequest(http.MethodGet, "/media", nil)
	req.AddCookie(session)
	rec := httptest.NewRecorder()
	api.Handler.ServeHTTP(rec, req)
	body := html.UnescapeString(rec.Body.String())
	for _, want := range []string{`<nav id="nav">`, `href="/media"`, `action="/logout"`, `name="csrf" value="`, `id="logout"`,
		"小数保护", "互补隐藏", `data-region="` + cells.Small + `" data-reason="SMALL_COUNT"`, `data-reason="COMPLEMENTARY"`, "为防止推算出潍城区的隐藏数值而隐藏"} {
		if !strings.Contains(body, want) {
			t.Errorf("/media lacks %q", want)
		}
	}
	if strings.Contains(body, `href="/dashboard"`) {
		t.Error("/media offers the media office the dashboard, which sends it back")
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("/media: %d", rec.Code)
	}
}
