package analytics

import (
	"math"

	"github.com/sixprot/hub/internal/hub"
)

// A small city, by hand (the in-memory cousin of pgtest.TinyCity):
// counties A, B, C, D under city X, and county E under city Y.
//
//	minors_total       A 10000, B 20000, C 5000 (PUBLISHED), D —, E 10000; A 2022Q1 8000
//	child_directors    A 30, B 60 (AT_LEAST), C 20 (PUBLISHED), D —
//	                   2021: A 25;  A 2022Q1 3, A 2022Q2 25
//	hope_rooms         SOCIETY count   A 5, B 20, C 1, E 1
//	guard_rate         SCHOOL percent  A 80, B 90, C 100
//	cases              JUDICIAL count, lower is better   A 2, B 2, C 3
//	disputes_rate      JUDICIAL rate, lower is better    A 10, B 30
//	child_directors_per_10k = child_directors / minors_total * 10000
//
// Values are 2022, EXACT and APPROVED unless noted.

func ind(key string, p hub.Protection, vt hub.ValueType) *hub.Indicator {
	return &hub.Indicator{Key: key, Protection: p, ValueType: vt}
}

func derived(key string, p hub.Protection, vt hub.ValueType, formula string) *hub.Indicator {
	i := ind(key, p, vt)
	i.Formula = &formula
	return i
}

func lowerIsBetter(i *hub.Indicator) *hub.Indicator {
	i.LowerIsBetter = true
	return i
}

func catalogue() []*hub.Indicator {
	return []*hub.Indicator{
		ind(hub.MinorsKey, hub.Base, hub.Count),
		ind("child_directors", hub.Government, hub.Count),
		ind("hope_rooms", hub.Society, hub.Count),
		ind("guard_rate", hub.School, hub.Percent),
		lowerIsBetter(ind("cases", hub.Judicial, hub.Count)),
		lowerIsBetter(ind("disputes_rate", hub.Judicial, hub.Rate)),
		derived("child_directors_per_10k", hub.Government, hub.Rate, "child_directors / minors_total * 10000"),
	}
}

func region(code, parent string) *hub.Region {
	return &hub.Region{Code: code, Level: hub.LevelCounty, ParentCode: &parent}
}

var (
	cityX = &hub.Region{Code: "X", Level: hub.LevelCity}
	// counties are the compared regions under city X, by code.
	counties = []*hub.Region{region("A", "X"), region("B", "X"), region("C", "X"), region("D", "X")}
)

func rollup(indicator, region, period string, v float64, q hub.Qualifier, s hub.Status) Rollup {
	return Rollup{Indicator: indicator, Region: region, Period: period, Cell: Cell{Value: &v, Qualifier: q, Status: s}}
}

func approved(indicator, region, period string, v float64) Rollup {
	return rollup(indicator, region, period, v, hub.Exact, hub.Approved)
}

func rollups() []Rollup {
	return []Rollup{
		approved(hub.MinorsKey, "A", "2022", 10000),
		approved(hub.MinorsKey, "B", "2022", 20000),
		rollup(hub.MinorsKey, "C", "2022", 5000, hub.Exact, hub.Published),
		approved(hub.MinorsKey, "E", "2022", 10000),
		approved(hub.MinorsKey, "A", "2022Q1", 8000),
		approved("child_directors", "A", "2022", 30),
		rollup("child_directors", "B", "2022", 60, hub.AtLeast, hub.Approved),
		rollup("child_directors", "C", "2022", 20, hub.Exact, hub.Published),
		approved("child_directors", "A", "2021", 25),
		approved("child_directors", "A", "2022Q1", 3),
		approved("child_directors", "A", "2022Q2", 25),
		approved("hope_rooms", "A", "2022", 5),
		approved("hope_rooms", "B", "2022", 20),
		approved("hope_rooms", "C", "2022", 1),
		approved("hope_rooms", "E", "2022", 1),
		approved("guard_rate", "A", "2022", 80),
		approved("guard_rate", "B", "2022", 90),
		approved("guard_rate", "C", "2022", 100),
		approved("cases", "A", "2022", 2),
		approved("cases", "B", "2022", 2),
		approved("cases", "C", "2022", 3),
		approved("disputes_rate", "A", "2022", 10),
		approved("disputes_rate", "B", "2022", 30),
	}
}

func book(t interface{ Fatal(...any) }) *Book {
	b, err := NewBook(catalogue(), rollups())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// same compares figures that went through a division to 1e-9.
func same(got, want *float64) bool {
	if got == nil || want == nil {
		return got == want
	}
	return math.Abs(*got-*want) < 1e-9
}

func show(v *float64) any {
	if v == nil {
		return "—"
	}
	return *v
}
