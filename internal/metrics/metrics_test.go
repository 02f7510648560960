package metrics

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Operation names come from clients: odd names and names past the
// 200th distinct one are counted as "other", so the registry stays small.
func TestOperationLabelsAreBounded(t *testing.T) {
	r := New()
	for _, c := range []struct{ name, want string }{
		{"", "anonymous"}, {"CountyList", "CountyList"}, {"bad name", "other"}, {"x\ny", "other"},
		{strings.Repeat("a", 65), "other"}, {"日本", "other"}, {"_ok_9", "_ok_9"},
	} {
		if got := r.opLabel(c.name); got != c.want {
			t.Errorf("opLabel(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	for i := range 2 * maxOperations {
		r.Operation(fmt.Sprintf("Op%d", i), "query", time.Millisecond)
	}
	w := httptest.NewRecorder()
	r.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	series := strings.Count(w.Body.String(), "hub_graphql_operations_total{")
	if series > maxOperations+1 {
		t.Errorf("%d operation series for %d names, want at most %d", series, 2*maxOperations, maxOperations+1)
	}
	if !strings.Contains(w.Body.String(), `hub_graphql_operations_total{operation="other",type="query"}`) {
		t.Error("names past the bound are not counted as other")
	}
}

func TestNilRegistryIgnoresEverything(t *testing.T) {
	var r *Registry
	r.Operation("x", "query", time.Second)
	r.GraphQLError("FORBIDDEN")
	r.HTTPRequest("GET /x", 200, time.Second)
	r.RateLimited()
	r.ImportFinished(ImportOK, ImportRows{Created: 1})
	r.MustRegister()
}
