package dashboard_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/postgres"
)

// mapItem is one region of the district map's data.
type mapItem struct {
	Name  string   `json:"name"`
	Value *float64 `json:"value"`
	Link  string   `json:"link"`
	Tip   []string `json:"tip"`
}

func mapOf(t *testing.T, d dataJSON) (items []mapItem, series, visualMap map[string]any) {
	t.Helper()
	o := d.Charts["map"]
	if o == nil {
		t.Fatalf("data.json has no map")
	}
	ss := o["series"].([]any)
	series = ss[0].(map[string]any)
	b, _ := json.Marshal(series["data"])
	if err := json.Unmarshal(b, &items); err != nil {
		t.Fatal(err)
	}
	if vm, ok := o["visualMap"].([]any); ok && len(vm) > 0 {
		visualMap = vm[0].(map[string]any)
	}
	return items, series, visualMap
}

// The map of child directors per 10,000 minors in 2022: every one of the
// boundary file's 12 districts is matched to a region by name, 青州市 is
// 60.34, each tooltip has the value with its qualifier, rank, status and
// rating, a click opens the district, and 滨海 (no boundary) is named
// under the map and stays in the ranking.
func TestDashboard_MapOfChildDirectorsPerTenThousand2022(t *testing.T) {
	api, token := setup(t)
	d := dataOf(t, api.Handler, token, "period=2022&indicator=child_directors")
	items, series, vm := mapOf(t, d)
	if series["map"] != "370700" || series["type"] != "map" {
		t.Errorf("series %v", series)
	}
	var geo struct {
		Features []struct {
			Properties struct {
				Name string `json:"name"`
			} `json:"properties"`
		} `json:"features"`
	}
	b, err := os.ReadFile("assets/maps/shan1_dong1_wei2_fang1.geojson")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &geo); err != nil {
		t.Fatal(err)
	}
	if len(geo.Features) != 12 || len(items) != 12 {
		t.Fatalf("%d features, %d map items; want 12 and 12", len(geo.Features), len(items))
	}
	nameMap, _ := series["nameMap"].(map[string]any)
	byName := map[string]mapItem{}
	for _, it := range items {
		byName[it.Name] = it
	}
	for _, f := range geo.Features {
		n := f.Properties.Name
		if nameMap[n] != n {
			t.Errorf("feature %s is not matched to a region (nameMap %v)", n, nameMap[n])
		}
		it, ok := byName[n]
		if !ok || it.Value == nil || !strings.HasPrefix(it.Link, "/dashboard/region/3707") {
			t.Errorf("feature %s: item %+v", n, it)
		}
	}
	q := byName["青州市"]
	if q.Value == nil || *q.Value != 60.34 {
		t.Fatalf("青州市 on the map: %+v, want 60.34", q)
	}
	tip := strings.Join(q.Tip, " | ")
	for _, want := range []string{"青州市", "每万名未成年人：60.34", "数值：1080", "名次：", "状态：已审核", "评价："} {
		if !strings.Contains(tip, want) {
			t.Errorf("青州市's tooltip %q lacks %q", tip, want)
		}
	}
	if !strings.HasPrefix(q.Link, "/dashboard/region/370781?") {
		t.Errorf("青州市's click opens %q", q.Link)
	}
	// A synthetic figure says so in its tooltip.
	synthetic := 0
	for _, it := range items {
		if strings.Contains(strings.Join(it.Tip, " "), "模拟") {
			synthetic++
		}
	}
	if synthetic == 0 {
		t.Error("no map tooltip marks a synthetic figure (the demo has them)")
	}
	if vm == nil || vm["type"] != "piecewise" || len(vm["pieces"].([]any)) != 3 {
		t.Errorf("map legend %v", vm)
	}
	if _, ok := d.Maps["map"]; !ok || !regexp.MustCompile(`^/dashboard/assets/maps/shan1_dong1_wei2_fang1\.[0-9a-f]{12}\.geojson$`).MatchString(d.Maps["map"].URL) {
		t.Errorf("maps %v", d.Maps)
	}
	// The boundaries are served by the hub itself.
	if rec := get(t, api.Handler, "", d.Maps["map"].URL); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "青州市") {
		t.Errorf("boundary file: %d", rec.Code)
	}

	body := get(t, api.Handler, token, "/dashboard?period=2022").Body.String()
	if !strings.Contains(body, `id="map"`) || !regexp.MustCompile(`id="noboundary">潍坊滨海经济技术开发区暂无边界数据`).MatchString(body) {
		t.Errorf("the city page has no map or does not name 滨海 as without boundary")
	}
	if !strings.Contains(body, `data-region="370772"`) || !strings.Contains(body, `id="bar"`) {
		t.Error("滨海 is not in the ranking / no bar chart")
	}
	// A district page has no boundaries for its towns, and says so.
	if body := get(t, api.Handler, token, "/dashboard/region/370781?period=2022").Body.String(); strings.Contains(body, `id="map"`) || !strings.Contains(body, `id="nomap"`) {
		t.Error("青州市's page: want no map and a note")
	}
	// English keeps the names matched to the boundaries (nameMap).
	en := dataOf(t, api.Handler, token, "period=2022&indicator=child_directors&lang=en")
	items, series, _ = mapOf(t, en)
	if nm := series["nameMap"].(map[string]any); nm["青州市"] != "Qingzhou" {
		t.Errorf("English nameMap %v", nm)
	}
	found := false
	for _, it := range items {
		found = found || it.Name == "Qingzhou" && it.Value != nil && *it.Value == 60.34
	}
	if !found {
		t.Errorf("English map has no Qingzhou 60.34: %+v", items)
	}
}

