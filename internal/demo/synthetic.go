package demo

import (
	"fmt"
	"hash/fnv"
	"math"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
)

// The synthetic part of the demo. Every generated region and value is
// marked: regions with synthetic = true and "（模拟）" in the name, values
// with source "synthetic" and a comment. They exist so that comparisons and
// trends have something to show; none replaces a seed figure.

// Years the synthetic values cover.
const (
	FirstYear = 2019
	LastYear  = 2023
)

// SyntheticComment marks every generated value.
const SyntheticComment = "模拟数据，非真实统计 / synthetic demo value, not a real figure"

// minorsBase is a plausible number of minors of the counties the seed has
// none for.
var minorsBase = map[string]float64{
	"370702": 96000, "370703": 78000, "370725": 112000, "370782": 205000, "370783": 215000,
	"370784": 176000, "370785": 148000,
}

// townCount is how many synthetic towns each county gets.
func townCount(county string) int { return 6 + int(noise("towns", county, 0)*7) }

// noise returns a deterministic number in [0, 1) for its arguments.
func noise(parts ...any) float64 {
	h := fnv.New64a()
	fmt.Fprint(h, parts...)
	return float64(h.Sum64()%1_000_000) / 1_000_000
}

// enteredIn returns the regions values of ind are entered for: none for a
// derived indicator, the towns for a town-level one, else the counties.
func enteredIn(ind *hub.Indicator, counties, towns []*hub.Region) []*hub.Region {
	switch {
	case ind.Formula != nil:
		return nil
	case ind.CollectionLevel == hub.LevelTown:
		return towns
	}
	return counties
}

// Towns returns the synthetic towns below the counties.
func Towns(counties []*hub.Region) []*hub.Region {
	var out []*hub.Region
	for _, c := range counties {
		if c.Level != hub.LevelCounty {
			continue
		}
		for i := 1; i <= townCount(c.Code); i++ {
			en := fmt.Sprintf("%s town %d (synthetic)", deref(c.NameEn), i)
			parent := c.Code
			out = append(out, &hub.Region{
				Code: fmt.Sprintf("%s%03d", c.Code, i), ParentCode: &parent, Level: hub.LevelTown,
				Name: fmt.Sprintf("%s第%d镇街（模拟）", c.Name, i), NameEn: &en, Synthetic: true,
			})
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// synth generates values around the seed figures.
type synth struct {
	indicators []*hub.Indicator
	counties   []*hub.Region
	towns      []*hub.Region
	seeded     map[[3]string]bool
	// perTenK is the seed's average value per 10,000 minors of an
	// indicator; level its average for percents and standards.
	perTenK map[string]float64
	level   map[string]float64
	minors  map[string]float64 // county → minors in 2022
}

func newSynth(indicators []*hub.Indicator, regions, towns []*hub.Region, figures []Figure) *synth {
	s := &synth{indicators: indicators, towns: towns, seeded: map[[3]string]bool{},
		perTenK: map[string]float64{}, level: map[string]float64{}, minors: map[string]float64{}}
	for _, r := range regions {
		if r.Level == hub.LevelCounty {
			s.counties = append(s.counties, r)
			s.minors[r.Code] = minorsBase[r.Code]
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

// value returns the synthetic value of an indicator for a region and year.
func (s *synth) value(ind *hub.Indicator, region string, minors float64, year int) float64 {
	n := noise(ind.Key, region, year)
	growth := 1 + 0.06*float64(year-2022)
	switch {
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

// values returns every synthetic value: each county-level indicator for
// each county and year, town-level ones for each town, skipping the keys
// the seed has. Yearly indicators only: the monthly ones are the visit
// platform's, which sends them itself (docs/intake.md).
func (s *synth) values() []hub.ValueRecord {
	comment := SyntheticComment
	var out []hub.ValueRecord
	for _, ind := range s.indicators {
		if ind.PeriodType != hub.Year {
			continue // the synthetic history is yearly; monthly intake comes from its platform
		}
		regions := enteredIn(ind, s.counties, s.towns)
		for _, r := range regions {
			minors := s.minors[r.Code]
			if r.Level == hub.LevelTown {
				minors = s.minors[*r.ParentCode] / float64(townCount(*r.ParentCode))
			}
			for year := FirstYear; year <= LastYear; year++ {
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
