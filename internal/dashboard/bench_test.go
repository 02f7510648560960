package dashboard_test

import (
	"net/http"
	"testing"
	"time"
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
