package dashboard_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// controlState is what a landed page's filter form and charts show.
type controlState struct {
	Path       string   `json:"path"`
	Search     string   `json:"search"`
	Period     string   `json:"period"`
	Periods    []string `json:"periods"`
	Protection string   `json:"protection"`
	Indicator  string   `json:"indicator"`
	// IndicatorProtection is the protection of the selected indicator.
	IndicatorProtection string   `json:"indicatorProtection"`
	Visible             []string `json:"visible"` // protections of the visible indicator options
	Checked             []string `json:"checked"`
	Boxes               []string `json:"boxes"`
	PerCap              bool     `json:"percap"`
	ApplyHidden         bool     `json:"applyHidden"`
	TrendSeries         []string `json:"trendSeries"`
	TrendSub            string   `json:"trendSub"`
	Contained           bool     `json:"contained"`
}

const readControls = `(function () {
  var f = document.getElementById('filters'), el = f.elements;
  var sel = el.indicator.options[el.indicator.selectedIndex];
  var trend = echarts.getInstanceByDom(document.getElementById('trend'));
  var bar = echarts.getInstanceByDom(document.getElementById('bar'));
  var heat = echarts.getInstanceByDom(document.getElementById('heatmap'));
  var to = trend ? trend.getOption() : { series: [], title: [{}] };
  var grid = function (c) { return !!(c && c.getOption().grid[0].containLabel); };
  return {
    path: location.pathname, search: location.search,
    period: el.period.value,
    periods: Array.from(el.period.options).map(function (o) { return o.value; }),
    protection: el.protection.value, indicator: el.indicator.value,
    indicatorProtection: sel ? sel.getAttribute('data-protection') : '',
    visible: Array.from(el.indicator.options).filter(function (o) { return !o.hidden; }).map(function (o) { return o.getAttribute('data-protection'); }),
    checked: Array.from(f.querySelectorAll('input[name=regions]:checked')).map(function (b) { return b.value; }),
    boxes: Array.from(f.querySelectorAll('input[name=regions]')).map(function (b) { return b.value; }),
    percap: el.percap.checked, applyHidden: f.querySelector('.apply').hidden,
    trendSeries: to.series.map(function (s) { return s.name; }).filter(function (n) { return n !== '—'; }),
    trendSub: (to.title[0] || {}).subtext || '',
    contained: grid(bar) && grid(heat)
  };
})()`

// act marks the page stale, runs action on it (a change that submits the
// form) and waits for the page the form submits.
func act(t *testing.T, ctx context.Context, what string, action chromedp.Action[chromedp.Void]) controlState {
	t.Helper()
	settle(t, ctx, what, action)
	st, err := chromedp.Run(ctx, chromedp.Evaluate[controlState](readControls))
	if err != nil {
		t.Fatalf("%s: read: %v", what, err)
	}
	return st
}

// settle marks the page stale, runs action on it (a change that submits
// a form, or a navigation) and waits for the new page's charts.
func settle(t *testing.T, ctx context.Context, what string, action chromedp.Action[chromedp.Void]) {
	t.Helper()
	settleFor(t, ctx, what, `document.querySelectorAll('.chart').length > 0 && document.querySelectorAll('.chart[data-finished]').length === document.querySelectorAll('.chart').length`, action)
}

