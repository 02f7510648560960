package server

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Every line logged with a request's context, by the request log and by
// code deeper down, carries the id the response names in X-Request-Id.
func TestLogLinesOfARequestCarryItsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := NewLogger("json", &buf, slog.LevelInfo)
	h := requestLog(log, nil, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.WarnContext(r.Context(), "deep inside", "step", 1)
		log.With("component", "x").InfoContext(r.Context(), "deeper")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/anything", nil))
	id := w.Header().Get("X-Request-Id")
	if len(id) != 16 {
		t.Fatalf("X-Request-Id %q", id)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 lines, got:\n%s", buf.String())
	}
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		if rec["request_id"] != id {
			t.Errorf("line without the request id %s: %s", id, l)
		}
	}
}

func TestNewLoggerIsTextWhenAsked(t *testing.T) {
	var buf bytes.Buffer
	NewLogger("text", &buf, slog.LevelInfo).Info("hello", "k", "v")
	if !strings.Contains(buf.String(), "msg=hello k=v") {
		t.Errorf("text log: %q", buf.String())
	}
	buf.Reset()
	NewLogger("", &buf, slog.LevelInfo).Info("hello")
	if !strings.HasPrefix(buf.String(), "{") {
		t.Errorf("default to a non-terminal is not JSON: %q", buf.String())
	}
}

// One failure is one ERROR line: a 503 is logged with its cause by the code
// that answered it, so the request line only warns; any other 5xx is an
// error nobody else reported.
func TestRequestLog_OneErrorLinePerFailure(t *testing.T) {
	for _, tc := range []struct {
		status int
		cause  bool // the handler logs the cause at ERROR, as the 503 paths do
		want   []string
	}{
		{http.StatusOK, false, []string{"INFO"}},
		{http.StatusBadRequest, false, []string{"INFO"}},
		{http.StatusServiceUnavailable, true, []string{"ERROR", "WARN"}},
		{http.StatusInternalServerError, false, []string{"ERROR"}},
		{http.StatusBadGateway, false, []string{"ERROR"}},
	} {
		var buf bytes.Buffer
		log := NewLogger("json", &buf, slog.LevelInfo)
		h := requestLog(log, nil, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.cause {
				log.ErrorContext(r.Context(), "authenticate", "error", "connection refused")
			}
			w.WriteHeader(tc.status)
		}))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/graphql", nil))
		var levels []string
		for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			var rec struct{ Level string }
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Fatalf("not JSON: %s", l)
			}
			levels = append(levels, rec.Level)
		}
		if strings.Join(levels, ",") != strings.Join(tc.want, ",") {
			t.Errorf("status %d: levels %v, want %v", tc.status, levels, tc.want)
		}
	}
}
