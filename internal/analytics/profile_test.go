package analytics

import (
	"math"
	"testing"
)

func TestProfileScoresScaleAcrossPeersAndSkipMissingValues(t *testing.T) {
	// Two indicators per 10,000 minors for regions A, B, C; C lacks the second.
	first := ScaleScores([]*float64{f(2), f(4), f(6)})   // 0, 50, 100
	second := ScaleScores([]*float64{f(10), f(30), nil}) // 0, 100, –
	want := []struct {
		score float64
		used  int
	}{{0, 2}, {75, 2}, {100, 1}}
	for i, w := range want {
		got, used := MeanScore([]*float64{first[i], second[i]})
		if got == nil || *got != w.score || used != w.used {
			t.Errorf("region %d: score %v from %d, want %v from %d", i, got, used, w.score, w.used)
		}
	}
	if got, used := MeanScore([]*float64{nil}); got != nil || used != 0 {
		t.Errorf("no values: got %v from %d, want none", got, used)
	}
	if s := ScaleScores([]*float64{f(3), f(3)}); *s[0] != 100 || *s[1] != 100 {
		t.Errorf("equal peers: %v %v, want 100", *s[0], *s[1])
	}
}

func TestQuartileScore_PlacesAValueAmongQuartiles(t *testing.T) {
	tests := []struct{ v, q1, m, q3, want float64 }{
		{10, 10, 20, 30, 25}, {20, 10, 20, 30, 50}, {30, 10, 20, 30, 75}, {15, 10, 20, 30, 37.5},
		{25, 10, 20, 30, 62.5}, {35, 10, 20, 30, 87.5}, {50, 10, 20, 30, 100}, {5, 10, 20, 30, 12.5}, {-10, 10, 20, 30, 0},
		// ties: all equal, and a half of zero width
		{7, 7, 7, 7, 50}, {6, 7, 7, 7, 0}, {8, 7, 7, 7, 100}, {5, 10, 10, 20, 37.5}, {25, 10, 20, 20, 62.5},
	}
	for _, tt := range tests {
		if got := QuartileScore(tt.v, tt.q1, tt.m, tt.q3); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("QuartileScore(%v; %v %v %v) = %v, want %v", tt.v, tt.q1, tt.m, tt.q3, got, tt.want)
		}
	}
}
