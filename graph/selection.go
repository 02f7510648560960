package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/loader"
)

// step is one field of a selection path and the type it is selected on.
type step struct{ onType, field string }

// selects reports whether the current field's selection reaches the path
// of fields, through fragments.
func selects(ctx context.Context, path ...step) bool {
	if !graphql.HasOperationContext(ctx) {
		return true
	}
	oc := graphql.GetOperationContext(ctx)
	fields := graphql.CollectFieldsCtx(ctx, []string{path[0].onType})
	for i, s := range path {
		var next ast.SelectionSet
		found := false
		for _, f := range fields {
			if f.Name == s.field {
				found = true
				next = append(next, f.Selections...)
			}
		}
		if !found {
			return false
		}
		if i == len(path)-1 {
			return true
		}
		fields = graphql.CollectFields(oc, next, []string{path[i+1].onType})
	}
	return false
}

// prefetchValueFields loads the regions and indicators of a page of values
// that the query selects, both at once, into the request's loaders. gqlgen
// resolves every edge on its own, so without it each nesting level would
// wait for the loaders to gather the edges' keys.
func prefetchValueFields(ctx context.Context, values []*hub.DataValue) {
	if len(values) < 2 {
		return
	}
	var wg sync.WaitGroup
	if selects(ctx, step{"DataValueConnection", "edges"}, step{"DataValueEdge", "node"}, step{"DataValue", "region"}) {
		wg.Go(func() {
			// An error here is reported by the field's own resolver.
			_, _ = loader.LoadAll(ctx, loader.For(ctx).Region, keysOf(values, func(v *hub.DataValue) string { return v.RegionCode }))
		})
	}
	if selects(ctx, step{"DataValueConnection", "edges"}, step{"DataValueEdge", "node"}, step{"DataValue", "indicator"}) {
		wg.Go(func() {
			_, _ = loader.LoadAll(ctx, loader.For(ctx).Indicator, keysOf(values, func(v *hub.DataValue) string { return v.IndicatorKey }))
		})
	}
	wg.Wait()
}

// countWanted reports whether the query asks for a connection's totalCount.
func countWanted(ctx context.Context) bool {
	return selects(ctx, step{"DataValueConnection", "totalCount"})
}

// attachedRegions returns the regions a service attached to its rows, or,
// when any is missing, loads them all: a comparison reads its regions in
// its own batch, and reading them again would cost a round trip.
func attachedRegions[T any](ctx context.Context, objs []T, attached func(T) *hub.Region, code func(T) string) ([]*hub.Region, error) {
	out := make([]*hub.Region, len(objs))
	for i, o := range objs {
		if out[i] = attached(o); out[i] == nil {
			return loader.LoadAll(ctx, loader.For(ctx).Region, keysOf(objs, code))
		}
	}
	for _, r := range out {
		loader.For(ctx).Region.Prime(ctx, r.Code, r)
	}
	return out, nil
}
