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
	h := requestLog(log, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
