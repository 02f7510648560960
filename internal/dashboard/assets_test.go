package dashboard_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/dashboard"
)

var hashedAsset = regexp.MustCompile(`(?:src|href)="(/dashboard/assets/([a-z.]+?)\.([0-9a-f]{12})\.(js|css|svg))"`)

// The page names every asset by its content hash; a hashed asset is
// cached for a year as immutable and sent gzip-compressed (compressed once
// when the dashboard starts) to a client that accepts it, the same bytes
// uncompressed to one that does not; a plain name is cached for an hour.
func TestAssets_HashedNamesImmutableAndGzipped(t *testing.T) {
	api, token := setup(t)
	body := get(t, api.Handler, token, "/dashboard?period=2022").Body.String()
	found := map[string]string{}
	for _, m := range hashedAsset.FindAllStringSubmatch(body, -1) {
		found[m[2]+"."+m[4]] = m[1]
		file := m[2] + "." + m[4]
		want, err := os.ReadFile("assets/" + strings.Replace(file, "echarts.js", "echarts.min.js", 1))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(want)
		if hex.EncodeToString(sum[:6]) != m[3] {
			t.Errorf("%s: hash %s is not its content's", m[1], m[3])
		}
	}
	for _, name := range []string{"echarts.min.js", "dashboard.js", "dashboard.css", "favicon.svg"} {
		if found[name] == "" {
			t.Errorf("the page does not name %s by hash (found %v)", name, found)
		}
	}

	fetch := func(path string, header ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		rec := httptest.NewRecorder()
		api.Handler.ServeHTTP(rec, req)
		return rec
	}
	for _, name := range []string{"echarts.min.js", "dashboard.js", "dashboard.css"} {
		u := found[name]
		if u == "" {
			continue
		}
		want, _ := os.ReadFile("assets/" + name)
		gz := fetch(u, "Accept-Encoding", "br, gzip, deflate")
		if gz.Code != http.StatusOK || gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("Vary") != "Accept-Encoding" ||
			gz.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s gzip: %d %v", u, gz.Code, gz.Header())
			continue
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(zr)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: gunzipped body differs from the file", u)
		}
		t.Logf("%s: %d bytes, gzip %d (%.0f %%)", name, len(want), gz.Body.Len(), 100*float64(gz.Body.Len())/float64(len(want)))
		if name == "echarts.min.js" && gz.Body.Len() > len(want)*2/5 {
			t.Errorf("echarts gzip is %d of %d bytes", gz.Body.Len(), len(want))
		}
		for _, ae := range []string{"", "gzip;q=0", "identity"} {
			plain := fetch(u, "Accept-Encoding", ae)
			if plain.Header().Get("Content-Encoding") != "" || !bytes.Equal(plain.Body.Bytes(), want) {
				t.Errorf("%s with Accept-Encoding %q: encoding %q, %d bytes", u, ae, plain.Header().Get("Content-Encoding"), plain.Body.Len())
			}
		}
		if nm := fetch(u, "Accept-Encoding", "gzip", "If-None-Match", gz.Header().Get("ETag")); nm.Code != http.StatusNotModified {
			t.Errorf("%s revalidated: %d, want 304", u, nm.Code)
		}
	}
	if plain := fetch("/dashboard/assets/echarts.min.js"); plain.Code != http.StatusOK || plain.Header().Get("Cache-Control") != "public, max-age=3600" {
		t.Errorf("plain name: %d %q", plain.Code, plain.Header().Get("Cache-Control"))
	}
	if missing := fetch("/dashboard/assets/echarts.min.000000000000.js"); missing.Code != http.StatusNotFound {
		t.Errorf("a stale hash: %d, want 404", missing.Code)
	}
}

// Browsers ask for /favicon.ico on their own: it was 404. It is the
// embedded favicon.svg, public like the assets (a stale session cookie
// does not turn it into a 401).
func TestAssets_FaviconICOIsTheEmbeddedIcon(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	want, err := os.ReadFile("assets/favicon.svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, cookie := range []*http.Cookie{nil, {Name: dashboard.SessionCookie, Value: "ended-long-ago"}} {
		req := httptest.NewRequest(http.MethodGet, "/favicon.ico", nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		rec := httptest.NewRecorder()
		api.Handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/svg+xml" || !bytes.Equal(rec.Body.Bytes(), want) ||
			!strings.Contains(rec.Header().Get("Cache-Control"), "max-age=") {
			t.Errorf("/favicon.ico (cookie %v): %d %v %q", cookie, rec.Code, rec.Header(), rec.Body.String()[:min(80, rec.Body.Len())])
		}
	}
}
