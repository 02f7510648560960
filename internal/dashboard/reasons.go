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
// office; the media office gets only what is published to it; an
// analyst reads another department's figures only where they are shared
// with its own; or nothing of it has been approved for the period. dept
// is the viewer's department ("" for none).
func emptyReason(ind *hub.Indicator, level hub.RegionLevel, role hub.Role, dept, lang string) string {
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
	case ind != nil && role == hub.Media && !ind.Publicity:
		// The release policy: the media office reads publicity
		// indicators, and headline figures a coordinator released to it.
		return [2]string{"该指标未向宣传办公室发布", "not published to the media office"}[i]
	case ind != nil && role == hub.Analyst && ind.DepartmentCode != dept:
		// An analyst reads its own department's figures and those shared
		// with it (hub_status_readable): "nothing approved" was untrue of
		// another department's approved figures.
		return [2]string{"其他部门的指标：仅显示共享给本部门的数值", "another department's indicator: only figures shared with yours are shown"}[i]
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
