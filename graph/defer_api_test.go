package graph_test

import (
	"encoding/json"
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
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(deferQuery))
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
// the fields outside the fragment and hasNext, the second the deferred
// field at its path, and the stream closes.
func TestDefer_MultipartMixedDeliversTheDeferredPart(t *testing.T) {
	api, token := deferAPI(t)
	w := postDefer(t, api, token, "multipart/mixed;deferSpec=20220824,application/json")
	mediaType, params, err := mime.ParseMediaType(w.Header().Get("Content-Type"))
	if err != nil || mediaType != "multipart/mixed" || params["deferspec"] != "20220824" {
		t.Fatalf("Content-Type %q: %v\n%s", w.Header().Get("Content-Type"), err, w.Body)
	}
	mr := multipart.NewReader(w.Body, params["boundary"])
	var parts []map[string]json.RawMessage
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
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
	if len(parts) != 2 {
		t.Fatalf("%d parts, want 2:\n%s", len(parts), w.Body)
	}
	if got := string(parts[0]["data"]); !strings.HasPrefix(got, `{"me":{"name":"leader"`) || string(parts[0]["hasNext"]) != "true" {
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
