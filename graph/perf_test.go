package graph_test

import (
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestDataValues_CountOnlyWhenAsked: totalCount is a second pass over the
// matching values, run only when the query selects it (also through a
// fragment), and the page itself is the same either way.
func TestDataValues_CountOnlyWhenAsked(t *testing.T) {
	counter := &statementCounter{}
	api := apitest.New(t, apitest.Options{Tracer: counter, LoaderWait: 200 * time.Millisecond})
	token := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	run := func(q string) (int64, int) {
		var out struct {
			DataValues struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
			}
		}
		before := counter.n.Load()
		api.Query(t, token, q, nil, &out)
		return counter.n.Load() - before, len(out.DataValues.Edges)
	}
	const (
		without  = `{ dataValues(filter: {periods: ["2022"]}, first: 20) { edges { node { id } } } }`
		with     = `{ dataValues(filter: {periods: ["2022"]}, first: 20) { totalCount edges { node { id } } } }`
		fragment = `{ dataValues(filter: {periods: ["2022"]}, first: 20) { ...c edges { node { id } } } } fragment c on DataValueConnection { totalCount }`
	)
	nWithout, rows1 := run(without)
	nWith, rows2 := run(with)
	nFragment, rows3 := run(fragment)
	if rows1 != 20 || rows2 != 20 || rows3 != 20 {
		t.Fatalf("rows %d, %d, %d; want 20 each", rows1, rows2, rows3)
	}
	if nWith != nWithout+1 || nFragment != nWith {
		t.Errorf("statements: %d without totalCount, %d with, %d through a fragment; want n, n+1, n+1", nWithout, nWith, nFragment)
	}
}
