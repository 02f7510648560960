package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// gqlgen marshals each element of a list of objects in a goroutine of its
// own, so that resolvers under the elements that load through a dataloader
// reach it together and share one batch. When nothing the elements select
// can wait, the goroutines (and the growth of their stacks) are pure cost:
// a page of 50 values with their indicators and regions spent more CPU on
// them than on its fields. graph/gen makes the generated list marshallers
// call marshalList, which marshals such lists in the caller's goroutine.

// fieldKey is a field of an object or interface type.
type fieldKey struct{ object, field string }

// neverWaits are concurrent fields (concurrent_gen.go) whose resolvers
// compute their answer from the object alone, without I/O or a loader.
var neverWaits = map[fieldKey]bool{
	{"Node", "id"}:       true,
	{"Region", "id"}:     true,
	{"Department", "id"}: true,
	{"Indicator", "id"}:  true,
	{"ApiToken", "id"}:   true,
}

// marshalList marshals the n elements of a list whose elements' selection
// is sel, as graphql.MarshalSliceConcurrently does, but one after another
// in the caller's goroutine when sel selects nothing that may wait (no
// concurrent field but those of neverWaits, through every fragment).
func marshalList(ctx context.Context, sel ast.SelectionSet, n int, workerLimit int64, omitPanicHandler bool,
	marshal func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	if n < 2 || mayWait(sel) {
		return graphql.MarshalSliceConcurrently(ctx, n, workerLimit, omitPanicHandler, marshal)
	}
	out := make(graphql.Array, n)
	for i := range out {
		out[i] = marshalElement(ctx, i, omitPanicHandler, marshal)
	}
	return out
}

// marshalElement marshals element i with its index in the field context
// (error paths name it) and, unless omitPanicHandler, turns a panic into
// the element's error and a null, as gqlgen does.
func marshalElement(ctx context.Context, i int, omitPanicHandler bool, marshal func(ctx context.Context, i int) graphql.Marshaler) (m graphql.Marshaler) {
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
	if !omitPanicHandler {
		defer func() {
			if r := recover(); r != nil {
				graphql.AddError(ctx, graphql.Recover(ctx, r))
				m = graphql.Null
			}
		}()
	}
	return marshal(ctx, i)
}

// mayWait reports whether sel selects, at any depth, a field that gqlgen
// resolves concurrently and that may wait (for a loader's batch, for the
// database).
func mayWait(sel ast.SelectionSet) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if s.ObjectDefinition == nil {
				return true
			}
			k := fieldKey{s.ObjectDefinition.Name, s.Name}
			if concurrentFields[k] && !neverWaits[k] {
				return true
			}
			if mayWait(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if mayWait(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || mayWait(s.Definition.SelectionSet) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

// deferredGroup is graphql.NewDeferredGroup when one of the object's
// collected fields is deferred, else the zero group: only
// FieldSet.ResolveConcurrently adds to a group, and only for a deferred
// field, and the marshaller then finds the zero group's Defers empty.
// NewDeferredGroup costs the object's path, a field set and a map.
func deferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for _, f := range fields {
		if f.IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}
