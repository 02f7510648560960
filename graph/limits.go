package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than Max selection levels
// with extensions.code QUERY_TOO_COMPLEX, before any resolver runs.
type depthLimit struct{ Max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if d.Max <= 0 || rc.Operation == nil {
		return nil
	}
	if n := selectionDepth(rc.Operation.SelectionSet, 0); n > d.Max {
		err := gqlerror.Errorf("查询嵌套过深（%d 层，上限 %d） / operation is nested %d levels deep, limit is %d", n, d.Max, n, d.Max)
		err.Extensions = map[string]any{"code": "QUERY_TOO_COMPLEX"}
		return err
	}
	return nil
}

// selectionDepth returns the deepest field nesting of a selection set,
// following fragments (visits bounded by the depth so far, so cyclic
// fragments, already refused by validation, cannot loop for ever).
func selectionDepth(set ast.SelectionSet, seen int) int {
	if seen > 1000 {
		return seen
	}
	deepest := 0
	for _, sel := range set {
		var n int
		switch s := sel.(type) {
		case *ast.Field:
			n = 1 + selectionDepth(s.SelectionSet, seen+1)
		case *ast.InlineFragment:
			n = selectionDepth(s.SelectionSet, seen)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				n = selectionDepth(s.Definition.SelectionSet, seen)
			}
		}
		deepest = max(deepest, n)
	}
	return deepest
}