// The headline cards: 青州市's child directors in 2022 are 1080 against
// 2021's figure (read from the hub's own trend for the page region), so
// 同比 is (1080 − prev) / prev; a year has no 环比; 数据截至 is in Beijing
// time; the source is the reporting department.
func TestDashboard_KPICardsYoYAsOfAndSource(t *testing.T) {
	api, token := setup(t)
	body := get(t, api.Handler, token, "/dashboard/region/370781?period=2022").Body.String()
	cards := regexp.MustCompile(`(?s)<div class="kpi" data-kpi="(\d)">.*?</div></div>`).FindAllString(body, -1)
	if len(cards) != 4 {
		t.Fatalf("%d cards", len(cards))
	}
	directors := cards[1]
	t.Logf("card: %s", directors)
	for _, want := range []string{`data-field="Value">1080<`, "同比 ", "数据截至 ", "（北京时间）", "来源：民政局"} {
		if !strings.Contains(directors, want) {
			t.Errorf("child directors' card lacks %q", want)
		}
	}
	// Last year's figure from 青州市's 2021 page; 同比 by hand from it.
	prev := regexp.MustCompile(`(?s)data-kpi="1">.*?data-field="Value">(\d+)<`).FindStringSubmatch(get(t, api.Handler, token, "/dashboard/region/370781?period=2021").Body.String())
	if prev == nil {
		t.Fatal("no 2021 figure")
	}
	p, _ := strconv.ParseFloat(prev[1], 64)
	want := fmt.Sprintf("同比 ↑%.1f%%（&#43;%d）", (1080-p)/p*100, int(1080-p))
	if p >= 1080 {
		want = fmt.Sprintf("同比 ↓%.1f%%（-%d）", (p-1080)/p*100, int(p-1080))
	}
	if !strings.Contains(directors, want) {
		t.Errorf("child directors' 同比: want %q (2021: %g)", want, p)
	}
	t.Logf("2021 %g → 2022 1080: %s", p, want)
	if strings.Contains(directors, "环比") {
		t.Error("a year has no 环比")
	}
	if !regexp.MustCompile(`data-field="AsOf">数据截至 \d{4}-\d\d-\d\d \d\d:\d\d（北京时间）<`).MatchString(directors) {
		t.Errorf("as-of not a Beijing time")
	}
	// 2023 has nothing approved: no 同比, no as-of.
	body = get(t, api.Handler, token, "/dashboard/region/370781?period=2023").Body.String()
	if strings.Contains(body, "数据截至") || strings.Contains(body, "同比 ↑") || strings.Contains(body, "同比 ↓") {
		t.Error("2023 shows a change or an as-of time without approved figures")
	}
	// data.json carries the cards, for a refresh without reload.
	var d struct {
		KPIs []struct {
			Value string
			YoY   *struct{ Text, Class string }
		} `json:"kpis"`
	}
	rec := get(t, api.Handler, token, "/dashboard/data.json?period=2022&parent=370781")
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil || len(d.KPIs) != 4 || d.KPIs[1].Value != "1080" || d.KPIs[1].YoY == nil {
		t.Errorf("data.json kpis %+v %v", d.KPIs, err)
	}
}

// The heatmap colours by red-amber-green per indicator, with a visible
// legend: child directors per 10,000 minors (more is better) put the
// highest district in green; a lower-is-better indicator (a judicial
// case count) puts the highest in red.
func TestDashboard_HeatmapColoursByDirectionWithLegend(t *testing.T) {
	api, token := setup(t)
	check := func(protection, indicatorName string, highest float64) {
		t.Helper()
		d := dataOf(t, api.Handler, token, "period=2022&protection="+protection)
		h := d.Charts["heatmap"]
		vm := h["visualMap"].([]any)[0].(map[string]any)
		if vm["type"] != "piecewise" || vm["show"] == false || len(vm["pieces"].([]any)) != 4 {
			t.Errorf("%s heatmap legend %v", protection, vm)
		}
		ys := h["yAxis"].([]any)[0].(map[string]any)["data"].([]any)
		row := -1
		for i, y := range ys {
			if y == indicatorName {
				row = i
			}
		}
		if row < 0 {
			t.Fatalf("%s heatmap has no row %s: %v", protection, indicatorName, ys)
		}
		best, top := -1.0, -1.0
		classes := map[float64]bool{}
		for _, s := range h["series"].([]any) {
			for _, dp := range s.(map[string]any)["data"].([]any) {
				v := dp.(map[string]any)["value"].([]any)
				if v[1].(float64) != float64(row) {
					continue
				}
				classes[v[2].(float64)] = true
				if share := v[4].(float64); share > top {
					top, best = share, v[2].(float64)
				}
			}
		}
		if best != highest || len(classes) < 2 {
			t.Errorf("%s: the highest region's class is %g, want %g (classes %v)", indicatorName, best, highest, classes)
		}
	}
	check("GOVERNMENT", "村（居）儿童主任数", 2)
	check("JUDICIAL", "涉未成年人纠纷案件数", 0)
}

