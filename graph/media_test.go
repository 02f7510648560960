package graph_test

import (
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

type pubStat struct {
	Indicator  struct{ Key string }
	Region     struct{ Code string }
	Value      *float64
	Suppressed bool
	Text       string
}

func TestPublicityStats_MediaGetsPublishedFiguresOnly(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	analyst := api.User(t, hub.NewUser{Name: "a", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370700"})
	var out struct{ PublicityStats []pubStat }
	api.Query(t, media, `{ publicityStats(period: "2022") { indicator { key publicity } region { code } value suppressed text } }`, nil, &out)
	found := false
	for _, s := range out.PublicityStats {
		if s.Indicator.Key == "brochures_distributed" && s.Region.Code == "370705" {
			found = true
			if s.Text != "2万余份" {
				t.Errorf("奎文区 brochures read %q, want 2万余份", s.Text)
			}
		}
		if s.Indicator.Key == "child_directors" {
			t.Error("media receives a non-publicity indicator")
		}
	}
	if !found {
		t.Error("the published 2022 brochures of 奎文区 are missing")
	}
	// Unpublished 2023 values stay invisible through every path.
	api.Query(t, media, `{ publicityStats(period: "2023") { value } }`, nil, &out)
	if len(out.PublicityStats) != 0 {
		t.Errorf("media sees %d unpublished 2023 figures", len(out.PublicityStats))
	}
	var dv struct{ DataValues struct{ TotalCount int } }
	api.Query(t, media, `{ dataValues(filter: {periods: ["2023"]}) { totalCount } }`, nil, &dv)
	if dv.DataValues.TotalCount != 0 {
		t.Errorf("media reads %d 2023 values through dataValues", dv.DataValues.TotalCount)
	}
	if resp := api.Do(t, analyst, `{ publicityStats(period: "2022") { value } }`, nil); resp.Code() != hub.EFORBIDDEN {
		t.Errorf("analyst gets code %q, want FORBIDDEN", resp.Code())
	}
}

func TestPublish_EmbargoHidesTheBatchUntilItsTime(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	coord := api.User(t, hub.NewUser{Name: "coord", Role: hub.Coordinator, Region: "370700"})
	leader := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	// An approved, unpublished publicity figure: synthetic 2022 values of
	// non-seed counties were published with the seed; use a fresh period.
	var ids struct {
		DataValues struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	api.Query(t, coord, `{ dataValues(filter: {indicators: ["lectures_held"], statuses: [APPROVED]}) { edges { node { id } } } }`, nil, &ids)
	if len(ids.DataValues.Edges) > 0 {
		t.Fatalf("demo has unpublished approved lectures_held values; the test expects none")
	}
	// Approve one more value as the owner would after the workflow.
	ownerExec(t, api, `UPDATE data_values SET status = 'APPROVED', is_released = true
WHERE indicator_key = 'lectures_held' AND region_code = '370702' AND period = '2023' AND is_head`)
	api.Query(t, coord, `{ dataValues(filter: {indicators: ["lectures_held"], regions: ["370702"], periods: ["2023"]}) { edges { node { id } } } }`, nil, &ids)
	id := ids.DataValues.Edges[0].Node.ID

	if resp := api.Do(t, leader, `mutation($i: [ID!]!) { publish(ids: $i, title: "x") { id } }`, map[string]any{"i": []string{id}}); resp.Code() != hub.EFORBIDDEN {
		t.Errorf("leader publishes: code %q", resp.Code())
	}
	later := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339Nano)
	api.Query(t, coord, `mutation($i: [ID!]!, $at: Time) { publish(ids: $i, title: "2023 第一批", publishAt: $at) { id values } }`,
		map[string]any{"i": []string{id}, "at": later}, nil)
	count := func() int {
		var out struct{ PublicityStats []pubStat }
		api.Query(t, media, `{ publicityStats(period: "2023", region: "370702") { indicator { key } value } }`, nil, &out)
		return len(out.PublicityStats)
	}
	// The batch is listed (the media office sees when it is due), but not
	// what is in it.
	batch := func() (values int, periods []string) {
		var out struct {
			Publications []struct {
				Title   string
				Values  int
				Periods []string
			}
		}
		api.Query(t, media, `{ publications { title values periods } }`, nil, &out)
		for _, p := range out.Publications {
			if p.Title == "2023 第一批" {
				return p.Values, p.Periods
			}
		}
		t.Fatal("the embargoed batch is not listed")
		return 0, nil
	}
	if n := count(); n != 0 {
		t.Fatalf("media sees %d figures before the embargo ends", n)
	}
	if n, periods := batch(); n != 0 || len(periods) != 0 {
		t.Errorf("before the embargo the batch shows %d values of %v", n, periods)
	}
	time.Sleep(2500 * time.Millisecond)
	if n := count(); n != 1 {
		t.Errorf("media sees %d figures after the embargo, want 1", n)
	}
	if n, periods := batch(); n != 1 || len(periods) != 1 || periods[0] != "2023" {
		t.Errorf("after the embargo the batch shows %d values of %v, want 1 of [2023]", n, periods)
	}
}

// Suppression holds on the database's own figures: a county with 3 aided
// children is withheld, and so is at least one more cell of the city's
// equation (total = Σ counties), so that the 3 cannot be recovered by
// subtracting the published counties from the published city total.
func TestPublicityStats_SmallCellCannotBeRecoveredByDifferencing(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	// Set up published, coordinator-released 2023 figures of a sensitive
	// indicator directly (triggers off: this is data, not the workflow).
	ownerExec(t, api, `SET session_replication_role = replica;
UPDATE data_values SET is_released = false WHERE indicator_key = 'distressed_children_aided' AND period = '2023' AND NOT is_head;
UPDATE data_values SET status = 'PUBLISHED', is_released = true, releasable = true, publish_at = now() - interval '1 minute',
       value = CASE region_code WHEN '370702' THEN 3 ELSE 40 + length(region_code) END, qualifier = 'EXACT'
WHERE indicator_key = 'distressed_children_aided' AND period = '2023' AND is_head AND region_path <@ '370700';
SET session_replication_role = DEFAULT`)

	var out struct {
		PublicityStats []struct {
			Indicator  struct{ Key string }
			Region     struct{ Code string }
			Value      *float64
			Suppressed bool
			Aggregated bool
		}
	}
	api.Query(t, media, `{ publicityStats(period: "2023", region: "370700") { indicator { key } region { code } value suppressed aggregated } }`, nil, &out)
	var total *float64
	hidden, shown := 0, 0.0
	counties := 0
	for _, s := range out.PublicityStats {
		if s.Indicator.Key != "distressed_children_aided" {
			continue
		}
		if s.Suppressed != (s.Value == nil) {
			t.Errorf("%s: suppressed %v but value %v", s.Region.Code, s.Suppressed, s.Value)
		}
		if s.Region.Code == "370700" {
			if !s.Aggregated {
				t.Error("the city figure is not marked as a total of published figures")
			}
			total = s.Value
			if s.Suppressed {
				hidden++
			}
			continue
		}
		counties++
		if s.Region.Code == "370702" && !s.Suppressed {
			t.Errorf("潍城区's 3 aided children are shown: %v", *s.Value)
		}
		if s.Suppressed {
			hidden++
		} else {
			shown += *s.Value
		}
	}
	if counties < 3 {
		t.Fatalf("only %d county figures published; the test needs a city equation", counties)
	}
	if hidden < 2 {
		t.Errorf("%d cell(s) of the city equation withheld: the total minus the published counties (%v) recovers the small cell", hidden, shown)
	}
	if total != nil && *total-shown == 3 {
		t.Error("the city total minus the shown counties gives 潍城区's 3")
	}
}

// A headline figure (not a publicity indicator) reaches the media office
// only when a coordinator marks it releasable and then publishes it.
func TestPublish_HeadlineFigureNeedsReleasableFirst(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	media := api.User(t, hub.NewUser{Name: "media", Role: hub.Media, Region: "370700"})
	coord := api.User(t, hub.NewUser{Name: "coord", Role: hub.Coordinator, Region: "370700"})
	leader := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	ownerExec(t, api, `UPDATE data_values SET status = 'APPROVED', is_released = true
WHERE indicator_key = 'child_directors' AND region_code = '370781' AND period = '2023' AND is_head`)
	var ids struct {
		DataValues struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	api.Query(t, coord, `{ dataValues(filter: {indicators: ["child_directors"], regions: ["370781"], periods: ["2023"]}) { edges { node { id } } } }`, nil, &ids)
	if len(ids.DataValues.Edges) != 1 {
		t.Fatalf("want one 2023 child_directors value of 青州市, got %d", len(ids.DataValues.Edges))
	}
	vars := map[string]any{"i": []string{ids.DataValues.Edges[0].Node.ID}}
	publish := `mutation($i: [ID!]!) { publish(ids: $i, title: "2023 重点数据") { id } }`
	if resp := api.Do(t, coord, publish, vars); resp.Code() != hub.EINVALID {
		t.Errorf("publishing a headline figure not marked releasable: code %q, want BAD_USER_INPUT", resp.Code())
	}
	if resp := api.Do(t, leader, `mutation($i: [ID!]!) { setReleasable(ids: $i, releasable: true) }`, vars); resp.Code() != hub.EFORBIDDEN {
		t.Errorf("a leader marks a figure releasable: code %q, want FORBIDDEN", resp.Code())
	}
	seen := func() bool {
		var out struct{ PublicityStats []pubStat }
		api.Query(t, media, `{ publicityStats(period: "2023", region: "370781") { indicator { key } region { code } value } }`, nil, &out)
		for _, s := range out.PublicityStats {
			if s.Indicator.Key == "child_directors" && s.Region.Code == "370781" {
				return true
			}
		}
		return false
	}
	if seen() {
		t.Fatal("media sees the figure before it is published")
	}
	api.Query(t, coord, `mutation($i: [ID!]!) { setReleasable(ids: $i, releasable: true) }`, vars, nil)
	if seen() {
		t.Fatal("media sees a releasable figure that is not yet published")
	}
	api.Query(t, coord, publish, vars, nil)
	if !seen() {
		t.Error("media does not see the published headline figure")
	}
}
