package graph_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestAuditLog_CoordinatorsSeeTransitionsOthersNothing sends a transition
// through GraphQL and reads it back from the audit trail.
func TestAuditLog_CoordinatorsSeeTransitionsOthersNothing(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	ctx := context.Background()
	conn := api.DB.OwnerConn(t)
	var id int
	if err := conn.QueryRow(ctx, `INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, status)
SELECT i.key, i.department_code, r.code, r.path, '2030', 5, 'DRAFT' FROM regions r, indicators i
WHERE r.code = '370702' AND i.key = 'minors_total' RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	dept := "civil_affairs"
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: &dept, Region: "370700"})
	coordinator := api.User(t, hub.NewUser{Name: "c", Role: hub.Coordinator, Region: "370700"})
	leader := api.User(t, hub.NewUser{Name: "l", Role: hub.Leader, Region: "370700"})

	api.Query(t, analyst, `mutation($ids: [ID!]!) { transition(ids: $ids, to: SUBMITTED) { id status } }`,
		map[string]any{"ids": []string{strconv.Itoa(id)}}, nil)
	resp := api.Do(t, analyst, `mutation($ids: [ID!]!) { transition(ids: $ids, to: APPROVED) { id } }`,
		map[string]any{"ids": []string{strconv.Itoa(id)}})
	if len(resp.Errors) == 0 || resp.Errors[0].Extensions["code"] != "FORBIDDEN" {
		t.Fatalf("analyst approving: %+v, want FORBIDDEN", resp.Errors)
	}

	const q = `{ auditLog(filter: {actions: ["transition"], indicators: ["minors_total"]}) {
  totalCount edges { node { actor oldStatus newStatus indicator { key } region { code } } } } }`
	var out struct {
		AuditLog struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Actor, OldStatus, NewStatus string
					Indicator                   struct{ Key string }
					Region                      struct{ Code string }
				}
			}
		}
	}
	api.Query(t, coordinator, q, nil, &out)
	if out.AuditLog.TotalCount != 1 || out.AuditLog.Edges[0].Node.NewStatus != "SUBMITTED" ||
		out.AuditLog.Edges[0].Node.Actor != "a" || out.AuditLog.Edges[0].Node.Region.Code != "370702" {
		t.Fatalf("coordinator's audit log: %+v", out.AuditLog)
	}
	// Relay's PageInfo over the trail: one entry a page.
	const paged = `query($after: String) { auditLog(first: 1, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor } } }`
	type auditPage struct {
		AuditLog struct {
			TotalCount int
			PageInfo   struct {
				HasNextPage, HasPreviousPage bool
				StartCursor, EndCursor       *string
			}
			Edges []struct{ Cursor string }
		}
	}
	var first, second auditPage
	api.Query(t, coordinator, paged, nil, &first)
	pi := first.AuditLog.PageInfo
	if len(first.AuditLog.Edges) != 1 || pi.HasPreviousPage || pi.StartCursor == nil || *pi.StartCursor != first.AuditLog.Edges[0].Cursor ||
		*pi.EndCursor != *pi.StartCursor || pi.HasNextPage != (first.AuditLog.TotalCount > 1) {
		t.Fatalf("first page of the trail: %+v", first.AuditLog)
	}
	api.Query(t, coordinator, paged, map[string]any{"after": *pi.EndCursor}, &second)
	if !second.AuditLog.PageInfo.HasPreviousPage {
		t.Errorf("second page of the trail: %+v", second.AuditLog)
	}
	out.AuditLog.TotalCount = -1
	api.Query(t, leader, q, nil, &out)
	if out.AuditLog.TotalCount != 0 {
		t.Fatalf("leader sees %d audit entries, want 0", out.AuditLog.TotalCount)
	}
}
