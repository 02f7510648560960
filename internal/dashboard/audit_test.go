package dashboard_test

import (
	"bytes"
	"encoding/csv"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sixprot/hub/internal/hub"
)

// The map colours by child directors per 10,000 minors, so its tooltip's
// rank is the rank per 10,000 minors: 青州市 has the most child directors
// (first in the raw ranking) but is fourth per 10,000 (after 坊子区
// 68.72, 昌邑市 68.32 and 高密市 61.49). The tooltip said 名次：1 / 13.
func TestDashboard_MapTooltipRanksTheFigureItShows(t *testing.T) {
	api, token := setup(t)
	items, _, _ := mapOf(t, dataOf(t, api.Handler, token, "period=2022&indicator=child_directors"))
	for _, it := range items {
		if it.Name != "青州市" {
			continue
		}
		tip := strings.Join(it.Tip, " | ")
		if !strings.Contains(tip, "每万名未成年人：60.34") || !strings.Contains(tip, "名次：4 / 13") {
			t.Errorf("青州市's tooltip %q: want 60.34 per 10,000 ranked 4 / 13", tip)
		}
		return
	}
	t.Fatal("no 青州市 on the map")
}

var fullWidth = regexp.MustCompile(`[：（）；]`)

// An English page writes ": " and "(…)", not the Chinese full-width
// "：（）；" (its tooltips read "Value：1,080" and "Qingzhou：1,080（88%）"):
// the map's tooltips and the notes come from the hub, the bar, trend and
// heatmap tooltips from dashboard.js, which picks its punctuation by the
// page's language.
func TestDashboard_EnglishPagesUseEnglishPunctuation(t *testing.T) {
	api, token := setup(t)
	items, _, _ := mapOf(t, dataOf(t, api.Handler, token, "period=2022&indicator=child_directors&lang=en"))
	for _, it := range items {
		if s := strings.Join(it.Tip, " | "); fullWidth.MatchString(s) || !strings.Contains(s, ": ") {
			t.Errorf("English map tooltip %q", s)
		}
	}
	// A district page asked for a county-level indicator says which it
	// shows instead, and why its "—" have no figure.
	body := get(t, api.Handler, token, "/dashboard/region/370781?period=2022&indicator=child_directors&lang=en").Body.String()
	for _, id := range []string{"replaced", "missing"} {
		m := regexp.MustCompile(`id="` + id + `">([^<]*)<`).FindStringSubmatch(body)
		if id == "replaced" && m == nil {
			t.Fatalf("no #replaced note on 青州市's English page asked for child directors")
		}
		if m != nil && fullWidth.MatchString(m[1]) {
			t.Errorf("English #%s note %q", id, m[1])
		}
	}
	// A period without released figures in the list says so in English
	// brackets ("2023（no approved figures）").
	list := get(t, api.Handler, token, "/dashboard?period=2023&indicator=child_directors&lang=en").Body.String()
	if !strings.Contains(list, `<option value="2023" selected>2023 (no approved figures)</option>`) {
		t.Errorf("English period list: %s", regexp.MustCompile(`<select name="period">.*?</select>`).FindString(list))
	}
	js, err := os.ReadFile("assets/dashboard.js")
	if err != nil {
		t.Fatal(err)
	}
	// The only full-width punctuation of the script is the Chinese side
	// of its language switch.
	for i, line := range strings.Split(string(js), "\n") {
		if fullWidth.MatchString(line) && !strings.Contains(line, "en ? ") && !strings.HasPrefix(strings.TrimSpace(line), "//") {
			t.Errorf("dashboard.js:%d writes Chinese punctuation whatever the page's language: %s", i+1, strings.TrimSpace(line))
		}
	}
}

