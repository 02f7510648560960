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
	peers := []float64{10, 11, 12, 13, 14}
	// median 12, MAD 1: score = 0.6745·(x − 12).
	cases := []struct {
		x       float64
		outlier bool
	}{
		{12, false}, {17, false}, {17.1, false}, {17.2, true}, {6.9, false}, {6.8, true}, {100, true},
	}
	for _, c := range cases {
		s, ok := ModifiedZ(c.x, peers, MinPeerSample)
		if !ok {
			t.Fatalf("ModifiedZ(%v) not computed", c.x)
		}
		if want := 0.6745 * (c.x - 12); math.Abs(s.Score-want) > 1e-12 || s.Median != 12 || s.MAD != 1 || s.N != 5 {
			t.Errorf("ModifiedZ(%v) = %+v, want score %v, median 12, MAD 1", c.x, s, want)
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
	if _, ok := ModifiedZ(50, []float64{7, 7, 7, 8, 9}, MinPeerSample); ok {
		t.Error("MAD 0 (most values equal) must not score")
	}
	if _, ok := ModifiedZ(50, []float64{1, 2, 3}, MinTimeSample); !ok {
		t.Error("3 earlier periods are enough")
	}
}

func TestPerTenThousand(t *testing.T) {
	if v, ok := PerTenThousand(30, 102000); !ok || math.Abs(v-30.0/102000*10000) > 1e-12 {
		t.Errorf("PerTenThousand = %v %v", v, ok)
	}
	if _, ok := PerTenThousand(30, 0); ok {
		t.Error("no minors, no rate")
	}
}
