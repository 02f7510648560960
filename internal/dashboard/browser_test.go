package dashboard_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/sixprot/hub/internal/browsertest"
)

// browser starts Debian's chromium with a fresh profile, or skips outside
// CI when there is none.
func browser(t *testing.T) context.Context {
	return browsertest.Chromium(t, 1400, 1800, 240*time.Second)
}

// browserHub is a browser and a hub on the demo data for it to open.
func browserHub(t *testing.T) (context.Context, *httptest.Server) {
	t.Helper()
	ctx := browser(t)
	api, _ := setup(t)
	srv := httptest.NewServer(api.Handler)
	t.Cleanup(srv.Close)
	return ctx, srv
}

// pageLog records every request the page makes and every error it reports.
type pageLog struct {
	mu       sync.Mutex
	requests []string
	errors   []string
}

func (l *pageLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		l.errors = append(l.errors, "exception: "+ev.ExceptionDetails.Text+" "+describe(ev.ExceptionDetails.Exception))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			l.errors = append(l.errors, "console.error")
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			l.errors = append(l.errors, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
		}
	}
}

func describe(o *runtime.RemoteObject) string {
	if o == nil {
		return ""
	}
	return o.Description
}

func TestBrowser_LeaderOpensDashboardChartsDrawAndBarsNavigate(t *testing.T) {
	ctx, srv := browserHub(t)
	hub, _ := url.Parse(srv.URL)

	var pl pageLog
	if err := chromedp.Listen(ctx, pl.listen); err != nil {
		t.Fatal(err)
	}
	logIn(t, ctx, srv.URL+"/dashboard?period=2022")
	ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('.chart[data-finished]').length === document.querySelectorAll('.chart').length || !!document.querySelector('.chart[data-error]')`,
		chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil || !ok {
		t.Fatalf("charts did not finish: %v", err)
	}
	type chartState struct {
		ID     string `json:"id"`
		Series int    `json:"series"`
		Inked  int    `json:"inked"`
		Error  string `json:"error"`
	}
	states, err := chromedp.Run(ctx, chromedp.Evaluate[[]chartState](`Array.from(document.querySelectorAll('.chart')).map(function (el) {
  var c = echarts.getInstanceByDom(el);
  if (!c) { return { id: el.id, series: 0, inked: 0, error: el.textContent }; }
  var cv = el.querySelector('canvas'), px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data, n = 0;
  for (var i = 3; i < px.length; i += 4) { if (px[i] > 0) { n++; } }
  return { id: el.id, series: c.getOption().series.length, inked: n, error: '' };
})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 5 {
		t.Fatalf("charts: %+v", states)
	}
	for _, s := range states {
		if s.Error != "" || s.Series == 0 || s.Inked < 2000 {
			t.Errorf("chart %s is blank or broken: %+v", s.ID, s)
		}
	}
	rowText, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#ranking tr[data-region="370781"]`)))
	if err != nil || !strings.Contains(rowText, "青州市") || !strings.Contains(rowText, "1080") {
		t.Errorf("ranking row of 青州市: %q, %v", rowText, err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "dashboard-2022.png")
	if dir := os.Getenv("HUB_SCREENSHOT_DIR"); dir != "" {
		file = filepath.Join(dir, "dashboard-2022.png")
	}
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)

	// The heatmap's tooltip shows the value as readers see it.
	tip, err := chromedp.Run(ctx, chromedp.Poll[string](`(function () {
  var el = document.getElementById('heatmap');
  echarts.getInstanceByDom(el).dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 });
  var t = el.querySelector('div:not(:first-child)');
  return t && t.textContent.indexOf('%') >= 0 ? t.textContent : '';
})()`, chromedp.WithPollingTimeout(5*time.Second)))
	if err != nil || !strings.Contains(tip, "（") {
		t.Errorf("heatmap tooltip: %q, %v", tip, err)
	}
	t.Logf("heatmap tooltip: %s", tip)

	// Click the first bar: it opens that district's page.
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#ranking tbody tr').dataset.region`))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(function () {
  var el = document.getElementById('bar'), c = echarts.getInstanceByDom(el);
  var v = c.getOption().series[0].data[0].value;
  var p = c.convertToPixel({ xAxisIndex: 0, yAxisIndex: 0 }, [0, v / 2]);
  var r = el.getBoundingClientRect();
  return [r.left + p[0], r.top + p[1]];
})()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(pt[0], pt[1]), chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`location.pathname === '/dashboard/region/`+first+`'`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Errorf("click on the first bar went to %s, want /dashboard/region/%s", loc, first)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('.chart[data-finished]').length === document.querySelectorAll('.chart').length`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("district page charts did not finish: %v", err)
	}

	pl.mu.Lock()
	defer pl.mu.Unlock()
	for _, r := range pl.requests {
		u, err := url.Parse(r)
		if err != nil || (u.Scheme != "data" && u.Scheme != "blob" && u.Host != hub.Host) {
			t.Errorf("request left the hub: %s", r)
		}
	}
	if len(pl.requests) < 5 {
		t.Errorf("recorded only %d requests: %v", len(pl.requests), pl.requests)
	}
	for _, e := range pl.errors {
		t.Errorf("page error: %s", e)
	}
}
