package dashboard_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

type dataJSON struct {
	Charts map[string]map[string]any `json:"charts"`
	Links  map[string][]string       `json:"links"`
	Shown  map[string][][]string     `json:"shown"`
	Empty  map[string]string         `json:"empty"`
	Maps   map[string]struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"maps"`
}

func dataOf(t *testing.T, h http.Handler, token, query string) dataJSON {
	t.Helper()
	rec := get(t, h, token, "/dashboard/data.json?"+query)
	var d dataJSON
	if rec.Code != http.StatusOK {
		t.Fatalf("data.json?%s: %d %s", query, rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

var optionValue = regexp.MustCompile(`<option value="([a-z0-9_]+)"`)

// A district page offers only what its towns carry: the county-level
// child directors are not in its list, a URL asking for them says why and
// what is shown instead, and the city's links to districts drop them.
func TestDashboard_DistrictPageOffersTownIndicatorsAndSaysWhy(t *testing.T) {
	api, token := setup(t)
	var cat struct {
		Indicators []struct {
			Key             string
			CollectionLevel string
		}
	}
	api.Query(t, token, `{ indicators { key collectionLevel } }`, nil, &cat)
	level := map[string]string{}
	for _, i := range cat.Indicators {
		level[i.Key] = i.CollectionLevel
	}
	if level["child_directors"] != "COUNTY" {
		t.Fatalf("child_directors collected at %q; the test assumes COUNTY", level["child_directors"])
	}
	body := get(t, api.Handler, token, "/dashboard/region/370781?period=2022&indicator=child_directors").Body.String()
	offered := 0
	for _, m := range optionValue.FindAllStringSubmatch(body, -1) {
		if l, ok := level[m[1]]; ok {
			offered++
			if l != "TOWN" && l != "VILLAGE" {
				t.Errorf("district page offers %s, collected at %s", m[1], l)
			}
		}
	}
	if offered == 0 {
		t.Fatal("district page offers no indicator")
	}
	if !strings.Contains(body, `id="replaced"`) || !strings.Contains(body, "该指标按县级采集") {
		t.Error("district page does not say child directors are collected per county")
	}
	city := get(t, api.Handler, token, "/dashboard?period=2022&indicator=child_directors").Body.String()
	for _, m := range regexp.MustCompile(`href="(/dashboard/region/[^"]+)"`).FindAllStringSubmatch(city, -1) {
		if strings.Contains(m[1], "indicator=child_directors") {
			t.Errorf("city links a district with a county-level indicator: %s", m[1])
		}
	}
	// A district page's own charts are not empty for want of the level.
	if d := dataOf(t, api.Handler, token, "period=2022&parent=370781"); d.Empty["bar"] != "" {
		t.Errorf("district bar empty: %q", d.Empty["bar"])
	}
}

// An unreleased period's empty charts say so, on the chart and under it,
// and the ranking's footnote gives that reason, not suppression.
func TestDashboard_EmptyChartsSayTheTrueReason(t *testing.T) {
	api, token := setup(t)
	d := dataOf(t, api.Handler, token, "period=2023")
	for _, id := range []string{"bar", "heatmap"} {
		if d.Empty[id] != "本期尚无已审核数据" {
			t.Errorf("2023 %s: reason %q", id, d.Empty[id])
		}
		g, _ := json.Marshal(d.Charts[id]["graphic"])
		if !strings.Contains(string(g), "本期尚无已审核数据") {
			t.Errorf("2023 %s chart does not show its reason: %s", id, g)
		}
	}
	body := get(t, api.Handler, token, "/dashboard?period=2023").Body.String()
	if !strings.Contains(body, `<p class="note" id="missing">—：本期尚无已审核数据</p>`) || strings.Contains(body, "小数保护") {
		t.Errorf("2023 footnote does not give the true reason")
	}
	if !strings.Contains(body, `data-for="bar">本期尚无已审核数据`) {
		t.Error("2023 page does not say under the bar chart why it is empty")
	}
	d = dataOf(t, api.Handler, token, "period=2022")
	if len(d.Empty) != 0 {
		t.Errorf("2022 charts claim to be empty: %v", d.Empty)
	}
	if body := get(t, api.Handler, token, "/dashboard?period=2022").Body.String(); strings.Contains(body, `id="missing"`) {
		t.Error("2022 city ranking claims missing values")
	}
}

// Synthetic figures say 模拟 in the table and the bar tooltip; seed
// figures do not; qualifiers read ≥ and ≈ in tooltips as in the table.
func TestDashboard_SyntheticFiguresMarkedAndQualifiersShown(t *testing.T) {
	api, token := setup(t)
	body := get(t, api.Handler, token, "/dashboard?period=2022&indicator=child_directors").Body.String()
	row := func(code string) string {
		return regexp.MustCompile(`<tr data-region="` + code + `">.*?</tr>`).FindString(body)
	}
	if r := row("370781"); !strings.Contains(r, ">1080<") || strings.Contains(r, "模拟") {
		t.Errorf("青州市's seed figure: %s", r)
	}
	marked := 0
	for _, m := range regexp.MustCompile(`<tr data-region="\d+">.*?</tr>`).FindAllString(body, -1) {
		if strings.Contains(m, `class="sim">模拟`) {
			marked++
		}
	}
	if marked == 0 {
		t.Error("no synthetic figure is marked 模拟 in the city ranking")
	}
	d := dataOf(t, api.Handler, token, "period=2022&indicator=child_directors")
	tipMarked := 0
	for _, s := range d.Shown["bar"][0] {
		if strings.HasSuffix(s, " 模拟") {
			tipMarked++
		}
	}
	if tipMarked != marked {
		t.Errorf("bar tooltips mark %d figures 模拟, the table %d", tipMarked, marked)
	}
	for _, s := range d.Shown["bar"][0] {
		if strings.Contains(s, "余") || strings.Contains(s, "约") {
			t.Errorf("tooltip %q uses 余/约", s)
		}
	}
}

// The media office opening the dashboard goes to its own page.
func TestDashboard_MediaGoesToMedia(t *testing.T) {
	api, _ := setup(t)
	media := api.User(t, hub.NewUser{Name: "media2", Role: hub.Media, Region: "370700"})
	rec := get(t, api.Handler, media, "/dashboard?period=2022")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/media" {
		t.Errorf("media on /dashboard: %d %q", rec.Code, rec.Header().Get("Location"))
	}
}

// A district's towns have released values but no profile score: the
// radar says its indicators are collected per county, not that nothing
// was approved — unless it shows the county's own profile instead
// (TestDashboard_CountyPageShowsItsOwnProfile), as it does for a leader.
func TestDashboard_TownProfileSaysCollectedPerCounty(t *testing.T) {
	api, token := setup(t)
	d := dataOf(t, api.Handler, token, "period=2022&parent=370781")
	if r := d.Empty["radar"]; r != "" {
		t.Errorf("county page's radar empty (%q): it shows the county's own profile", r)
	}
	coord := api.User(t, hub.NewUser{Name: "coord-qz", Role: hub.Coordinator, Region: "370781"})
	if r := dataOf(t, api.Handler, coord, "period=2022").Empty["radar"]; r != "画像指标按县级采集" {
		t.Errorf("town radar reason %q (a county coordinator's page, peers outside its scope)", r)
	}
	if d := dataOf(t, api.Handler, token, "period=2023&parent=370781"); d.Empty["radar"] != "本期尚无已审核数据" {
		t.Errorf("2023 town radar reason %q", d.Empty["radar"])
	}
}
