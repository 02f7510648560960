package dashboard

import (
	"math"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

// Default thresholds are the peers' tertiles (type-7 quantiles, by hand:
// for 10, 20, …, 70 the 1/3 quantile is the 3rd value, 30, and the 2/3
// quantile the 5th, 50; for 0, 10, 20, 30, 40 they are 13.33 and 26.67).
// More is green for a higher-is-better indicator; for a lower-is-better
// one (crime cases) many is red.
func TestThresholds_DefaultFromPeersAndDirection(t *testing.T) {
	peers := []float64{70, 10, 40, 20, 60, 30, 50}
	directors := &hub.Indicator{Key: "child_directors"}
	th, ok := thresholdsFor(directors, peers)
	if !ok || th.Amber != 30 || th.Green != 50 || th.Configured {
		t.Fatalf("higher-is-better thresholds %v", th)
	}
	for v, want := range map[float64]rag{70: ragGreen, 50: ragGreen, 49.9: ragAmber, 30: ragAmber, 29.9: ragRed, 10: ragRed} {
		if got := th.classify(v); got != want {
			t.Errorf("child directors %g: %d, want %d", v, got, want)
		}
	}
	crimes := &hub.Indicator{Key: "minor_crime_cases", LowerIsBetter: true}
	th, ok = thresholdsFor(crimes, peers)
	if !ok || th.Green != 30 || th.Amber != 50 {
		t.Fatalf("lower-is-better thresholds %v", th)
	}
	for v, want := range map[float64]rag{70: ragRed, 50.1: ragRed, 50: ragAmber, 30.1: ragAmber, 30: ragGreen, 10: ragGreen} {
		if got := th.classify(v); got != want {
			t.Errorf("crime cases %g: %d, want %d", v, got, want)
		}
	}
	th, _ = thresholdsFor(directors, []float64{40, 0, 30, 10, 20})
	if math.Abs(th.Amber-13.3333) > 1e-3 || math.Abs(th.Green-26.6667) > 1e-3 {
		t.Errorf("interpolated tertiles %v, want 13.33 and 26.67", th)
	}
	if _, ok := thresholdsFor(directors, []float64{1, 2}); ok {
		t.Error("two peers are judged")
	}
	// The catalogue's thresholds win over the distribution.
	a, g := 40.0, 60.0
	th, ok = thresholdsFor(&hub.Indicator{RAGAmber: &a, RAGGreen: &g}, nil)
	if !ok || !th.Configured || th.classify(59) != ragAmber || th.classify(60) != ragGreen || th.classify(39) != ragRed {
		t.Errorf("configured thresholds %v", th)
	}
	legend := th.legend("zh")
	if len(legend) != 3 || legend[0]["label"] != "需关注 < 40" || legend[2]["label"] != "良好 ≥ 60" {
		t.Errorf("legend %v", legend)
	}
}

// 同比 and 环比 by hand: 1080 against 1073 is +7, 0.65 % → ↑0.7 %, good
// for child directors; 12 crime cases against 16 is −4, −25 %, good for a
// lower-is-better indicator and bad otherwise; a qualifier makes it ≈.
func TestChange_ArrowPercentAndDirection(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		cur, prev float64
		q         *hub.Qualifier
		lower     bool
		text      string
		class     string
	}{
		{1080, 1073, nil, false, "同比 ↑0.7%（+7）", "good"},
		{1080, 1073, nil, true, "同比 ↑0.7%（+7）", "bad"},
		{12, 16, nil, true, "同比 ↓25.0%（-4）", "good"},
		{12, 16, nil, false, "同比 ↓25.0%（-4）", "bad"},
		{21924, 20000, ptr(hub.AtLeast), false, "同比 ↑≈9.6%（+1924）", "good"},
		{5, 5, nil, false, "同比 →0.0%（+0）", "flat"},
		{3, 0, nil, false, "同比 ↑（+3）", "good"},
	}
	for _, c := range cases {
		got := change("同比", f(c.cur), f(c.prev), c.q, nil, c.lower, "zh")
		if got.Text != c.text || got.Class != c.class {
			t.Errorf("%g vs %g (lower %v): %+v, want %q %s", c.cur, c.prev, c.lower, got, c.text, c.class)
		}
	}
	if got := change("YoY", f(7041), f(6959), nil, nil, false, "en"); got.Text != "YoY ↑1.2% (+82)" {
		t.Errorf("English: %+v", got)
	}
	if got := change("同比", f(1), nil, nil, nil, false, "zh"); got.Text != "同比 —" {
		t.Errorf("without last year's figure: %+v", got)
	}
}

func ptr[T any](v T) *T { return &v }

// 同比 is the same period a year before; 环比 the previous month or
// quarter, across the year's turn; a year has none.
func TestPrevious_SamePeriodLastYearAndPreviousPeriod(t *testing.T) {
	for in, want := range map[string][2]string{"2022": {"2021", ""}, "2022Q3": {"2021Q3", "2022Q2"},
		"2022Q1": {"2021Q1", "2021Q4"}, "2022-07": {"2021-07", "2022-06"}, "2022-01": {"2021-01", "2021-12"}} {
		p, err := hub.ParsePeriod(in)
		if err != nil {
			t.Fatal(err)
		}
		if y, b := previous(p); y != want[0] || b != want[1] {
			t.Errorf("%s: %s %s, want %v", in, y, b, want)
		}
	}
}