// settleFor marks the page stale, runs action on it and waits for a new
// page on which ready is true.
func settleFor(t *testing.T, ctx context.Context, what, ready string, action chromedp.Action[chromedp.Void]) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Steps(js(`window.__stale = true`), action))
	// The submitted page replaces the one polled: a poll cut off by the
	// navigation is asked again on the new page.
	for deadline := time.Now().Add(30 * time.Second); err == nil; {
		done, perr := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.__stale && document.readyState === 'complete' && (`+ready+`)`))
		if perr == nil && done {
			break
		}
		if time.Now().After(deadline) {
			err = fmt.Errorf("the page did not come (%v)", perr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// js runs a script whose value does not matter.
func js(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](expr)(ctx, t)
		return err
	})
}

// keyPlan is the first key press of the shortest way a keyboard user
// moves a closed select to an option.
type keyPlan struct {
	// Found: the option is listed and a keyboard can reach it (neither
	// hidden nor disabled).
	Found bool `json:"found"`
	// Key is ArrowDown, ArrowUp, Home, End, a character to type, or ""
	// when the option is selected already.
	Key string `json:"key"`
	// Presses is how many presses the whole way takes.
	Presses int `json:"presses"`
}

// planKey plans the way to an option over the options a keyboard reaches:
// the arrows step to the next or previous one, Home and End jump to the
// first and last, and a typed character selects the next option after the
// selected one whose label starts with it (Chromium's type-ahead).
const planKey = `(function (form, name, value) {
  var s = document.querySelector(form).elements[name];
  var opts = Array.from(s.options).filter(function (o) { return !o.hidden && !o.disabled; }), n = opts.length;
  var i = opts.indexOf(s.options[s.selectedIndex]), j = opts.findIndex(function (o) { return o.value === value; });
  if (j < 0) { return { found: false, key: '', presses: 0 }; }
  if (j === i) { return { found: true, key: '', presses: 0 }; }
  var ways = [{ key: j > i ? 'ArrowDown' : 'ArrowUp', presses: Math.abs(j - i) },
    { key: 'Home', presses: 1 + j }, { key: 'End', presses: n - j }];
  var c = opts[j].text.trim().charAt(0), typed = 0;
  for (var k = 1; k <= n; k++) {
    var o = opts[(i + k) % n];
    if (o.text.trim().charAt(0) === c) { typed++; }
    if (o === opts[j]) { break; }
  }
  ways.push({ key: c, presses: typed });
  ways.sort(function (a, b) { return a.presses - b.presses; });
  return { found: true, key: ways[0].key, presses: ways[0].presses };
})`

var namedKeys = map[string]string{"ArrowDown": kb.ArrowDown, "ArrowUp": kb.ArrowUp, "Home": kb.Home, "End": kb.End}

// press focuses the control name of form and presses key, as a keyboard
// user does. On a closed <select> Chromium changes the value at once on an
// arrow, Home, End or a typed character and fires change, without the
// popup a mouse opens (which headless Chromium cannot show or drive).
func press(form, name, key string) chromedp.Action[chromedp.Void] {
	if k, ok := namedKeys[key]; ok {
		key = k
	}
	return chromedp.Steps(chromedp.Focus(chromedp.CSS(form+` [name=`+name+`]`)), chromedp.KeyEvent(key))
}

// pick moves select name of form to value with the keyboard and returns
// the last key press for the caller's step to run and check. Every press
// is a change, and a change applies at once: a press that only gets
// closer (the option is two or more presses away) lands on a page of its
// own, which is waited for before the next. Every option the crawl picks
// is reached this way; no value is set by script.
func pick(t *testing.T, ctx context.Context, form, name, value string) chromedp.Action[chromedp.Void] {
	t.Helper()
	for {
		p, err := chromedp.Run(ctx, chromedp.Evaluate[keyPlan](fmt.Sprintf(`%s(%q, %q, %q)`, planKey, form, name, value)))
		if err != nil {
			t.Fatalf("plan %s=%s: %v", name, value, err)
		}
		if !p.Found || p.Key == "" {
			t.Fatalf("%s %s=%s: not an option a keyboard can move to (%+v)", form, name, value, p)
		}
		t.Logf("%s %s → %s: %q (%d to go)", form, name, value, p.Key, p.Presses)
		if p.Presses == 1 {
			return press(form, name, p.Key)
		}
		settle(t, ctx, fmt.Sprintf("%s %s towards %s", name, p.Key, value), press(form, name, p.Key))
	}
}

// noteNarrowed makes the filter form note, as it submits, the protections
// of the indicator options then visible: the protection's change narrows
// the list before the page is asked for. The note is kept in
// sessionStorage, which outlives the navigation the submission starts;
// narrowedNote reads it on the landed page.
const noteNarrowed = `(function () { var f = document.getElementById('filters'), submit = f.requestSubmit;
  sessionStorage.removeItem('narrowed');
  f.requestSubmit = function () {
    sessionStorage.setItem('narrowed', JSON.stringify(Array.from(f.elements.indicator.options).filter(function (o) { return !o.hidden; }).map(function (o) { return o.getAttribute('data-protection'); })));
    return submit.apply(f, arguments);
  };
})()`

const narrowedNote = `JSON.parse(sessionStorage.getItem('narrowed') || 'null')`

// Every control of the filter form applies at once, at 390, 1366 and 1920
// px, on the city page, on a district page (青州市) and on the 大屏: on the
// city page each period of the list, each protection (which narrows the
// indicators before the page is asked for), an indicator, every region
// checkbox (on, then off) and the per-10,000 toggle land on a page whose
// URL, form and charts show the choice; the 应用 button is hidden with
// script; the region search narrows the checkboxes; the bar and heatmap
// grids contain their axis labels. The district page has the same form
// and script as the city's, so it is worked with a representative subset
// (one other period, its two protections with indicators, the last
// indicator, one checkbox, per 10,000, the search), each landing on the
// district page; the 大屏's own form (period, indicator, per 10,000) and
// its links are worked too. Then, in the same browser, the token page
// (create a token, its secret shown once and working, revoke it) and
// /media (navigation, the downloads in both languages, 退出) — see
// accountAndMedia.
func TestBrowser_EveryControlAppliesAtOnceAtThreeWidths(t *testing.T) {
	api, _ := setup(t)
	srv := httptest.NewServer(api.Handler)
	defer srv.Close()
	for _, w := range []int64{390, 1366, 1920} {
		t.Run(fmt.Sprint(w), func(t *testing.T) { controlsAt(t, srv.URL, w) })
	}
}

// filterWalk is a page whose filter form is worked: full walks every
// period, protection and (at 1366 px) region box; otherwise a subset.
type filterWalk struct {
	start       string
	full        bool
	protections []string
	find, found string // a search of the region boxes and the one box it leaves
}

// controlsAt works the controls of every page at width w, in one browser
// of its own (each width has the browser's whole time budget).
func controlsAt(t *testing.T, hub string, w int64) {
	began := time.Now()
	ctx := browser(t)
	logIn(t, ctx, hub+"/login")
	h := map[int64]int64{390: 844, 1366: 768, 1920: 1080}[w]
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h)); err != nil {
		t.Fatal(err)
	}
	for _, wk := range []filterWalk{
		{start: hub + "/dashboard?period=2021&indicator=hope_rooms", full: true,
			protections: []string{"FAMILY", "SCHOOL", "ONLINE", "GOVERNMENT", "JUDICIAL", "BASE", "SOCIETY"}, find: "青州", found: "青州市"},
		// 青州市's page offers the indicators collected at town level:
		// government (its default) and family protection.
		{start: hub + "/dashboard/region/370781?period=2022", protections: []string{"FAMILY", "GOVERNMENT"}, find: "弥河", found: "弥河镇"},
	} {
		workFilters(t, ctx, wk, w)
	}
	screenControls(t, ctx, hub, w)
	accountAndMedia(t, ctx, hub, w)
	t.Logf("%d px: all pages worked in %s", w, time.Since(began).Round(100*time.Millisecond))
}

// workFilters works the filter form of wk.start at width w.
func workFilters(t *testing.T, ctx context.Context, wk filterWalk, w int64) {
	t.Helper()
	query := func(st controlState) url.Values {
		q, _ := url.ParseQuery(strings.TrimPrefix(st.Search, "?"))
		return q
	}
	su, _ := url.Parse(wk.start)
	// step acts and checks that the page stayed where it started.
	step := func(what string, action chromedp.Action[chromedp.Void]) controlState {
		t.Helper()
		st := act(t, ctx, what, action)
		if st.Path != su.Path {
			t.Errorf("%d px: %s: %s landed on %s", w, su.Path, what, st.Path)
		}
		return st
	}
	{
		st := step("open", chromedp.Navigate(wk.start))
		if !st.ApplyHidden || !st.Contained || st.Protection != wk.protections[len(wk.protections)-1] || len(st.Periods) < 2 {
			t.Errorf("%d px: opened %+v", w, st)
		}

		periods, indicator := slices.DeleteFunc(slices.Clone(st.Periods), func(p string) bool { return p == st.Period }), st.Indicator
		if !wk.full {
			periods = periods[:1]
		}
		for _, p := range periods {
			got := step("period "+p, pick(t, ctx, "#filters", "period", p))
			if got.Period != p || query(got).Get("period") != p || query(got).Get("indicator") != indicator {
				t.Errorf("%d px: period %s landed on %s (%s)", w, p, got.Period, got.Search)
			}
		}

		for _, p := range wk.protections {
			st = step("protection "+p, chromedp.Steps(js(noteNarrowed), pick(t, ctx, "#filters", "protection", p)))
			narrowed, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](narrowedNote))
			if err != nil {
				t.Fatal(err)
			}
			// The list narrowed at once, before the page was asked for.
			if len(narrowed) == 0 {
				t.Errorf("%d px: protection %s left no indicator", w, p)
			}
			for _, v := range narrowed {
				if v != p {
					t.Errorf("%d px: protection %s left a %s indicator visible", w, p, v)
				}
			}
			if st.Protection != p || st.IndicatorProtection != p || query(st).Get("protection") != p || query(st).Get("indicator") != st.Indicator {
				t.Errorf("%d px: protection %s landed on %s / indicator %s of %s (%s)", w, p, st.Protection, st.Indicator, st.IndicatorProtection, st.Search)
			}
			for _, v := range st.Visible {
				if v != p {
					t.Errorf("%d px: page of protection %s lists a %s indicator", w, p, v)
				}
			}
		}
		// An indicator of the list: the last one the protection offers
		// (End, when it is not the one selected).
		ind, err := chromedp.Run(ctx, chromedp.Evaluate[string](`Array.from(document.getElementById('filters').elements.indicator.options).filter(function (o) { return !o.hidden; }).pop().value`))
		if err != nil {
			t.Fatal(err)
		}
		if ind != st.Indicator {
			if st = step("indicator "+ind, pick(t, ctx, "#filters", "indicator", ind)); st.Indicator != ind || query(st).Get("indicator") != ind {
				t.Errorf("%d px: indicator %s landed on %s (%s)", w, ind, st.Indicator, st.Search)
			}
		}
		if wk.full {
			// Child directors are a government indicator: a user first
			// chooses the protection, which offers them.
			st = step("protection GOVERNMENT", pick(t, ctx, "#filters", "protection", "GOVERNMENT"))
			if st.Indicator != "child_directors" {
				st = step("child directors", pick(t, ctx, "#filters", "indicator", "child_directors"))
			}
			if st.Indicator != "child_directors" || st.Protection != "GOVERNMENT" {
				t.Errorf("%d px: child directors landed on %+v", w, st)
			}
		}

		// Region checkboxes, each toggled and back: on the city page every
		// one at 1366 px, at the other widths the first, a ticked one and
		// the last; elsewhere the first. The radar and trend show the
		// ticked regions.
		boxes := st.Boxes
		switch {
		case !wk.full && len(boxes) > 0:
			boxes = boxes[:1]
		case w != 1366 && len(boxes) > 2:
			boxes = []string{boxes[0], st.Checked[0], boxes[len(boxes)-1]}
		}
		for _, code := range boxes {
			box := chromedp.Click(chromedp.CSS(`#filters input[name=regions][value="` + code + `"]`))
			was := st.Checked
			for _, tick := range []bool{!slices.Contains(was, code), slices.Contains(was, code)} {
				st = step(fmt.Sprintf("box %s to %v", code, tick), box)
				regions := strings.Join(query(st)["regions"], ",")
				if slices.Contains(st.Checked, code) != tick || strings.Contains(regions, code) != tick {
					t.Errorf("%d px: box %s to %v landed with %v (%s)", w, code, tick, st.Checked, st.Search)
				}
				if len(st.TrendSeries) != len(st.Checked) {
					t.Errorf("%d px: %d regions ticked, the trend shows %v", w, len(st.Checked), st.TrendSeries)
				}
			}
		}

		pc := chromedp.Click(chromedp.CSS(`input[name=percap]`))
		if st = step("per 10,000 on", pc); !st.PerCap || query(st).Get("percap") != "1" || !strings.Contains(st.TrendSub, "每万名未成年人") {
			t.Errorf("%d px: per 10,000 on landed on %+v", w, st)
		}
		if st = step("per 10,000 off", pc); st.PerCap || query(st).Has("percap") || strings.Contains(st.TrendSub, "每万名未成年人") {
			t.Errorf("%d px: per 10,000 off landed on %+v", w, st)
		}

		// The region search narrows the checkboxes, in place.
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS(`input.find`), wk.find)); err != nil {
			t.Fatal(err)
		}
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#filters .boxes label')).filter(function (l) { return !l.hidden; }).map(function (l) { return l.textContent.trim(); })`))
		if err != nil {
			t.Fatal(err)
		}
		if len(shown) != 1 || shown[0] != wk.found {
			t.Errorf("%d px: search %s shows %v, want %s", w, wk.find, shown, wk.found)
		}
		if sizes, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`)); err != nil || sizes[0] > sizes[1] {
			t.Errorf("%d px: document %v wider than the window (%v)", w, sizes, err)
		}
	}
}

// The time from the start of navigation to the last of the charts
// drawn, cold (the browser's cache emptied first) and warm (the same page
// again: the hashed assets come from the cache without asking), at
// 1920×1080. Printed, not asserted: timings flake on a shared machine.
// Each run also prints when the HTML arrived and was parsed, the marks of
// dashboard.js (hub:script, hub:maps: boundaries registered, hub:drawn:
// every chart set) and the fetches of ECharts, the boundaries and
// data.json (none since the page carries its data).
//
//	CI=true go test ./internal/dashboard -run TestBrowser_ColdAndWarmTime -v
func TestBrowser_ColdAndWarmTimeToAllCharts(t *testing.T) {
	api, _ := setup(t)
	srv := httptest.NewServer(api.Handler)
	defer srv.Close()
	ctx := browser(t)
	logIn(t, ctx, srv.URL+"/login")
	target := srv.URL + "/dashboard?period=2022"
	clearCache := chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.ClearBrowserCache, cdp.Empty{})
		return err
	})
	var cold, warm []int
	for i := 0; i < 6; i++ {
		steps := []chromedp.Action[chromedp.Void]{chromedp.EmulateViewport(1920, 1080)}
		if i%2 == 0 {
			// Cold: the browser's cache emptied (HTTP and compiled code).
			steps = append(steps, clearCache)
		}
		if err := chromedp.Do(ctx, append(steps, chromedp.Navigate(target))...); err != nil {
			t.Fatal(err)
		}
		ms, err := chromedp.Run(ctx, chromedp.Poll[int](`(function () {
  var els = document.querySelectorAll('.chart[data-finished-at]');
  if (els.length < document.querySelectorAll('.chart').length) { return 0; }
  return Math.max.apply(null, Array.from(els).map(function (el) { return +el.getAttribute('data-finished-at'); }));
})()`, chromedp.WithPollingTimeout(30*time.Second)))
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			cold = append(cold, ms)
		} else {
			warm = append(warm, ms)
		}
		parts, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]int](`(function () {
  var n = performance.getEntriesByType('navigation')[0], out = { html: Math.round(n.responseEnd), parsed: Math.round(n.domInteractive) };
  performance.getEntriesByType('mark').forEach(function (m) { out[m.name] = Math.round(m.startTime); });
  performance.getEntriesByType('resource').forEach(function (r) {
    var k = r.name.indexOf('data.json') >= 0 ? 'data.json' : r.name.indexOf('echarts') >= 0 ? 'echarts' : r.name.indexOf('.geojson') >= 0 ? 'map' : '';
    if (k) { out[k + ' fetches'] = (out[k + ' fetches'] || 0) + 1; out[k + ' from'] = Math.round(r.startTime); out[k + ' to'] = Math.round(r.responseEnd); out[k + ' bytes'] = r.transferSize; }
  });
  return out;
})()`))
		if err == nil {
			t.Logf("run %d (%s): all charts at %d ms; %v", i, map[bool]string{true: "cold", false: "warm"}[i%2 == 0], ms, parts)
		}
	}
	t.Logf("navigation to all charts finished at 1920×1080: cold %v ms, warm %v ms (goal cold ≤ 1500, warm ≤ 500)", cold, warm)
}
