package dashboard_test

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// allFinished is true once every chart of the page has rendered.
const allFinished = `document.querySelectorAll('.chart').length > 0 && document.querySelectorAll('.chart[data-finished]').length === document.querySelectorAll('.chart').length`

func saveShot(t *testing.T, shot []byte, name string) {
	t.Helper()
	dir := os.Getenv("HUB_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
}

// The district map is drawn from the hub's own boundaries: its canvas has
// ink, 青州市's tooltip shows 60.34 per 10,000 minors with its rank, and a
// click on 青州市 opens the district's page.
func TestBrowser_MapDrawnTooltipAndClickOpensTheDistrict(t *testing.T) {
	ctx, srv := browserHub(t)
	hub, _ := url.Parse(srv.URL)
	var pl pageLog
	if err := chromedp.Listen(ctx, pl.listen); err != nil {
		t.Fatal(err)
	}
	logIn(t, ctx, srv.URL+"/dashboard?period=2022&indicator=child_directors")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil {
		t.Fatal(err)
	}
	if ok, err := chromedp.Run(ctx, chromedp.Poll[bool](allFinished+` || !!document.querySelector('.chart[data-error]')`, chromedp.WithPollingTimeout(40*time.Second))); err != nil || !ok {
		t.Fatalf("charts did not finish: %v", err)
	}
	type mapState struct {
		Regions int    `json:"regions"`
		Inked   int    `json:"inked"`
		Error   string `json:"error"`
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[mapState](`(function () {
  var el = document.getElementById('map'), c = echarts.getInstanceByDom(el);
  var cv = el.querySelector('canvas'), px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, n = 0;
  for (var i = 3; i < px.length; i += 4) { if (px[i] > 0) { n++; } }
  return { regions: echarts.getMap('370700').geoJSON.features.length, inked: n, error: el.getAttribute('data-error') || '' };
})()`))
	if err != nil || st.Regions != 12 || st.Inked < 20000 || st.Error != "" {
		t.Fatalf("map not drawn: %+v %v", st, err)
	}
	tip, err := chromedp.Run(ctx, chromedp.Poll[string](`(function () {
  var el = document.getElementById('map');
  echarts.getInstanceByDom(el).dispatchAction({ type: 'showTip', seriesIndex: 0, name: '青州市' });
  var t = el.querySelector('div:not(:first-child)');
  return t && t.textContent.indexOf('60.34') >= 0 ? t.textContent : '';
})()`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || !strings.Contains(tip, "名次") {
		t.Errorf("map tooltip: %q, %v", tip, err)
	}
	t.Logf("map tooltip: %s", tip)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveShot(t, shot, "dashboard-map-1366.png")
	// Click 青州市 at its centre point (the boundary file's cp).
	pt, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(function () {
  var el = document.getElementById('map'), c = echarts.getInstanceByDom(el);
  el.scrollIntoView();
  var p = c.convertToPixel({ seriesIndex: 0 }, [118.479654, 36.684789]);
  var r = el.getBoundingClientRect();
  return [r.left + p[0], r.top + p[1]];
})()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(pt[0], pt[1])); err != nil {
		t.Fatal(err)
	}
	// The click navigates; wait for the district's page (its ranking).
	loc := ""
	for i := 0; i < 100 && !strings.Contains(loc, "/dashboard/region/370781?"); i++ {
		_ = chromedp.Do(ctx, chromedp.Sleep(100*time.Millisecond))
		loc, _ = chromedp.Run(ctx, chromedp.Location())
	}
	if u, err := url.Parse(loc); err != nil || u.Path != "/dashboard/region/370781" {
		t.Errorf("a click on 青州市 went to %s", loc)
	}
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for _, r := range pl.requests {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Scheme != "blob" && u.Host != hub.Host) {
			t.Errorf("request left the hub: %s", r)
		}
	}
	for _, e := range pl.errors {
		t.Errorf("page error: %s", e)
	}
}

// chartClashes lists, for every chart of the page, the texts that run into
// each other and the boxes of titles and legends that run into the
// drawing. Texts are ECharts' own (the displayables zrender draws: titles,
// subtitles, axis labels and names, legends, the visual map's labels, the
// map's region names), each as the rotated box it is drawn in; each is
// put down to the view it belongs to (the title, a legend, an axis, a
// series …, from ECharts' component and series views). Texts of different
// views must keep gap px apart, texts of one view must not overlap (two
// lines of one text are one text); the box of a title, legend or visual
// map must keep gap px from the box of every series (the map's districts,
// the bars, the radar's polygons, the heatmap's cells). Labels ECharts
// hides itself (hideOverlap, interval 'auto') and invisible elements are
// not drawn, so not counted.
const chartClashes = `(function (gap) {
  var out = [];
  function box(el, grow) {
    var r = el.getBoundingRect(), m = el.transform, x0 = r.x - grow, y0 = r.y - grow, x1 = r.x + r.width + grow, y1 = r.y + r.height + grow;
    var pts = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
    return m ? pts.map(function (p) { return [m[0] * p[0] + m[2] * p[1] + m[4], m[1] * p[0] + m[3] * p[1] + m[5]]; }) : pts;
  }
  function apart(p, q) {
    var polys = [p, q];
    for (var s = 0; s < 2; s++) {
      for (var i = 0; i < 4; i++) {
        var a = polys[s][i], b = polys[s][(i + 1) % 4], nx = b[1] - a[1], ny = a[0] - b[0];
        var dp = p.map(function (v) { return v[0] * nx + v[1] * ny; }), dq = q.map(function (v) { return v[0] * nx + v[1] * ny; });
        if (Math.max.apply(null, dp) <= Math.min.apply(null, dq) || Math.max.apply(null, dq) <= Math.min.apply(null, dp)) { return true; }
      }
    }
    return false;
  }
  function where(pts) { return Math.round(pts[0][0]) + ',' + Math.round(pts[0][1]); }
  document.querySelectorAll('.chart').forEach(function (el) {
    var c = echarts.getInstanceByDom(el);
    if (!c) { return; }
    var model = c.getModel(), kinds = new Map();
    model.eachComponent(function (type, cm) {
      var v = type === 'series' ? c.getViewOfSeriesModel(cm) : c.getViewOfComponentModel(cm);
      if (v && v.group) { kinds.set(v.group, type + cm.componentIndex); }
    });
    function kindOf(e) {
      for (var p = e; p; p = p.parent || p.__hostTarget) { if (kinds.has(p)) { return kinds.get(p); } }
      return '?';
    }
    // What is drawn: zrender lists invisible elements too (a scroll
    // legend's pager when every item fits).
    var drawn = c.getZr().storage.getDisplayList(true).filter(function (d) { return !d.invisible && !(d.style && d.style.opacity === 0); });
    var texts = drawn.filter(function (d) {
      return d.type === 'tspan' && d.style && String(d.style.text || '').trim() !== '';
    }).map(function (d) { return { el: d, host: d.parent || d, kind: kindOf(d), text: String(d.style.text) }; });
    for (var i = 0; i < texts.length; i++) {
      for (var j = i + 1; j < texts.length; j++) {
        var a = texts[i], b = texts[j];
        if (a.host === b.host) { continue; }
        var g = a.kind === b.kind ? 0 : gap / 2;
        var pa = box(a.el, g), pb = box(b.el, g);
        if (!apart(pa, pb)) { out.push(el.id + ': ' + a.kind + ' "' + a.text + '" @' + where(pa) + ' × ' + b.kind + ' "' + b.text + '" @' + where(pb)); }
      }
    }
    // The box of a view: the union of what it draws.
    var boxes = {};
    drawn.forEach(function (d) {
      var r = d.getBoundingRect();
      if (!r || !(r.width > 0 && r.height > 0)) { return; }
      r = r.clone();
      if (d.transform) { r.applyTransform(d.transform); }
      var k = kindOf(d);
      if (boxes[k]) { boxes[k].union(r); } else { boxes[k] = r; }
    });
    Object.keys(boxes).filter(function (k) { return /^(title|legend|visualMap)/.test(k); }).forEach(function (k) {
      var r = boxes[k];
      Object.keys(boxes).filter(function (s) { return /^series/.test(s); }).forEach(function (s) {
        var q = boxes[s];
        if (r.x < q.x + q.width + gap && q.x < r.x + r.width + gap && r.y < q.y + q.height + gap && q.y < r.y + r.height + gap) {
          out.push(el.id + ': ' + k + ' box ' + [r.x, r.y, r.width, r.height].map(Math.round) + ' × ' + s + ' box ' + [q.x, q.y, q.width, q.height].map(Math.round));
        }
      });
    });
  });
  return out;
})`

// The 大屏 at 1920×1080: dark, nothing scrolls or overflows its tile,
// every chart finishes, and hubRefresh() redraws charts, cards and
// ranking from data.json without reloading the page.
func TestBrowser_ScreenAt1920NoScrollAndRefreshesInPlace(t *testing.T) {
	ctx, srv := browserHub(t)
	var pl pageLog
	if err := chromedp.Listen(ctx, pl.listen); err != nil {
		t.Fatal(err)
	}
	logIn(t, ctx, srv.URL+"/dashboard?period=2022")
	target := srv.URL + "/dashboard/screen?period=2022&indicator=child_directors&percap=1&refresh=600"
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(target), chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
		t.Fatal(err)
	}
	if ok, err := chromedp.Run(ctx, chromedp.Poll[bool](allFinished, chromedp.WithPollingTimeout(40*time.Second))); err != nil || !ok {
		t.Fatalf("screen charts did not finish: %v", err)
	}
	type layout struct {
		Charts     int      `json:"charts"`
		ScrollW    int      `json:"scrollW"`
		ScrollH    int      `json:"scrollH"`
		W          int      `json:"w"`
		H          int      `json:"h"`
		WallBottom float64  `json:"wallBottom"`
		Overflow   []string `json:"overflow"`
		Background string   `json:"background"`
		TitleSize  float64  `json:"titleSize"`
		Refresh    string   `json:"refresh"`
		Cards      int      `json:"cards"`
	}
	lay, err := chromedp.Run(ctx, chromedp.Evaluate[layout](`(function () {
  var over = [];
  document.querySelectorAll('.tile, header, .kpi').forEach(function (el) {
    if (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1) { over.push((el.className || el.tagName) + ' ' + el.scrollWidth + 'x' + el.scrollHeight + '>' + el.clientWidth + 'x' + el.clientHeight); }
  });
  var o = echarts.getInstanceByDom(document.getElementById('bar')).getOption();
  return { charts: document.querySelectorAll('.chart').length,
    scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight, w: innerWidth, h: innerHeight,
    wallBottom: document.querySelector('.wall').getBoundingClientRect().bottom, overflow: over,
    background: getComputedStyle(document.body).backgroundColor, titleSize: o.title[0].textStyle.fontSize,
    refresh: document.body.getAttribute('data-refresh'), cards: document.querySelectorAll('.kpi[data-kpi]').length };
})()`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("layout: %+v", lay)
	if lay.Charts != 5 || lay.ScrollW > lay.W || lay.ScrollH > lay.H || lay.WallBottom > float64(lay.H) || len(lay.Overflow) > 0 {
		t.Errorf("the screen scrolls or overflows at 1920×1080: %+v", lay)
	}
	if lay.Background != "rgb(11, 26, 46)" || lay.TitleSize < 24 || lay.Refresh != "600" || lay.Cards != 4 {
		t.Errorf("not the dark, large 大屏: %+v", lay)
	}
	// Titles, legends and axis labels keep clear of each other and of
	// the drawing (8 px between views).
	clashes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](chartClashes+`(8)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range clashes {
		t.Errorf("大屏 at 1920×1080: %s", c)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveShot(t, shot, "screen-1920.png")

	// hubRefresh redraws from data.json in place: the page is not reloaded
	// (a mark set on window survives), data.json is fetched again, every
	// chart finishes again, the cards and the ranking are written again.
	before := 0
	pl.mu.Lock()
	for _, r := range pl.requests {
		if strings.Contains(r, "/dashboard/data.json") {
			before++
		}
	}
	pl.mu.Unlock()
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(function () {
  window.__notReloaded = true;
  document.querySelectorAll('.chart').forEach(function (el) { el.removeAttribute('data-finished'); });
  document.querySelectorAll('.kpi [data-field=Value]').forEach(function (el) { el.textContent = 'x'; });
  document.querySelector('#ranking tbody').innerHTML = '';
  return true;
})()`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`window.hubRefresh()`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatal(err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool](allFinished+` && window.__notReloaded === true && document.querySelectorAll('#ranking tbody tr').length === 13 && Array.from(document.querySelectorAll('.kpi [data-field=Value]')).every(function (el) { return el.textContent !== 'x' && el.textContent !== ''; })`,
		chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil || !ok {
		t.Errorf("hubRefresh did not redraw in place: %v", err)
	}
	after := 0
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for _, r := range pl.requests {
		if strings.Contains(r, "/dashboard/data.json") {
			after++
		}
	}
	if after != before+1 {
		t.Errorf("data.json fetched %d times before the refresh and %d after, want one more", before, after)
	}
	for _, e := range pl.errors {
		t.Errorf("page error: %s", e)
	}
}
