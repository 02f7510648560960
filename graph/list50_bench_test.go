package graph_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
)

// list50 is bench/peer's list query: 50 values of a year with their
// indicator and region and the count of every visible value.
const list50 = `{ dataValues(filter: {periods: ["2022"]}, first: 50) { totalCount edges { node { id value status period indicator { key name } region { code name } } } } }`

// BenchmarkList50 runs bench/peer's list query through the whole HTTP
// handler in process, for CPU and allocation profiles of the hub's own
// work (PostgreSQL's time is in its own processes), with the process
// caches on as hub serve runs them:
//
//	CI=true go test ./graph -run '^$' -bench List50 -benchmem -cpuprofile /tmp/list50.pprof -benchtime 400x
//
// ns/op is the latency of one request, which waits for PostgreSQL;
// cpu-ms/op is the CPU the test process (the hub, its pgx client and GC)
// spent per request, the figure issue 20 bounds.
func BenchmarkList50(b *testing.B) {
	for _, s := range apitest.Scales(b, apitest.Options{Cache: time.Minute}) {
		token := leader(b, s)
		b.Run(s.Name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				s.API.Raw(b, token, list50, nil)
			}
			b.ReportMetric(float64(processCPU()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		})
	}
}

// processCPU is the user and system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
