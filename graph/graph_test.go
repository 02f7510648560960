package graph_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// statementCounter counts the SQL statements the app pool runs, batched or not.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *statementCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c *statementCounter) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}
func (c *statementCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// The rows are the counties' values, so that 10 and 500 rows have the same
// shape (towns would add a level to the regions' parent chains).
const nestedQuery = `query($first: Int, $counties: [ID!]) {
  dataValues(filter: {periods: ["2021", "2022", "2023"], regions: $counties}, first: $first) {
    totalCount
    edges { cursor node {
      id value
      region { code name parent { code children { code } } }
      indicator { key department { code indicators { key } } }
    } }
  }
}`

// TestDataValues_StatementsDoNotGrowWithRows proves that nested fields go
// through batched loaders: 10 and 500 rows cost the same statements.
func TestDataValues_StatementsDoNotGrowWithRows(t *testing.T) {
	counter := &statementCounter{}
	// A long wait keeps a loaded CI machine from splitting a batch: the
	// test is about statements per row, not about the wait's tuning.
	api := apitest.New(t, apitest.Options{Tracer: counter, LoaderWait: 200 * time.Millisecond})
	token := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})

	count := func(first int) (int64, int) {
		var out struct {
			DataValues struct {
				Edges []json.RawMessage `json:"edges"`
			} `json:"dataValues"`
		}
		before := counter.n.Load()
		counties := []string{"370702", "370703", "370704", "370705", "370724", "370725", "370781", "370782", "370783", "370784", "370785", "370786"}
		api.Query(t, token, nestedQuery, map[string]any{"first": first, "counties": counties}, &out)
		return counter.n.Load() - before, len(out.DataValues.Edges)
	}
	// The fewest statements of three runs: a loaded machine can still
	// split a batch in two, which is timing, not statements per row.
	fewest := func(first int) int64 {
		best := int64(-1)
		for range 3 {
			n, rows := count(first)
			if rows != first {
				t.Fatalf("got %d rows, want %d", rows, first)
			}
			if best < 0 || n < best {
				best = n
			}
		}
		return best
	}
	small, large := fewest(10), fewest(500)
	if small != large {
		t.Errorf("statements: %d for 10 rows, %d for 500 rows; want equal", small, large)
	}
	t.Logf("statements per query: %d", small)
}

// TestDataValues_PagesHaveNoGapsOrDuplicates walks all pages of a filter
// and compares them with one large page.
func TestDataValues_PagesHaveNoGapsOrDuplicates(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	const q = `query($after: String, $first: Int) { dataValues(filter: {periods: ["2022"], protections: [JUDICIAL, SCHOOL, FAMILY]}, first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor hasPreviousPage startCursor } edges { cursor node { id } } } }`
	type page struct {
		DataValues struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				EndCursor, StartCursor       *string
			}
			Edges []struct {
				Cursor string
				Node   struct{ ID string }
			}
		}
	}
	var all page
	api.Query(t, token, q, map[string]any{"first": 1000}, &all)
	if all.DataValues.PageInfo.HasNextPage || len(all.DataValues.Edges) != all.DataValues.TotalCount {
		t.Fatalf("one page of 1000 should hold all %d values", all.DataValues.TotalCount)
	}
	var walked []string
	seen := map[string]bool{}
	var after any
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("pagination does not end")
		}
		var p page
		api.Query(t, token, q, map[string]any{"first": 7, "after": after}, &p)
		if p.DataValues.TotalCount != all.DataValues.TotalCount {
			t.Errorf("totalCount %d on a page, %d overall", p.DataValues.TotalCount, all.DataValues.TotalCount)
		}
		// Relay's PageInfo: a previous page exactly when the page follows a
		// cursor; startCursor and endCursor are the first and last edge's.
		if pi, edges := p.DataValues.PageInfo, p.DataValues.Edges; pi.HasPreviousPage != (pages > 0) ||
			len(edges) == 0 || pi.StartCursor == nil || *pi.StartCursor != edges[0].Cursor || *pi.EndCursor != edges[len(edges)-1].Cursor {
			t.Errorf("page %d: pageInfo %+v, edges %d", pages, pi, len(edges))
		}
		for _, e := range p.DataValues.Edges {
			if seen[e.Node.ID] {
				t.Errorf("value %s on two pages", e.Node.ID)
			}
			seen[e.Node.ID] = true
			walked = append(walked, e.Node.ID)
		}
		if !p.DataValues.PageInfo.HasNextPage {
			break
		}
		after = *p.DataValues.PageInfo.EndCursor
	}
	if len(walked) != len(all.DataValues.Edges) {
		t.Fatalf("walked %d values, want %d", len(walked), len(all.DataValues.Edges))
	}
	for i, e := range all.DataValues.Edges {
		if walked[i] != e.Node.ID {
			t.Fatalf("value %d: %s when paging, %s in one page", i, walked[i], e.Node.ID)
		}
	}
}

func TestGraphQL_ErrorsCarryCodes(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	tests := []struct {
		name, token, query, code string
	}{
		{"no token", "", `{ regions { code } }`, hub.EUNAUTHENTICATED},
		{"bad token", "sph_not-a-real-token", `{ me { name } }`, hub.EUNAUTHENTICATED},
		{"no token, introspection", "", `{ __schema { types { name } } }`, hub.EUNAUTHENTICATED},
		{"bad period", token, `{ dataValues(filter: {periods: ["2022Q5"]}) { totalCount } }`, hub.EINVALID},
		{"bad cursor", token, `{ dataValues(filter: {}, after: "!!!") { totalCount } }`, hub.EINVALID},
		{"page too large", token, `{ dataValues(filter: {}, first: 100000) { totalCount } }`, hub.EINVALID},
		{"unknown enum", token, `{ indicators(protection: HEALTH) { key } }`, "GRAPHQL_VALIDATION_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := api.Do(t, tt.token, tt.query, nil)
			if resp.Code() != tt.code {
				t.Fatalf("code %q (%+v), want %q", resp.Code(), resp.Errors, tt.code)
			}
			if resp.Status >= 500 {
				t.Errorf("HTTP %d for a user's mistake", resp.Status)
			}
		})
	}
}

func TestGraphQL_TypenameNeedsNoToken(t *testing.T) {
	api := apitest.New(t, apitest.Options{Empty: true})
	var out struct {
		Typename string `json:"__typename"`
	}
	api.Query(t, "", `{ __typename }`, nil, &out)
	if out.Typename != "Query" {
		t.Errorf("__typename = %q", out.Typename)
	}
}

func TestMe_TellsNameRoleDepartmentRegion(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "education"
	token := api.User(t, hub.NewUser{Name: "qz-edu", Role: hub.Analyst, Department: &dept, Region: "370781"})
	var out struct {
		Me struct {
			Name, Role string
			Department struct{ Code string }
			Region     struct{ Code, Name string }
		}
	}
	api.Query(t, token, `{ me { name role department { code } region { code name } } }`, nil, &out)
	if out.Me.Name != "qz-edu" || out.Me.Role != "ANALYST" || out.Me.Department.Code != "education" ||
		out.Me.Region.Code != "370781" || out.Me.Region.Name != "青州市" {
		t.Errorf("me = %+v", out.Me)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// ownerExec runs SQL as the database owner, for setting up test data.
func ownerExec(t *testing.T, api *apitest.API, sql string) {
	t.Helper()
	conn := api.DB.OwnerConn(t)
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
}
