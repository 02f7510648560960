package media

import (
	"strings"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

// Threshold returns the suppression threshold to use: threshold, or
// DefaultThreshold when it is not positive.
func Threshold(threshold float64) float64 {
	if threshold <= 0 {
		return DefaultThreshold
	}
	return threshold
}

// StatsScope checks the period of a publicityStats request and returns
// the code of the region asked for: region, or the caller's own (scope)
// when nil.
func StatsScope(period string, region *string, scope string) (string, error) {
	if _, err := hub.ParsePeriod(period); err != nil {
		return "", err
	}
	if region != nil {
		return *region, nil
	}
	return scope, nil
}

// StatsInput is what publicityStats reads.
type StatsInput struct {
	// Figures are the whole published table of the period, every region.
	Figures []Figure
	// Tree is the region tree down to the deepest collection level.
	Tree []Region
	// Asked is the region asked for, if it exists; Code its code.
	Asked []*hub.Region
	Code  string
	// Scope is the path of the caller's region.
	Scope string
	// Threshold is the suppression threshold (Threshold).
	Threshold float64
}

// Stats returns the cells of the published table (NewTable: totals, and
// small cells withheld, over the whole table) in the subtree of the
// region asked for and within the caller's scope.
func Stats(in StatsInput) ([]*hub.PublicityStat, error) {
	if len(in.Asked) == 0 {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", in.Code, in.Code)
	}
	return NewTable(in.Figures, in.Tree, in.Threshold).Within(in.Asked[0].Path, in.Scope), nil
}

// CountsPublishedOnly reports whether p counts a publication's values
// through the published table (what publicityStats gives it) rather than
// the values it can read: the media office, from which the row policies
// hide sensitive figures everywhere else.
func CountsPublishedOnly(p *hub.Principal) bool { return p != nil && p.Role == hub.Media }

// CheckPublish checks a publication request and returns when it is
// published: r.PublishAt, or now.
func CheckPublish(r hub.PublishRequest, now time.Time) (time.Time, error) {
	if strings.TrimSpace(r.Title) == "" {
		return time.Time{}, hub.Errorf(hub.EINVALID, "请给发布批次一个标题 / give the publication a title")
	}
	if len(r.IDs) == 0 {
		return time.Time{}, hub.Errorf(hub.EINVALID, "没有要发布的数据 / no values to publish")
	}
	if r.PublishAt != nil {
		return *r.PublishAt, nil
	}
	return now, nil
}

// NotPublished returns an EINVALID error naming the values of want that
// are not among those published, done; nil when all were.
func NotPublished(want, done []int) error {
	if m := missing(want, done); len(m) > 0 {
		return hub.Errorf(hub.EINVALID, "不能发布数据 %v：须为您可见的已审核宣传统计或已标记可发布的数据 / cannot publish values %v: each must be an APPROVED value you can see, of a publicity indicator or released as a headline figure", m, m)
	}
	return nil
}

// NotMarked returns an EINVALID error naming the values of want that are
// not among those marked or unmarked as headline figures, done; nil when
// all were.
func NotMarked(want, done []int) error {
	if m := missing(want, done); len(m) > 0 {
		return hub.Errorf(hub.EINVALID, "数据 %v 不存在、不可见或未审核 / values %v do not exist, are not visible to you, or are not approved", m, m)
	}
	return nil
}

// missing returns the ids of want that are not in got, once each, in the
// order of want.
func missing(want, got []int) []int {
	seen := make(map[int]bool, len(got))
	for _, id := range got {
		seen[id] = true
	}
	var out []int
	for _, id := range want {
		if !seen[id] {
			out = append(out, id)
			seen[id] = true
		}
	}
	return out
}
