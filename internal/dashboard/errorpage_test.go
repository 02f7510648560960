package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/server"
)

// browserAccept is the Accept header of Chromium's navigations.
const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8"

func getAccept(t testing.TB, h http.Handler, token, target, accept string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// errorCode reads the code of the hub's JSON error body, "" when the body
// is not one.
func errorCode(rec *httptest.ResponseRecorder) string {
	var body struct {
		Errors []struct {
			Extensions struct {
				Code string `json:"code"`
			} `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &body) != nil || len(body.Errors) != 1 {
		return ""
	}
	return body.Errors[0].Extensions.Code
}

// wantHTMLError checks an HTML error page: its status, no-store, the
// message and the link to the viewer's own page.
func wantHTMLError(t *testing.T, what string, rec *httptest.ResponseRecorder, status int, message, home string) string {
	t.Helper()
	body := html.UnescapeString(rec.Body.String())
	if rec.Code != status || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("%s: %d %q %q, want %d, an HTML page, no-store", what, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"), status)
	}
	if !strings.Contains(body, `<p class="error" role="alert" id="message">`+message+`</p>`) {
		t.Errorf("%s: the page does not say %q:\n%s", what, message, body)
	}
	if !strings.Contains(body, `<a id="home" href="`+home+`">`) {
		t.Errorf("%s: no link to %s:\n%s", what, home, body)
	}
	if !strings.Contains(body, `href="/dashboard/assets/dashboard.`) {
		t.Errorf("%s: the page is not styled like the others", what)
	}
	return body
}

// A browser asking for a page with a wrong parameter was answered the
// GraphQL-shaped JSON error body; it gets an HTML page with the message,
// the status and a way back. Scripts — data.json, the exports, anything
// asking for JSON or naming no type — keep the JSON body.
func TestErrorPage_BrowsersGetHTMLScriptsKeepJSON(t *testing.T) {
	api, token := setup(t)
	msg := `无效的期间 "abc"：应为 2022、2022Q3 或 2022-07 / invalid period "abc": use 2022, 2022Q3 or 2022-07`
	body := wantHTMLError(t, "period=abc", getAccept(t, api.Handler, token, "/dashboard?period=abc", browserAccept), http.StatusBadRequest, msg, "/dashboard")
	if !strings.Contains(body, `<html lang="zh-CN">`) || !strings.Contains(body, "<h1>请求未能完成 / The request could not be completed</h1>") ||
		!strings.Contains(body, "错误代码 / Error code: 400 "+hub.EINVALID) || strings.Contains(body, `id="login"`) {
		t.Errorf("period=abc: Chinese first, the code, no login link for a signed-in viewer:\n%s", body)
	}
	body = wantHTMLError(t, "English", getAccept(t, api.Handler, token, "/dashboard/region/370781?period=abc&lang=en", browserAccept), http.StatusBadRequest, msg, "/dashboard?lang=en")
	if !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "<h1>The request could not be completed / 请求未能完成</h1>") {
		t.Errorf("lang=en: English first:\n%s", body)
	}
	wantHTMLError(t, "大屏", getAccept(t, api.Handler, token, "/dashboard/screen?refresh=1", "text/html"), http.StatusBadRequest,
		"刷新间隔 refresh 应为 10–3600 秒的整数，不是 \"1\" / refresh must be whole seconds from 10 to 3600, not \"1\"", "/dashboard")
	wantHTMLError(t, "unknown region", getAccept(t, api.Handler, token, "/dashboard/region/999999", browserAccept), http.StatusNotFound,
		`没有地区 "999999" / no region "999999"`, "/dashboard")

	for _, c := range []struct{ target, accept string }{
		{"/dashboard?period=abc", "application/json"},
		{"/dashboard?period=abc", ""},
		{"/dashboard?period=abc", "*/*"},
		{"/dashboard?period=abc", "text/html;q=0.5, application/json"},
		{"/dashboard/data.json?period=abc", browserAccept},
		{"/export/ranking.csv?period=abc", browserAccept},
		{"/export/heatmap.xlsx?period=abc", browserAccept},
	} {
		rec := getAccept(t, api.Handler, token, c.target, c.accept)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Header().Get("Content-Type"), "json") || errorCode(rec) != hub.EINVALID {
			t.Errorf("%s (Accept %q): %d %q %s, want the JSON error body", c.target, c.accept, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}

	// Signed out, a form's 401 offers the login.
	req := httptest.NewRequest(http.MethodPost, "/logout?lang=en", nil)
	req.Header.Set("Accept", browserAccept)
	rec := httptest.NewRecorder()
	api.Handler.ServeHTTP(rec, req)
	body = wantHTMLError(t, "signed out", rec, http.StatusUnauthorized, "请先登录 / log in first", "/dashboard?lang=en")
	if !strings.Contains(body, `<a id="login" href="/login?lang=en">Log in / 登录</a>`) || rec.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("401: no login link or WWW-Authenticate (%v):\n%s", rec.Header(), body)
	}
}

// failingAnalytics fails every comparison with a cause people must not
// read.
type failingAnalytics struct{ fixedAnalytics }

func (failingAnalytics) Comparison(context.Context, hub.ComparisonQuery) ([]*hub.ComparisonRow, error) {
	return nil, errors.New("comparison: SELECT secret_column FROM values_of_everyone")
}

// An internal error's page shows only the generic message; its cause is
// logged, once, as for the JSON body.
func TestErrorPage_InternalErrorShowsTheGenericMessageAndLogsTheCauseOnce(t *testing.T) {
	svc, token := withAnalytics(t, &failingAnalytics{})
	var log bytes.Buffer
	h := server.Handler(server.Config{Log: slog.New(slog.NewJSONHandler(&log, nil)), Services: svc, RateLimit: server.RateLimit{PerSecond: -1}})
	for _, accept := range []string{browserAccept, "application/json"} {
		log.Reset()
		rec := getAccept(t, h, token, "/dashboard?period=2022", accept)
		if accept == browserAccept {
			wantHTMLError(t, "internal", rec, http.StatusInternalServerError, "内部错误 / internal error", "/dashboard")
		} else if rec.Code != http.StatusInternalServerError || errorCode(rec) != hub.EINTERNAL {
			t.Errorf("internal, JSON: %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "secret_column") {
			t.Errorf("Accept %q: the cause reached the client:\n%s", accept, rec.Body)
		}
		// The request log's line says 500; one line carries the cause.
		if n := strings.Count(log.String(), "secret_column"); n != 1 {
			t.Errorf("Accept %q: the cause logged %d times, want once:\n%s", accept, n, log.String())
		}
	}
}
