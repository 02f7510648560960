package analytics

import (
	"math"
	"sort"

	"github.com/sixprot/hub/internal/hub"
)

// profileProtections are the protections a profile scores.
var profileProtections = []hub.Protection{hub.Family, hub.School, hub.Society, hub.Online, hub.Government, hub.Judicial}

// ProfileInput is what a protection profile reads.
type ProfileInput struct {
	// Regions are the codes asked for, in the order of the answer.
	Regions []string
	Period  string
	// Indicators is the whole catalogue.
	Indicators []*hub.Indicator
	// Asked are the regions of Regions that exist.
	Asked []*hub.Region
	// Peers are the regions at the level of, and under the parent of, any
	// of Regions: the regions a profile is scaled across.
	Peers []*hub.Region
	// Rollups are the peers' rollups for WithYears(Period).
	Rollups []Rollup
	// Quartiles are, for each asked region whose peers lie outside the
	// caller's scope, the distribution of its peers' normalised values per
	// indicator (hub_peer_quartiles: over at least 5 peers, no value of
	// its own); such a region is scored against them (QuartileScore), not
	// min–max across peers it cannot read. A row with no Indicator marks
	// the region when no indicator has enough peers.
	Quartiles []PeerQuartiles
}

// PeerQuartiles is the distribution of one indicator's values across a
// region's peers: how many have one, and their quartiles.
type PeerQuartiles struct {
	Region, Indicator string
	Peers             int
	Q1, Median, Q3    float64
}

// Profile scores each region 0–100 on the six protections against its
// peers (docs/analytics.md): every indicator other than the base figures
// and derived ones is normalised (Normalised), scaled across the peers
// (ScaleScores; on the negated values when lower is better, so the fewest
// score 100), and a protection's score is the mean of its indicators'
// (MeanScore).
func Profile(in ProfileInput) ([]*hub.ProtectionProfile, error) {
	byCode := map[string]*hub.Region{}
	for _, r := range in.Asked {
		byCode[r.Code] = r
	}
	for _, c := range in.Regions {
		if byCode[c] == nil {
			return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", c, c)
		}
	}
	bk, err := NewBook(in.Indicators, in.Rollups)
	if err != nil {
		return nil, err
	}
	type group struct{ parent, level string }
	groupOf := func(r *hub.Region) group {
		g := group{level: string(r.Level)}
		if r.ParentCode != nil {
			g.parent = *r.ParentCode
		}
		return g
	}
	members := map[group][]string{}
	for _, r := range in.Peers {
		members[groupOf(r)] = append(members[groupOf(r)], r.Code)
	}
	inds := append([]*hub.Indicator{}, in.Indicators...)
	sort.Slice(inds, func(i, j int) bool { return inds[i].Key < inds[j].Key })
	scaled := map[string]map[hub.Protection][]*float64{} // region → protection → scaled indicator values
	for _, codes := range members {
		for _, ind := range inds {
			if ind.Formula != nil || ind.Protection == hub.Base {
				continue
			}
			vals := make([]*float64, len(codes))
			for i, c := range codes {
				vals[i] = bk.Normalised(ind, c, in.Period)
			}
			if ind.LowerIsBetter {
				// scaled on the negated values: the fewest score 100, and
				// peers that are all equal still score 100 each
				for i, v := range vals {
					if v != nil {
						neg := -*v
						vals[i] = &neg
					}
				}
			}
			for i, sc := range ScaleScores(vals) {
				if scaled[codes[i]] == nil {
					scaled[codes[i]] = map[hub.Protection][]*float64{}
				}
				scaled[codes[i]][ind.Protection] = append(scaled[codes[i]][ind.Protection], sc)
			}
		}
	}
	// Regions scored against their peers' quartiles: their own value
	// placed in the distribution, since the peers' values are not theirs
	// to read.
	quart := map[string]map[string]PeerQuartiles{}
	for _, q := range in.Quartiles {
		if quart[q.Region] == nil {
			quart[q.Region] = map[string]PeerQuartiles{}
		}
		if q.Indicator != "" {
			quart[q.Region][q.Indicator] = q
		}
	}
	for c, qs := range quart {
		scaled[c] = map[hub.Protection][]*float64{}
		for _, ind := range inds {
			q, ok := qs[ind.Key]
			if !ok || ind.Formula != nil || ind.Protection == hub.Base {
				continue
			}
			v := bk.Normalised(ind, c, in.Period)
			if v == nil {
				continue
			}
			sc := QuartileScore(*v, q.Q1, q.Median, q.Q3)
			if ind.LowerIsBetter {
				sc = QuartileScore(-*v, -q.Q3, -q.Median, -q.Q1)
			}
			scaled[c][ind.Protection] = append(scaled[c][ind.Protection], &sc)
		}
	}
	out := make([]*hub.ProtectionProfile, len(in.Regions))
	for i, c := range in.Regions {
		pr := &hub.ProtectionProfile{RegionCode: c, Basis: hub.PeersBasis}
		if _, ok := quart[c]; ok {
			pr.Basis = hub.PeerQuartilesBasis
		}
		for _, prot := range profileProtections {
			score, used := MeanScore(scaled[c][prot])
			pr.Scores = append(pr.Scores, hub.ProtectionScore{Protection: prot, Score: score, IndicatorsUsed: used})
		}
		out[i] = pr
	}
	return out, nil
}

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

// QuartileScore places v in a distribution known only by its quartiles:
// 25 at the lower quartile, 50 at the median, 75 at the upper quartile,
// linear between them and on beyond each end with the slope of the nearest
// half (so the interquartile spread sets the scale), clamped to 0–100. A
// value equal to the median scores 50; with all three quartiles equal, a
// value below scores 0 and above 100.
func QuartileScore(v, q1, median, q3 float64) float64 {
	clamp := func(x float64) float64 { return math.Max(0, math.Min(100, x)) }
	switch {
	case v == median:
		return 50
	case v < median:
		if v >= q1 && median > q1 {
			return 25 + 25*(v-q1)/(median-q1)
		}
		if median > q1 {
			return clamp(25 - 25*(q1-v)/(median-q1))
		}
		if q3 > q1 { // q1 = median: the slope of the upper half
			return clamp(50 - 25*(median-v)/(q3-median))
		}
		return 0
	default:
		if v <= q3 && q3 > median {
			return 50 + 25*(v-median)/(q3-median)
		}
		if q3 > median {
			return clamp(75 + 25*(v-q3)/(q3-median))
		}
		if median > q1 { // median = q3: the slope of the lower half
			return clamp(50 + 25*(v-median)/(median-q1))
		}
		return 100
	}
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
