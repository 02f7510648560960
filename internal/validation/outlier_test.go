package validation

import (
	"math"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func TestMedianAndMAD(t *testing.T) {
	cases := []struct {
		xs       []float64
		med, mad float64
	}{
		{[]float64{1}, 1, 0},
		{[]float64{3, 1, 2}, 2, 1},
		{[]float64{1, 2, 3, 4}, 2.5, 1},
		{[]float64{1, 1, 2, 2, 4, 6, 9}, 2, 1},
	}
	for _, c := range cases {
		med, mad := MAD(c.xs)
		if med != c.med || mad != c.mad {
			t.Errorf("MAD(%v) = %v, %v; want %v, %v", c.xs, med, mad, c.med, c.mad)
		}
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("median of nothing must be NaN")
	}
}

func TestModifiedZ_FlagsOnlyBeyondThreshold(t *testing.T) {
	peers := []float64{10, 12, 14, 16, 18}
	// median 14, MAD 2: score = 0.6745·(x − 14)/2.
	cases := []struct {
		x       float64
		outlier bool
	}{
		{14, false}, {24, false}, {24.3, false}, {24.4, true}, {3.7, false}, {3.6, true}, {100, true},
	}
	for _, c := range cases {
		s, ok := ModifiedZ(c.x, peers, MinPeerSample)
		if !ok {
			t.Fatalf("ModifiedZ(%v) not computed", c.x)
		}
		if want := 0.6745 * (c.x - 14) / 2; math.Abs(s.Score-want) > 1e-12 || s.Median != 14 || s.MAD != 2 || s.N != 5 {
			t.Errorf("ModifiedZ(%v) = %+v, want score %v, median 14, MAD 2", c.x, s, want)
		}
		if s.Outlier() != c.outlier {
			t.Errorf("%v: outlier = %v, want %v (score %.3f)", c.x, s.Outlier(), c.outlier, s.Score)
		}
	}
}

func TestModifiedZ_NeedsSampleAndSpread(t *testing.T) {
	if _, ok := ModifiedZ(5, []float64{1, 2, 3, 4}, MinPeerSample); ok {
		t.Error("4 peers are too few")
	}
	if _, ok := ModifiedZ(50, []float64{0, 0, 0, 8, 9}, MinPeerSample); ok {
		t.Error("MAD 0 around a median of 0 must not score")
	}
	// A series that barely moves: the MAD is floored at 10 % of the median.
	s, ok := ModifiedZ(105, []float64{99, 100, 101}, MinTimeSample)
	if !ok || s.MAD != 10 || s.Outlier() {
		t.Errorf("5 %% above a steady series: %+v, want MAD 10 and no outlier", s)
	}
	if s, _ := ModifiedZ(160, []float64{99, 100, 101}, MinTimeSample); !s.Outlier() {
		t.Errorf("60 %% above a steady series: %+v, want an outlier", s)
	}
	if _, ok := ModifiedZ(50, []float64{1, 2, 3}, MinTimeSample); !ok {
		t.Error("3 earlier periods are enough")
	}
}

// TestModifiedZ_HandComputedScores: each sample's median, MAD, the floor
// at 10 % of the median and the score, worked out by hand.
func TestModifiedZ_HandComputedScores(t *testing.T) {
	cases := []struct {
		name               string
		x                  float64
		sample             []float64
		median, mad, score float64
		outlier            bool
	}{
		// median 12; |10−12|, |12−12|, |20−12| = 2, 0, 8 → MAD 2 (floor
		// 1.2 is lower); 0.6745·(30−12)/2 = 6.0705.
		{"spread above the floor", 30, []float64{10, 12, 20}, 12, 2, 6.0705, true},
		// median 101; deviations 1, 0, 1 → MAD 1, floored at 10.1;
		// 0.6745·(140−101)/10.1 = 2.60450 (unfloored it would be 26.3).
		{"floor keeps a steady series calm", 140, []float64{100, 101, 102}, 101, 10.1, 2.6045049504950497, false},
		// 0.6745·(160−101)/10.1 = 3.94015 > 3.5.
		{"floor still flags a jump", 160, []float64{100, 101, 102}, 101, 10.1, 3.9401485148514854, true},
		// median 14; deviations 36, 4, 2, 0, 2 → MAD 2; 0.6745·(50−14)/2 = 12.141.
		{"peer far above", 50, []float64{50, 10, 12, 14, 16}, 14, 2, 12.141, true},
		// 0.6745·(10−14)/2 = −1.349: below the median, within the threshold.
		{"peer below, not far", 10, []float64{50, 10, 12, 14, 16}, 14, 2, -1.349, false},
	}
	for _, c := range cases {
		s, ok := ModifiedZ(c.x, c.sample, MinTimeSample)
		if !ok {
			t.Fatalf("%s: not scored", c.name)
		}
		if s.Median != c.median || math.Abs(s.MAD-c.mad) > 1e-12 || math.Abs(s.Score-c.score) > 1e-9 || s.N != len(c.sample) {
			t.Errorf("%s: %+v, want median %v, MAD %v, score %v", c.name, s, c.median, c.mad, c.score)
		}
		if s.Outlier() != c.outlier {
			t.Errorf("%s: outlier %v, want %v", c.name, s.Outlier(), c.outlier)
		}
	}
}

const (
	parent = "37.3707"
	pathA  = "37.3707.370704"
)

// counts gives region a count in each period; minors gives it minors in
// each year.
func counts(region, parentCode, path string, byPeriod map[string]float64) []Count {
	var out []Count
	for p, v := range byPeriod {
		out = append(out, Count{Indicator: "cases", Region: region, Parent: parentCode, Level: hub.LevelCounty, Path: path, Period: p, Value: f(v)})
	}
	return out
}

func minors(region string, n float64, years ...string) []Minors {
	var out []Minors
	for _, y := range years {
		out = append(out, Minors{Region: region, Year: y, Value: f(n)})
	}
	return out
}

// TestOutliers_TimeNeedsThreeEarlierPeriods: with 20,000 minors every year
// the rates per 10,000 are half the counts: 10, 12, 20 earlier and 30 now,
// which scores 6.0705 (see TestModifiedZ_HandComputedScores). With only
// two earlier periods, 10 and 12, nothing is compared, though 30 would
// score 0.6745·(30−11)/1.1 = 11.65 against them (MAD 1, floored at 1.1).
func TestOutliers_TimeNeedsThreeEarlierPeriods(t *testing.T) {
	years := []string{"2020", "2021", "2022", "2023"}
	three := OutlierInput{Period: "2023", Path: pathA,
		Counts: counts("370704", "370700", pathA, map[string]float64{"2020": 20, "2021": 24, "2022": 40, "2023": 60}),
		Minors: minors("370704", 20000, years...)}
	got := Outliers(three)
	if len(got) != 1 || got[0].Kind != hub.FindingOutlierTime || got[0].Severity != hub.Warn {
		t.Fatalf("three earlier periods: %+v, want one TIME warning", got)
	}
	o := got[0].Outlier
	if o.Kind != hub.OutlierTime || !near(o.Value, 30) || !near(o.Median, 12) || !near(o.MAD, 2) || !near(o.Score, 6.0705) || o.SampleSize != 3 || o.Threshold != 3.5 {
		t.Errorf("TIME outlier %+v, want value 30, median 12, MAD 2, score 6.0705 of 3", o)
	}
	for _, want := range []string{"cases 每万名未成年人 30", "历年中位数 12", "修正 z 分数 6.07", "median of earlier periods 12", "(threshold 3.5)"} {
		if !strings.Contains(got[0].Message, want) {
			t.Errorf("message %q lacks %q", got[0].Message, want)
		}
	}

	two := three
	two.Counts = counts("370704", "370700", pathA, map[string]float64{"2020": 20, "2021": 24, "2023": 60})
	if got := Outliers(two); len(got) != 0 {
		t.Errorf("two earlier periods: %+v, want nothing", got)
	}
	noMinors := three
	noMinors.Minors = minors("370704", 20000, "2020", "2021", "2022")
	if got := Outliers(noMinors); len(got) != 0 {
		t.Errorf("no minors in 2023: %+v, want nothing checked", got)
	}
}

// TestOutliers_PeerNeedsFiveRegions: five counties of one city with 10,000
// minors each (rates equal counts) 50, 10, 12, 14, 16: 370704 scores
// 12.141 against them; four regions, or a fifth under another city, are
// too few.
func TestOutliers_PeerNeedsFiveRegions(t *testing.T) {
	peer := func(code string, v float64, parentCode string) []Count {
		return counts(code, parentCode, parent+"."+code, map[string]float64{"2023": v})
	}
	var five, four, otherCity OutlierInput
	for _, in := range []*OutlierInput{&five, &four, &otherCity} {
		in.Period, in.Path = "2023", pathA
		for _, c := range []string{"370704", "370702", "370703", "370705", "370781"} {
			in.Minors = append(in.Minors, minors(c, 10000, "2023")...)
		}
	}
	for _, p := range []struct {
		code string
		v    float64
	}{{"370704", 50}, {"370702", 10}, {"370703", 12}, {"370705", 14}} {
		five.Counts = append(five.Counts, peer(p.code, p.v, "370700")...)
	}
	four.Counts = append([]Count(nil), five.Counts...)
	otherCity.Counts = append(append([]Count(nil), five.Counts...), peer("370781", 16, "370800")...)
	five.Counts = append(five.Counts, peer("370781", 16, "370700")...)

	got := Outliers(five)
	if len(got) != 1 || got[0].Kind != hub.FindingOutlierPeer || got[0].RegionCode != "370704" {
		t.Fatalf("five peers: %+v, want one PEER finding for 370704", got)
	}
	if o := got[0].Outlier; o.Kind != hub.OutlierPeer || !near(o.Median, 14) || !near(o.MAD, 2) || !near(o.Score, 12.141) || o.SampleSize != 5 {
		t.Errorf("PEER outlier %+v, want median 14, MAD 2, score 12.141 of 5", o)
	}
	if !strings.Contains(got[0].Message, "同级地区中位数 14") || !strings.Contains(got[0].Message, "median of peer regions 14") {
		t.Errorf("message %q", got[0].Message)
	}
	if got := Outliers(four); len(got) != 0 {
		t.Errorf("four peers: %+v, want nothing", got)
	}
	if got := Outliers(otherCity); len(got) != 0 {
		t.Errorf("a fifth region under another city: %+v, want nothing", got)
	}
	// Peers outside the subtree asked for are compared, not reported:
	// 370702 at 1 against 1, 12, 14, 16, 50 (median 14, deviations 13, 2,
	// 0, 2, 36 → MAD 2) scores 0.6745·(1−14)/2 = −4.38425, an outlier of
	// 37.3707.370702, outside 37.3707.370704.
	low := five
	low.Counts = append([]Count(nil), five.Counts...)
	for i := range low.Counts {
		if low.Counts[i].Region == "370702" {
			low.Counts[i].Value = f(1)
		}
	}
	if got := Outliers(low); len(got) != 1 || got[0].RegionCode != "370704" {
		t.Errorf("with 370702 at 1: %+v, want only 370704's finding", got)
	}
	low.Path = parent
	got = Outliers(low)
	if len(got) != 2 || got[0].RegionCode != "370702" || !near(got[0].Outlier.Score, -4.38425) || got[1].RegionCode != "370704" {
		t.Errorf("the whole city: %d findings, want 370702 (score −4.38425) then 370704", len(got))
		for _, g := range got {
			t.Logf("%s %+v", g.RegionCode, g.Outlier)
		}
	}
}

// near compares figures computed through per-10,000 rates.
func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
