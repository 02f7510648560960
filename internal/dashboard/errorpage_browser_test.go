package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/sixprot/hub/internal/hub"
)

// In a browser, as a county leader: another county's page is the 403
// error page (the browser's own Accept, not a test's), readable at a
// phone's width, and its link leads back to the leader's own dashboard;
// /favicon.ico is the icon.
func TestBrowser_OutOfScopePageIsAnErrorPageWithAWayBack(t *testing.T) {
	ctx := browser(t)
	api, _ := setup(t)
	pw := leaderPassword
	api.User(t, hub.NewUser{Name: "qz-leader-browser", Role: hub.Leader, Region: "370781", Password: &pw})
	srv := httptest.NewServer(api.Handler)
	defer srv.Close()
	err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "qz-leader-browser"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), leaderPassword),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("ranking")))
	if err != nil {
		t.Fatalf("log in: %v", err)
	}
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(srv.URL+"/dashboard/region/370702?period=2022"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || !strings.HasPrefix(resp.MimeType, "text/html") {
		t.Errorf("another county's page: %d %s", resp.Status, resp.MimeType)
	}
	type state struct {
		Message string `json:"message"`
		Home    string `json:"home"`
		Width   []int  `json:"width"`
	}
	st, err := chromedp.Run(ctx, chromedp.Evaluate[state](`({ message: document.getElementById('message').textContent,
  home: document.getElementById('home').getAttribute('href'), width: [document.documentElement.scrollWidth, window.innerWidth] })`))
	if err != nil {
		t.Fatal(err)
	}
	if st.Message != "该地区不在您的查看范围内 / this region is outside your scope" || st.Home != "/dashboard" || st.Width[0] > st.Width[1] {
		t.Errorf("error page: %+v", st)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("home")), chromedp.WaitVisible(chromedp.ID("ranking"))); err != nil {
		t.Fatalf("the way back: %v", err)
	}
	if title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`)); err != nil || !strings.Contains(title, "青州市") {
		t.Errorf("the way back leads to %q (%v), want the leader's own 青州市", title, err)
	}
	resp, err = chromedp.RunResponse(ctx, chromedp.Navigate(srv.URL+"/favicon.ico"))
	if err != nil || resp.Status != http.StatusOK || resp.MimeType != "image/svg+xml" {
		t.Errorf("/favicon.ico: %v %v", resp, err)
	}
}