// The trend's tooltip says 模拟 on generated figures as the bar chart's
// does (青州市 2019–2021 are generated, its 2022 is the seed's 1,080;
// every 寿光市 figure is generated), and the radar's subtitle says its
// scores include generated figures.
func TestDashboard_TrendAndRadarMarkSyntheticFigures(t *testing.T) {
	api, token := setup(t)
	d := dataOf(t, api.Handler, token, "period=2022&indicator=child_directors&regions=370781,370783")
	tr := d.Shown["trend"]
	if len(tr) != 2 || len(tr[0]) != 4 {
		t.Fatalf("trend shown %v, want 2 series of 4 points", tr)
	}
	if tr[0][3] != "1080" || tr[0][0] != "985 模拟" {
		t.Errorf("青州市's trend %v: want 2019 985 模拟 … 2022 1080 (the seed, not marked)", tr[0])
	}
	for _, s := range tr[1] {
		if !strings.HasSuffix(s, " 模拟") {
			t.Errorf("寿光市's trend %v: every figure is generated", tr[1])
			break
		}
	}
	title, _ := d.Charts["radar"]["title"].(map[string]any)
	if sub, _ := title["subtext"].(string); !strings.Contains(sub, "含模拟数据") {
		t.Errorf("radar subtitle %q does not say it includes synthetic figures", sub)
	}
}

// Rates per 10,000 minors have two decimals wherever they are shown, so
// a column lines up (the ranking showed 60.34 over 50.4 and 35), and the
// exports hold them to those two decimals (the CSV wrote
// 60.33519553072626).
func TestDashboard_RatesHaveTwoDecimalsOnThePageAndInExports(t *testing.T) {
	api, token := setup(t)
	body := get(t, api.Handler, token, "/dashboard?period=2022&indicator=child_directors").Body.String()
	for code, want := range map[string]string{"370781": "60.34", "370784": "50.40", "370725": "35.00"} {
		row := regexp.MustCompile(`<tr data-region="` + code + `">.*?</tr>`).FindString(body)
		if !strings.Contains(row, `<td class="num">`+want+`</td>`) {
			t.Errorf("ranking row %s: %s, want per 10,000 %s", code, row, want)
		}
	}
	rec := get(t, api.Handler, token, "/export/ranking.csv?period=2022&indicator=child_directors")
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		if r[1] == "370781" && r[5] != "60.34" {
			t.Errorf("青州市's per 10,000 in the CSV: %q, want 60.34", r[5])
		}
	}
}

