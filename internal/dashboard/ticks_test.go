package dashboard_test

import (
	"strings"
	"testing"
)

// A count shown raw ticks at whole numbers: a town page's villages, with
// 0 to 2 children's homes each, had a value axis at 0, 0.2, 0.4 …. Per
// 10,000 minors, or for a percentage, ECharts chooses the ticks.
func TestDashboard_RawCountsTickAtWholeNumbers(t *testing.T) {
	api, token := setup(t)
	minInterval := func(d dataJSON, chart string) any {
		ys, _ := d.Charts[chart]["yAxis"].([]any)
		if len(ys) == 0 {
			return nil
		}
		return ys[0].(map[string]any)["minInterval"]
	}
	for _, c := range []struct {
		query     string
		bar, line bool // whole ticks wanted
	}{
		{"period=2022&parent=370781001&indicator=children_homes", true, true}, // villages
		{"period=2022&indicator=child_directors", true, true},                 // counties
		{"period=2022&indicator=child_directors&percap=1", false, false},
		{"period=2022&indicator=child_director_coverage", false, false}, // a percentage
	} {
		d := dataOf(t, api.Handler, token, c.query)
		line := c.line
		if sub, _ := d.Charts["trend"]["title"].(map[string]any)["subtext"].(string); strings.Contains(sub, "每万名未成年人") {
			line = false // the trend is per 10,000 minors where the minors are known
		}
		for chart, want := range map[string]bool{"bar": c.bar, "trend": line} {
			if got := minInterval(d, chart); (got == 1.0) != want {
				t.Errorf("%s: %s minInterval %v, want whole ticks %v", c.query, chart, got, want)
			}
		}
	}
}
