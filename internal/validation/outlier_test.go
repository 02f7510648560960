package validation

import (
	"math"
	"testing"
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
