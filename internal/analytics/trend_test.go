package analytics

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func TestPeriods_ListsEveryPeriodOfOneType(t *testing.T) {
	for _, c := range []struct {
		from, to string
		want     []string
	}{
		{"2022", "2022", []string{"2022"}},
		{"2021", "2024", []string{"2021", "2022", "2023", "2024"}},
		{"2022Q3", "2023Q2", []string{"2022Q3", "2022Q4", "2023Q1", "2023Q2"}},
		{"2022-11", "2023-02", []string{"2022-11", "2022-12", "2023-01", "2023-02"}},
	} {
		got, err := Periods(c.from, c.to)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("Periods(%s, %s) = %v, %v; want %v", c.from, c.to, got, err, c.want)
		}
	}
	if got, err := Periods("2000-01", "2019-12"); err != nil || len(got) != MaxTrendPoints || got[MaxTrendPoints-1] != "2019-12" {
		t.Errorf("20 years of months: %d periods, %v; want %d ending 2019-12", len(got), err, MaxTrendPoints)
	}
}

func TestPeriods_Refusals(t *testing.T) {
	for _, c := range []struct{ from, to string }{
		{"2023", "2022"},       // backwards
		{"2022", "2022Q1"},     // two types
		{"2022-01", "2022Q4"},  // two types
		{"2000-01", "2020-01"}, // 241 months
		{"2022Q5", "2023Q1"},   // not a period
		{"2022", "20x3"},       // not a period
	} {
		if _, err := Periods(c.from, c.to); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("Periods(%s, %s): %v, want invalid", c.from, c.to, err)
		}
	}
}

func TestTrend_PointsPerPeriodDerivedToo(t *testing.T) {
	in := TrendInput{
		Indicator: "child_directors", Regions: []string{"A", "B"}, Periods: []string{"2021", "2022", "2023"},
		Indicators: catalogue(), Known: counties, Rollups: rollups(),
	}
	show := func(out []*hub.TrendSeries) string {
		var lines []string
		for _, s := range out {
			pts := make([]string, len(s.Points))
			for i, p := range s.Points {
				pts[i] = p.Period + " —"
				if p.Value != nil {
					pts[i] = fmt.Sprintf("%s %v %s %s", p.Period, *p.Value, *p.Qualifier, *p.Status)
				}
			}
			lines = append(lines, s.IndicatorKey+" "+s.RegionCode+": "+strings.Join(pts, ", "))
		}
		return strings.Join(lines, "\n")
	}
	out, err := Trend(in)
	if err != nil {
		t.Fatal(err)
	}
	want := "child_directors A: 2021 25 EXACT APPROVED, 2022 30 EXACT APPROVED, 2023 —\n" +
		"child_directors B: 2021 —, 2022 60 AT_LEAST APPROVED, 2023 —"
	if got := show(out); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// a formula takes its inputs at the point's own period (the year's minors
	// serve perTenThousandMinors only): 2021 and 2022Q2 have no minors, so no
	// value; 2022Q1 has its own: 3 / 8000 * 10000
	in.Indicator, in.Regions, in.Periods = "child_directors_per_10k", []string{"A"}, []string{"2021", "2022Q1", "2022Q2"}
	out, err = Trend(in)
	if err != nil {
		t.Fatal(err)
	}
	want = "child_directors_per_10k A: 2021 —, 2022Q1 3.75 EXACT APPROVED, 2022Q2 —"
	if got := show(out); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestTrend_RefusesUnknownNames(t *testing.T) {
	in := TrendInput{Indicator: "nonesuch", Regions: []string{"A"}, Periods: []string{"2022"},
		Indicators: catalogue(), Known: counties, Rollups: rollups()}
	if _, err := Trend(in); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown indicator: %v, want not found", err)
	}
	in.Indicator, in.Regions = "child_directors", []string{"A", "Q"}
	if _, err := Trend(in); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown region: %v, want not found", err)
	}
}
