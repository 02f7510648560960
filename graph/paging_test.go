package graph_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

type relayPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct{ ID string }
	}
}

// walkBackward reads a connection from its end with last/before, as
// field, and returns the ids in the connection's order.
func walkBackward(t *testing.T, api *apitest.API, token, field, args string) []string {
	t.Helper()
	q := `query($before: String) { c: ` + field + `(` + args + `last: 7, before: $before) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`
	var ids []string
	var before any
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("backward pagination does not end")
		}
		var p struct{ C relayPage }
		api.Query(t, token, q, map[string]any{"before": before}, &p)
		pi, edges := p.C.PageInfo, p.C.Edges
		if len(edges) == 0 || len(edges) > 7 || *pi.StartCursor != edges[0].Cursor || *pi.EndCursor != edges[len(edges)-1].Cursor {
			t.Fatalf("%s page %d: %d edges, %+v", field, pages, len(edges), pi)
		}
		// Backward: a next page exactly when the page ends at a cursor.
		if pi.HasNextPage != (pages > 0) {
			t.Errorf("%s page %d: hasNextPage %v", field, pages, pi.HasNextPage)
		}
		page := make([]string, len(edges))
		for i, e := range edges {
			page[i] = e.Node.ID
		}
		ids = append(page, ids...)
		if !pi.HasPreviousPage {
			return ids
		}
		before = *pi.StartCursor
	}
}

// TestPaging_BackwardWalksTheSameValuesAndAudit: last/before walks
// dataValues and auditLog from the end to the start in pages of 7, and
// meets exactly the edges of one forward page of all, in the same order.
func TestPaging_BackwardWalksTheSameValuesAndAudit(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	admin := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	for _, c := range []struct{ field, args string }{
		{"dataValues", `filter: {periods: ["2022"], protections: [JUDICIAL, SCHOOL]}, `},
		{"auditLog", `filter: {indicators: ["child_directors", "lectures_held"]}, `},
	} {
		var all struct{ C relayPage }
		api.Query(t, admin, `{ c: `+c.field+`(`+c.args+`first: 1000) { totalCount pageInfo { hasNextPage } edges { node { id } } } }`, nil, &all)
		if all.C.PageInfo.HasNextPage || len(all.C.Edges) < 15 || len(all.C.Edges) != all.C.TotalCount {
			t.Fatalf("%s: one page of 1000 should hold all %d (has %d)", c.field, all.C.TotalCount, len(all.C.Edges))
		}
		var want []string
		for _, e := range all.C.Edges {
			want = append(want, e.Node.ID)
		}
		if got := walkBackward(t, api, admin, c.field, c.args); !slices.Equal(got, want) {
			t.Errorf("%s: backward %d ids, forward %d; first difference at %d", c.field, len(got), len(want), firstDiff(got, want))
		}
		// after and before together bound the range: the edges strictly between.
		var mid struct{ C relayPage }
		q := `query($a: String, $b: String) { c: ` + c.field + `(` + c.args + `first: 1000, after: $a, before: $b) { pageInfo { hasNextPage hasPreviousPage } edges { node { id } } } }`
		var cursors struct{ C relayPage }
		api.Query(t, admin, `{ c: `+c.field+`(`+c.args+`first: 1000) { edges { cursor } } }`, nil, &cursors)
		api.Query(t, admin, q, map[string]any{"a": cursors.C.Edges[2].Cursor, "b": cursors.C.Edges[9].Cursor}, &mid)
		var between []string
		for _, e := range mid.C.Edges {
			between = append(between, e.Node.ID)
		}
		if !slices.Equal(between, want[3:9]) || !mid.C.PageInfo.HasNextPage || !mid.C.PageInfo.HasPreviousPage {
			t.Errorf("%s between the 3rd and 10th: %v, want %v (%+v)", c.field, between, want[3:9], mid.C.PageInfo)
		}
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestPaging_FirstAndLastAreRefusedTogether: first with last is
// BAD_USER_INPUT on both connections, written or by variables; last alone
// ignores first's default; last is bounded 1–1000 and costed at its size.
func TestPaging_FirstAndLastAreRefusedTogether(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	for _, q := range []string{
		`{ dataValues(filter: {}, first: 5, last: 5) { totalCount } }`,
		`{ auditLog(first: 5, last: 5) { totalCount } }`,
	} {
		if resp := api.Do(t, token, q, nil); resp.Code() != hub.EINVALID || !strings.Contains(resp.Errors[0].Message, "first") {
			t.Errorf("%s: %q %+v", q, resp.Code(), resp.Errors)
		}
	}
	q := `query($f: Int, $l: Int) { dataValues(filter: {}, first: $f, last: $l) { edges { node { id } } } }`
	if resp := api.Do(t, token, q, map[string]any{"f": 3, "l": 3}); resp.Code() != hub.EINVALID {
		t.Errorf("first and last by variables: %q", resp.Code())
	}
	var out struct {
		DataValues struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	api.Query(t, token, q, map[string]any{"l": 3}, &out) // $f left out: first's default does not count
	if len(out.DataValues.Edges) != 3 {
		t.Errorf("last: 3 gave %d edges", len(out.DataValues.Edges))
	}
	for _, n := range []int{0, hub.MaxPageSize + 1} {
		if resp := api.Do(t, token, fmt.Sprintf(`{ auditLog(last: %d) { totalCount } }`, n), nil); resp.Code() != hub.EINVALID {
			t.Errorf("last: %d: %q", n, resp.Code())
		}
	}
	var pages strings.Builder
	for i := range 10 {
		fmt.Fprintf(&pages, "a%d: dataValues(filter: {}, last: 1000) { edges { node { id value } } }\n", i)
	}
	if resp := api.Do(t, token, "{"+pages.String()+"}", nil); resp.Code() != hub.ETOOCOMPLEX {
		t.Errorf("ten pages of last: 1000: %q", resp.Code())
	}
}
