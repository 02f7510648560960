package analytics

import "testing"

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
