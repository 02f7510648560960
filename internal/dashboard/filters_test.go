package dashboard_test

import (
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	periodOption    = regexp.MustCompile(`<option value="(\d{4})"( selected)?>([^<]*)</option>`)
	indicatorOption = regexp.MustCompile(`<option value="([a-z0-9_]+)" data-protection="([A-Z]+)"( selected| hidden)?>`)
	regionBox       = regexp.MustCompile(`<input type="checkbox" name="regions" value="(\d+)"( checked)?>`)
)

// The filter form offers what has data and says what the page shows: the
// periods with released figures (latest first and chosen by default, one
// asked for without figures kept and marked), the indicators tagged with
// their protection (those of other protections hidden, the shown one
// never), a checkbox per region ticked for the regions the radar and trend
// show, and an 应用 button for browsers without script.
func TestDashboard_FiltersOfferReleasedPeriodsAndNarrowIndicators(t *testing.T) {
	api, token := setup(t)
	page := func(target string) string {
		rec := get(t, api.Handler, token, target)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", target, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	periods := func(body string) (list []string, selected string) {
		for _, m := range periodOption.FindAllStringSubmatch(body, -1) {
			list = append(list, m[3])
			if m[2] != "" {
				selected = m[1]
			}
		}
		return list, selected
	}

	body := page("/dashboard")
	list, sel := periods(body)
	if strings.Join(list, ",") != "2022,2021,2020,2019" || sel != "2022" {
		t.Errorf("period list %v, selected %q; want 2022,2021,2020,2019 with 2022", list, sel)
	}
	if strings.Contains(body, `<input name="period"`) {
		t.Error("period is still a free text box")
	}
	// The 大屏 offers the same list.
	body = page("/dashboard/screen?indicator=child_directors")
	if list, sel = periods(body); strings.Join(list, ",") != "2022,2021,2020,2019" || sel != "2022" {
		t.Errorf("大屏 period list %v, selected %q; want 2022,2021,2020,2019 with 2022", list, sel)
	}
	if strings.Contains(body, `<input name="period"`) {
		t.Error("the 大屏's period is still a free text box")
	}
	list, sel = periods(page("/dashboard?period=2023"))
	if len(list) != 5 || list[0] != "2023（无已审核数据）" || sel != "2023" {
		t.Errorf("a period without released figures: list %v, selected %q", list, sel)
	}

	// Without a protection in the URL, the indicator's own is chosen.
	body = page("/dashboard?period=2021&indicator=hope_rooms")
	if !strings.Contains(body, `<option value="SOCIETY" selected>`) {
		t.Error("hope_rooms' protection (SOCIETY) is not chosen")
	}
	opts := indicatorOption.FindAllStringSubmatch(body, -1)
	if len(opts) < 20 {
		t.Fatalf("only %d indicator options", len(opts))
	}
	shown := 0
	for _, o := range opts {
		switch {
		case o[1] == "hope_rooms" && o[3] != " selected":
			t.Errorf("the shown indicator is not selected: %q", o[0])
		case o[1] != "hope_rooms" && (o[2] == "SOCIETY") == (o[3] == " hidden"):
			t.Errorf("option %q: hidden must mean another protection", o[0])
		case o[3] != " hidden":
			shown++
		}
	}
	if shown < 2 || shown == len(opts) {
		t.Errorf("%d of %d indicators shown for SOCIETY", shown, len(opts))
	}
	// A protection chosen in the URL stands, and the shown indicator stays
	// visible under it.
	body = page("/dashboard?period=2021&indicator=hope_rooms&protection=SCHOOL")
	if !strings.Contains(body, `<option value="SCHOOL" selected>`) || !strings.Contains(body, `<option value="hope_rooms" data-protection="SOCIETY" selected>`) {
		t.Error("protection SCHOOL with hope_rooms is not kept as asked")
	}

	body = page("/dashboard?period=2022&regions=370781,370702")
	boxes := regionBox.FindAllStringSubmatch(body, -1)
	var checked []string
	for _, b := range boxes {
		if b[2] != "" {
			checked = append(checked, b[1])
		}
	}
	if len(boxes) < 12 || strings.Join(checked, ",") != "370702,370781" {
		t.Errorf("%d region checkboxes, ticked %v; want ≥ 12 with 370702,370781", len(boxes), checked)
	}
	if !strings.Contains(body, `type="search" class="find"`) {
		t.Error("no search over the region checkboxes")
	}
	if !strings.Contains(body, `<button type="submit" class="apply">应用</button>`) {
		t.Error("no 应用 button for browsers without script")
	}
}

