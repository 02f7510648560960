package dashboard_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// screenState is what the 大屏's form and heading show.
type screenState struct {
	Path      string `json:"path"`
	Search    string `json:"search"`
	Period    string `json:"period"`
	Indicator string `json:"indicator"`
	Named     string `json:"named"` // the selected indicator's option text
	PerCap    bool   `json:"percap"`
	Heading   string `json:"heading"`
	BarSub    string `json:"barSub"`
}

const readScreen = `(function () {
  var el = document.querySelector('form.wallfilters').elements, sel = el.indicator.options[el.indicator.selectedIndex];
  var bar = echarts.getInstanceByDom(document.getElementById('bar')), t = bar ? bar.getOption().title[0] || {} : {};
  return { path: location.pathname, search: location.search, period: el.period.value, indicator: el.indicator.value,
    named: sel ? sel.textContent : '', percap: el.percap.checked, heading: document.querySelector('h1').textContent,
    barSub: (t.text || '') + ' ' + (t.subtext || '') };
})()`

// screenControls works the 大屏's own form — indicator, per 10,000 and
// period, each landing on the 大屏 with the choice in its URL, form and
// heading — and follows its links (English, 退出大屏).
func screenControls(t *testing.T, ctx context.Context, hub string, w int64) {
	t.Helper()
	read := func(what string, action chromedp.Action[chromedp.Void]) (screenState, url.Values) {
		t.Helper()
		settle(t, ctx, what, action)
		st, err := chromedp.Run(ctx, chromedp.Evaluate[screenState](readScreen))
		if err != nil {
			t.Fatalf("大屏 %s: read: %v", what, err)
		}
		if st.Path != "/dashboard/screen" {
			t.Errorf("%d px: 大屏 %s landed on %s", w, what, st.Path)
		}
		q, _ := url.ParseQuery(strings.TrimPrefix(st.Search, "?"))
		return st, q
	}
	start := "/dashboard/screen?period=2022&indicator=child_directors&refresh=600"
	st, q := read("open", chromedp.Navigate(hub+start))
	if st.Period != "2022" || st.Indicator != "child_directors" || st.PerCap {
		t.Errorf("%d px: 大屏 opened on %+v", w, st)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	saveShot(t, shot, fmt.Sprintf("dashboard_screen_period-2022_indicator-child_directors-%d.png", w))
	if st, q = read("indicator hope_rooms", pick(t, ctx, "form.wallfilters", "indicator", "hope_rooms")); st.Indicator != "hope_rooms" || q.Get("indicator") != "hope_rooms" ||
		!strings.Contains(st.Heading, st.Named) || q.Get("period") != "2022" || q.Get("refresh") != "600" {
		t.Errorf("%d px: 大屏 indicator hope_rooms landed on %+v", w, st)
	}
	if st, q = read("per 10,000 on", chromedp.Click(chromedp.CSS(`form.wallfilters input[name=percap]`))); !st.PerCap || q.Get("percap") != "1" || q.Get("indicator") != "hope_rooms" ||
		!strings.Contains(st.BarSub, "每万名未成年人") {
		t.Errorf("%d px: 大屏 per 10,000 on landed on %+v", w, st)
	}
	if st, q = read("period 2021", pick(t, ctx, "form.wallfilters", "period", "2021")); st.Period != "2021" || q.Get("period") != "2021" || !strings.Contains(st.Heading, "2021") ||
		q.Get("percap") != "1" || q.Get("indicator") != "hope_rooms" {
		t.Errorf("%d px: 大屏 period 2021 landed on %+v", w, st)
	}
	if st, q = read("per 10,000 off", chromedp.Click(chromedp.CSS(`form.wallfilters input[name=percap]`))); st.PerCap || q.Has("percap") || strings.Contains(st.BarSub, "每万名未成年人") {
		t.Errorf("%d px: 大屏 per 10,000 off landed on %+v", w, st)
	}
	hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; })`))
	if err != nil || len(hrefs) < 2 {
		t.Fatalf("%d px: 大屏 links %v (%v)", w, hrefs, err)
	}
	for _, href := range hrefs {
		checkLink(t, ctx, "大屏", href, nil)
	}
}

// accountAndMedia works the token page — a token created shows its secret
// once, which then opens an export; revoked, it no longer does — and
// /media: its navigation, the publicity downloads in both languages, and
// 退出, which ends the session. It runs last: it logs out.
func accountAndMedia(t *testing.T, ctx context.Context, hub string, w int64) {
	t.Helper()
	name := fmt.Sprintf("crawl-%d", w)
	if err := chromedp.Do(ctx, chromedp.Navigate(hub+"/account/tokens"), chromedp.WaitVisible(chromedp.ID("create")),
		chromedp.SendKeys(chromedp.CSS(`#create input[name=name]`), name),
		chromedp.Click(chromedp.CSS(`#create button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("secret"))); err != nil {
		t.Fatalf("%d px: create a token: %v", w, err)
	}
	secret, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("secret")))
	if err != nil || len(secret) < 20 {
		t.Fatalf("%d px: secret %q (%v)", w, secret, err)
	}
	row := `Array.from(document.querySelectorAll('#tokens tbody tr')).filter(function (r) { return r.cells[0].textContent === ` + fmt.Sprintf("%q", name) + `; })`
	// bearer is the status of an export fetched with the secret alone.
	bearer := func() int {
		st, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`fetch('/export/ranking.csv?period=2022', { credentials: 'omit', headers: { Authorization: 'Bearer ' + %q } }).then(function (r) { return r.status; })`, secret), chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](row+`.length`)); err != nil || n != 1 {
		t.Errorf("%d px: the new token %s is listed %d times (%v)", w, name, n, err)
	}
	if s := bearer(); s != 200 {
		t.Errorf("%d px: the new token's secret opens an export with %d", w, s)
	}
	// Seen once: the page again does not show it.
	if err := chromedp.Do(ctx, chromedp.Navigate(hub+"/account/tokens"), chromedp.WaitVisible(chromedp.ID("create"))); err != nil {
		t.Fatal(err)
	}
	if again, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.getElementById('secret') && document.documentElement.outerHTML.indexOf(`+fmt.Sprintf("%q", secret)+`) < 0`)); err != nil || !again {
		t.Errorf("%d px: the token page shows the secret again (%v)", w, err)
	}
	// Revoke: the page comes back with the token marked revoked and without
	// its button, and the secret stops working.
	settleFor(t, ctx, fmt.Sprintf("%d px: revoke", w), `!!document.getElementById('create')`, js(`(function (b) { setTimeout(function () { b.click(); }, 20); })(`+row+`[0].querySelector('button'))`))
	state, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[location.pathname, `+row+`.map(function (r) { return r.cells[4].textContent + (r.querySelector('button') ? ' button' : ''); }).join()]`))
	if err != nil || state[0] != "/account/tokens" || !strings.HasPrefix(state[1], "已吊销") || strings.Contains(state[1], "button") {
		t.Errorf("%d px: after revoke: %v (%v)", w, state, err)
	}
	if s := bearer(); s != 401 {
		t.Errorf("%d px: the revoked token's secret opens an export with %d, want 401", w, s)
	}
	hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; })`))
	if err != nil {
		t.Fatal(err)
	}
	for _, href := range hrefs {
		checkLink(t, ctx, "/account/tokens", href, nil)
	}

	// /media, as the leader (who also gets the 驾驶舱 link): every link,
	// then 退出.
	if err := chromedp.Do(ctx, chromedp.Navigate(hub+"/media"), chromedp.WaitVisible(chromedp.ID("nav"))); err != nil {
		t.Fatal(err)
	}
	hrefs, err = chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; })`))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, href := range hrefs {
		u, _ := url.Parse(href)
		kinds = append(kinds, u.Path+"?"+u.Query().Get("lang")+"#"+u.Fragment)
		checkLink(t, ctx, "/media", href, nil)
	}
	for _, want := range []string{"/media?#", "/dashboard?#", "/media?#withheld", "/export/publicity.csv?#", "/export/publicity.csv?en#", "/export/publicity.json?#"} {
		if !strings.Contains(strings.Join(kinds, " "), want) {
			t.Errorf("%d px: /media has no link %s: %v", w, want, kinds)
		}
	}
	if sizes, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`)); err != nil || sizes[0] > sizes[1] {
		t.Errorf("%d px: /media %v wider than the window (%v)", w, sizes, err)
	}
	// The links led away: back to /media for 退出.
	if err := chromedp.Do(ctx, chromedp.Navigate(hub+"/media"), chromedp.WaitVisible(chromedp.ID("logout"))); err != nil {
		t.Fatal(err)
	}
	settleFor(t, ctx, fmt.Sprintf("%d px: 退出", w), `!!document.querySelector('input[name=username]')`, js(`setTimeout(function () { document.getElementById('logout').click(); }, 20)`))
	if loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); err != nil || loc != "/login" {
		t.Errorf("%d px: 退出 landed on %s (%v)", w, loc, err)
	}
	// The session is over: the dashboard sends the browser to log in.
	if err := chromedp.Do(ctx, chromedp.Navigate(hub+"/dashboard"), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`))); err != nil {
		t.Errorf("%d px: after 退出, /dashboard: %v", w, err)
	}
}
