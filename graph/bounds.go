package graph

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/sixprot/hub/internal/hub"
)

// listBounds are the largest lengths of the API's list arguments, by
// "Type.field.argument". A list argument not named here (and a list inside
// an input object not in inputBounds) is bounded by hub.MaxListArgument: a
// field added to the schema later is bounded without being listed.
var listBounds = map[string]int{
	"Query.trend.regions":             hub.MaxRegionsPerQuery,
	"Query.protectionProfile.regions": hub.MaxRegionsPerQuery,
	"Mutation.transition.ids":         hub.MaxIDsPerRequest,
	"Mutation.publish.ids":            hub.MaxIDsPerRequest,
	"Mutation.setReleasable.ids":      hub.MaxIDsPerRequest,
	"Mutation.submitValues.input":     hub.MaxSubmitValues,
	"Query.nodes.ids":                 hub.MaxNodeIDs,
}

// inputBounds bound every list field of these input types, wherever they
// are used.
var inputBounds = map[string]int{
	"DataValueFilter": hub.MaxFilterValues,
	"AuditFilter":     hub.MaxFilterValues,
}

// argumentBounds refuses, before any resolver runs (so before any SQL), an
// operation with a list argument longer than its bound or a page size
// (first, last) outside 1–hub.MaxPageSize, with BAD_USER_INPUT naming the
// argument and the bound. It also keeps the cost estimate honest: cost
// multiplies by list lengths, which are bounded here first.
type argumentBounds struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = argumentBounds{}

func (argumentBounds) ExtensionName() string                   { return "ArgumentBounds" }
func (argumentBounds) Validate(graphql.ExecutableSchema) error { return nil }

func (b argumentBounds) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil {
		return nil
	}
	w := boundWalker{schema: b.schema, vars: rc.Variables, seen: map[string]bool{}}
	if err := w.selections(rc.Operation.SelectionSet); err != nil {
		err.Extensions = map[string]any{"code": hub.EINVALID}
		return err
	}
	return nil
}

type boundWalker struct {
	schema *ast.Schema
	vars   map[string]any
	// seen fragments: their arguments are the same wherever they are spread.
	seen map[string]bool
}

func (w *boundWalker) selections(set ast.SelectionSet) *gqlerror.Error {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if err := w.field(s); err != nil {
				return err
			}
		case *ast.InlineFragment:
			if err := w.selections(s.SelectionSet); err != nil {
				return err
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || w.seen[s.Name] {
				continue
			}
			w.seen[s.Name] = true
			if err := w.selections(s.Definition.SelectionSet); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *boundWalker) field(f *ast.Field) *gqlerror.Error {
	if f.Definition != nil && f.ObjectDefinition != nil && len(f.Definition.Arguments) > 0 {
		if w.written(f, "first") && w.written(f, "last") {
			return gqlerror.Errorf("参数 %s.first 与 %s.last 不能同时使用：向前翻页用 first/after，向后用 last/before / arguments %s.first and %s.last cannot be used together: page forward with first/after, backward with last/before",
				f.Name, f.Name, f.Name, f.Name)
		}
		args := f.ArgumentMap(w.vars)
		for _, def := range f.Definition.Arguments {
			v, ok := args[def.Name]
			if !ok {
				continue
			}
			bound, ok := listBounds[f.ObjectDefinition.Name+"."+f.Name+"."+def.Name]
			if !ok {
				bound = hub.MaxListArgument
			}
			if err := w.value(f.Name+"."+def.Name, def.Type, v, bound); err != nil {
				return err
			}
			if def.Name == "first" || def.Name == "last" {
				if n, ok := intValue(v); ok && (n < 1 || n > hub.MaxPageSize) {
					return gqlerror.Errorf("参数 %s.%s 应在 1–%d 之间（收到 %d）/ argument %s.%s must be between 1 and %d, got %d",
						f.Name, def.Name, hub.MaxPageSize, n, f.Name, def.Name, hub.MaxPageSize, n)
				}
			}
		}
	}
	return w.selections(f.SelectionSet)
}

// written tells whether the operation gives f's argument name a value
// (not null, and not a variable left out): a schema default is not written.
func (w *boundWalker) written(f *ast.Field, name string) bool {
	a := f.Arguments.ForName(name)
	if a == nil || a.Value == nil {
		return false
	}
	v, err := a.Value.Value(w.vars)
	return err == nil && v != nil
}

// value checks v, of type t, at the argument path name (shown); bound is
// the largest length of a list at this place.
func (w *boundWalker) value(name string, t *ast.Type, v any, bound int) *gqlerror.Error {
	if v == nil || t == nil {
		return nil
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			return nil // a single value coerced to a list of one
		}
		if n := rv.Len(); n > bound {
			return gqlerror.Errorf("参数 %s 最多 %d 项（收到 %d 项）/ argument %s takes at most %d items, got %d",
				name, bound, n, name, bound, n)
		}
		for i := 0; i < rv.Len(); i++ {
			if err := w.value(name, t.Elem, rv.Index(i).Interface(), bound); err != nil {
				return err
			}
		}
		return nil
	}
	def := w.schema.Types[t.NamedType]
	obj, ok := v.(map[string]any)
	if def == nil || def.Kind != ast.InputObject || !ok {
		return nil
	}
	inner, ok := inputBounds[def.Name]
	if !ok {
		inner = hub.MaxListArgument
	}
	for _, fd := range def.Fields {
		if err := w.value(name+"."+fd.Name, fd.Type, obj[fd.Name], inner); err != nil {
			return err
		}
	}
	return nil
}

// intValue reads an Int argument as coerced by gqlparser (int64, or a
// json.Number or float64 from variables).
func intValue(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case float64:
		return int64(n), true
	case interface{ Int64() (int64, error) }:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