// With 每万名未成年人 on, the trend shows values per 10,000 minors too:
// 青州市's child directors in 2022 are 60.34 per 10,000 (1,080 of 178,977
// minors); raw, the same point is 1,080.
func TestDashboard_PerCapitaAppliesToTheTrend(t *testing.T) {
	api, token := setup(t)
	point := func(target string) (float64, string) {
		var out struct {
			Charts map[string]struct {
				Title struct {
					Subtext string `json:"subtext"`
				} `json:"title"`
				XAxis  []struct{ Data []string } `json:"xAxis"`
				Series []struct {
					Name string
					Data []struct{ Value any }
				} `json:"series"`
			} `json:"charts"`
		}
		rec := get(t, api.Handler, token, target)
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: %v: %s", target, err, rec.Body)
		}
		tr := out.Charts["trend"]
		for i, p := range tr.XAxis[0].Data {
			if p == "2022" && len(tr.Series) == 1 {
				v, _ := tr.Series[0].Data[i].Value.(float64)
				return v, tr.Title.Subtext
			}
		}
		t.Fatalf("%s: no 2022 point: %+v", target, tr)
		return 0, ""
	}
	raw, sub := point("/dashboard/data.json?period=2022&indicator=child_directors&regions=370781")
	if raw != 1080 || strings.Contains(sub, "每万名") {
		t.Errorf("raw trend point %v (%q), want 1080", raw, sub)
	}
	per, sub := point("/dashboard/data.json?period=2022&indicator=child_directors&regions=370781&percap=1")
	if math.Abs(per-60.34) > 0.005 || !strings.Contains(sub, "每万名未成年人") {
		t.Errorf("per-10,000 trend point %v (%q), want 60.34 under 每万名未成年人", per, sub)
	}
}

// With 每万名未成年人 on, the heatmap shades counts per 10,000 minors too:
// 青州市's child directors read 60.34 / 每万名未成年人 in the tooltip; raw,
// 1080.
func TestDashboard_PerCapitaAppliesToTheHeatmap(t *testing.T) {
	api, token := setup(t)
	cell := func(target string) (string, string) {
		var all struct {
			Charts map[string]json.RawMessage `json:"charts"`
		}
		if err := json.Unmarshal(get(t, api.Handler, token, target).Body.Bytes(), &all); err != nil {
			t.Fatal(err)
		}
		var h struct {
			Title struct {
				Subtext string `json:"subtext"`
			} `json:"title"`
			XAxis  []struct{ Data []string } `json:"xAxis"`
			YAxis  []struct{ Data []string } `json:"yAxis"`
			Series []struct {
				Data []struct{ Value []any }
			} `json:"series"`
		}
		if err := json.Unmarshal(all.Charts["heatmap"], &h); err != nil {
			t.Fatal(err)
		}
		x, y := slices.Index(h.XAxis[0].Data, "青州市"), slices.Index(h.YAxis[0].Data, "村（居）儿童主任数")
		for _, d := range h.Series[0].Data {
			if int(d.Value[0].(float64)) == x && int(d.Value[1].(float64)) == y {
				return d.Value[3].(string), h.Title.Subtext
			}
		}
		t.Fatalf("%s: no cell for 青州市's child directors", target)
		return "", ""
	}
	if raw, sub := cell("/dashboard/data.json?period=2022&protection=GOVERNMENT"); raw != "1080" || strings.Contains(sub, "每万名") {
		t.Errorf("raw heatmap cell %q (%q)", raw, sub)
	}
	if per, sub := cell("/dashboard/data.json?period=2022&protection=GOVERNMENT&percap=1"); per != "60.34 / 每万名未成年人" || !strings.Contains(sub, "每万名未成年人") {
		t.Errorf("per-10,000 heatmap cell %q (%q)", per, sub)
	}
}

// The trend's axis starts where its lines do: the demo's values begin in
// 2019, so a five-year trend to 2022 must not open on an empty 2018, and
// every period shown has a value in some series.
func TestDashboard_TrendAxisStartsWithData(t *testing.T) {
	api, token := setup(t)
	var out struct {
		Charts map[string]struct {
			XAxis  []struct{ Data []string } `json:"xAxis"`
			Series []struct {
				Data []struct{ Value any }
			} `json:"series"`
		} `json:"charts"`
	}
	rec := get(t, api.Handler, token, "/dashboard/data.json?period=2022&indicator=child_directors")
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	tr := out.Charts["trend"]
	if len(tr.XAxis) == 0 || len(tr.XAxis[0].Data) == 0 || len(tr.Series) == 0 {
		t.Fatalf("no trend: %+v", tr)
	}
	axis := tr.XAxis[0].Data
	if axis[len(axis)-1] != "2022" {
		t.Errorf("trend axis %v does not end at 2022", axis)
	}
	hasValue := func(i int) bool {
		for _, s := range tr.Series {
			if i < len(s.Data) && s.Data[i].Value != nil && s.Data[i].Value != "-" {
				return true
			}
		}
		return false
	}
	if !hasValue(0) {
		t.Errorf("trend axis %v opens on a period without any value", axis)
	}
}
