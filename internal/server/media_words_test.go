package server_test

import (
	"encoding/csv"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

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
	if got := strings.Join(zh[0], ","); got != "指标代码,地区代码,期间,数值,限定,单位代码,状态,已隐藏,新闻稿写法,指标,地区,单位,隐藏原因,说明,模拟数据,限定说明,状态名称" {
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
	if got := strings.Join(en[0], ","); got != "indicator,region,period,value,qualifier,unit,status,suppressed,text,indicator_name,region_name,unit_name,suppression,suppression_note,synthetic,qualifier_name,status_name" {
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

// With lang=en the press wording is English, rounded as the Chinese is
// (2万余份 → "more than 20,000 copies"), and no text keeps Chinese; the
// qualifier and the status have their words beside the codes, in columns
// appended after the old ones (which keep their positions), and in the
// JSON.
func TestPublicityExport_EnglishPressWordingAndWordsBesideCodes(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	read := func(path string) map[string][]string {
		rec := get(api, media, path)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
		if rec.Code != http.StatusOK || err != nil || len(rows) < 2 {
			t.Fatalf("%s: %d %v %s", path, rec.Code, err, rec.Body)
		}
		out := map[string][]string{"": rows[0]}
		for _, r := range rows[1:] {
			out[r[0]+"/"+r[1]] = r
		}
		return out
	}
	han := func(s string) bool {
		return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
	}

	zh, en := read("/export/publicity.csv?period=2022"), read("/export/publicity.csv?period=2022&lang=en")
	for _, tc := range []struct {
		rows map[string][]string
		key  string
		want []string // value, qualifier, status, text, qualifier in words, status in words
	}{
		{zh, "brochures_distributed/370705", []string{"20000", "AT_LEAST", "PUBLISHED", "2万余份", "≥（不少于）", "已发布"}},
		{zh, "lectures_held/370705", []string{"89", "EXACT", "PUBLISHED", "89场", "精确", "已发布"}},
		{en, "brochures_distributed/370705", []string{"20000", "AT_LEAST", "PUBLISHED", "more than 20,000 copies", "≥ (at least)", "published"}},
		{en, "brochures_distributed/370781", []string{"25000", "AT_LEAST", "PUBLISHED", "more than 25,000 copies", "≥ (at least)", "published"}},
		{en, "lectures_held/370705", []string{"89", "EXACT", "PUBLISHED", "89 sessions", "exact", "published"}},
	} {
		r := tc.rows[tc.key]
		if len(r) != 17 {
			t.Errorf("%s: row %v", tc.key, r)
			continue
		}
		if got := []string{r[3], r[4], r[6], r[8], r[15], r[16]}; !slices.Equal(got, tc.want) {
			t.Errorf("%s (%s): %v, want %v", tc.key, tc.rows[""][0], got, tc.want)
		}
	}
	for k, r := range en {
		if k != "" && (han(r[8]) || han(r[15]) || han(r[16])) {
			t.Errorf("English row %s keeps Chinese: %v", k, r)
		}
	}

	var js struct {
		Observations []map[string]any
	}
	for _, tc := range []struct{ lang, text, qualifier, status string }{
		{"", "2万余份", "≥（不少于）", "已发布"},
		{"en", "more than 20,000 copies", "≥ (at least)", "published"},
	} {
		js.Observations = nil
		if err := json.Unmarshal(get(api, media, "/export/publicity.json?period=2022&region=370705&lang="+tc.lang).Body.Bytes(), &js); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, o := range js.Observations {
			if o["indicator"] == "brochures_distributed" && o["region"] == "370705" {
				found = true
				if o["text"] != tc.text || o["qualifierName"] != tc.qualifier || o["statusName"] != tc.status {
					t.Errorf("JSON (lang %q) of brochures: %v", tc.lang, o)
				}
			}
			if tc.lang == "en" && (han(o["text"].(string)) || han(o["qualifierName"].(string))) {
				t.Errorf("English JSON keeps Chinese: %v", o)
			}
		}
		if !found {
			t.Errorf("JSON (lang %q) has no brochures of 奎文区: %v", tc.lang, js.Observations)
		}
	}
}

// /media offers each open period in four downloads: CSV and JSON, in
// Chinese and in English, labelled Chinese first.
func TestReleaseView_OffersEachPeriodInBothLanguagesAsCSVAndJSON(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	body := html.UnescapeString(get(api, media, "/media").Body.String())
	for _, want := range []string{`href="/export/publicity.csv?period=2022"`, `href="/export/publicity.json?period=2022"`,
		`href="/export/publicity.csv?period=2022&lang=en"`, `href="/export/publicity.json?period=2022&lang=en"`,
		"中文 / Chinese", "英文 / English"} {
		if !strings.Contains(body, want) {
			t.Errorf("/media lacks %s", want)
		}
	}
}

// docs/media.md's example lines of the publicity CSV are the export's own:
// each csv block's header is the export's header in its language, and each
// line below it is a line of the export of the demo's 2022.
func TestMediaDoc_ExampleLinesAreTheExportsOwn(t *testing.T) {
	doc, err := os.ReadFile("../../docs/media.md")
	if err != nil {
		t.Fatal(err)
	}
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	blocks := strings.Split(string(doc), "```csv\n")[1:]
	if len(blocks) != 2 {
		t.Fatalf("docs/media.md has %d csv blocks, want 2 (Chinese and English)", len(blocks))
	}
	for _, b := range blocks {
		b, _, _ = strings.Cut(b, "```")
		lines := strings.Split(strings.TrimSuffix(b, "\n"), "\n")
		path := "/export/publicity.csv?period=2022"
		if strings.HasPrefix(lines[0], "indicator,") {
			path += "&lang=en"
		}
		out := strings.Split(strings.TrimPrefix(get(api, media, path).Body.String(), "\ufeff"), "\n")
		if lines[0] != out[0] {
			t.Errorf("%s: documented header\n%s\nexport's\n%s", path, lines[0], out[0])
		}
		for _, l := range lines[1:] {
			if !slices.Contains(out[1:], l) {
				t.Errorf("%s: documented line not in the export:\n%s", path, l)
			}
		}
	}
}
