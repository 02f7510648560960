package media

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

func TestThreshold_DefaultWhenNotPositive(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0, 5}, {-1, 5}, {3, 3}, {10, 10}} {
		if got := Threshold(c.in); got != c.want {
			t.Errorf("Threshold(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestStatsScope_PeriodAndDefaultRegion(t *testing.T) {
	if code, err := StatsScope("2022", nil, "370704"); err != nil || code != "370704" {
		t.Errorf("no region: %q %v, want the caller's 370704", code, err)
	}
	asked := "370704001"
	if code, err := StatsScope("2022", &asked, "370704"); err != nil || code != asked {
		t.Errorf("region asked: %q %v", code, err)
	}
	if _, err := StatsScope("2022-13", nil, "370704"); hub.ErrorCode(err) != hub.EINVALID {
		t.Errorf("bad period: %v, want BAD_USER_INPUT", err)
	}
}

// TestStats_SubtreeWithinScope: district A's figures 3 (a1) and 12 (a2)
// total 15 for A and the city C; a caller scoped to A who asks for C
// gets A's part only: A and its towns, not B or C.
func TestStats_SubtreeWithinScope(t *testing.T) {
	town := hub.LevelTown
	in := StatsInput{Figures: []Figure{fig("a1", f(3), hub.Exact, town), fig("a2", f(12), hub.Exact, town), fig("b1", f(7), hub.Exact, town)},
		Tree: tree, Asked: []*hub.Region{{Code: "C", Path: "C"}}, Code: "C", Scope: "C.A", Threshold: DefaultThreshold}
	got, err := Stats(in)
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, s := range got {
		shown = append(shown, fmt.Sprintf("%s=%v", s.RegionCode, deref(s.Value)))
	}
	if fmt.Sprint(shown) != "[a1=3 a2=12 A=15]" {
		t.Errorf("shown %v, want [a1=3 a2=12 A=15]", shown)
	}
	in.Asked = nil
	if _, err := Stats(in); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Errorf("unknown region: %v, want NOT_FOUND", err)
	}
}

func TestCountsPublishedOnly_TheMediaOffice(t *testing.T) {
	if !CountsPublishedOnly(&hub.Principal{Role: hub.Media}) || CountsPublishedOnly(&hub.Principal{Role: hub.Admin}) || CountsPublishedOnly(nil) {
		t.Error("only the media office counts through the published table")
	}
}

func TestCheckPublish_TitleValuesAndEmbargo(t *testing.T) {
	now := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	later := now.Add(48 * time.Hour)
	if at, err := CheckPublish(hub.PublishRequest{Title: "2023 年报", IDs: []int{1}}, now); err != nil || !at.Equal(now) {
		t.Errorf("no embargo: %v %v, want now", at, err)
	}
	if at, err := CheckPublish(hub.PublishRequest{Title: "2023 年报", IDs: []int{1}, PublishAt: &later}, now); err != nil || !at.Equal(later) {
		t.Errorf("embargo: %v %v, want %v", at, err, later)
	}
	for name, r := range map[string]hub.PublishRequest{"blank title": {Title: "  ", IDs: []int{1}}, "no values": {Title: "t"}} {
		if _, err := CheckPublish(r, now); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%s: %v, want BAD_USER_INPUT", name, err)
		}
	}
}

// TestNotPublished_NamesEachMissingValueOnce: of 3, 1, 3, 2 asked for,
// only 1 was published: 3 and 2 are named, 3 once.
func TestNotPublished_NamesEachMissingValueOnce(t *testing.T) {
	err := NotPublished([]int{3, 1, 3, 2}, []int{1})
	if hub.ErrorCode(err) != hub.EINVALID || !strings.HasPrefix(hub.ErrorMessage(err), "不能发布数据 [3 2]：") {
		t.Errorf("%v, want BAD_USER_INPUT naming [3 2]", err)
	}
	if err := NotPublished([]int{2, 1}, []int{1, 2}); err != nil {
		t.Errorf("all published: %v", err)
	}
	if err := NotMarked([]int{4, 5}, []int{5}); hub.ErrorCode(err) != hub.EINVALID || !strings.HasPrefix(hub.ErrorMessage(err), "数据 [4] ") {
		t.Errorf("%v, want BAD_USER_INPUT naming [4]", err)
	}
}