// Exports name units as their readers do: 人 and 份 in a Chinese export
// (they said "persons" and "（rooms）"), words and ASCII brackets in an
// English one.
func TestExport_UnitsInThePagesLanguage(t *testing.T) {
	api, token := setup(t)
	read := func(path string) [][]string {
		rec := get(t, api.Handler, token, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	zh := read("/export/ranking.csv?period=2022&indicator=child_directors")
	if zh[0][3] != "村（居）儿童主任数（人）" {
		t.Errorf("Chinese ranking header %q, want 村（居）儿童主任数（人）", zh[0][3])
	}
	en := read("/export/ranking.csv?period=2022&indicator=child_directors&lang=en")
	if en[0][3] != "Village (community) child directors (persons)" {
		t.Errorf("English ranking header %q", en[0][3])
	}
	heat := read("/export/heatmap.csv?period=2022&indicator=child_directors&protection=SOCIETY")
	units := map[string]bool{}
	for _, r := range heat[1:] {
		units[r[5]] = true
	}
	for u := range units {
		if regexp.MustCompile(`[a-z]`).MatchString(u) {
			t.Errorf("Chinese heatmap export has the unit %q", u)
		}
	}
	if !units["份"] {
		t.Errorf("Chinese heatmap units %v: want 份 (brochures)", units)
	}
	// English units are the media office's words (publicity exports say
	// person-times), not codes with spaces for underscores.
	units = map[string]bool{}
	for _, r := range read("/export/heatmap.csv?period=2022&indicator=child_directors&protection=SOCIETY&lang=en")[1:] {
		units[r[5]] = true
	}
	if !units["person-times"] || !units["copies"] || units["person times"] || units["person_times"] {
		t.Errorf("English heatmap units %v: want person-times and copies", units)
	}
}

// The 大屏 has no protection list: an indicator chosen there brings its
// own protection (a kept protection=GOVERNMENT left 希望小屋 under 政府保护's
// heatmap, and the way back led to a dashboard whose 保护类别 and 指标
// disagreed). The indicator is chosen by setting the select and firing
// change, as a user's pick does.
func TestBrowser_ScreenIndicatorChosenThereBringsItsProtection(t *testing.T) {
	ctx, srv := browserHub(t)
	logIn(t, ctx, srv.URL+"/dashboard?period=2021")
	err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080),
		chromedp.Navigate(srv.URL+"/dashboard/screen?period=2021&indicator=child_directors&protection=GOVERNMENT&refresh=600"),
		chromedp.WaitVisible(chromedp.ID("ranking")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
  var s = document.querySelector('form.wallfilters select[name=indicator]');
  s.value = 'hope_rooms';
  s.dispatchEvent(new Event('change', { bubbles: true }));
  return true;
})()`)); err != nil {
		t.Fatal(err)
	}
	var landed string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		// The form's submit navigates: a read during it fails, the next
		// one sees the new page.
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil && strings.Contains(loc, "hope_rooms") {
			landed = loc
			break
		}
	}
	if landed == "" {
		t.Fatal("the 大屏 did not land on 希望小屋")
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
		t.Fatal(err)
	}
	lu, _ := url.Parse(landed)
	q := lu.Query()
	if q.Get("protection") != "SOCIETY" {
		t.Errorf("the 大屏 landed on %s: want protection SOCIETY with 希望小屋", landed)
	}
	exit, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function () { var a = Array.prototype.filter.call(document.querySelectorAll('header nav a'), function (a) { return a.pathname === '/dashboard'; })[0]; return a ? a.search : ''; })()`))
	if err != nil || !strings.Contains(exit, "protection=SOCIETY") {
		t.Errorf("the way back to the dashboard: %q %v, want protection=SOCIETY", exit, err)
	}
}

// The token page says its time zone in the page's language (the English
// page said 北京时间) and its table scrolls inside itself on a phone.
func TestTokensPage_ZoneInThePagesLanguageTableScrollsInside(t *testing.T) {
	api, _ := setup(t)
	session, _ := api.Login(t, "demo-leader", leaderPassword, "")
	for lang, want := range map[string]string{"": "北京时间 (UTC+08:00 Asia/Shanghai)", "?lang=en": "Beijing time (UTC+08:00 Asia/Shanghai)"} {
		body := html.UnescapeString(get(t, api.Handler, "", "/account/tokens"+lang, session).Body.String())
		if !strings.Contains(body, `<div class="tablewrap"><table id="tokens">`) {
			t.Errorf("tokens%s: the table is not in a .tablewrap", lang)
		}
		if !strings.Contains(body, `<p class="note" id="zone">`+want+`</p>`) {
			t.Errorf("tokens%s: no zone note %q", lang, want)
		}
		if lang != "" && strings.Contains(body, "北京时间") {
			t.Errorf("the English token page says 北京时间")
		}
	}
}

