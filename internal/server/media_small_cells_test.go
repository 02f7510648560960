package server_test

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

var counties = []string{"370702", "370703", "370704", "370705", "370781", "370782", "370783", "370784",
	"370785", "370786", "370724", "370725"}

// Publishing a sensitive indicator's counts changes nothing of what the
// media office gets over HTTP from the dashboard (page, data.json, the
// heatmap and ranking exports): the counts reach it only through the
// publicity exports, suppressed. The import template is refused.
func TestHTTP_MediaGetsNoSensitiveCountButSuppressed(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	ind := apitest.SmallCellIndicator
	paths := []string{
		"/dashboard?period=2022&indicator=" + ind + "&protection=GOVERNMENT",
		"/dashboard/region/370702?period=2022&indicator=" + ind + "&protection=GOVERNMENT",
		"/dashboard/data.json?period=2022&indicator=" + ind + "&protection=GOVERNMENT&regions=370702,370703",
		"/export/heatmap.csv?period=2022&protection=GOVERNMENT",
		"/export/ranking.csv?period=2022&indicator=" + ind,
	}
	view := func() map[string]string {
		out := map[string]string{}
		for _, p := range paths {
			rec := get(api, media, p)
			// The dashboard's pages send the media office to /media.
			redirected := rec.Code == http.StatusSeeOther && rec.Header().Get("Location") == "/media" && !strings.Contains(p, "data.json")
			if rec.Code != http.StatusOK && !redirected {
				t.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
			}
			out[p] = rec.Body.String()
		}
		return out
	}
	before := view()
	cells := api.PublishSmallCells(t, counties...)
	after := view()
	for _, p := range paths {
		if after[p] != before[p] {
			t.Errorf("%s changed when the sensitive counts were published", p)
		}
	}
	if strings.Contains(after["/export/heatmap.csv?period=2022&protection=GOVERNMENT"], cells.Name) {
		t.Error("the heatmap lists the sensitive indicator for the media office")
	}
	// The positive control: a leader's heatmap shows the published counts.
	leader := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	if body := get(api, leader, "/export/heatmap.csv?period=2022&protection=GOVERNMENT").Body.String(); !strings.Contains(body, cells.Name) {
		t.Fatal("a leader's heatmap lacks the sensitive indicator; the test proves nothing")
	}

	// The import template: media writes nothing.
	if rec := get(api, media, "/export/template.xlsx?department=civil_affairs&period=2022"); rec.Code != http.StatusForbidden {
		t.Errorf("template for the media office: %d, want 403", rec.Code)
	}
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370700"})
	if rec := get(api, analyst, "/export/template.xlsx?department=civil_affairs&period=2022"); rec.Code != http.StatusOK {
		t.Errorf("template for an analyst: %d", rec.Code)
	}
}

func ptr[T any](v T) *T { return &v }

// The publicity exports are cut from one suppressed table: for every
// region, CSV and JSON agree with each other and with every other region's
// answer on every cell they share, the small cell has no value anywhere,
// and no equation of the union has exactly one withheld term.
func TestPublicityExport_NoPairOfRegionsRecoversASuppressedCell(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	cells := api.PublishSmallCells(t, counties...)
	regions := append([]string{"370700"}, counties...)
	type key struct{ ind, region string }
	union := map[key]string{} // value as exported, "" when withheld
	for _, r := range regions {
		rec := get(api, media, "/export/publicity.csv?period=2022&region="+r)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(rec.Body.String(), "\ufeff"))).ReadAll()
		if rec.Code != http.StatusOK || err != nil {
			t.Fatalf("CSV of %s: %d %v", r, rec.Code, err)
		}
		var js struct {
			Observations []struct {
				Indicator, Region string
				Value             *float64
				Suppressed        bool
			}
		}
		if err := json.Unmarshal(get(api, media, "/export/publicity.json?period=2022&region="+r).Body.Bytes(), &js); err != nil {
			t.Fatal(err)
		}
		if len(js.Observations) != len(rows)-1 {
			t.Errorf("%s: %d JSON observations, %d CSV rows", r, len(js.Observations), len(rows)-1)
		}
		for i, row := range rows[1:] {
			k := key{row[0], row[1]}
			v := row[3]
			if (row[7] == "true") != (v == "") {
				t.Errorf("%v: suppressed %s with value %q", k, row[7], v)
			}
			if i < len(js.Observations) {
				o := js.Observations[i]
				if o.Indicator != k.ind || o.Region != k.region || o.Suppressed != (v == "") {
					t.Errorf("%s: JSON %+v, CSV %v", r, o, row)
				}
			}
			if u, ok := union[k]; ok && u != v {
				t.Errorf("%v: %q in one answer, %q asked from %s", k, u, v, r)
			}
			union[k] = v
		}
	}
	if v, ok := union[key{cells.Indicator, cells.Small}]; !ok || v != "" {
		t.Fatalf("the small cell is exported as %q (listed %v)", v, ok)
	}
	hidden, terms := 0, 0
	for _, c := range counties {
		if v, ok := union[key{cells.Indicator, c}]; ok {
			terms++
			if v == "" {
				hidden++
			}
		}
	}
	if union[key{cells.Indicator, "370700"}] == "" {
		hidden++
	}
	if terms != len(counties) || hidden < 2 {
		t.Errorf("the city equation has %d terms, %d withheld", terms, hidden)
	}
}
