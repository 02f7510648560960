package validation

import (
	"fmt"
	"math"
	"sort"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
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

// Count is a stored count of a region in a period, with where the region
// lies: its peers are the regions of its level under its parent.
type Count struct {
	Indicator, Region, Parent string
	Level                     hub.RegionLevel
	Path, Period              string
	// Value is nil for a stored empty value.
	Value *float64
}

// Minors is the number of minors of a region in a year (hub.MinorsKey);
// Value is nil for a stored empty value.
type Minors struct {
	Region, Year string
	Value        *float64
}

// OutlierInput is what the outlier part of a report reads.
type OutlierInput struct {
	// Period is the period reported on, Path the subtree.
	Period, Path string
	// Counts are the counts of the stored count indicators (not BASE) in
	// the subtree of the parent of Path, for Period and the earlier periods
	// of its type: the values checked, their history and their peers.
	Counts []Count
	// Minors are the minors of those regions in the years to Period's.
	Minors []Minors
}

// Outliers checks each count of Period in the subtree of Path, per 10,000
// minors (analytics.PerTenThousand, the figure comparisons show), against
// the region's earlier periods (TIME, at least MinTimeSample of them) and
// against its peers in Period (PEER, at least MinPeerSample regions, itself
// included), and returns the outliers by region, then indicator, TIME
// before PEER. A count without minors in its year is not checked.
func Outliers(in OutlierInput) []*hub.ValidationFinding {
	type cell struct{ region, year string }
	minors := map[cell]float64{}
	for _, m := range in.Minors {
		if m.Value != nil {
			minors[cell{m.Region, m.Year}] = *m.Value
		}
	}
	type series struct{ ind, region string }
	type peerGroup struct {
		ind, parent string
		level       hub.RegionLevel
	}
	type rate struct {
		Count
		value float64
	}
	history := map[series][]float64{}
	peers := map[peerGroup][]float64{}
	var current []rate
	for _, c := range in.Counts {
		if c.Value == nil {
			continue
		}
		v, ok := analytics.PerTenThousand(*c.Value, minors[cell{c.Region, c.Period[:4]}])
		if !ok {
			continue
		}
		if c.Period != in.Period {
			history[series{c.Indicator, c.Region}] = append(history[series{c.Indicator, c.Region}], v)
			continue
		}
		g := peerGroup{c.Indicator, c.Parent, c.Level}
		peers[g] = append(peers[g], v)
		if hub.Within(c.Path, in.Path) {
			current = append(current, rate{c, v})
		}
	}
	sort.Slice(current, func(i, j int) bool {
		if current[i].Region != current[j].Region {
			return current[i].Region < current[j].Region
		}
		return current[i].Indicator < current[j].Indicator
	})
	var out []*hub.ValidationFinding
	for _, x := range current {
		if s, ok := ModifiedZ(x.value, history[series{x.Indicator, x.Region}], MinTimeSample); ok && s.Outlier() {
			out = append(out, outlierFinding(x.Count, hub.OutlierTime, s))
		}
		if s, ok := ModifiedZ(x.value, peers[peerGroup{x.Indicator, x.Parent, x.Level}], MinPeerSample); ok && s.Outlier() {
			out = append(out, outlierFinding(x.Count, hub.OutlierPeer, s))
		}
	}
	return out
}

// outlierFinding is the WARN finding of c's outlier of kind, with its
// numbers and a message that gives them, Chinese first.
func outlierFinding(c Count, kind hub.OutlierKind, s Score) *hub.ValidationFinding {
	ind := c.Indicator
	f := &hub.ValidationFinding{Kind: hub.FindingOutlierTime, Severity: hub.Warn, IndicatorKey: &ind, RegionCode: c.Region, Period: c.Period,
		Outlier: &hub.Outlier{Kind: kind, Value: s.Value, Median: s.Median, MAD: s.MAD, Score: s.Score,
			Threshold: ZThreshold, SampleSize: s.N}}
	what, whatEn := "历年", "earlier periods"
	if kind == hub.OutlierPeer {
		what, whatEn = "同级地区", "peer regions"
		f.Kind = hub.FindingOutlierPeer
	}
	f.Message = fmt.Sprintf("%s 每万名未成年人 %.4g，%s中位数 %.4g，MAD %.4g，修正 z 分数 %.2f（阈值 %.1f）/ "+
		"%s per 10,000 minors %.4g; median of %s %.4g, MAD %.4g, modified z-score %.2f (threshold %.1f)",
		ind, s.Value, what, s.Median, s.MAD, s.Score, ZThreshold,
		ind, s.Value, whatEn, s.Median, s.MAD, s.Score, ZThreshold)
	return f
}
