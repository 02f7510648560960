package media

import (
	"math"
	"strconv"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// PressFigure writes a figure the way Chinese press copy does: 万 for tens
// of thousands, 余 for AT_LEAST, 约 for APPROX, then the unit word:
// 20000 AT_LEAST copies → "2万余份", 1080 persons → "1080人".
func PressFigure(v *float64, q hub.Qualifier, unit string) string {
	if v == nil {
		return "—"
	}
	num := number(*v)
	switch q {
	case hub.AtLeast:
		num += "余"
	case hub.Approx:
		num = "约" + num
	}
	return num + UnitWord(unit)
}

// number formats v with 万 or 亿 when it is a whole number of them.
func number(v float64) string {
	for _, u := range []struct {
		size float64
		word string
	}{{1e8, "亿"}, {1e4, "万"}} {
		if math.Abs(v) >= u.size {
			q := v / u.size
			s := strconv.FormatFloat(q, 'f', -1, 64)
			if len(strings.TrimLeft(s, "-0123456789")) <= 5 { // at most 4 decimals
				return s + u.word
			}
		}
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
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
}