// Thresholds set in the catalogue (rag_amber, rag_green) replace the
// peers' tertiles on the map: 青州市's 60.34 per 10,000 is amber under a
// green line of 65, and the legend says where the thresholds come from.
// The database refuses inverted thresholds.
func TestDashboard_ConfiguredThresholdsColourTheMap(t *testing.T) {
	api, token := setup(t)
	admin := hub.NewContext(context.Background(), &hub.Principal{Name: "root", Role: hub.Admin, Region: "370700", RegionPath: "370700"})
	cat := postgres.NewCatalogueService(api.DB.App)
	inds, err := cat.IndicatorsByKey(admin, []string{"child_directors"})
	if err != nil || inds[0] == nil {
		t.Fatal(err)
	}
	ind := *inds[0]
	amber, green := 40.0, 65.0
	ind.RAGAmber, ind.RAGGreen = &amber, &green
	if res, err := cat.UpsertIndicators(admin, []*hub.Indicator{&ind}, false); err != nil || res.Updated != 1 {
		t.Fatalf("set thresholds: %+v %v", res, err)
	}
	d := dataOf(t, api.Handler, token, "period=2022&indicator=child_directors")
	items, _, vm := mapOf(t, d)
	var labels []string
	for _, p := range vm["pieces"].([]any) {
		labels = append(labels, p.(map[string]any)["label"].(string))
	}
	if strings.Join(labels, "|") != "需关注 < 40|一般 40–65|良好 ≥ 65" || vm["text"].([]any)[0] != "阈值：指标目录设定" {
		t.Errorf("legend %v", vm)
	}
	for _, it := range items {
		if it.Name == "青州市" && !strings.Contains(strings.Join(it.Tip, " "), "评价：一般") {
			t.Errorf("青州市 at 60.34 under green 65: %v", it.Tip)
		}
	}
	conn := api.DB.OwnerConn(t)
	if _, err := conn.Exec(context.Background(), `UPDATE indicators SET rag_amber = 70, rag_green = 50 WHERE key = 'child_directors'`); err == nil || !strings.Contains(err.Error(), "indicators_rag_thresholds") {
		t.Errorf("inverted thresholds accepted: %v", err)
	}
}

// The 大屏 keeps the view in its URL, bounds its refresh, links back to
// the dashboard and in English, and sends the media office to /media.
func TestScreen_StateInURLRefreshBoundsAndMedia(t *testing.T) {
	api, token := setup(t)
	rec := get(t, api.Handler, token, "/dashboard/screen?period=2022&indicator=hope_rooms&percap=1&refresh=30")
	body := rec.Body.String()
	if rec.Code != http.StatusOK || !strings.Contains(body, `<body class="screen" data-refresh="30">`) ||
		!regexp.MustCompile(`<option value="hope_rooms"( data-protection="SOCIETY")? selected>`).MatchString(body) || !strings.Contains(body, `name="percap" value="1" checked`) {
		t.Fatalf("screen %d:\n%s", rec.Code, body)
	}
	for _, want := range []string{`href="/dashboard?indicator=hope_rooms&amp;percap=1&amp;period=2022&amp;protection=SOCIETY"`,
		`lang=en`, `id="map"`, `id="ranking" data-live="1"`, `src="/dashboard/assets/screen.`} {
		if !strings.Contains(body, want) {
			t.Errorf("screen lacks %s", want)
		}
	}
	if bad := inlineScripts(body); len(bad) > 0 {
		t.Errorf("screen has inline scripts: %q", bad)
	}
	if !strings.Contains(get(t, api.Handler, token, "/dashboard?period=2022").Body.String(), `href="/dashboard/screen?`) {
		t.Error("the dashboard does not link to its 大屏")
	}
	for _, bad := range []string{"5", "x", "4000"} {
		if rec := get(t, api.Handler, token, "/dashboard/screen?refresh="+bad); rec.Code != http.StatusBadRequest {
			t.Errorf("refresh=%s: %d", bad, rec.Code)
		}
	}
	district := get(t, api.Handler, token, "/dashboard/screen?period=2022&parent=370781").Body.String()
	if !strings.Contains(district, `href="/dashboard/region/370781?`) || !strings.Contains(district, `id="nomap"`) {
		t.Error("a district's 大屏 does not lead back to the district or say it has no map")
	}
	media := api.User(t, hub.NewUser{Name: "press", Role: hub.Media, Region: "370700"})
	if rec := get(t, api.Handler, media, "/dashboard/screen"); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/media" {
		t.Errorf("media on the 大屏: %d %s", rec.Code, rec.Header().Get("Location"))
	}
}
