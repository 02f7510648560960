package dashboard_test

import (
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// BenchmarkDashboardDataScales answers /dashboard/data.json (the four
// charts' options) for the counties of city 370700 in 2022, as a leader of
// the whole data set, at city scale and, with HUB_BENCH_DATABASE_URL, at
// province scale; it reports the median and 90th percentile.
//
//	CI=true go test ./internal/dashboard -run '^$' -bench DataScales -benchtime 50x
func BenchmarkDashboardDataScales(b *testing.B) {
	for _, s := range apitest.Scales(b, apitest.Options{}) {
		root := "370700"
		if s.Name == "province" {
			root = "370000"
		}
		token := s.API.Token(b, hub.NewUser{Name: "bench-data-" + root, Role: hub.Leader, Region: root})
		b.Run(s.Name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				rec := get(b, s.API.Handler, token, "/dashboard/data.json?period=2022&parent=370700&percap=1")
				took = append(took, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body.String())
				}
			}
			sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "p90-ms")
		})
	}
}
