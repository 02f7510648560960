package graph_test

import (
	"testing"

	"github.com/sixprot/hub/internal/apitest"
)

// list50 is bench/peer's list query: 50 values of a year with their
// indicator and region and the count of every visible value.
const list50 = `{ dataValues(filter: {periods: ["2022"]}, first: 50) { totalCount edges { node { id value status period indicator { key name } region { code name } } } } }`

// BenchmarkList50 runs bench/peer's list query through the whole HTTP
// handler in process, for CPU and allocation profiles of the hub's own
// work (PostgreSQL's time is in its own processes):
//
//	CI=true go test ./graph -run '^$' -bench List50 -benchmem -cpuprofile /tmp/list50.pprof
func BenchmarkList50(b *testing.B) {
	for _, s := range apitest.Scales(b, apitest.Options{}) {
		token := leader(b, s)
		b.Run(s.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.API.Raw(b, token, list50, nil)
			}
		})
	}
}
