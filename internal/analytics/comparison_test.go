package analytics

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// ranked shows rows in their order as "code:rank", "code:–" without one.
func ranked(rows []*hub.ComparisonRow) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		rank := "–"
		if r.Rank != nil {
			rank = fmt.Sprint(*r.Rank)
		}
		parts[i] = r.RegionCode + ":" + rank
	}
	return strings.Join(parts, " ")
}

func row(code string, value, perTenK *float64) *hub.ComparisonRow {
	return &hub.ComparisonRow{RegionCode: code, Value: value, PerTenThousandMinors: perTenK}
}

func TestRankRows_PerTenThousandOnlyWhenEveryValuedRegionHasMinors(t *testing.T) {
	for _, c := range []struct {
		name string
		rows []*hub.ComparisonRow
		want string
	}{
		{"per 10,000: C 40 first, A and B tie at 30, D without a value last",
			[]*hub.ComparisonRow{row("A", f(30), f(30)), row("B", f(60), f(30)), row("C", f(20), f(40)), row("D", nil, nil)},
			"C:1 A:2 B:2 D:–"},
		{"a valued region without minors: every region on its value",
			[]*hub.ComparisonRow{row("A", f(30), f(30)), row("B", f(60), f(30)), row("C", f(20), f(40)), row("D", f(99), nil)},
			"D:1 B:2 A:3 C:4"},
		{"no region has minors: values",
			[]*hub.ComparisonRow{row("A", f(1), nil), row("B", f(3), nil), row("C", f(3), nil)},
			"B:1 C:1 A:3"},
		{"missing values keep their order at the end",
			[]*hub.ComparisonRow{row("A", nil, nil), row("B", f(2), f(4)), row("C", nil, nil), row("D", f(2), f(1))},
			"B:1 D:2 A:– C:–"},
		{"no values at all", []*hub.ComparisonRow{row("A", nil, nil), row("B", nil, nil)}, "A:– B:–"},
		{"negative and zero values rank below positive ones",
			[]*hub.ComparisonRow{row("A", f(0), nil), row("B", f(-5), nil), row("C", f(5), nil)},
			"C:1 A:2 B:3"},
	} {
		if got := ranked(RankRows(c.rows)); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func comparisonInput(indicator string) ComparisonInput {
	parent := cityX.Code
	return ComparisonInput{
		Query:      hub.ComparisonQuery{Indicator: indicator, Period: "2022", Parent: &parent, Level: hub.LevelCounty},
		Indicators: catalogue(),
		Parents:    []*hub.Region{cityX},
		Regions:    counties,
		Rollups:    rollups(),
	}
}

func TestComparison_RanksTheTinyCity(t *testing.T) {
	for _, c := range []struct {
		indicator string
		want      string // code value/perTenK qualifier status, in rank order
	}{
		// per 10,000 minors: A 30/10000 → 30, B 60/20000 → 30, C 20/5000 → 40, D nothing
		{"child_directors", "C:1 20/40 EXACT PUBLISHED; A:2 30/30 EXACT APPROVED; B:2 60/30 AT_LEAST APPROVED; D:– —/— — —"},
		// derived: the same figures as values; B APPROX from its AT_LEAST input,
		// C PUBLISHED because both its inputs are, D absent for want of minors
		{"child_directors_per_10k", "C:1 40/— EXACT PUBLISHED; A:2 30/— EXACT APPROVED; B:2 30/— APPROX APPROVED; D:– —/— — —"},
		// a percentage is ranked on its values
		{"guard_rate", "C:1 100/— EXACT APPROVED; B:2 90/— EXACT APPROVED; A:3 80/— EXACT APPROVED; D:– —/— — —"},
	} {
		rows, err := Comparison(comparisonInput(c.indicator))
		if err != nil {
			t.Fatalf("%s: %v", c.indicator, err)
		}
		parts := make([]string, len(rows))
		for i, r := range rows {
			q, s := "—", "—"
			if r.Qualifier != nil {
				q, s = string(*r.Qualifier), string(*r.Status)
			}
			parts[i] = fmt.Sprintf("%s %v/%v %s %s", ranked([]*hub.ComparisonRow{r}), show(r.Value), show(r.PerTenThousandMinors), q, s)
			if r.Region == nil || r.Region.Code != r.RegionCode {
				t.Errorf("%s: row %s does not carry its region", c.indicator, r.RegionCode)
			}
		}
		if got := strings.Join(parts, "; "); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.indicator, got, c.want)
		}
	}
}

func TestComparison_RefusesUnknownNames(t *testing.T) {
	in := comparisonInput("nonesuch")
	if _, err := Comparison(in); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown indicator: %v, want not found", err)
	}
	in = comparisonInput("child_directors")
	in.Parents = nil
	if _, err := Comparison(in); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown parent: %v, want not found", err)
	}
}

func TestComparisonScope_DefaultsAndRefusals(t *testing.T) {
	q, err := ComparisonScope(hub.ComparisonQuery{Indicator: "x", Period: "2022Q3"}, "370700")
	if err != nil || q.Level != hub.LevelCounty || q.Parent == nil || *q.Parent != "370700" {
		t.Fatalf("defaults: %+v, %v; want COUNTY under 370700", q, err)
	}
	town, other := hub.LevelTown, "370781"
	q, err = ComparisonScope(hub.ComparisonQuery{Indicator: "x", Period: "2022", Parent: &other, Level: town}, "370700")
	if err != nil || q.Level != town || *q.Parent != other {
		t.Fatalf("given: %+v, %v; want TOWN under 370781", q, err)
	}
	for _, bad := range []hub.ComparisonQuery{
		{Indicator: "x", Period: "2022", Level: "PLANET"},
		{Indicator: "x", Period: "22"},
	} {
		if _, err := ComparisonScope(bad, "370700"); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
}

// TestComparison_RefusesMoreRegionsThanTheBound: the store hands over at
// most hub.MaxComparisonRows + 1 regions; one more than the bound is a
// user's mistake (BAD_USER_INPUT) naming the bound, the bound itself is
// ranked.
func TestComparison_RefusesMoreRegionsThanTheBound(t *testing.T) {
	in := comparisonInput("child_directors")
	many := func(n int) []*hub.Region {
		out := make([]*hub.Region, n)
		for i := range out {
			out[i] = &hub.Region{Code: fmt.Sprintf("370781%06d", i), Level: hub.LevelVillage}
		}
		return out
	}
	in.Regions = many(hub.MaxComparisonRows + 1)
	_, err := Comparison(in)
	if hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(err.Error(), fmt.Sprint(hub.MaxComparisonRows)) {
		t.Errorf("%d regions: %v, want BAD_USER_INPUT naming the bound %d", len(in.Regions), err, hub.MaxComparisonRows)
	}
	in.Regions = many(hub.MaxComparisonRows)
	if rows, err := Comparison(in); err != nil || len(rows) != hub.MaxComparisonRows {
		t.Errorf("%d regions: %d rows, %v; want them ranked", hub.MaxComparisonRows, len(rows), err)
	}
}
