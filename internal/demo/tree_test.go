package demo_test

import (
	"math"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/demo"
	"github.com/sixprot/hub/internal/hub"
)

// TestDemo_RealTreeOfWeifang pins the real administrative tree the demo
// loads: 13 county-level units (with 370772), 122 towns and streets, 7,060
// villages and residents' committees, 青州市's 13 towns and 1,080 villages,
// and no invented region.
func TestDemo_RealTreeOfWeifang(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	var levels struct {
		Counties []struct {
			Code         string `json:"code"`
			Name         string `json:"name"`
			Synthetic    bool   `json:"synthetic"`
			TownCount    int    `json:"townCount"`
			VillageCount int    `json:"villageCount"`
		} `json:"counties"`
		Towns    []struct{ Synthetic bool } `json:"towns"`
		Villages []struct{ Synthetic bool } `json:"villages"`
		City     []struct {
			TownCount    int `json:"townCount"`
			VillageCount int `json:"villageCount"`
		} `json:"city"`
	}
	api.Query(t, token, `{
  counties: regions(level: COUNTY) { code name synthetic townCount villageCount }
  towns: regions(level: TOWN) { synthetic }
  villages: regions(level: VILLAGE) { synthetic }
  city: regions(level: CITY) { townCount villageCount }
}`, nil, &levels)
	if len(levels.Counties) != 13 || len(levels.Towns) != 122 || len(levels.Villages) != 7060 {
		t.Fatalf("%d counties, %d towns, %d villages; want 13, 122, 7060", len(levels.Counties), len(levels.Towns), len(levels.Villages))
	}
	if len(levels.City) != 1 || levels.City[0].TownCount != 122 || levels.City[0].VillageCount != 7060 {
		t.Errorf("city counts %+v, want 122 towns and 7060 villages", levels.City)
	}
	seen := map[string]bool{}
	for _, c := range levels.Counties {
		seen[c.Code] = true
		if c.Synthetic {
			t.Errorf("%s %s is marked synthetic", c.Code, c.Name)
		}
		if c.Code == "370781" && (c.Name != "青州市" || c.TownCount != 13 || c.VillageCount != 1080) {
			t.Errorf("青州市: %+v, want 13 towns and 1080 villages", c)
		}
	}
	if !seen["370772"] {
		t.Error("潍坊滨海经济技术开发区 (370772) is missing")
	}
	for _, r := range append(levels.Towns, levels.Villages...) {
		if r.Synthetic {
			t.Fatal("a real town or village is marked synthetic")
		}
	}
}

// TestDemo_ChildDirectorCoverageFromTheTree computes coverage from the
// tree: 青州市's 1,080 child directors (seed) for its 1,080 villages are
// 100 %, and the demo's coverage rule warns about 昌邑市's 690 for 709.
func TestDemo_ChildDirectorCoverageFromTheTree(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	var cmp struct {
		Comparison []struct {
			Region struct{ Code string } `json:"region"`
			Value  *float64              `json:"value"`
		} `json:"comparison"`
	}
	api.Query(t, token, `{ comparison(indicator: "child_director_coverage", period: "2022") { region { code } value } }`, nil, &cmp)
	got := map[string]*float64{}
	for _, r := range cmp.Comparison {
		got[r.Region.Code] = r.Value
	}
	want := map[string]float64{"370781": 100, "370784": 100, "370786": 690.0 / 709 * 100}
	for code, w := range want {
		if v := got[code]; v == nil || math.Abs(*v-w) > 1e-9 {
			t.Errorf("coverage of %s = %v, want %v", code, v, w)
		}
	}
	var rep struct {
		ValidationReport []struct {
			Rule   *string               `json:"rule"`
			Region struct{ Code string } `json:"region"`
			Left   *float64              `json:"left"`
			Right  *float64              `json:"right"`
		} `json:"validationReport"`
	}
	api.Query(t, token, `{ validationReport(period: "2022") { rule region { code } left right } }`, nil, &rep)
	var flagged []string
	for _, f := range rep.ValidationReport {
		if f.Rule != nil && *f.Rule == "child_directors_cover_villages" {
			flagged = append(flagged, f.Region.Code)
			if f.Region.Code == "370786" && (*f.Left != 690 || *f.Right != 709) {
				t.Errorf("昌邑市 finding %v < %v, want 690 < 709", *f.Left, *f.Right)
			}
		}
	}
	if len(flagged) != 1 || flagged[0] != "370786" {
		t.Errorf("coverage rule flagged %v in 2022, want only 370786", flagged)
	}
}

// TestDemo_VillageIndicatorRollsUpToTheCity sums the synthetic village
// values of children_homes (a VILLAGE-level indicator) and finds the sum
// at their town, their county and the city.
func TestDemo_VillageIndicatorRollsUpToTheCity(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "admin", Role: hub.Admin, Region: "370700"})
	var sums struct{ City, County, Town float64 }
	err := api.DB.OwnerConn(t).QueryRow(t.Context(), `SELECT sum(value), sum(value) FILTER (WHERE region_code LIKE '370781%'),
  sum(value) FILTER (WHERE region_code LIKE '370781001%')
FROM data_values WHERE indicator_key = 'children_homes' AND period = '2022' AND is_released`).Scan(&sums.City, &sums.County, &sums.Town)
	if err != nil {
		t.Fatal(err)
	}
	if sums.Town == 0 || sums.City < 5000 {
		t.Fatalf("implausible village sums %+v", sums)
	}
	var tr struct {
		Trend []struct {
			Region struct{ Code string } `json:"region"`
			Points []struct {
				Value     *float64 `json:"value"`
				Qualifier *string  `json:"qualifier"`
			} `json:"points"`
		} `json:"trend"`
	}
	api.Query(t, token, `{ trend(indicator: "children_homes", regions: ["370700", "370781", "370781001"], from: "2022", to: "2022") {
  region { code } points { value qualifier } } }`, nil, &tr)
	want := map[string]float64{"370700": sums.City, "370781": sums.County, "370781001": sums.Town}
	for _, s := range tr.Trend {
		if len(s.Points) != 1 || s.Points[0].Value == nil || *s.Points[0].Value != want[s.Region.Code] {
			t.Errorf("%s: %+v, want %v", s.Region.Code, s.Points, want[s.Region.Code])
		}
		if s.Points[0].Qualifier == nil || *s.Points[0].Qualifier != "EXACT" {
			t.Errorf("%s: qualifier %v, want EXACT (every village reported)", s.Region.Code, s.Points[0].Qualifier)
		}
	}
	if len(tr.Trend) != 3 {
		t.Errorf("%d series, want 3", len(tr.Trend))
	}
}

// TestRegions_FileMatchesRegionNames checks the English names file
// against the divisions file (Regions refuses a mismatch).
func TestRegions_FileMatchesRegionNames(t *testing.T) {
	rs, err := demo.Regions()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1+13+122+7060 {
		t.Errorf("%d regions, want 7196", len(rs))
	}
	for _, r := range rs {
		if r.Level == hub.LevelCounty && r.NameEn == nil {
			t.Errorf("%s %s has no English name", r.Code, r.Name)
		}
	}
}
