package demo

import (
	"context"
	"fmt"
	"iter"
	"math"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// The province-scale data set, for benchmarks and load tests: a synthetic
// province with 16 cities, about 150 counties, 2,000 towns and 120,000
// villages and residents' committees, the demo catalogue plus generated
// indicators across the six protections (about 300 in all), monthly values
// over five years: more than 10 million values. Each town has the
// villages of one of Weifang's real towns (picked by its position): as
// many, with the same 12-digit code suffixes (001–199 residents'
// committees 社区, 200–499 villages 村), so counts per town and codes look
// like the statistics bureau's. Only the village-level indicators (the
// catalogue's children_homes) get village values: about 600,000, yearly. Everything is generated from the region's and indicator's
// position, so two runs produce the same rows. Every region and value is
// marked synthetic, like the city demo's generated part.

// ProvinceCode is the root of the province data set.
const ProvinceCode = "370000"

// Province sizes and time span.
const (
	provinceCities     = 16
	ProvinceFirstYear  = 2020
	ProvinceLastYear   = 2024
	provinceGenerated  = 227 // generated indicators; with the demo's 73 about 300
	provinceTownShare  = 33  // percent of generated indicators collected per town
	provinceReturnNote = "模拟退回：请核实口径 / synthetic return: please check the definition"
)

// ProvinceStore is what the province loader writes to; internal/postgres
// implements it on the owner's connection.
type ProvinceStore interface {
	ImportRegions(ctx context.Context, regions []*hub.Region, channel string) (*hub.RegionImport, error)
	UpsertDepartments(ctx context.Context, ds []*hub.Department) error
	UpsertIndicators(ctx context.Context, is []*hub.Indicator) error
	UpsertShares(ctx context.Context, shares []*hub.Share) error
	// CountValues returns how many value rows the database holds.
	CountValues(ctx context.Context) (int64, error)
	// CopyValues streams values with COPY and returns how many it wrote;
	// progress is called every so many rows.
	CopyValues(ctx context.Context, channel string, values iter.Seq[hub.ValueRecord], progress func(n int64)) (int64, error)
	// RebuildMissingRollups computes the rollups of every indicator that
	// has none (the copy bypasses the triggers that maintain them), one
	// indicator at a time, so that a later call resumes an interrupted one.
	RebuildMissingRollups(ctx context.Context, progress func(done, total int)) error
}

// LoadProgress receives a province load's progress: values copied, then
// indicators whose rollups are rebuilt. Either may be nil.
type LoadProgress struct {
	Values  func(done, total int64)
	Rollups func(done, total int)
}

// ProvinceSummary says what a province load did.
type ProvinceSummary struct {
	Regions, Counties, Towns, Villages, Indicators, Shares int
	// Values is how many values the data set has; Copied how many this
	// run wrote (0 when the database already held them).
	Values, Copied int64
	// RollupsRebuilt is how many indicators had their rollups rebuilt
	// (those that had none).
	RollupsRebuilt int
}

// province is the generated data set.
type province struct {
	regions    []*hub.Region
	counties   []*hub.Region
	towns      []*hub.Region
	villages   []*hub.Region
	townsOf    map[string]int // county → number of towns
	villagesOf map[string]int // town and county → number of villages
	minors     map[string]float64
	indicators []*hub.Indicator
	periods    map[hub.PeriodType][]string
}

// mix returns a deterministic number in [0, 1) for its integer arguments
// (splitmix64): fast enough for ten million values, unlike hashing text.
func mix(xs ...uint64) float64 {
	h := uint64(0x9e3779b97f4a7c15)
	for _, x := range xs {
		h ^= x + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		h ^= h >> 30
		h *= 0xbf58476d1ce4e5b9
		h ^= h >> 27
		h *= 0x94d049bb133111eb
		h ^= h >> 31
	}
	return float64(h>>11) / (1 << 53)
}

var protections = []hub.Protection{"FAMILY", "SCHOOL", "SOCIETY", "ONLINE", "GOVERNMENT", "JUDICIAL"}

var protectionNames = map[hub.Protection]string{
	"FAMILY": "家庭保护", "SCHOOL": "学校保护", "SOCIETY": "社会保护",
	"ONLINE": "网络保护", "GOVERNMENT": "政府保护", "JUDICIAL": "司法保护",
}

// protectionDepartments are the departments that report each protection.
var protectionDepartments = map[hub.Protection][]string{
	"FAMILY":     {"womens_federation", "civil_affairs"},
	"SCHOOL":     {"education", "health"},
	"SOCIETY":    {"youth_league", "culture_tourism", "market_regulation", "disabled_federation"},
	"ONLINE":     {"cyberspace", "public_security"},
	"GOVERNMENT": {"civil_affairs", "health", "publicity"},
	"JUDICIAL":   {"court", "procuratorate", "justice", "public_security"},
}

// provinceShape is how big a generated province is: the full one for
// benchmarks, a small one for tests of its shape.
type provinceShape struct {
	cities, generated int
}

var fullProvince = provinceShape{cities: provinceCities, generated: provinceGenerated}

func newProvince() (*province, error) { return generateProvince(fullProvince) }

// realTowns returns, for each of Weifang's real towns in file order, the
// last three digits of its villages' codes.
func realTowns() ([][]int, error) {
	tree, err := Regions()
	if err != nil {
		return nil, err
	}
	at := map[string]int{}
	var out [][]int
	for _, r := range tree {
		switch r.Level {
		case hub.LevelTown:
			at[r.Code] = len(out)
			out = append(out, nil)
		case hub.LevelVillage:
			i, ok := at[*r.ParentCode]
			if !ok || len(r.Code) != 12 {
				return nil, fmt.Errorf("%s: village %s is not under a town", Divisions, r.Code)
			}
			var suffix int
			fmt.Sscanf(r.Code[9:], "%03d", &suffix)
			out[i] = append(out[i], suffix)
		}
	}
	return out, nil
}

func generateProvince(shape provinceShape) (*province, error) {
	inds, err := Indicators()
	if err != nil {
		return nil, err
	}
	real, err := realTowns()
	if err != nil {
		return nil, err
	}
	p := &province{townsOf: map[string]int{}, villagesOf: map[string]int{}, minors: map[string]float64{}}
	en := func(s string) *string { return &s }
	root := &hub.Region{Code: ProvinceCode, Level: hub.LevelProvince, Name: "模拟省（模拟）",
		NameEn: en("Synthetic province"), Synthetic: true}
	p.regions = append(p.regions, root)
	for c := 1; c <= shape.cities; c++ {
		parent := ProvinceCode
		city := &hub.Region{Code: fmt.Sprintf("37%02d00", c), ParentCode: &parent, Level: hub.LevelCity,
			Name: fmt.Sprintf("第%d市（模拟）", c), NameEn: en(fmt.Sprintf("City %d (synthetic)", c)), Synthetic: true}
		p.regions = append(p.regions, city)
		// 6 to 13 counties a city: 150 or so in all.
		nCounties := 6 + int(mix(1, uint64(c))*8)
		for k := 1; k <= nCounties; k++ {
			cityCode := city.Code
			county := &hub.Region{Code: fmt.Sprintf("37%02d%02d", c, k), ParentCode: &cityCode, Level: hub.LevelCounty,
				Name: fmt.Sprintf("第%d市第%d县区（模拟）", c, k), NameEn: en(fmt.Sprintf("County %d-%d (synthetic)", c, k)), Synthetic: true}
			p.regions = append(p.regions, county)
			p.counties = append(p.counties, county)
			p.minors[county.Code] = math.Round(60000 + mix(2, uint64(c), uint64(k))*190000)
			// 9 to 17 towns a county: 2,000 or so in all.
			nTowns := 9 + int(mix(3, uint64(c), uint64(k))*9)
			p.townsOf[county.Code] = nTowns
			for t := 1; t <= nTowns; t++ {
				countyCode := county.Code
				town := &hub.Region{Code: fmt.Sprintf("%s%03d", county.Code, t), ParentCode: &countyCode,
					Level: hub.LevelTown, Name: fmt.Sprintf("%s第%d镇街", strings.TrimSuffix(county.Name, "（模拟）"), t) + "（模拟）",
					NameEn: en(fmt.Sprintf("Town %d-%d-%d (synthetic)", c, k, t)), Synthetic: true}
				p.towns = append(p.towns, town)
				// the villages of a real town: as many, same code suffixes
				model := real[int(mix(4, uint64(c), uint64(k), uint64(t))*float64(len(real)))]
				p.villagesOf[town.Code] = len(model)
				p.villagesOf[county.Code] += len(model)
				townName := strings.TrimSuffix(town.Name, "（模拟）")
				for _, suffix := range model {
					townCode := town.Code
					kind, kindEn := "村", "village"
					if suffix < 200 {
						kind, kindEn = "社区", "community"
					}
					p.villages = append(p.villages, &hub.Region{Code: fmt.Sprintf("%s%03d", town.Code, suffix), ParentCode: &townCode,
						Level: hub.LevelVillage, Name: fmt.Sprintf("%s第%03d%s（模拟）", townName, suffix, kind),
						NameEn: en(fmt.Sprintf("%s %d-%d-%d-%03d (synthetic)", kindEn, c, k, t, suffix)), Synthetic: true})
				}
			}
		}
	}
	p.regions = append(p.regions, p.towns...)
	p.regions = append(p.regions, p.villages...)

	p.indicators = append(p.indicators, inds...)
	for i := 0; i < shape.generated; i++ {
		pr := protections[i%len(protections)]
		depts := protectionDepartments[pr]
		ind := &hub.Indicator{
			Key:            fmt.Sprintf("gen_%s_%03d", strings.ToLower(string(pr)), i),
			Name:           fmt.Sprintf("模拟指标：%s第%d项", protectionNames[pr], i/len(protections)+1),
			NameEn:         en(fmt.Sprintf("Synthetic %s indicator %d", strings.ToLower(string(pr)), i/len(protections)+1)),
			Protection:     pr,
			DepartmentCode: depts[int(mix(10, uint64(i))*float64(len(depts)))],
			PeriodType:     hub.PeriodType("MONTH"),
			Publicity:      mix(11, uint64(i)) < 0.15,
			Sensitive:      mix(12, uint64(i)) < 0.12,
		}
		ind.CollectionLevel = hub.LevelCounty
		if mix(13, uint64(i))*100 < provinceTownShare {
			ind.CollectionLevel = hub.LevelTown
		}
		switch r := mix(14, uint64(i)); {
		case r < 0.70:
			ind.ValueType, ind.Aggregation, ind.Unit = "COUNT", "SUM", "persons"
		case r < 0.80:
			ind.ValueType, ind.Aggregation, ind.Unit = "AMOUNT", "SUM", "yuan"
		case r < 0.92:
			ind.ValueType, ind.Aggregation, ind.Unit = "PERCENT", "AVERAGE", "percent"
		default:
			ind.ValueType, ind.Aggregation, ind.Unit = "RATE", "AVERAGE", "per_10k_minors"
		}
		p.indicators = append(p.indicators, ind)
	}

	p.periods = map[hub.PeriodType][]string{}
	for y := ProvinceFirstYear; y <= ProvinceLastYear; y++ {
		p.periods["YEAR"] = append(p.periods["YEAR"], fmt.Sprint(y))
		for q := 1; q <= 4; q++ {
			p.periods["QUARTER"] = append(p.periods["QUARTER"], fmt.Sprintf("%dQ%d", y, q))
		}
		for m := 1; m <= 12; m++ {
			p.periods["MONTH"] = append(p.periods["MONTH"], fmt.Sprintf("%d-%02d", y, m))
		}
	}
	return p, nil
}

// size returns how many values the data set has.
func (p *province) size() int64 {
	var n int64
	for _, ind := range p.indicators {
		if ind.Formula != nil {
			continue
		}
		n += int64(len(p.enteredIn(ind)) * len(p.periods[ind.PeriodType]))
	}
	return n
}

// shares are the sharing agreements: civil affairs shares the base figures
// with every department; education and the court share everything with
// civil affairs; a few single indicators are shared between departments.
func (p *province) shares() []*hub.Share {
	depts := map[string]bool{}
	for _, ind := range p.indicators {
		depts[ind.DepartmentCode] = true
	}
	var out []*hub.Share
	for _, g := range sortedKeys(depts) {
		if g == "civil_affairs" {
			continue
		}
		for _, k := range []string{hub.MinorsKey, "population_total"} {
			k := k
			out = append(out, &hub.Share{Owner: "civil_affairs", Grantee: g, Indicator: &k, CreatedBy: "province"})
		}
	}
	out = append(out,
		&hub.Share{Owner: "education", Grantee: "civil_affairs", CreatedBy: "province"},
		&hub.Share{Owner: "court", Grantee: "civil_affairs", CreatedBy: "province"})
	names := sortedKeys(depts)
	for i, ind := range p.indicators {
		if mix(20, uint64(i)) < 0.1 {
			g := names[int(mix(21, uint64(i))*float64(len(names)))]
			if g != ind.DepartmentCode {
				k := ind.Key
				out = append(out, &hub.Share{Owner: ind.DepartmentCode, Grantee: g, Indicator: &k, CreatedBy: "province"})
			}
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// values yields every value in the order of the table's unique keys
// (indicator, period, region), which keeps index inserts sequential.
func (p *province) values() iter.Seq[hub.ValueRecord] {
	comment := SyntheticComment
	reason := provinceReturnNote
	return func(yield func(hub.ValueRecord) bool) {
		v := new(float64)
		for ii, ind := range p.indicators {
			regions := p.enteredIn(ind)
			if len(regions) == 0 {
				continue
			}
			periods := p.periods[ind.PeriodType]
			perYear := float64(len(periods)) / float64(ProvinceLastYear-ProvinceFirstYear+1)
			rate := 5 + mix(30, uint64(ii))*60 // per 10,000 minors a year
			level := 40 + mix(31, uint64(ii))*55
			for pi, period := range periods {
				year := ProvinceFirstYear + pi/int(perYear)
				latest := year == ProvinceLastYear
				for ri, r := range regions {
					n := mix(uint64(ii), uint64(pi), uint64(ri))
					*v = p.value(ind, r, rate, level, perYear, year, n)
					rec := hub.ValueRecord{Indicator: ind.Key, Region: r.Code, Period: period, Value: v,
						Qualifier: hub.Exact, Comment: &comment, Source: "synthetic"}
					switch s := mix(40, uint64(ii), uint64(ri), uint64(pi)); {
					case !latest && ind.Publicity:
						rec.Status = hub.Published
					case !latest || s < 0.55:
						rec.Status = hub.Approved
					case s < 0.75:
						rec.Status = hub.Submitted
					case s < 0.95:
						rec.Status = hub.Draft
					default:
						rec.Status, rec.StatusReason = hub.Returned, &reason
					}
					if n < 0.03 {
						rec.Qualifier = hub.Approx
					} else if n > 0.98 {
						rec.Qualifier = hub.AtLeast
					}
					if !yield(rec) {
						return
					}
				}
			}
		}
	}
}

// regionMinors is a region's minors: a county's own, a town's equal part
// of its county's, a village's equal part of its town's.
func (p *province) regionMinors(r *hub.Region) float64 {
	switch r.Level {
	case hub.LevelTown:
		return p.minors[*r.ParentCode] / float64(p.townsOf[*r.ParentCode])
	case hub.LevelVillage:
		town := *r.ParentCode
		county := town[:6]
		return p.minors[county] / float64(p.townsOf[county]) / float64(p.villagesOf[town])
	}
	return p.minors[r.Code]
}

// value is the synthetic figure of an indicator for a region in a period
// of year; n is the value's noise in [0, 1).
func (p *province) value(ind *hub.Indicator, r *hub.Region, rate, level, perYear float64, year int, n float64) float64 {
	growth := 1 + 0.05*float64(year-ProvinceFirstYear)
	minors := p.regionMinors(r)
	switch {
	case ind.Key == "children_homes":
		// a village has one or not yet, more of them every year
		if n < 0.75+0.05*float64(year-ProvinceFirstYear) {
			return 1
		}
		return 0
	case ind.Key == "child_directors" && r.Level == hub.LevelCounty:
		// one per village, coverage rising to (nearly) every village
		cover := math.Min(1, 0.85+0.04*float64(year-ProvinceFirstYear)+0.06*n)
		return math.Round(cover * float64(p.villagesOf[r.Code]))
	case ind.Key == hub.MinorsKey:
		return math.Round(minors * (1 - 0.01*float64(year-ProvinceFirstYear)))
	case ind.Key == "population_total":
		return math.Round(minors / 0.2)
	case ind.ValueType == hub.Percent:
		return math.Min(100, math.Round(level*(0.85+0.3*n)*10)/10)
	case ind.ValueType == "RATE" || ind.Aggregation == hub.Average || ind.Aggregation == hub.None:
		return math.Round(level*(0.7+0.6*n)*10) / 10
	default:
		return math.Max(0, math.Round(rate*minors/10000/perYear*(0.6+0.8*n)*growth))
	}
}

// LoadProvince writes the province data set. Values are copied only into
// a database that has none; a database that holds the province already
// keeps its values and gets the rollups it lacks (a load interrupted while
// rebuilding them resumes), and one that holds other values is refused.
func LoadProvince(ctx context.Context, st ProvinceStore, progress LoadProgress) (*ProvinceSummary, error) {
	p, err := newProvince()
	if err != nil {
		return nil, err
	}
	depts, err := Departments()
	if err != nil {
		return nil, err
	}
	sum := &ProvinceSummary{Regions: len(p.regions), Counties: len(p.counties), Towns: len(p.towns), Villages: len(p.villages),
		Indicators: len(p.indicators), Values: p.size()}
	existing, err := st.CountValues(ctx)
	if err != nil {
		return nil, err
	}
	if existing > 0 && existing != sum.Values {
		return nil, hub.Errorf(hub.ECONFLICT, "数据库已有 %d 条其他数据，请使用新的数据库 / the database holds %d other values: use a fresh database for the province", existing, existing)
	}
	if _, err := st.ImportRegions(ctx, p.regions, "demo:province"); err != nil {
		return nil, err
	}
	if err := st.UpsertDepartments(ctx, depts); err != nil {
		return nil, err
	}
	if err := st.UpsertIndicators(ctx, p.indicators); err != nil {
		return nil, err
	}
	shares := p.shares()
	sum.Shares = len(shares)
	if err := st.UpsertShares(ctx, shares); err != nil {
		return nil, err
	}
	if existing == 0 {
		sum.Copied, err = st.CopyValues(ctx, "demo:province", p.values(), func(n int64) {
			if progress.Values != nil {
				progress.Values(n, sum.Values)
			}
		})
		if err != nil {
			return nil, fmt.Errorf("copy province values: %w", err)
		}
	}
	if err := st.RebuildMissingRollups(ctx, func(done, total int) {
		sum.RollupsRebuilt = done
		if progress.Rollups != nil {
			progress.Rollups(done, total)
		}
	}); err != nil {
		return nil, fmt.Errorf("province rollups: %w", err)
	}
	return sum, nil
}

// enteredIn returns the regions values of ind are entered for in the
// province: none for a derived indicator, else the regions of its
// collection level (villages only for village-level indicators).
func (p *province) enteredIn(ind *hub.Indicator) []*hub.Region {
	switch {
	case ind.Formula != nil:
		return nil
	case ind.CollectionLevel == hub.LevelVillage:
		return p.villages
	case ind.CollectionLevel == hub.LevelTown:
		return p.towns
	}
	return p.counties
}
