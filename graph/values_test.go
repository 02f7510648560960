package graph_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/live"
)

// attachedValue is a value as the tests of its attached fields read it.
type attachedValue struct {
	ID        string
	Indicator *struct{ Key string }
	Region    *struct{ Code string }
}

// valueReturningFields are the fields of the schema whose type is DataValue
// or Node (a list of them, or not): each resolver behind them attaches the
// values' indicators and regions, and TestValueFields_EveryPathAttaches
// reads them through each.
var valueReturningFields = []string{
	"DataValueEdge.node", "Mutation.transition", "Query.node", "Query.nodes",
	"SubmitResult.values", "ValuesChange.values",
}

// TestValueFields_EveryPathAttaches: DataValue's indicator and region are
// plain fields that every resolver returning values must fill; a path that
// does not answers an error, and a new field that returns values fails
// here until it is tested below.
func TestValueFields_EveryPathAttaches(t *testing.T) {
	var found []string
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	for _, def := range schema.Types {
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			if n := f.Type.Name(); n == "DataValue" || n == "Node" {
				found = append(found, def.Name+"."+f.Name)
			}
		}
	}
	slices.Sort(found)
	if !slices.Equal(found, valueReturningFields) {
		t.Fatalf("fields returning values: %v, tested: %v (attach in the new resolver, then test it here)", found, valueReturningFields)
	}

	f := newLiveFixture(t, live.Limits{})
	srv := serveLive(t, f.api.Handler)
	check := func(path string, data json.RawMessage, values func() []attachedValue) {
		t.Helper()
		vs := values()
		if len(vs) == 0 {
			t.Fatalf("%s: no values in %s", path, data)
		}
		for _, v := range vs {
			if v.Indicator == nil || v.Indicator.Key == "" || v.Region == nil || v.Region.Code == "" {
				t.Fatalf("%s: value %s without its indicator or region: %s", path, v.ID, data)
			}
		}
	}
	const fields = `id indicator { key } region { code }`
	stream := sse(t, srv, f.analyst, `subscription { valuesChanged(filter: {periods: ["2030"]}) { resync values { `+fields+` } } }`, nil)
	waitSubscriptions(t, f.api.Live, 1)

	var submitted struct {
		SubmitValues struct{ Values []attachedValue }
	}
	raw := query(t, f, f.analyst, `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { values { `+fields+` } } }`,
		map[string]any{"in": []any{map[string]any{"indicator": "minors_total", "region": "370702", "period": "2030", "value": 12}}}, &submitted)
	check("SubmitResult.values", raw, func() []attachedValue { return submitted.SubmitValues.Values })
	id := submitted.SubmitValues.Values[0].ID

	var moved struct{ Transition []attachedValue }
	raw = query(t, f, f.analyst, `mutation($ids: [ID!]!) { transition(ids: $ids, to: SUBMITTED) { `+fields+` } }`, map[string]any{"ids": []string{id}}, &moved)
	check("Mutation.transition", raw, func() []attachedValue { return moved.Transition })

	var node struct{ Node attachedValue }
	raw = query(t, f, f.analyst, `query($id: ID!) { node(id: $id) { ... on DataValue { `+fields+` } } }`, map[string]any{"id": id}, &node)
	check("Query.node", raw, func() []attachedValue { return []attachedValue{node.Node} })

	var nodes struct{ Nodes []attachedValue }
	raw = query(t, f, f.analyst, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Node { ... on DataValue { `+fields+` } } } }`, map[string]any{"ids": []string{id}}, &nodes)
	check("Query.nodes", raw, func() []attachedValue { return nodes.Nodes })

	var page struct {
		DataValues struct {
			Edges []struct{ Node attachedValue }
		}
	}
	raw = query(t, f, f.analyst, `{ dataValues(filter: {periods: ["2022"]}, first: 20) { edges { node { `+fields+` } } } }`, nil, &page)
	check("DataValueEdge.node", raw, func() []attachedValue {
		var out []attachedValue
		for _, e := range page.DataValues.Edges {
			out = append(out, e.Node)
		}
		return out
	})

	for {
		var ev struct {
			ValuesChanged struct {
				Resync bool
				Values []attachedValue
			}
		}
		data := nextSSE(t, stream)
		var msg struct {
			Data   json.RawMessage
			Errors []any
		}
		if err := json.Unmarshal(data, &msg); err != nil || len(msg.Errors) > 0 {
			t.Fatalf("ValuesChange.values: %s (%v)", data, err)
		}
		if err := json.Unmarshal(msg.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ValuesChanged.Resync {
			t.Fatalf("ValuesChange.values: resync instead of values: %s", data)
		}
		if len(ev.ValuesChanged.Values) > 0 {
			check("ValuesChange.values", data, func() []attachedValue { return ev.ValuesChanged.Values })
			return
		}
	}
}

// query runs a GraphQL request that must answer no errors, decodes its
// data into out and returns it.
func query(t *testing.T, f *liveFixture, token, q string, vars map[string]any, out any) json.RawMessage {
	t.Helper()
	resp := f.api.Do(t, token, q, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("%s: %+v", q, resp.Errors)
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		t.Fatal(fmt.Errorf("decode %s: %w", resp.Data, err))
	}
	return resp.Data
}
