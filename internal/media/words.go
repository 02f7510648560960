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
	num, rounded := pressNumber(*v, q == hub.Approx, unit == "yuan")
	switch {
	case q == hub.Approx:
		num = "约" + num
	case q == hub.AtLeast || rounded:
		num += "余"
	}
	return num + UnitWord(unit)
}

// pressNumber writes v in 万 or 亿 from 10,000 up, with one decimal below
// ten of them and none above; rounded says the figure written is not v
// itself (rounded down, or to the nearest when nearest is set). Below
// 10,000 a figure is written as it is, with at most two decimals. money
// keeps up to four decimals of 万 (to the yuan) before rounding.
func pressNumber(v float64, nearest, money bool) (string, bool) {
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
				return s + u.word, false
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
		exact := math.Abs(r*u.size-v) < 1e-6
		return strconv.FormatFloat(r, 'f', -1, 64) + u.word, !exact
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64), false
}

// UnitWord returns the Chinese measure word of a catalogue unit.
func UnitWord(unit string) string {
	if w, ok := unitWords[unit]; ok {
		return w
	}
	return ""
}

var unitWords = map[string]string{
	"persons": "人", "person_times": "人次", "copies": "份", "sessions": "场", "articles": "篇",
	"items": "个", "cases": "件", "units": "个", "stations": "个", "rooms": "间", "projects": "个",
	"organizations": "家", "schools": "所", "groups": "个", "couples": "对", "brands": "个",
	"documents": "件", "studios": "个", "yuan": "元", "percent": "%",
	"cards": "张", "homes": "个", "visits": "次",
	"yuan_per_person": "元/人", "yuan_per_person_month": "元/人·月", "per_10k_minors": "每万名未成年人",
}
