package demo

import (
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// TestProvince_Size checks the shape the benchmarks rely on: about 150
// counties, 2,000 towns and 300 indicators, at least ten million values,
// and the same rows on every run.
func TestProvince_Size(t *testing.T) {
	p, err := newProvince()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.counties); n < 130 || n > 170 {
		t.Errorf("%d counties, want about 150", n)
	}
	if n := len(p.towns); n < 1800 || n > 2200 {
		t.Errorf("%d towns, want about 2,000", n)
	}
	if n := len(p.indicators); n < 280 || n > 320 {
		t.Errorf("%d indicators, want about 300", n)
	}
	if n := p.size(); n < 10_000_000 {
		t.Errorf("%d values, want at least 10 million", n)
	}
	t.Logf("%d counties, %d towns, %d indicators, %d values", len(p.counties), len(p.towns), len(p.indicators), p.size())

	first := func() []hub.ValueRecord {
		q, _ := newProvince()
		var out []hub.ValueRecord
		for v := range q.values() {
			c := v
			val := *v.Value
			c.Value = &val
			out = append(out, c)
			if len(out) == 1000 {
				break
			}
		}
		return out
	}
	a, b := first(), first()
	for i := range a {
		if a[i].Region != b[i].Region || *a[i].Value != *b[i].Value || a[i].Status != b[i].Status {
			t.Fatalf("row %d differs between runs: %+v vs %+v", i, a[i], b[i])
		}
	}
}

// TestProvince_StatusesAreConsistent checks every value of one indicator
// against the table's rules: RETURNED has a reason, and the latest year
// has a mix of workflow states.
func TestProvince_StatusesAreConsistent(t *testing.T) {
	p, err := newProvince()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[hub.Status]int{}
	n := 0
	for v := range p.values() {
		seen[v.Status]++
		if v.Status == hub.Returned && v.StatusReason == nil {
			t.Fatalf("%+v: RETURNED without a reason", v)
		}
		if n++; n == 2_000_000 {
			break
		}
	}
	for _, s := range []hub.Status{hub.Approved, hub.Submitted, hub.Draft, hub.Returned} {
		if seen[s] == 0 {
			t.Errorf("no %s values in the first %d", s, n)
		}
	}
	t.Logf("statuses: %v", seen)
}