// At 390×844 and 1366×768 nothing runs past the window: not a tooltip
// shown at any bar, map district or heatmap cell (the map's tooltip at a
// 390-px window's right edge made the page 434 px wide; tooltips are now
// confined to their chart), and not the 大屏 (693 px wide at 390, its bar
// chart squeezed to 40 px at 1366×768: below 1920×1080 it scrolls down, its
// tiles in as many columns as fit, each at least 300 px tall).
func TestBrowser_TooltipsAndTheScreenKeepInsideTheWindow(t *testing.T) {
	ctx, srv := browserHub(t)
	logIn(t, ctx, srv.URL+"/dashboard?period=2022&indicator=child_directors")
	type result struct {
		Wider  []string `json:"wider"`
		Shown  int      `json:"shown"`
		Short  []string `json:"short"`
		Scroll int      `json:"scroll"`
		Width  int      `json:"width"`
	}
	tips := `(async function () {
  var out = { wider: [], shown: 0, short: [], scroll: document.documentElement.scrollWidth, width: innerWidth };
  var nodes = document.querySelectorAll('.chart');
  for (var k = 0; k < nodes.length; k++) {
    var el = nodes[k], c = echarts.getInstanceByDom(el);
    if (el.clientHeight < 300) { out.short.push(el.id + ' ' + el.clientHeight); }
    if (!c || el.id === 'radar' || el.id === 'trend') { continue; }
    c.setOption({ tooltip: { transitionDuration: 0 } });
    var data = c.getOption().series[0].data || [];
    for (var i = 0; i < data.length; i++) {
      if (el.id === 'map') { c.dispatchAction({ type: 'showTip', seriesIndex: 0, name: data[i].name }); }
      else { c.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: i }); }
      await new Promise(function (r) { setTimeout(r, 20); });
      out.shown++;
      if (document.documentElement.scrollWidth > innerWidth) { out.wider.push(el.id + '#' + i + ': ' + document.documentElement.scrollWidth); }
    }
    c.dispatchAction({ type: 'hideTip' });
  }
  return out;
})()`
	for _, size := range [][2]int64{{390, 844}, {1366, 768}} {
		for _, page := range []string{"/dashboard?period=2022&indicator=child_directors&lang=en", "/dashboard/screen?period=2022&indicator=child_directors&percap=1&refresh=600"} {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(srv.URL+page), chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
				t.Fatal(err)
			}
			if ok, err := chromedp.Run(ctx, chromedp.Poll[bool](allFinished, chromedp.WithPollingTimeout(40*time.Second))); err != nil || !ok {
				t.Fatalf("%s at %d px: charts did not finish: %v", page, size[0], err)
			}
			res, err := chromedp.Run(ctx, chromedp.Evaluate[result](tips, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s at %dx%d: %d tooltips shown, document %d px wide", page, size[0], size[1], res.Shown, res.Scroll)
			if res.Scroll > res.Width || len(res.Wider) > 0 {
				t.Errorf("%s at %d px: document %d px wide in a %d-px window; tooltips that widen it: %v", page, size[0], res.Scroll, res.Width, res.Wider)
			}
			if res.Shown < 30 {
				t.Errorf("%s at %d px: only %d tooltips shown", page, size[0], res.Shown)
			}
			if strings.Contains(page, "screen") && len(res.Short) > 0 {
				t.Errorf("大屏 at %dx%d: charts squeezed: %v", size[0], size[1], res.Short)
			}
		}
		// A town's page compares its villages: more names than the bar
		// chart has room for, which ECharts now thins out instead of piling
		// them on each other.
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/dashboard/region/370781001?period=2022"), chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
			t.Fatal(err)
		}
		if ok, err := chromedp.Run(ctx, chromedp.Poll[bool](allFinished, chromedp.WithPollingTimeout(40*time.Second))); err != nil || !ok {
			t.Fatalf("王府街道's page at %d px: charts did not finish: %v", size[0], err)
		}
		clashes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](chartClashes+`(8)`))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range clashes {
			if strings.HasPrefix(c, "bar: xAxis0 ") && strings.Contains(c, " × xAxis0 ") {
				names = append(names, c)
			}
		}
		if len(names) > 0 {
			t.Errorf("王府街道's villages at %d px: %d bar names run into each other, e.g. %v", size[0], len(names), names[:min(3, len(names))])
		}
	}
}

