package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

const deferQuery = `{"query":"query Me { me { name ... @defer(label: \"more\") { region { code name } } } }"}`

// postDefer sends deferQuery through the hub's edge and GraphQL handler
// as a leader, with accept.
func postDefer(t *testing.T, api *apitest.API, token, accept string) *httptest.ResponseRecorder {
	t.Helper()
	return postDeferQuery(t, api, token, accept, deferQuery)
}

func postDeferQuery(t *testing.T, api *apitest.API, token, accept, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+token)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	api.Handler.ServeHTTP(w, r)
	return w
}

func deferAPI(t *testing.T) (*apitest.API, string) {
	api := apitest.New(t, apitest.Options{})
	return api, api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
}

// TestDefer_MultipartMixedDeliversTheDeferredPart: with Accept as Apollo
// Client sends it, the answer is multipart/mixed, the first part holds
// the fields outside the fragment (not the deferred one as null, which
// clients would read as its value) and hasNext, the second the deferred
// field at its path, and the stream closes.
func TestDefer_MultipartMixedDeliversTheDeferredPart(t *testing.T) {
	api, token := deferAPI(t)
	w := postDefer(t, api, token, "multipart/mixed;deferSpec=20220824,application/json")
	mediaType, params, err := mime.ParseMediaType(w.Header().Get("Content-Type"))
	if err != nil || mediaType != "multipart/mixed" || params["deferspec"] != "20220824" {
		t.Fatalf("Content-Type %q: %v\n%s", w.Header().Get("Content-Type"), err, w.Body)
	}
	// The edge's headers hold for the stream too.
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"} {
		if got := w.Header().Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if w.Header().Get("X-Request-Id") == "" || w.Header().Get("Content-Security-Policy") == "" {
		t.Errorf("headers of the edge missing: %v", w.Header())
	}
	parts := readParts(t, w)
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2:\n%s", len(parts), w.Body)
	}
	if got := string(parts[0]["data"]); got != `{"me":{"name":"leader"}}` || string(parts[0]["hasNext"]) != "true" {
		t.Errorf("initial part: %s hasNext %s", got, parts[0]["hasNext"])
	}
	var inc []struct {
		Data  map[string]map[string]string
		Path  []string
		Label string
	}
	if err := json.Unmarshal(parts[1]["incremental"], &inc); err != nil || len(inc) != 1 {
		t.Fatalf("second part: %v %s", err, parts[1]["incremental"])
	}
	if inc[0].Data["region"]["code"] != "370700" || strings.Join(inc[0].Path, ".") != "me" || inc[0].Label != "more" || string(parts[1]["hasNext"]) != "false" {
		t.Errorf("deferred part: %+v hasNext %s", inc[0], parts[1]["hasNext"])
	}
}

// TestDefer_OtherClientsGetOneMergedResponse: a client that does not accept
// multipart/mixed gets the deferred field in its place in one JSON
// response, never a non-null field left null, and no hasNext.
func TestDefer_OtherClientsGetOneMergedResponse(t *testing.T) {
	api, token := deferAPI(t)
	for _, accept := range []string{"", "application/json", "application/graphql-response+json", "multipart/mixed;q=0, application/json"} {
		w := postDefer(t, api, token, accept)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/") {
			t.Fatalf("Accept %q: %d %s", accept, w.Code, w.Header().Get("Content-Type"))
		}
		if got := strings.TrimSpace(w.Body.String()); got != `{"data":{"me":{"name":"leader","region":{"code":"370700","name":"潍坊市"}}}}` {
			t.Errorf("Accept %q: %s", accept, got)
		}
	}
}

