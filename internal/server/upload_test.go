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
	h := withGraphQL(Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, lim)
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

// part is one part of a multipart request: a form field, or a file when
// file is set.
type part struct {
	name, value string
	file        bool
}

func multipartRequest(parts ...part) *http.Request {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		if p.file {
			fw, _ := mw.CreateFormFile(p.name, "values.csv")
			_, _ = fw.Write([]byte(p.value))
		} else {
			_ = mw.WriteField(p.name, p.value)
		}
	}
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/graphql", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

const importOp = `{"query":"mutation($f: Upload!) { importValues(file: $f) { status } }","variables":{"f":null}}`

func ops(query string, vars string) part {
	q, _ := json.Marshal(query)
	return part{name: "operations", value: `{"query":` + string(q) + `,"variables":` + vars + `}`}
}

func serveUpload(h http.Handler, r *http.Request) (int, map[string]any, string) {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var resp struct {
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	if len(resp.Errors) == 0 {
		return w.Code, nil, w.Body.String()
	}
	return w.Code, resp.Errors[0].Extensions, w.Body.String()
}

// TestUpload_CraftedMultipartRequestsAreBadUserInput: every request that
// breaks the multipart request spec is answered 400 BAD_USER_INPUT (gqlgen's
// own transport panicked on some: HTTP 500), before any resolver runs.
func TestUpload_CraftedMultipartRequestsAreBadUserInput(t *testing.T) {
	h := withGraphQL(Config{Log: quietLog()}, graph.Limits{})
	file := part{name: "0", value: "indicator,region,period,value\n", file: true}
	anyOp := `mutation($d: Int, $f: Upload, $l: [Upload], $s: String) { importValues(file: $f) { status } }`
	cases := map[string][]part{
		"path through a number":       {ops(anyOp, `{"d":1,"f":null}`), {name: "map", value: `{"0":["variables.d.x"]}`}, file},
		"index into a number":         {ops(anyOp, `{"d":1}`), {name: "map", value: `{"0":["variables.d.0"]}`}, file},
		"index out of range":          {ops(anyOp, `{"l":[null]}`), {name: "map", value: `{"0":["variables.l.5"]}`}, file},
		"negative index":              {ops(anyOp, `{"l":[null]}`), {name: "map", value: `{"0":["variables.l.-1"]}`}, file},
		"missing variable":            {ops(anyOp, `{}`), {name: "map", value: `{"0":["variables.g"]}`}, file},
		"no variables":                {ops(anyOp, `null`), {name: "map", value: `{"0":["variables.f"]}`}, file},
		"variables not an object":     {ops(anyOp, `[1,2]`), {name: "map", value: `{"0":["variables.0"]}`}, file},
		"not under variables":         {{name: "operations", value: importOp}, {name: "map", value: `{"0":["query"]}`}, file},
		"empty segment":               {{name: "operations", value: importOp}, {name: "map", value: `{"0":["variables.f."]}`}, file},
		"slot not null":               {ops(anyOp, `{"f":"x"}`), {name: "map", value: `{"0":["variables.f"]}`}, file},
		"not an Upload variable":      {ops(anyOp, `{"s":null}`), {name: "map", value: `{"0":["variables.s"]}`}, file},
		"undeclared variable":         {ops(anyOp, `{"z":null}`), {name: "map", value: `{"0":["variables.z"]}`}, file},
		"map not JSON":                {{name: "operations", value: importOp}, {name: "map", value: `{"0":`}, file},
		"map an array":                {{name: "operations", value: importOp}, {name: "map", value: `["variables.f"]`}, file},
		"map value not a list":        {{name: "operations", value: importOp}, {name: "map", value: `{"0":"variables.f"}`}, file},
		"map empty":                   {{name: "operations", value: importOp}, {name: "map", value: `{}`}},
		"map path list empty":         {{name: "operations", value: importOp}, {name: "map", value: `{"0":[]}`}, file},
		"same path twice":             {{name: "operations", value: importOp}, {name: "map", value: `{"0":["variables.f"],"1":["variables.f"]}`}, file, {name: "1", value: "x", file: true}},
		"operations not JSON":         {{name: "operations", value: `{"query":`}, {name: "map", value: `{"0":["variables.f"]}`}, file},
		"operations a batch":          {{name: "operations", value: `[` + importOp + `]`}, {name: "map", value: `{"0":["0.variables.f"]}`}, file},
		"operations two values":       {{name: "operations", value: importOp + importOp}, {name: "map", value: `{"0":["variables.f"]}`}, file},
		"first part not operations":   {{name: "map", value: `{"0":["variables.f"]}`}, {name: "operations", value: importOp}, file},
		"second part not map":         {{name: "operations", value: importOp}, file, {name: "map", value: `{"0":["variables.f"]}`}},
		"no map":                      {{name: "operations", value: importOp}},
		"file missing":                {{name: "operations", value: importOp}, {name: "map", value: `{"0":["variables.f"]}`}},
		"file not in map":             {{name: "operations", value: importOp}, {name: "map", value: `{"0":["variables.f"]}`}, file, {name: "7", value: "x", file: true}},
		"file twice":                  {{name: "operations", value: importOp}, {name: "map", value: `{"0":["variables.f"]}`}, file, file},
		"too many files":              {ops(anyOp, `{"l":[null,null,null,null,null]}`), {name: "map", value: `{"0":["variables.l.0"],"1":["variables.l.1"],"2":["variables.l.2"],"3":["variables.l.3"],"4":["variables.l.4"]}`}, file},
		"nothing":                     {},
		"empty operations":            {{name: "operations", value: ``}, {name: "map", value: `{"0":["variables.f"]}`}, file},
		"deep path into input object": {ops(`mutation($f: DataValueInput) { submitValues(input: [$f]) { created } }`, `{"f":{"comment":null}}`), {name: "map", value: `{"0":["variables.f.comment"]}`}, file},
	}
	for name, parts := range cases {
		status, ext, body := serveUpload(h, multipartRequest(parts...))
		if status != http.StatusBadRequest || ext["code"] != hub.EINVALID {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	// Not multipart at all behind the multipart content type.
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader("garbage"))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=xyz")
	if status, ext, body := serveUpload(h, r); status != http.StatusBadRequest || ext["code"] != hub.EINVALID {
		t.Errorf("garbage body: %d %s", status, body)
	}
	// A well-formed request reaches GraphQL: anonymous, it is refused for
	// who it is, not for its shape.
	status, ext, body := serveUpload(h, multipartRequest(part{name: "operations", value: importOp}, part{name: "map", value: `{"0":["variables.f"]}`}, file))
	if status != http.StatusOK || ext["code"] != hub.EUNAUTHENTICATED {
		t.Fatalf("well-formed upload: %d %s", status, body)
	}
}

// TestRecoverPanics_APanicIsA500WithAGraphQLError: the last line at the
// HTTP edge turns a bug's panic into a logged INTERNAL error, not a
// dropped connection.
func TestRecoverPanics_APanicIsA500WithAGraphQLError(t *testing.T) {
	var logged bytes.Buffer
	h := recoverPanics(slog.New(slog.NewTextHandler(&logged, nil)), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("a bug")
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/graphql", nil))
	var resp struct {
		Errors []struct{ Extensions map[string]any }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || w.Code != http.StatusInternalServerError ||
		len(resp.Errors) != 1 || resp.Errors[0].Extensions["code"] != hub.EINTERNAL {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	if !strings.Contains(logged.String(), "a bug") {
		t.Fatalf("the panic was not logged: %s", logged.String())
	}
}
