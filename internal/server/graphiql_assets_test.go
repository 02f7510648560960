package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/sixprot/hub/graph"
)

// TestGraphiQLAssets_GzippedWhenAcceptedAndTheSameFiles: the bundle goes
// gzipped to a browser that accepts it and plain otherwise, the same
// bytes either way; a path outside the bundle is not served.
func TestGraphiQLAssets_GzippedWhenAcceptedAndTheSameFiles(t *testing.T) {
	h := withGraphQL(Config{Log: quietLog()}, graph.Limits{})
	get := func(target, enc string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		if enc != "" {
			r.Header.Set("Accept-Encoding", enc)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	want, err := os.ReadFile("graphiql/assets/graphiql.js")
	if err != nil {
		t.Fatal(err)
	}
	plain := get("/graphql/assets/graphiql.js", "")
	if plain.Code != http.StatusOK || !bytes.Equal(plain.Body.Bytes(), want) || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain: %d %q, %d bytes", plain.Code, plain.Header().Get("Content-Encoding"), plain.Body.Len())
	}
	gz := get("/graphql/assets/graphiql.js", "gzip, deflate, br")
	size := gz.Body.Len()
	zr, err := gzip.NewReader(gz.Body)
	if err != nil || gz.Header().Get("Content-Encoding") != "gzip" || !strings.HasPrefix(gz.Header().Get("Content-Type"), "text/javascript") {
		t.Fatalf("gzip: %d %v %v", gz.Code, gz.Header(), err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("gunzipped bundle differs: %v", err)
	}
	t.Logf("graphiql.js: %d bytes, %d gzipped", len(want), size)
	for _, p := range []string{"/graphql/assets/", "/graphql/assets/nosuch.js", "/graphql/assets/../graphiql.go"} {
		if w := get(p, "gzip"); w.Code == http.StatusOK { // 404, or the mux's redirect of a dot segment
			t.Errorf("%s: %d", p, w.Code)
		}
	}
}
