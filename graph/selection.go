package graph

import (
	"context"

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
	fields := graphql.CollectFieldsCtx(ctx, satisfies(path[0].onType))
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
		fields = graphql.CollectFields(oc, next, satisfies(path[i+1].onType))
	}
	return false
}

// satisfies lists the type conditions that select fields on an object of
// type t: its name and its interfaces (a DataValue's fields may be asked
// for in a fragment on Node).
func satisfies(t string) []string {
	if def := parsedSchema.Types[t]; def != nil && len(def.Interfaces) > 0 {
		return append([]string{t}, def.Interfaces...)
	}
	return []string{t}
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
