package graph_test

import (
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestAccess_CachedCountsAreEachReadersOwn: with the process caches on,
// as hub serve runs, six readers of different roles, departments and
// scopes ask the same question twice in turn; each one's totalCount is
// the number of values it is shown, every time, so a count cached for
// one reader never answers another. A sharing agreement granted and
// revoked through the API changes the grantee's count at once (this
// process's own writes empty the caches before they return).
func TestAccess_CachedCountsAreEachReadersOwn(t *testing.T) {
	api := apitest.New(t, apitest.Options{Cache: time.Hour})
	users := map[string]string{
		"city leader":       api.User(t, hub.NewUser{Name: "c-leader", Role: hub.Leader, Region: "370700"}),
		"青州市 leader":        api.User(t, hub.NewUser{Name: "c-leader-qz", Role: hub.Leader, Region: "370781"}),
		"coordinator":       api.User(t, hub.NewUser{Name: "c-coord", Role: hub.Coordinator, Region: "370700"}),
		"civil affairs":     api.User(t, hub.NewUser{Name: "c-civil", Role: hub.Analyst, Department: ptr("civil_affairs"), Region: "370700"}),
		"youth league, 青州市": api.User(t, hub.NewUser{Name: "c-youth", Role: hub.Analyst, Department: ptr("youth_league"), Region: "370781"}),
		"media":             api.User(t, hub.NewUser{Name: "c-media", Role: hub.Media, Region: "370700"}),
	}
	const read = `{ dataValues(filter: {indicators: ["child_directors", "lectures_held", "minors_total"], periods: ["2022", "2023"]}, first: 1000) { totalCount edges { node { id } } } }`
	type answer struct {
		DataValues struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	ask := func(name string) int {
		t.Helper()
		var a answer
		api.Query(t, users[name], read, nil, &a)
		if a.DataValues.TotalCount != len(a.DataValues.Edges) {
			t.Errorf("%s: totalCount %d, shown %d values", name, a.DataValues.TotalCount, len(a.DataValues.Edges))
		}
		return a.DataValues.TotalCount
	}
	counts := map[string]int{}
	distinct := map[int]bool{}
	for round := range 2 {
		for name := range users {
			n := ask(name)
			if round == 1 && n != counts[name] {
				t.Errorf("%s: %d values, %d the first time", name, n, counts[name])
			}
			counts[name] = n
			distinct[n] = true
		}
	}
	if len(distinct) < 4 {
		t.Fatalf("precondition: the readers should see different numbers of values, got %v", counts)
	}

	coord := users["coordinator"]
	before := ask("youth league, 青州市")
	api.Query(t, coord, `mutation { shareIndicators(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"]) }`, nil, nil)
	if n := ask("youth league, 青州市"); n <= before {
		t.Errorf("after an agreement the grantee sees %d values, %d before", n, before)
	}
	api.Query(t, coord, `mutation { revokeShare(withDepartment: "youth_league", fromDepartment: "civil_affairs", indicators: ["child_directors"]) }`, nil, nil)
	if n := ask("youth league, 青州市"); n != before {
		t.Errorf("after revoking, the grantee sees %d values, %d before the agreement", n, before)
	}
}
