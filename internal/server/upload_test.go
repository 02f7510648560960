package server

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/hub"
)

func TestUpload_TooLargeIsRefusedWithAMessage(t *testing.T) {
	lim := graph.DefaultLimits
	lim.Upload = 1 << 20
	h := Handler(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: lim})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("operations", `{"query":"mutation($f: Upload!) { importValues(file: $f) { status } }","variables":{"f":null}}`)
	_ = mw.WriteField("map", `{"0":["variables.f"]}`)
	fw, _ := mw.CreateFormFile("0", "big.csv")
	_, _ = fw.Write(bytes.Repeat([]byte("x"), 3<<20))
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/graphql", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var resp struct {
		Errors []struct {
			Message    string
			Extensions map[string]string
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != http.StatusRequestEntityTooLarge ||
		len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != hub.EINVALID || !strings.Contains(resp.Errors[0].Message, "过大") {
		t.Fatalf("status %d, body %s", w.Code, w.Body.String())
	}
}
