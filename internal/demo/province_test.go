package demo

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// TestProvince_Size checks the shape the benchmarks rely on: about 150
// counties, 2,000 towns, 120,000 villages and 300 indicators, at least ten million values,
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
	if n := len(p.villages); n < 100_000 || n > 150_000 {
		t.Errorf("%d villages, want about 120,000 (Weifang's towns have 58 on average)", n)
	}
	if n := len(p.indicators); n < 280 || n > 320 {
		t.Errorf("%d indicators, want about 300", n)
	}
	if n := p.size(); n < 10_000_000 {
		t.Errorf("%d values, want at least 10 million", n)
	}
	t.Logf("%d counties, %d towns, %d villages, %d indicators, %d values", len(p.counties), len(p.towns), len(p.villages), len(p.indicators), p.size())

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

// TestProvince_VillagesLookReal checks the villages of a small province
// (two cities, no generated indicators): every town has the villages of
// one of Weifang's real towns, as many and with the same 12-digit code
// suffixes under its 9-digit code (001–199 社区, 200–499 村); codes are
// unique; only village-level indicators get village values, one a year;
// and a county's child directors do not outnumber its villages.
func TestProvince_VillagesLookReal(t *testing.T) {
	p, err := generateProvince(provinceShape{cities: 2})
	if err != nil {
		t.Fatal(err)
	}
	real, err := realTowns()
	if err != nil {
		t.Fatal(err)
	}
	if len(real) != 122 {
		t.Fatalf("%d real towns, want Weifang's 122", len(real))
	}
	realShapes := map[string]bool{}
	for _, suffixes := range real {
		realShapes[fmt.Sprint(suffixes)] = true
	}
	perTown := map[string][]int{}
	seen := map[string]bool{}
	for _, v := range p.villages {
		if len(v.Code) != 12 || v.ParentCode == nil || len(*v.ParentCode) != 9 || v.Code[:9] != *v.ParentCode {
			t.Fatalf("village %s under %v: want a 12-digit code starting with its 9-digit town's", v.Code, v.ParentCode)
		}
		if seen[v.Code] {
			t.Fatalf("village code %s twice", v.Code)
		}
		seen[v.Code] = true
		suffix, _ := strconv.Atoi(v.Code[9:])
		kind := "村"
		if suffix < 200 {
			kind = "社区"
		}
		if !strings.Contains(v.Name, kind) || !v.Synthetic || !strings.HasSuffix(v.Name, "（模拟）") {
			t.Errorf("village %s %q: want a synthetic %s", v.Code, v.Name, kind)
		}
		perTown[*v.ParentCode] = append(perTown[*v.ParentCode], suffix)
	}
	for _, town := range p.towns {
		if got := perTown[town.Code]; !realShapes[fmt.Sprint(got)] {
			t.Errorf("town %s has villages %v: not a real town's", town.Code, got)
		}
	}
	if n, towns := len(p.villages), len(p.towns); n < 30*towns || n > 90*towns {
		t.Errorf("%d villages for %d towns, want 30–90 a town (Weifang: 7,060 for 122)", n, towns)
	}

	villageLevel := map[string]bool{}
	for _, ind := range p.indicators {
		if ind.CollectionLevel == hub.LevelVillage && ind.Formula == nil {
			villageLevel[ind.Key] = true
		}
	}
	if !villageLevel["children_homes"] {
		t.Fatal("children_homes is not a village-level indicator")
	}
	atVillages := map[string]int{}
	directors := map[[2]string]float64{}
	var n int64
	for v := range p.values() {
		n++
		isVillage := len(v.Region) == 12
		if isVillage != villageLevel[v.Indicator] {
			t.Fatalf("%s at %s: village values are for village-level indicators only", v.Indicator, v.Region)
		}
		if isVillage {
			atVillages[v.Indicator]++
			if *v.Value != 0 && *v.Value != 1 {
				t.Errorf("%s at %s is %v, want 0 or 1", v.Indicator, v.Region, *v.Value)
			}
		}
		if v.Indicator == "child_directors" {
			directors[[2]string{v.Region, v.Period}] = *v.Value
		}
	}
	years := ProvinceLastYear - ProvinceFirstYear + 1
	if got := atVillages["children_homes"]; got != len(p.villages)*years {
		t.Errorf("%d children_homes values, want %d villages × %d years", got, len(p.villages), years)
	}
	if n != p.size() {
		t.Errorf("values yields %d, size says %d", n, p.size())
	}
	for k, d := range directors {
		if max := float64(p.villagesOf[k[0]]); d > max || d < 0.8*max {
			t.Errorf("%s %s: %v child directors for %v villages", k[0], k[1], d, max)
		}
	}
	t.Logf("%d counties, %d towns, %d villages, %d values", len(p.counties), len(p.towns), len(p.villages), n)
}