// readParts reads the JSON parts of a multipart/mixed answer.
func readParts(t *testing.T, w *httptest.ResponseRecorder) []map[string]json.RawMessage {
	t.Helper()
	_, params, err := mime.ParseMediaType(w.Header().Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(bytes.NewReader(w.Body.Bytes()), params["boundary"])
	var parts []map[string]json.RawMessage
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatalf("part %d: %v\n%s", len(parts), err, w.Body)
		}
		var m map[string]json.RawMessage
		if err := json.NewDecoder(p).Decode(&m); err != nil {
			t.Fatalf("part %d is not JSON: %v", len(parts), err)
		}
		parts = append(parts, m)
	}
}

// TestDefer_EveryDeferredFieldArrives: gqlgen resolves plain fields at
// once even under @defer (nameEn here, null for towns) and defers only the
// fields with resolvers (parent). The initial part leaves the null ones
// out; whichever no later part carries comes as null in the last part,
// so that the client receives every field it asked for.
func TestDefer_EveryDeferredFieldArrives(t *testing.T) {
	api, token := deferAPI(t)
	w := postDeferQuery(t, api, token, "multipart/mixed", `{"query":"{ regions(level: TOWN, parent: \"370702\") { code ... @defer { nameEn parent { code } } } }"}`)
	parts := readParts(t, w)
	if len(parts) < 2 {
		t.Fatalf("%d parts:\n%s", len(parts), w.Body)
	}
	got := map[string]string{}
	var collect func(prefix string, v json.RawMessage)
	collect = func(prefix string, v json.RawMessage) {
		var m map[string]json.RawMessage
		var list []json.RawMessage
		if json.Unmarshal(v, &list) == nil && list != nil {
			for i, x := range list {
				collect(fmt.Sprintf("%s.%d", prefix, i), x)
			}
			return
		}
		if json.Unmarshal(v, &m) != nil || m == nil {
			got[prefix] = string(v)
			return
		}
		for k, x := range m {
			collect(prefix+"."+k, x)
		}
	}
	collect("", parts[0]["data"])
	for _, p := range parts[1:] {
		var inc []struct {
			Data json.RawMessage
			Path []any
		}
		_ = json.Unmarshal(p["incremental"], &inc)
		for _, i := range inc {
			var path string
			for _, e := range i.Path {
				path += "." + fmt.Sprint(e)
			}
			collect(path, i.Data)
		}
	}
	want := map[string]string{".regions.0.nameEn": "null", ".regions.0.parent.code": `"370702"`}
	if !strings.HasPrefix(got[".regions.0.code"], `"370702`) {
		t.Errorf("first town: %s", got[".regions.0.code"])
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q (all: %v)\n%s", k, got[k], v, got, w.Body)
		}
	}
}

// TestDefer_LimitsAndErrorsAreTheUsualOnes: a deferred operation over the
// cost limit, or with a bad argument, is refused before it runs, as one
// GraphQL error with its code (not a stream), whatever the client accepts.
func TestDefer_LimitsAndErrorsAreTheUsualOnes(t *testing.T) {
	api, token := deferAPI(t)
	var pages strings.Builder
	for i := range 10 {
		fmt.Fprintf(&pages, `a%d: dataValues(filter: {}, first: 1000) { edges { node { id ... @defer { value region { code } } } } } `, i)
	}
	for query, code := range map[string]string{
		"{ " + pages.String() + "}": hub.ETOOCOMPLEX,
		`{ dataValues(filter: {}, first: 0) { edges { node { id ... @defer { value } } } } }`: hub.EINVALID,
	} {
		body, _ := json.Marshal(map[string]string{"query": query})
		w := postDeferQuery(t, api, token, "multipart/mixed, application/graphql-response+json", string(body))
		var out struct {
			Errors []struct{ Extensions map[string]any }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || len(out.Errors) == 0 || out.Errors[0].Extensions["code"] != code {
			t.Errorf("%.60s: %d %s %.300s", query, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		if w.Code != http.StatusBadRequest || strings.HasPrefix(w.Header().Get("Content-Type"), "multipart/") {
			t.Errorf("%.60s: %d %s", query, w.Code, w.Header().Get("Content-Type"))
		}
	}
}
