package analytics

// ScaleScores scales one indicator's values across peer regions min–max to
// 0–100 (higher value, higher score; all equal → 100). Missing values stay
// missing.
func ScaleScores(values []*float64) []*float64 {
	var lo, hi float64
	seen := false
	for _, v := range values {
		if v == nil {
			continue
		}
		if !seen || *v < lo {
			lo = *v
		}
		if !seen || *v > hi {
			hi = *v
		}
		seen = true
	}
	out := make([]*float64, len(values))
	for i, v := range values {
		if v == nil {
			continue
		}
		s := 100.0
		if hi > lo {
			s = (*v - lo) / (hi - lo) * 100
		}
		out[i] = &s
	}
	return out
}

// MeanScore averages a region's scaled indicator scores, skipping missing
// ones; it returns nil and 0 when none counted.
func MeanScore(scores []*float64) (*float64, int) {
	sum, n := 0.0, 0
	for _, s := range scores {
		if s != nil {
			sum += *s
			n++
		}
	}
	if n == 0 {
		return nil, 0
	}
	m := sum / float64(n)
	return &m, n
}
