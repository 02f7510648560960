package dashboard_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"
)

// logIn opens target and signs in through the login form it is sent
// to, as a leader would.
func logIn(t *testing.T, ctx context.Context, target string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(target),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "demo-leader"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), leaderPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("ranking")),
	)
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
}

// pageState is what a landed page says about its view.
type pageState struct {
	Path       string `json:"path"`
	Lang       string `json:"lang"`
	Period     string `json:"period"`
	Protection string `json:"protection"`
	Indicator  string `json:"indicator"`
	PerCap     bool   `json:"percap"`
	Title      string `json:"title"`
}

const readState = `({ path: location.pathname, lang: document.documentElement.lang,
  period: (document.querySelector('[name=period]') || {}).value || '',
  protection: (document.querySelector('[name=protection]') || {}).value || '',
  indicator: (document.querySelector('[name=indicator]') || {}).value || '',
  percap: !!(document.querySelector('[name=percap]') || {}).checked, title: document.title })`

// download is an export fetched by the page, as its link would download it.
type download struct {
	Status      int    `json:"status"`
	Disposition string `json:"disposition"`
	Body        string `json:"body"` // base64
}

const fetchAs = `fetch(%q, { credentials: 'same-origin' }).then(function (r) {
  return r.arrayBuffer().then(function (b) {
    var s = '', u = new Uint8Array(b);
    for (var i = 0; i < u.length; i++) { s += String.fromCharCode(u[i]); }
    return { status: r.status, disposition: r.headers.get('Content-Disposition') || '', body: btoa(s) };
  });
})`

