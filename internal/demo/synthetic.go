package demo

import (
	"fmt"
	"hash/fnv"
	"math"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
)

// The synthetic part of the demo. The regions are real (Weifang's
// statistical division codes); every generated value is marked, with
// source "synthetic" and a comment, wherever it is shown (GraphQL source,
// the dashboard, exports). They exist so that comparisons and trends have
// something to show; none replaces a seed figure.

// Years the synthetic values cover.
const (
	FirstYear = 2019
	LastYear  = 2023
)

// VillageFirstYear is the first year of synthetic village values: the
// villages' own reporting is new (and 7,060 villages a year are most of
// the demo's values), so they cover the last two years.
const VillageFirstYear = 2022

// SyntheticComment marks every generated value.
const SyntheticComment = "模拟数据，非真实统计 / synthetic demo value, not a real figure"

// minorsBase is a plausible number of minors of the counties the seed has
// none for.
var minorsBase = map[string]float64{
	"370702": 96000, "370703": 78000, "370725": 112000, "370772": 30000, "370782": 205000, "370783": 215000,
	"370784": 176000, "370785": 148000,
}

// noise returns a deterministic number in [0, 1) for its arguments.
func noise(parts ...any) float64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return float64(h.Sum64()%1_000_000) / 1_000_000
}

// synth generates values around the seed figures.
type synth struct {
	indicators []*hub.Indicator
	// regions by level; county of each town and village; towns and
	// villages per county
	byLevel  map[hub.RegionLevel][]*hub.Region
	countyOf map[string]string
	below    map[string]map[hub.RegionLevel]int
	seeded   map[[3]string]bool
	// perTenK is the seed's average value per 10,000 minors of an
	// indicator; level its average for percents and standards.
	perTenK map[string]float64
	level   map[string]float64
	minors  map[string]float64 // county → minors in 2022
}

func newSynth(indicators []*hub.Indicator, regions []*hub.Region, figures []Figure) *synth {
	s := &synth{indicators: indicators, byLevel: map[hub.RegionLevel][]*hub.Region{}, countyOf: map[string]string{},
		below: map[string]map[hub.RegionLevel]int{}, seeded: map[[3]string]bool{},
		perTenK: map[string]float64{}, level: map[string]float64{}, minors: map[string]float64{}}
	for _, r := range regions { // parents come before children in the tree file
		s.byLevel[r.Level] = append(s.byLevel[r.Level], r)
		switch r.Level {
		case hub.LevelCounty:
			s.countyOf[r.Code] = r.Code
			s.below[r.Code] = map[hub.RegionLevel]int{}
			s.minors[r.Code] = minorsBase[r.Code]
		case hub.LevelTown, hub.LevelVillage:
			c := s.countyOf[*r.ParentCode]
			s.countyOf[r.Code] = c
			s.below[c][r.Level]++
		}
	}
	for _, f := range figures {
		s.seeded[[3]string{f.Indicator, f.Region, f.Period}] = true
		if f.Indicator == hub.MinorsKey {
			s.minors[f.Region] = f.Value
		}
	}
	for code, m := range s.minors {
		if m == 0 {
			s.minors[code] = 90000 + noise("minors", code)*120000
		}
	}
	sums, counts := map[string]float64{}, map[string]float64{}
	for _, f := range figures {
		x, _ := analytics.PerTenThousand(f.Value, s.minors[f.Region]) // every county has minors (above)
		sums[f.Indicator] += x
		counts[f.Indicator]++
		s.level[f.Indicator] += f.Value
	}
	for k, n := range counts {
		s.perTenK[k] = sums[k] / n
		s.level[k] /= n
	}
	return s
}

// regionMinors is a region's share of its county's minors: a town's or
// village's equal part.
func (s *synth) regionMinors(r *hub.Region) float64 {
	c := s.countyOf[r.Code]
	if r.Level == hub.LevelCounty {
		return s.minors[c]
	}
	return s.minors[c] / float64(s.below[c][r.Level])
}

// value returns the synthetic value of an indicator for a region and year.
func (s *synth) value(ind *hub.Indicator, region string, minors float64, year int) float64 {
	n := noise(ind.Key, region, year)
	growth := 1 + 0.06*float64(year-2022)
	switch {
	case ind.Key == "child_directors" && region == s.countyOf[region]:
		// one per village, the coverage reached by 2022 (the seed's
		// 青州市 1,080 of 1,080, 安丘市 887 of 887)
		cover := math.Min(1, 0.88+0.04*float64(year-FirstYear)+0.04*n)
		return math.Round(cover * float64(s.below[region][hub.LevelVillage]))
	case ind.Key == "children_homes":
		// a village has one or not yet
		if n < 0.8+0.07*float64(year-VillageFirstYear) {
			return 1
		}
		return 0
	case ind.Key == hub.MinorsKey:
		return math.Round(minors * (1 - 0.01*float64(year-2022)))
	case ind.Key == "population_total":
		return math.Round(minors * (1 - 0.01*float64(year-2022)) / (0.18 + 0.04*noise("share", region)))
	case ind.Key == "minors_share":
		return math.Round((18+4*noise("share", region))*10) / 10
	case ind.ValueType == hub.Percent:
		base := s.level[ind.Key]
		if base == 0 {
			base = 80
		}
		return math.Min(100, math.Round((base*(0.8+0.2*n)+2*float64(year-2022))*10)/10)
	case ind.Aggregation == hub.None || ind.Aggregation == hub.Average:
		base := s.level[ind.Key]
		if base == 0 {
			base = 10
		}
		return math.Round(base * (0.85 + 0.3*n))
	default:
		rate := s.perTenK[ind.Key]
		if rate == 0 {
			rate = 20
		}
		return math.Max(0, math.Round(rate*minors/10000*(0.6+0.8*n)*growth))
	}
}

// status gives synthetic values a realistic workflow state: earlier years
// approved (publicity figures published), the latest year under way.
func status(ind *hub.Indicator, region string, year int) hub.Status {
	switch {
	case year < 2022 && ind.Publicity:
		return hub.Published
	case year <= 2022:
		return hub.Approved
	case noise("status", ind.Key, region) < 0.25:
		return hub.Draft
	default:
		return hub.Submitted
	}
}

// values returns every synthetic value: each indicator for each region
// of its collection level (county, town or village) and year, skipping
// the keys the seed has.
func (s *synth) values() []hub.ValueRecord {
	comment := SyntheticComment
	var out []hub.ValueRecord
	for _, ind := range s.indicators {
		if ind.Formula != nil || ind.PeriodType != hub.Year {
			continue // the synthetic history is yearly; monthly intake comes from its platform
		}
		for _, r := range s.byLevel[ind.CollectionLevel] {
			minors := s.regionMinors(r)
			first := FirstYear
			if r.Level == hub.LevelVillage {
				first = VillageFirstYear
			}
			for year := first; year <= LastYear; year++ {
				period := fmt.Sprint(year)
				if s.seeded[[3]string{ind.Key, r.Code, period}] {
					continue
				}
				v := s.value(ind, r.Code, minors, year)
				out = append(out, hub.ValueRecord{Indicator: ind.Key, Region: r.Code, Period: period, Value: &v,
					Qualifier: hub.Exact, Comment: &comment, Status: status(ind, r.Code, year), Source: "synthetic"})
			}
		}
	}
	return out
}
