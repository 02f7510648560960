package dashboard

import (
	"github.com/sixprot/hub/internal/hub"
)

// levelDepth orders the region levels from the top: a smaller depth is
// a coarser level.
var levelDepth = map[hub.RegionLevel]int{hub.LevelProvince: 0, hub.LevelCity: 1, hub.LevelCounty: 2, hub.LevelTown: 3, hub.LevelVillage: 4}

// collectedAt reports whether ind is collected at level or below it, so
// that regions of level carry its values (their own or rolled up).
func collectedAt(ind *hub.Indicator, level hub.RegionLevel) bool {
	d, ok := levelDepth[ind.CollectionLevel]
	return !ok || d >= levelDepth[level]
}

var levelWords = map[hub.RegionLevel][2]string{hub.LevelProvince: {"省级", "province"}, hub.LevelCity: {"市级", "city"},
	hub.LevelCounty: {"县级", "county"}, hub.LevelTown: {"镇街级", "town"}, hub.LevelVillage: {"村居级", "village"}}

// emptyReason says why a chart or a cell of ind over regions of level
// has no figure, with the true cause: the indicator is collected at a
// coarser level; it is small-cell protected and the viewer is the media
// office; or nothing of it has been approved for the period.
func emptyReason(ind *hub.Indicator, level hub.RegionLevel, role hub.Role, lang string) string {
	i := 0
	if lang == "en" {
		i = 1
	}
	switch {
	case ind != nil && !collectedAt(ind, level):
		w := levelWords[ind.CollectionLevel][i]
		if lang == "en" {
			return "collected per " + w + " only"
		}
		return "该指标按" + w + "采集"
	case ind != nil && ind.Sensitive && role == hub.Media:
		return [2]string{"已按小数保护隐藏", "hidden to protect small counts"}[i]
	}
	return [2]string{"本期尚无已审核数据", "no approved figures for this period yet"}[i]
}

// isSynthetic reports whether a figure is invented demo data: of a
// synthetic region, or entered by the demo generator.
func isSynthetic(r *hub.Region, dv *hub.DataValue) bool {
	return (r != nil && r.Synthetic) || (dv != nil && dv.Source == "synthetic")
}

// profileEmptyReason says why the six-protections profile has no score:
// nothing released for the period, or (with released values of the
// regions) the profile's indicators are collected above their level.
func profileEmptyReason(released int, level hub.RegionLevel, lang string) string {
	if released > 0 && levelDepth[level] > levelDepth[hub.LevelCounty] {
		return pick([2]string{"画像指标按县级采集", "the profile's indicators are collected per county"}, lang)
	}
	return pick([2]string{"本期尚无已审核数据", "no approved figures for this period yet"}, lang)
}
