package validation

import (
	"math"
	"sort"

	"github.com/sixprot/hub/internal/analytics"
)

// Parameters of the modified z-score (Iglewicz and Hoaglin, 1993).
const (
	// ZScale makes the MAD comparable to a standard deviation for normal data.
	ZScale = 0.6745
	// ZThreshold: a |score| above it is an outlier.
	ZThreshold = 3.5
	// MinTimeSample is the fewest earlier periods a value is compared with.
	MinTimeSample = 3
	// MinPeerSample is the fewest peers (the value included) compared.
	MinPeerSample = 5
	// MinRelativeMAD floors the MAD at this share of |median|. Series of
	// small counts that barely move (1 % a year) have a MAD near 0, and
	// every ordinary change would score in the tens; with the floor a value
	// must also differ from the median by more than about half of it
	// (3.5 / 0.6745 × 10 %) to be an outlier.
	MinRelativeMAD = 0.1
)

// Median returns the median of xs (NaN for none); xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MAD returns the median of xs and the median absolute deviation from it.
func MAD(xs []float64) (median, mad float64) {
	median = Median(xs)
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - median)
	}
	return median, Median(dev)
}

// Score is the modified z-score of x against a sample.
type Score struct {
	Value, Median, MAD, Score float64
	N                         int
}

// Outlier reports whether the score exceeds ZThreshold in absolute value.
func (s Score) Outlier() bool { return math.Abs(s.Score) > ZThreshold }

// ModifiedZ scores x against sample: ZScale·(x − median)/MAD, the MAD
// floored at MinRelativeMAD·|median| (Score.MAD is the one used). ok is
// false when the sample has fewer than min values or the MAD is 0 (the
// median is 0 and more than half the sample is 0: no spread to measure).
func ModifiedZ(x float64, sample []float64, min int) (s Score, ok bool) {
	if len(sample) < min || len(sample) == 0 {
		return Score{}, false
	}
	med, mad := MAD(sample)
	mad = math.Max(mad, MinRelativeMAD*math.Abs(med))
	if mad == 0 || math.IsNaN(mad) {
		return Score{}, false
	}
	return Score{Value: x, Median: med, MAD: mad, Score: ZScale * (x - med) / mad, N: len(sample)}, true
}

// PerTenThousand returns value per 10,000 minors; ok is false without a
// positive number of minors. Outliers are measured on the figure the
// comparisons show, so it is analytics.PerTenThousand.
func PerTenThousand(value, minors float64) (float64, bool) {
	return analytics.PerTenThousand(value, minors)
}
