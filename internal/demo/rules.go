package demo

import (
	"fmt"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/validation"
)

// Rules returns the demo catalogue's validation rules, compiled against it
// (their Indicators set). The share rule flags the real 2022 report of
// 坊子区 (370704): 83,094 minors are 23 % of 362,000 people, not of the
// 3,620,000 the source prints; the coverage rule the 690 child directors
// of 昌邑市's 709 villages.
func Rules() ([]*hub.ValidationRule, error) {
	rules := []*hub.ValidationRule{
		{Name: "minors_within_population", Left: "minors_total", Operator: "<=", Right: "population_total",
			Severity: hub.Block, MissingValues: hub.SkipIfAnyMissing,
			TextZh: "未成年人数不能超过总人口", TextEn: "minors cannot outnumber the population"},
		{Name: "minors_share_consistent", Left: "minors_total / population_total * 100", Operator: "==", Right: "minors_share",
			Tolerance: 2, Severity: hub.Warn, MissingValues: hub.SkipIfAnyMissing,
			TextZh: "未成年人占比应与未成年人数/总人口相符（±2 个百分点）",
			TextEn: "minors' share should match minors / population (±2 percentage points)"},
		{Name: "aided_students_within_minors", Left: "aided_students", Operator: "<=", Right: "minors_total",
			Severity: hub.Block, MissingValues: hub.SkipIfAnyMissing,
			TextZh: "受资助学生数不能超过未成年人数", TextEn: "aided students cannot outnumber the minors"},
		{Name: "distressed_helped_within_minors", Left: "distressed_minors_helped", Operator: "<=", Right: "minors_total * 0.1",
			Severity: hub.Warn, MissingValues: hub.SkipIfAnyMissing,
			TextZh: "帮扶困境未成年人数超过未成年人的 10%，请核实", TextEn: "minors in distress helped exceed 10 % of all minors: please check"},
		// villages is the number of villages and residents' committees in
		// the region's subtree (hub.TreeCounts): every one should have a
		// child director. The real 2022 report of 昌邑市 (370786) has 690
		// for 709.
		{Name: "child_directors_cover_villages", Left: "child_directors", Operator: ">=", Right: hub.VillagesCount,
			Severity: hub.Warn, MissingValues: hub.SkipIfAnyMissing,
			TextZh: "儿童主任少于村（居）数：每个村（居）应有一名儿童主任",
			TextEn: "fewer child directors than villages and communities: each should have one"},
	}
	inds, err := Indicators()
	if err != nil {
		return nil, err
	}
	var known []string
	for _, ind := range inds {
		if ind.Formula == nil {
			known = append(known, ind.Key)
		}
	}
	for _, r := range rules {
		r.Active = true
		if _, err := validation.Compile(r, known); err != nil {
			return nil, fmt.Errorf("demo rule %s: %w", r.Name, err)
		}
	}
	return rules, nil
}