// checkLink follows one link of a page and checks that where it lands, or
// what it downloads, is what its parameters ask for.
func checkLink(t *testing.T, ctx context.Context, from, href string, names map[string]string) {
	t.Helper()
	u, err := url.Parse(href)
	if err != nil {
		t.Errorf("%s: link %q: %v", from, href, err)
		return
	}
	q := u.Query()
	for k := range q {
		if strings.ContainsAny(k, "=&%") {
			t.Errorf("%s: link %s has a mangled parameter %q", from, href, k)
		}
	}
	if u.Path == "/media" {
		// The release view: it lands, and a fragment names a part of it.
		if err := chromedp.Do(ctx, chromedp.Navigate(href), chromedp.WaitVisible(chromedp.ID("nav"))); err != nil {
			t.Errorf("%s: follow %s: %v", from, href, err)
			return
		}
		if ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`location.pathname === '/media' && (%q === '' || !!document.getElementById(%q))`, u.Fragment, u.Fragment))); err != nil || !ok {
			t.Errorf("%s: %s did not land on /media or its part %q (%v)", from, href, u.Fragment, err)
		}
		return
	}
	if u.Path == "/export/publicity.csv" || u.Path == "/export/publicity.json" {
		checkPublicity(t, ctx, from, href, u)
		return
	}
	if u.Path == "/account/tokens" {
		// The account page: it lands, in the link's language.
		if err := chromedp.Do(ctx, chromedp.Navigate(href), chromedp.WaitVisible(chromedp.ID("create"))); err != nil {
			t.Errorf("%s: follow %s: %v", from, href, err)
			return
		}
		st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readState))
		if want := map[bool]string{true: "en", false: "zh-CN"}[q.Get("lang") == "en"]; err != nil || st.Lang != want {
			t.Errorf("%s: %s: lang %q, want %q (%v)", from, href, st.Lang, want, err)
		}
		return
	}
	if strings.HasPrefix(u.Path, "/export/") {
		d, err := chromedp.Run(ctx, chromedp.Evaluate[download](fmt.Sprintf(fetchAs, href), chromedp.EvalAwaitPromise))
		if err != nil || d.Status != 200 {
			t.Errorf("%s: export %s: %d %v", from, href, d.Status, err)
			return
		}
		// The name a browser saves (filename*, in the page's language)
		// names the period and, for the ranking, the indicator; the ASCII
		// fallback names table, region, indicator and period by code.
		_, params, _ := mime.ParseMediaType(d.Disposition)
		file := params["filename"]
		ascii, _, _ := strings.Cut(strings.TrimPrefix(d.Disposition, `attachment; filename="`), `"`)
		table, ext, _ := strings.Cut(strings.TrimPrefix(u.Path, "/export/"), ".")
		for _, want := range []string{table, q.Get("indicator"), q.Get("period"), q.Get("parent"), "." + ext} {
			if want != "" && !strings.Contains(ascii, want) {
				t.Errorf("%s: %s downloads %q, which does not name %q", from, href, ascii, want)
			}
		}
		wantLocal := []string{q.Get("period"), "." + ext}
		if table == "ranking" {
			wantLocal = append(wantLocal, names[q.Get("indicator")])
		}
		for _, want := range wantLocal {
			if !strings.Contains(file, want) {
				t.Errorf("%s: %s saves as %q, which does not name %q", from, href, file, want)
			}
		}
		body, _ := base64.StdEncoding.DecodeString(d.Body)
		var rows [][]string
		if ext == "csv" {
			if !bytes.HasPrefix(body, []byte("\ufeff")) {
				t.Errorf("%s: %s has no UTF-8 BOM", from, href)
			}
			rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
		} else {
			var f *excelize.File
			if f, err = excelize.OpenReader(bytes.NewReader(body)); err == nil {
				rows, err = f.GetRows(f.GetSheetName(0))
			}
		}
		if err != nil || len(rows) < 2 {
			t.Errorf("%s: %s: %d rows, %v", from, href, len(rows), err)
			return
		}
		// The ranking's header names the indicator of the link, in the
		// link's language.
		if table == "ranking" && !strings.Contains(strings.Join(rows[0], "|"), names[q.Get("indicator")]) {
			t.Errorf("%s: %s: header %v does not name %s", from, href, rows[0], names[q.Get("indicator")])
		}
		t.Logf("%s → %s / %s (%d rows)", href, file, ascii, len(rows))
		return
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(href), chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
		t.Errorf("%s: follow %s: %v", from, href, err)
		return
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readState))
	if err != nil {
		t.Fatal(err)
	}
	wantLang := "zh-CN"
	if q.Get("lang") == "en" {
		wantLang = "en"
	}
	if st.Path != u.Path || st.Lang != wantLang || st.PerCap != (q.Get("percap") == "1") ||
		(q.Has("period") && st.Period != q.Get("period")) || (q.Has("indicator") && st.Indicator != q.Get("indicator")) ||
		(q.Has("protection") && st.Protection != q.Get("protection")) {
		t.Errorf("%s: link %s landed on %+v", from, href, st)
	}
}

