package dashboard_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var hrefAttr = regexp.MustCompile(`(?:href|action|data-src)="([^"]*)"`)

// No link of a page carries a percent-encoded "=" or "&" (html/template
// writes them so when a query string follows a literal "?"), and each
// link's query parses into the parameters the page means.
func TestDashboard_LinksAreNotPercentEncoded(t *testing.T) {
	api, token := setup(t)
	for _, target := range []string{"/dashboard?period=2021&indicator=hope_rooms", "/dashboard?period=2022&lang=en&percap=1",
		"/dashboard/region/370781?period=2022&indicator=hope_rooms", "/dashboard/region/370781?period=2021&lang=en"} {
		rec := get(t, api.Handler, token, target)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", target, rec.Code)
		}
		want, _ := url.Parse(target)
		links := hrefAttr.FindAllStringSubmatch(rec.Body.String(), -1)
		if len(links) < 6 {
			t.Fatalf("%s: only %d links", target, len(links))
		}
		for _, m := range links {
			if l := strings.ToLower(m[1]); strings.Contains(l, "%3d") || strings.Contains(l, "%26") {
				t.Errorf("%s: percent-encoded query in link %q", target, m[1])
				continue
			}
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil {
				t.Errorf("%s: link %q: %v", target, m[1], err)
				continue
			}
			if u.RawQuery == "" || strings.HasPrefix(u.Path, "/dashboard/assets/") {
				continue
			}
			// Every link keeps the period of the page.
			if got := u.Query().Get("period"); got != want.Query().Get("period") {
				t.Errorf("%s: link %q has period %q", target, m[1], got)
			}
		}
	}
}
