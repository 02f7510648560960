package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// BenchmarkDashboardPage renders /dashboard for 2022 on the demo data, as a
// leader, server side (HTML only; the charts' JSON is a second request,
// measured by BenchmarkDashboardData). Target: under 50 ms.
func BenchmarkDashboardPage(b *testing.B) {
	benchmarkGet(b, "/dashboard?period=2022")
}

// BenchmarkDashboardData builds the four charts' options for 2022.
func BenchmarkDashboardData(b *testing.B) {
	benchmarkGet(b, "/dashboard/data.json?period=2022")
}

func benchmarkGet(b *testing.B, target string) {
	api, token := setup(b)
	start := time.Now()
	for b.Loop() {
		if rec := get(b, api.Handler, token, target); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/page")
}

// dashboardFloor is the dashboard's main read in one statement: the
// period's released values of the children of a region, with their
// indicators' names, under the reader's policies.
const dashboardFloor = `
SELECT v.indicator_key, i.name, v.region_code, v.value, v.qualifier, v.status
FROM data_values v
JOIN indicators i ON i.key = v.indicator_key
WHERE v.is_released AND v.period = $1
  AND v.region_code IN (SELECT code FROM regions WHERE parent_code = $2)
ORDER BY v.indicator_key, v.region_code`

// BenchmarkDashboardPageScales renders /dashboard for the counties of city
// 370700 in 2022 as a leader of the whole data set, at city scale and (with
// HUB_BENCH_DATABASE_URL) at province scale, next to a floor that reads the
// page's values in one statement and encodes them as JSON. The page does
// more than the floor (catalogue, comparison, profile, trend, HTML), so the
// ratio says what the rest costs.
//
//	HUB_BENCH_DATABASE_URL=... go test ./internal/dashboard -run '^$' -bench PageScales -benchtime 50x
func BenchmarkDashboardPageScales(b *testing.B) {
	for _, s := range apitest.Scales(b, apitest.Options{}) {
		root := "370700"
		if s.Name == "province" {
			root = "370000"
		}
		token := s.API.Token(b, hub.NewUser{Name: "bench-leader-" + root, Role: hub.Leader, Region: root})
		p := s.API.Principal(b, token)
		b.Run(s.Name, func(b *testing.B) {
			page := func(b *testing.B) {
				if rec := get(b, s.API.Handler, token, "/dashboard?period=2022&parent=370700"); rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
				}
			}
			floor := func(b *testing.B) {
				type row struct {
					Indicator, Name, Region string
					Value                   *float64
					Qualifier, Status       string
				}
				var out []row
				err := apitest.AsPrincipal(context.Background(), s.Floor, p, dashboardFloor, []any{"2022", "370700"},
					func(rows pgx.Rows) error {
						var r row
						_, err := pgx.ForEachRow(rows, []any{&r.Indicator, &r.Name, &r.Region, &r.Value, &r.Qualifier, &r.Status},
							func() error { out = append(out, r); return nil })
						return err
					})
				if err != nil {
					b.Fatal(err)
				}
				if len(out) == 0 {
					b.Fatal("floor read no values")
				}
				if _, err := json.Marshal(out); err != nil {
					b.Fatal(err)
				}
			}
			apitest.Versus(b, page, floor)
		})
	}
}