// checkPublicity downloads a publicity export of /media as its link
// would: the CSV is saved as publicity-<period>.csv, has a BOM and headers
// in the link's language, and every row (CSV) or observation (JSON) is of
// the link's period, with the indicator's name beside its code.
func checkPublicity(t *testing.T, ctx context.Context, from, href string, u *url.URL) {
	t.Helper()
	q := u.Query()
	d, err := chromedp.Run(ctx, chromedp.Evaluate[download](fmt.Sprintf(fetchAs, href), chromedp.EvalAwaitPromise))
	if err != nil || d.Status != 200 {
		t.Errorf("%s: export %s: %d %v", from, href, d.Status, err)
		return
	}
	body, _ := base64.StdEncoding.DecodeString(d.Body)
	period := q.Get("period")
	if strings.HasSuffix(u.Path, ".json") {
		var out struct {
			Observations []struct{ Period, Indicator, IndicatorName string }
		}
		if err := json.Unmarshal(body, &out); err != nil || len(out.Observations) == 0 {
			t.Errorf("%s: %s: %d observations, %v", from, href, len(out.Observations), err)
			return
		}
		for _, o := range out.Observations {
			if o.Period != period || o.IndicatorName == "" || o.IndicatorName == o.Indicator {
				t.Errorf("%s: %s holds %+v", from, href, o)
				break
			}
		}
		t.Logf("%s → %d observations", href, len(out.Observations))
		return
	}
	_, params, _ := mime.ParseMediaType(d.Disposition)
	if want := "publicity-" + period + ".csv"; params["filename"] != want {
		t.Errorf("%s: %s saves as %q, want %q", from, href, params["filename"], want)
	}
	if !bytes.HasPrefix(body, []byte("\ufeff")) {
		t.Errorf("%s: %s has no UTF-8 BOM", from, href)
	}
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Errorf("%s: %s: %d rows, %v", from, href, len(rows), err)
		return
	}
	if want := map[bool]string{true: "indicator", false: "指标代码"}[q.Get("lang") == "en"]; rows[0][0] != want || rows[0][2] == "" {
		t.Errorf("%s: %s: header %v, want it to start with %q", from, href, rows[0], want)
	}
	for _, r := range rows[1:] {
		if r[2] != period || r[9] == "" || r[9] == r[0] {
			t.Errorf("%s: %s holds the row %v", from, href, r)
			break
		}
	}
	t.Logf("%s → %s (%d rows, header %s…)", href, params["filename"], len(rows), rows[0][0])
}

// Every link of the city page and of a district page works: each lands
// on a page in the link's language, period, indicator and measure, or
// downloads a file named for the link's table, indicator, region and
// period; and at 390, 1366 and 1920 px no page is wider than the window.
func TestBrowser_EveryLinkReflectsItsParametersAtThreeWidths(t *testing.T) {
	ctx, srv := browserHub(t)
	logIn(t, ctx, srv.URL+"/login")
	shots := os.Getenv("HUB_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	for _, start := range []string{"/dashboard?period=2021&indicator=hope_rooms", "/dashboard/region/370781?period=2022&lang=en"} {
		for _, w := range []int64{390, 1366, 1920} {
			h := map[int64]int64{390: 844, 1366: 768, 1920: 1080}[w]
			err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h), chromedp.Navigate(srv.URL+start), chromedp.WaitVisible(chromedp.ID("ranking")))
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('.chart[data-finished]').length === document.querySelectorAll('.chart').length`,
				chromedp.WithPollingTimeout(30*time.Second))); err != nil || !ok {
				t.Errorf("%s at %d px: charts did not finish: %v", start, w, err)
			}
			sizes, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
			if err != nil {
				t.Fatal(err)
			}
			if sizes[0] > sizes[1] {
				t.Errorf("%s at %d px: document is %d px wide, window %d", start, w, sizes[0], sizes[1])
			}
			// Titles, legends and axis labels keep clear of each other and
			// of the drawing (chartClashes).
			clashes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](chartClashes+`(8)`))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range clashes {
				t.Errorf("%s at %d px: %s", start, w, c)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
			if err != nil {
				t.Fatal(err)
			}
			name := strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "-").Replace(strings.TrimPrefix(start, "/"))
			file := filepath.Join(shots, fmt.Sprintf("%s-%d.png", name, w))
			if err := os.WriteFile(file, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot %d px: %s", w, file)
		}
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768), chromedp.Navigate(srv.URL+start), chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
			t.Fatal(err)
		}
		hrefs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.href; })`))
		if err != nil {
			t.Fatal(err)
		}
		names, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(Array.from(document.querySelectorAll('[name=indicator] option')).map(function (o) { return [o.value, o.textContent]; }))`))
		if err != nil {
			t.Fatal(err)
		}
		if len(hrefs) < 6 {
			t.Fatalf("%s: only %d links: %v", start, len(hrefs), hrefs)
		}
		for _, href := range hrefs {
			checkLink(t, ctx, start, href, names)
		}
	}
}