// The links up the tree say where they go: a town's page leads to its
// county and to the viewer's own page (there was only "返回全市", no way
// back to the county), and a county leader's own county page has no
// "返回全市" leading to itself.
func TestDashboard_UpLinksNameWhereTheyGo(t *testing.T) {
	api, token := setup(t)
	ups := regexp.MustCompile(`<a href="([^"]*)" class="up">([^<]*)</a>`)
	links := func(token, path string) [][]string {
		rec := get(t, api.Handler, token, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		var out [][]string
		for _, m := range ups.FindAllStringSubmatch(rec.Body.String(), -1) {
			out = append(out, []string{html.UnescapeString(m[1]), m[2]})
		}
		return out
	}
	town := links(token, "/dashboard/region/370781001?period=2022")
	if len(town) != 2 || !strings.HasPrefix(town[0][0], "/dashboard/region/370781?") || town[0][1] != "返回青州市" ||
		!strings.HasPrefix(town[1][0], "/dashboard?") || town[1][1] != "返回潍坊市" {
		t.Errorf("王府街道's links up: %v", town)
	}
	// The way up keeps the view: the page's language, period and the
	// indicator it settled on.
	if county := links(token, "/dashboard/region/370781?period=2022&lang=en"); len(county) != 1 || county[0][1] != "Back to Weifang" || strings.Contains(county[0][0], "parent=") ||
		!strings.Contains(county[0][0], "indicator=care_visits") || !strings.Contains(county[0][0], "lang=en") || !strings.Contains(county[0][0], "period=2022") {
		t.Errorf("青州市's links up (English): %v", county)
	}
	pw := leaderPassword
	qz := api.User(t, hub.NewUser{Name: "qingzhou-leader", Role: hub.Leader, Region: "370781", Password: &pw})
	if own := links(qz, "/dashboard/region/370781?period=2022"); len(own) != 0 {
		t.Errorf("青州市's leader on its own county's page: links up %v", own)
	}
	if town := links(qz, "/dashboard/region/370781001?period=2022"); len(town) != 1 || town[0][1] != "返回青州市" {
		t.Errorf("青州市's leader on 王府街道's page: links up %v", town)
	}
}

// A heatmap cell of a count shows the raw figure but is rated (and its
// share taken) per 10,000 minors: its tooltip says so with the rate, or
// one case in 滨海 rated 需关注 beside 诸城市's three rated 良好 reads as
// a contradiction.
func TestDashboard_HeatmapTooltipSaysACountIsRatedPerTenThousand(t *testing.T) {
	api, token := setup(t)
	h := dataOf(t, api.Handler, token, "period=2022&protection=JUDICIAL&indicator=minor_crime_cases").Charts["heatmap"]
	ys := h["yAxis"].([]any)[0].(map[string]any)["data"].([]any)
	row := -1
	for i, y := range ys {
		if y == "涉未成年人犯罪案件数" {
			row = i
		}
	}
	if row < 0 {
		t.Fatalf("no 涉未成年人犯罪案件数 row in %v", ys)
	}
	n := 0
	for _, it := range h["series"].([]any)[0].(map[string]any)["data"].([]any) {
		v := it.(map[string]any)["value"].([]any)
		if int(v[1].(float64)) != row {
			continue
		}
		n++
		if w := v[5].(string); !regexp.MustCompile(`^(需关注|一般|良好)（按每万名未成年人 \d+\.\d\d）$`).MatchString(w) {
			t.Errorf("cell %v: rating %q does not say it is per 10,000 minors", v, w)
		}
	}
	if n == 0 {
		t.Error("no cell in the row")
	}
}

// An analyst reads its own department's figures and those shared with
// it: 青州市's education analyst opening its dashboard (its towns, civil
// affairs' 镇街关爱走访人次) saw every chart say 本期尚无已审核数据, untrue
// of figures approved but not its to read. The media office asking
// data.json for a figure not published to it gets that reason too.
func TestDashboard_EmptyChartsOfOtherDepartmentsAndUnpublishedFiguresSayWhy(t *testing.T) {
	api, _ := setup(t)
	edu := "education"
	analyst := api.User(t, hub.NewUser{Name: "edu-qingzhou", Role: hub.Analyst, Department: &edu, Region: "370781"})
	d := dataOf(t, api.Handler, analyst, "period=2022")
	want := "其他部门的指标：仅显示共享给本部门的数值"
	for _, chart := range []string{"bar", "heatmap"} {
		if d.Empty[chart] != want {
			t.Errorf("education analyst's %s: %q, want %q", chart, d.Empty[chart], want)
		}
	}
	media := api.User(t, hub.NewUser{Name: "press-audit", Role: hub.Media, Region: "370700"})
	if r := dataOf(t, api.Handler, media, "period=2022&indicator=child_directors").Empty["bar"]; r != "该指标未向宣传办公室发布" {
		t.Errorf("media office's child directors: %q", r)
	}
}

// A county page whose towns have no profile shows the county's own: a
// county leader's landing page said 画像指标按县级采集 and its profile —
// scored against the city's quartiles (item 9) — was only on a city page it
// had no link to. The city leader's view of the county page shows the
// county among its peers. A county analyst, whose profile would be scored
// against peers it cannot read (100 on every axis), still gets the reason.
func TestDashboard_CountyPageShowsItsOwnProfile(t *testing.T) {
	api, token := setup(t)
	pw := leaderPassword
	qz := api.User(t, hub.NewUser{Name: "qz-leader-profile", Role: hub.Leader, Region: "370781", Password: &pw})
	edu := "education"
	analyst := api.User(t, hub.NewUser{Name: "qz-edu-profile", Role: hub.Analyst, Department: &edu, Region: "370781"})
	for who, tok := range map[string]string{"county leader": qz, "city leader": token} {
		d := dataOf(t, api.Handler, tok, "period=2022&parent=370781")
		if d.Empty["radar"] != "" {
			t.Errorf("%s: radar empty: %q", who, d.Empty["radar"])
			continue
		}
		radar := d.Charts["radar"]
		series := radar["series"].([]any)
		if len(series) != 1 || series[0].(map[string]any)["name"] != "青州市" {
			t.Errorf("%s: radar series %v, want 青州市 alone", who, series)
			continue
		}
		vals := series[0].(map[string]any)["data"].([]any)[0].(map[string]any)["value"].([]any)
		hundreds := 0
		for _, v := range vals {
			if v == 100.0 {
				hundreds++
			}
		}
		sub, _ := radar["title"].(map[string]any)["subtext"].(string)
		if hundreds == len(vals) || !strings.HasPrefix(sub, "青州市 · 2022") {
			t.Errorf("%s: 青州市's profile %v, subtitle %q", who, vals, sub)
		}
		if who == "county leader" && !strings.Contains(sub, "按同级地区四分位评分") {
			t.Errorf("county leader's profile subtitle %q: want 按同级地区四分位评分", sub)
		}
	}
	if r := dataOf(t, api.Handler, analyst, "period=2022").Empty["radar"]; r == "" {
		t.Errorf("county analyst's radar shows a profile scored against peers it cannot read")
	}
}

// A URL's unknown indicator (a typo, a retired indicator's bookmark) is
// replaced with a word, as a county-level one on a district page is: it
// was replaced silently.
func TestDashboard_UnknownIndicatorSaysItIsReplaced(t *testing.T) {
	api, token := setup(t)
	body := get(t, api.Handler, token, "/dashboard?period=2022&indicator=nope").Body.String()
	if !strings.Contains(body, `<p class="note replaced" id="replaced">nope：没有此指标；改为显示 村（居）儿童主任数</p>`) {
		t.Errorf("unknown indicator: %s", regexp.MustCompile(`<p class="note replaced"[^\n]*`).FindString(body))
	}
}
