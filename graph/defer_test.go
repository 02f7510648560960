package graph

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/sixprot/hub/internal/hub"
)

// TestDefer_AnonymousIsRefusedWithItsCode: a refused deferred operation
// (anonymous) is an ordinary GraphQL error with its code.
func TestDefer_AnonymousIsRefusedWithItsCode(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ me { name ... @defer { region { code } } } }"}`))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "multipart/mixed, application/json")
	w := httptest.NewRecorder()
	quietHandler().ServeHTTP(w, r)
	var out map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || firstCode(t, out) != hub.EUNAUTHENTICATED {
		t.Fatalf("anonymous deferred query: %v %s", err, w.Body)
	}
}

func TestMergeAt_KeepsFieldOrderAndFollowsLists(t *testing.T) {
	doc := json.RawMessage(`{"b":1,"a":{"list":[{"z":1},{"z":2}]}}`)
	got, err := mergeAt(doc, ast.Path{ast.PathName("a"), ast.PathName("list"), ast.PathIndex(1)}, json.RawMessage(`{"y":3}`))
	if err != nil || string(got) != `{"b":1,"a":{"list":[{"z":1},{"z":2,"y":3}]}}` {
		t.Fatalf("%s %v", got, err)
	}
}
