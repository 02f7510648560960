package media

import (
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func f(v float64) *float64 { return &v }

func stat(region string, v float64) *hub.PublicityStat {
	return &hub.PublicityStat{IndicatorKey: "k", Period: "2022", RegionCode: region, Value: f(v)}
}

func TestSuppress_SmallSensitiveCellAndItsComplement(t *testing.T) {
	county := stat("370781", 30)
	towns := []*hub.PublicityStat{stat("370781001", 3), stat("370781002", 12), stat("370781003", 15)}
	cells := []Cell{{Stat: county, Parent: "370700", Sensitive: true}}
	for _, s := range towns {
		cells = append(cells, Cell{Stat: s, Parent: "370781", Sensitive: true})
	}
	Suppress(cells, DefaultThreshold)
	if !towns[0].Suppressed || towns[0].Value != nil {
		t.Fatalf("3 < 5 shown: %+v", towns[0])
	}
	// 30 - 12 - 15 would give the 3 back: a second cell must go.
	if !towns[1].Suppressed {
		t.Errorf("complement not suppressed: the hidden 3 = 30 - 12 - 15")
	}
	if towns[2].Suppressed || county.Suppressed {
		t.Errorf("more suppressed than needed: %+v %+v", towns[2], county)
	}
	// Each says why: the 3 is a small count, the 12 is withheld to
	// protect it.
	if towns[0].Suppression != hub.SmallCount || towns[0].Protects != "" {
		t.Errorf("the small count's reason: %q protects %q", towns[0].Suppression, towns[0].Protects)
	}
	if towns[1].Suppression != hub.Complementary || towns[1].Protects != "370781001" {
		t.Errorf("the complement's reason: %q protects %q", towns[1].Suppression, towns[1].Protects)
	}
	if towns[2].Suppression != "" || county.Suppression != "" {
		t.Errorf("a shown figure has a reason: %q %q", towns[2].Suppression, county.Suppression)
	}
}

func TestSuppress_ZeroAndNonSensitiveShown(t *testing.T) {
	a, b := stat("1", 0), stat("2", 2)
	Suppress([]Cell{{Stat: a, Sensitive: true}, {Stat: b}}, DefaultThreshold)
	if a.Suppressed || b.Suppressed {
		t.Errorf("suppressed a zero or a non-sensitive figure: %+v %+v", a, b)
	}
}

func TestSuppress_OnlyChildHiddenHidesTheTotal(t *testing.T) {
	county, town := stat("C", 4), stat("T", 4)
	Suppress([]Cell{{Stat: county, Sensitive: true}, {Stat: town, Parent: "C", Sensitive: true}}, DefaultThreshold)
	if !county.Suppressed || !town.Suppressed {
		t.Errorf("a total equal to its only hidden child stays shown: %+v %+v", county, town)
	}
}

func TestPressFigure(t *testing.T) {
	tests := []struct {
		v    *float64
		q    hub.Qualifier
		unit string
		want string
	}{
		{f(20000), hub.AtLeast, "copies", "2万余份"},
		{f(25000), hub.AtLeast, "copies", "2.5万余份"},
		{f(25000), hub.Exact, "copies", "2.5万份"},
		{f(1080), hub.Exact, "persons", "1080人"},
		{f(23), hub.Approx, "percent", "约23%"},
		// Press copy rounds: one decimal of 万 below 10万, whole 万 above,
		// never 2.1924万. Rounding down keeps 余 ("more than") true;
		// an approximate figure rounds to the nearest and says 约.
		{f(21924), hub.AtLeast, "copies", "2.1万余份"},
		{f(21924), hub.Exact, "copies", "2.1万余份"},
		{f(21924), hub.Approx, "copies", "约2.2万份"},
		// Money is written to the yuan, as reports do (540.05万元).
		{f(5400500), hub.Exact, "yuan", "540.05万元"},
		{f(1081275), hub.Exact, "yuan", "108.1275万元"},
		{f(1081275.5), hub.Exact, "yuan", "108万余元"},
		{f(153842), hub.Approx, "persons", "约15万人"},
		{f(123456789), hub.Exact, "persons", "1.2亿余人"},
		{f(9999), hub.Exact, "copies", "9999份"},
		{f(12.345), hub.Exact, "percent", "12.35%"},
		{nil, hub.Exact, "persons", "—"},
	}
	for _, tt := range tests {
		if got := PressFigure(tt.v, tt.q, tt.unit); got != tt.want {
			t.Errorf("PressFigure(%v, %s, %s) = %q, want %q", tt.v, tt.q, tt.unit, got, tt.want)
		}
	}
}

// English press copy rounds by the Chinese rules, so that both versions of
// a release say the same: 2.1万余份 is "more than 21,000 copies", never
// "21,924 copies" nor "more than 22,000".
func TestPressFigureEnglish(t *testing.T) {
	tests := []struct {
		v    *float64
		q    hub.Qualifier
		unit string
		want string
	}{
		{f(20000), hub.AtLeast, "copies", "more than 20,000 copies"},
		{f(25000), hub.AtLeast, "copies", "more than 25,000 copies"},
		{f(25000), hub.Exact, "copies", "25,000 copies"},
		{f(1080), hub.Exact, "persons", "1,080 persons"},
		{f(89), hub.Exact, "sessions", "89 sessions"},
		{f(1), hub.Exact, "sessions", "1 session"},
		{f(23), hub.Approx, "percent", "about 23%"},
		{f(21924), hub.AtLeast, "copies", "more than 21,000 copies"},
		{f(21924), hub.Exact, "copies", "more than 21,000 copies"},
		{f(21924), hub.Approx, "copies", "about 22,000 copies"},
		{f(5400500), hub.Exact, "yuan", "5,400,500 yuan"},
		{f(1081275), hub.Exact, "yuan", "1,081,275 yuan"},
		{f(1081275.5), hub.Exact, "yuan", "more than 1.08 million yuan"},
		{f(153842), hub.Approx, "persons", "about 150,000 persons"},
		{f(123456789), hub.Exact, "persons", "more than 120 million persons"},
		{f(2345678901), hub.Exact, "persons", "more than 2.3 billion persons"},
		{f(9999), hub.Exact, "copies", "9,999 copies"},
		{f(12.345), hub.Exact, "percent", "12.35%"},
		{f(3250), hub.Approx, "person_times", "about 3,250 person-times"},
		{f(60.34), hub.Exact, "per_10k_minors", "60.34 per 10,000 minors"},
		{f(7), hub.Exact, "no_such_unit", "7"},
		{nil, hub.Exact, "persons", "—"},
	}
	for _, tt := range tests {
		if got := PressFigureEnglish(tt.v, tt.q, tt.unit); got != tt.want {
			t.Errorf("PressFigureEnglish(%v, %s, %s) = %q, want %q", deref(tt.v), tt.q, tt.unit, got, tt.want)
		}
	}
}

// Every unit with a Chinese word has English ones, and the other way round.
func TestUnitWords_EveryUnitInBothLanguages(t *testing.T) {
	for u := range unitWords {
		if w := englishUnits[u]; w[0] == "" || w[1] == "" || UnitWordEnglish(u) != w[1] {
			t.Errorf("unit %s has no English words", u)
		}
	}
	for u := range englishUnits {
		if UnitWord(u) == "" {
			t.Errorf("unit %s has no Chinese word", u)
		}
	}
}

func TestQualifierAndStatusWords(t *testing.T) {
	tests := []struct{ got, want string }{
		{QualifierWord(hub.AtLeast, ""), "≥（不少于）"},
		{QualifierWord(hub.Approx, ""), "≈（约）"},
		{QualifierWord(hub.Exact, ""), "精确"},
		{QualifierWord(hub.AtLeast, "en"), "≥ (at least)"},
		{QualifierWord(hub.Approx, "en"), "≈ (approximately)"},
		{QualifierWord(hub.Exact, "en"), "exact"},
		{StatusWord(hub.Published, ""), "已发布"},
		{StatusWord(hub.Published, "en"), "published"},
		{StatusWord(hub.Approved, ""), "已审核"},
		{StatusWord("NEW_STATUS", ""), "NEW_STATUS"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
