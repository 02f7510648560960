package media

import (
	"math"
	"strconv"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// PressFigure writes a figure the way Chinese press copy does: 万 and 亿
// for large numbers, rounded as a reporter would (one decimal below ten
// of them, whole ones above: 2.1万, 15万, 1.2亿 — never 2.1924万), 余 for
// "more than" and 约 for "about", then the unit word: 20000 AT_LEAST
// copies → "2万余份", 21924 copies → "2.1万余份", about 21924 →
// "约2.2万份", 1080 persons → "1080人".
//
// Sums of money are written to the fen as reports write them (540.05万元,
// 108.1275万元), up to four decimals of 万; counts are rounded.
//
// A figure that rounding changes is rounded down and gets 余, which stays
// true of the figure (21924 is more than 2.1万; "2.2万余" would claim
// more than 22000); an APPROX figure is rounded to the nearest, as 约
// already says it is not exact.
func PressFigure(v *float64, q hub.Qualifier, unit string) string {
	if v == nil {
		return "—"
	}
	f := pressRound(*v, q == hub.Approx, unit == "yuan")
	num := strconv.FormatFloat(f.count, 'f', -1, 64) + f.word
	switch {
	case q == hub.Approx:
		num = "约" + num
	case q == hub.AtLeast || f.rounded:
		num += "余"
	}
	return num + UnitWord(unit)
}

// PressFigureEnglish writes a figure the way English press copy does,
// rounded by PressFigure's rules so that both say the same: 20000 AT_LEAST
// copies → "more than 20,000 copies" (2万余份), 21924 copies → "more than
// 21,000 copies" (2.1万余份), about 21924 → "about 22,000 copies"
// (约2.2万份), 89 sessions → "89 sessions", 1.2亿余 → "more than 120
// million persons". Digits are grouped in thousands; from a million up a
// figure that rounding leaves with at most two decimals of a million (or
// of a billion) is written in millions (billions): "1.08 million yuan",
// but "5,400,500 yuan" to the yuan.
func PressFigureEnglish(v *float64, q hub.Qualifier, unit string) string {
	if v == nil {
		return "—"
	}
	f := pressRound(*v, q == hub.Approx, unit == "yuan")
	num := englishNumber(f.value)
	switch {
	case q == hub.Approx:
		num = "about " + num
	case q == hub.AtLeast || f.rounded:
		num = "more than " + num
	}
	w, ok := englishUnits[unit]
	switch {
	case !ok:
		return num
	case w[1] == "%":
		return num + "%"
	case f.value == 1:
		return num + " " + w[0]
	}
	return num + " " + w[1]
}

// pressFigure is a figure as press copy writes it: count of the Chinese
// counting unit word (万, 亿, or none), value the same figure itself, and
// rounded whether it is not the figure as stored.
type pressFigure struct {
	count   float64
	word    string
	value   float64
	rounded bool
}

// pressRound rounds v as press copy does: in 万 or 亿 from 10,000 up, with
// one decimal below ten of them and none above, rounded down (to the
// nearest when nearest is set). Below 10,000 a figure is written as it is,
// with at most two decimals. money keeps up to four decimals of 万 (to the
// yuan) before rounding.
func pressRound(v float64, nearest, money bool) pressFigure {
	for _, u := range []struct {
		size float64
		word string
	}{{1e8, "亿"}, {1e4, "万"}} {
		if math.Abs(v) < u.size {
			continue
		}
		q := v / u.size
		if s := strconv.FormatFloat(q, 'f', -1, 64); money {
			if _, decimals, _ := strings.Cut(s, "."); len(decimals) <= 4 {
				return pressFigure{count: q, word: u.word, value: v}
			}
		}
		scale := 10.0
		if math.Abs(q) >= 10 {
			scale = 1
		}
		r := math.Floor(q*scale) / scale
		if nearest {
			r = math.Round(q*scale) / scale
		}
		// r has at most one decimal of 万 or 亿: a whole number of
		// thousands, which rounding to the unit gives back exactly.
		value := math.Round(r * u.size)
		return pressFigure{count: r, word: u.word, value: value, rounded: math.Abs(value-v) >= 1e-6}
	}
	r := math.Round(v*100) / 100
	return pressFigure{count: r, value: r}
}

// englishNumber writes v with its digits grouped in thousands (at most
// two decimals), or in millions or billions when v is at least a million
// and a whole number of hundredths of one.
func englishNumber(v float64) string {
	for _, u := range []struct {
		size float64
		word string
	}{{1e9, " billion"}, {1e6, " million"}} {
		if a := math.Abs(v); a >= u.size && math.Mod(a, u.size/100) == 0 {
			return strconv.FormatFloat(v/u.size, 'f', -1, 64) + u.word
		}
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', -1, 64)
	whole, decimals, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if decimals != "" {
		b.WriteString("." + decimals)
	}
	return b.String()
}

// UnitWord returns the Chinese measure word of a catalogue unit.
func UnitWord(unit string) string {
	if w, ok := unitWords[unit]; ok {
		return w
	}
	return ""
}

// UnitWordEnglish returns the English word of a catalogue unit as a
// column of figures names it (plural: "copies", "person-times"), or ""
// for a unit without one.
func UnitWordEnglish(unit string) string { return englishUnits[unit][1] }

var unitWords = map[string]string{
	"persons": "人", "person_times": "人次", "copies": "份", "sessions": "场", "articles": "篇",
	"items": "个", "cases": "件", "units": "个", "stations": "个", "rooms": "间", "projects": "个",
	"organizations": "家", "schools": "所", "groups": "个", "couples": "对", "brands": "个",
	"documents": "件", "studios": "个", "yuan": "元", "percent": "%",
	"cards": "张", "homes": "个", "visits": "次",
	"yuan_per_person": "元/人", "yuan_per_person_month": "元/人·月", "per_10k_minors": "每万名未成年人",
}

// englishUnits holds the English words of the units of unitWords: singular
// (for a figure of one) and plural.
var englishUnits = map[string][2]string{
	"persons": {"person", "persons"}, "person_times": {"person-time", "person-times"}, "copies": {"copy", "copies"},
	"sessions": {"session", "sessions"}, "articles": {"article", "articles"}, "items": {"item", "items"},
	"cases": {"case", "cases"}, "units": {"unit", "units"}, "stations": {"station", "stations"}, "rooms": {"room", "rooms"},
	"projects": {"project", "projects"}, "organizations": {"organization", "organizations"}, "schools": {"school", "schools"},
	"groups": {"group", "groups"}, "couples": {"couple", "couples"}, "brands": {"brand", "brands"},
	"documents": {"document", "documents"}, "studios": {"studio", "studios"}, "yuan": {"yuan", "yuan"}, "percent": {"%", "%"},
	"cards": {"card", "cards"}, "homes": {"home", "homes"}, "visits": {"visit", "visits"},
	"yuan_per_person": {"yuan per person", "yuan per person"}, "yuan_per_person_month": {"yuan per person per month", "yuan per person per month"},
	"per_10k_minors": {"per 10,000 minors", "per 10,000 minors"},
}

// QualifierWord returns a qualifier in words, in Chinese or in English
// (lang "en"), with the signs the dashboard shows beside a value:
// ≥（不少于）for AT_LEAST (the source's 余), ≈（约）for APPROX, 精确 for
// EXACT.
func QualifierWord(q hub.Qualifier, lang string) string {
	return pick(qualifierWords, q, lang)
}

// StatusWord returns a workflow status in words (已发布 / published).
func StatusWord(s hub.Status, lang string) string {
	return pick(statusWords, s, lang)
}

var qualifierWords = map[hub.Qualifier][2]string{hub.Exact: {"精确", "exact"},
	hub.AtLeast: {"≥（不少于）", "≥ (at least)"}, hub.Approx: {"≈（约）", "≈ (approximately)"}}

var statusWords = map[hub.Status][2]string{hub.Draft: {"草稿", "draft"}, hub.Submitted: {"已提交", "submitted"},
	hub.Approved: {"已审核", "approved"}, hub.Published: {"已发布", "published"}, hub.Returned: {"已退回", "returned"}}

// pick returns the word of k in lang (Chinese unless "en"), or k itself
// when it has none.
func pick[K ~string](words map[K][2]string, k K, lang string) string {
	w, ok := words[k]
	switch {
	case !ok:
		return string(k)
	case lang == "en":
		return w[1]
	}
	return w[0]
}
