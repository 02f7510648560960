package analytics

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func profileInput(regions ...string) ProfileInput {
	e := region("E", "Y")
	return ProfileInput{
		Regions:    regions,
		Period:     "2022",
		Indicators: catalogue(),
		Asked:      append(append([]*hub.Region{}, counties...), e),
		Peers:      append(append([]*hub.Region{}, counties...), e),
		Rollups:    rollups(),
	}
}

// scores shows a profile as "PROTECTION score/used", scores rounded to 1e-6.
func scores(p *hub.ProtectionProfile) string {
	parts := make([]string, len(p.Scores))
	for i, s := range p.Scores {
		v := "—"
		if s.Score != nil {
			v = fmt.Sprint(math.Round(*s.Score*1e6) / 1e6)
		}
		parts[i] = fmt.Sprintf("%s %s/%d", s.Protection, v, s.IndicatorsUsed)
	}
	return strings.Join(parts, " ")
}

func TestProfile_ScoresAgainstPeersLowerIsBetterTheOtherWay(t *testing.T) {
	// Per 10,000 minors across A, B, C, D (D has nothing):
	//   child_directors 30, 30, 40      → GOVERNMENT A 0, C 100 (the derived per-10k is not scored again)
	//   hope_rooms       5, 10,  2      → SOCIETY A 37.5, C 0
	//   guard_rate (%)  80, 90, 100     → SCHOOL A 0, C 100
	//   cases            2,  1,  6, fewer is better → A 80, B 100, C 0
	//   disputes_rate   10, 30, —,  fewer is better → A 100, B 0
	//   JUDICIAL A (80+100)/2 = 90 from 2, C 0 from 1
	// E is alone under its city: its one value scores 100.
	out, err := Profile(profileInput("C", "A", "E"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"C: FAMILY —/0 SCHOOL 100/1 SOCIETY 0/1 ONLINE —/0 GOVERNMENT 100/1 JUDICIAL 0/1",
		"A: FAMILY —/0 SCHOOL 0/1 SOCIETY 37.5/1 ONLINE —/0 GOVERNMENT 0/1 JUDICIAL 90/2",
		"E: FAMILY —/0 SCHOOL —/0 SOCIETY 100/1 ONLINE —/0 GOVERNMENT —/0 JUDICIAL —/0",
	}
	if len(out) != len(want) {
		t.Fatalf("%d profiles, want %d", len(out), len(want))
	}
	for i, p := range out {
		if got := p.RegionCode + ": " + scores(p); got != want[i] {
			t.Errorf("\n got %s\nwant %s", got, want[i])
		}
	}
}

func TestProfile_RefusesAnUnknownRegion(t *testing.T) {
	in := profileInput("A", "Q")
	if _, err := Profile(in); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Fatalf("unknown region: %v, want not found", err)
	}
}
