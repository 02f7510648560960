package postgres_test

import (
	"context"
	"testing"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

// TestFindValues_EachReaderSeesOneVersionPerKey: while a department
// corrects a released value (a DRAFT version 2 over the released version
// 1), its analyst reads the draft and a leader the released version: one
// row per key each, on the page and in the count, in both orders of the
// key (a page that starts after it and one that includes it).
func TestFindValues_EachReaderSeesOneVersionPerKey(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sub, values := postgres.NewSubmitService(db.App), postgres.NewValueService(db.App)
	analyst, leader := as(hub.Analyst, "civil_affairs"), as(hub.Leader, "")
	// minors_total of 潍城区 in 2022 is APPROVED (released) in the demo.
	in := []hub.ValueInput{{Indicator: "minors_total", Region: "370702", Period: "2022", Value: f(12345)}}
	res, err := sub.SubmitValues(analyst, in, false)
	if err != nil || res.Updated != 1 || res.Values[0].Version != 2 || res.Values[0].Status != hub.Draft {
		t.Fatalf("correction: %v %+v", err, res)
	}
	for _, c := range []struct {
		name    string
		ctx     context.Context
		version int
		status  hub.Status
	}{{"analyst of the department", analyst, 2, hub.Draft}, {"leader", leader, 1, hub.Approved}} {
		ctx := c.ctx
		for _, f := range []hub.ValueFilter{
			{Indicators: []string{"minors_total"}, Regions: []string{"370702"}, Periods: []string{"2022"}},
			{Indicators: []string{"minors_total"}, Periods: []string{"2022"}},
		} {
			conn, err := values.FindValues(ctx, f, hub.ValuePage{First: 100})
			if err != nil {
				t.Fatal(err)
			}
			var mine []*hub.DataValue
			keys := map[string]int{}
			for _, v := range conn.Values {
				keys[v.IndicatorKey+"/"+v.Period+"/"+v.RegionCode]++
				if v.RegionCode == "370702" {
					mine = append(mine, v)
				}
			}
			if len(mine) != 1 || mine[0].Version != c.version || mine[0].Status != c.status {
				t.Errorf("%s, filter %+v: 潍城区's versions %+v, want only version %d (%s)", c.name, f, mine, c.version, c.status)
			}
			for k, n := range keys {
				if n > 1 {
					t.Errorf("%s: key %s listed %d times", c.name, k, n)
				}
			}
			if conn.TotalCount != len(conn.Values) {
				t.Errorf("%s, filter %+v: count %d for %d rows", c.name, f, conn.TotalCount, len(conn.Values))
			}
		}
	}
}
