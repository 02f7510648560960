package graph

import (
	"context"
	"errors"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/sixprot/hub/internal/hub"
)

// depthLimit refuses operations nested deeper than Max selection levels
// with extensions.code QUERY_TOO_COMPLEX, before any resolver runs.
// Introspection fields (__schema, __type and everything under them) are
// not counted: graphql-js's standard introspection query nests 15 levels
// of ofType, and what it reads is the schema, bounded by its size.
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
			if isIntrospection(s) {
				continue
			}
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

// isIntrospection reports whether f is a root introspection field
// (__schema or __type) whose selection reads the schema, not the data.
// __typename is a plain field: it counts.
func isIntrospection(f *ast.Field) bool {
	return f.Name == "__schema" || f.Name == "__type"
}

// documentLimit bounds a query document before gqlgen parses and validates
// it, so that a small text cannot make validation or the cost estimate
// expand it: at most MaxTokens lexical tokens, MaxDefinitions operations
// and fragments, MaxFields fields once every fragment spread is expanded,
// and maxRepeatedKey fields of one response key in a selection set (see
// repeatedKeys). The expanded count is computed with each fragment's size
// computed once (a fragment spreading itself is refused), so a "fragment
// bomb" (fragments that spread the one below three times, fifteen levels
// deep: 3^15 fields) is refused after reading its text once.
type documentLimit struct {
	MaxTokens      int
	MaxDefinitions int
	MaxFields      int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = documentLimit{}

func (documentLimit) ExtensionName() string                   { return "DocumentLimit" }
func (documentLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d documentLimit) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // a persisted query's hash: its text was checked when it was registered
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, d.MaxTokens)
	if err != nil {
		var gerr *gqlerror.Error
		if errors.As(err, &gerr) && strings.HasPrefix(gerr.Message, "exceeded token limit") {
			return tooComplex("查询文本的词法单元过多（上限 %d）/ the query has more than %d tokens", d.MaxTokens, d.MaxTokens)
		}
		return nil // gqlgen reports the syntax error
	}
	if n := len(doc.Operations) + len(doc.Fragments); d.MaxDefinitions > 0 && n > d.MaxDefinitions {
		return tooComplex("查询文档定义过多（%d 个，上限 %d）/ the document has %d operations and fragments, the limit is %d",
			n, d.MaxDefinitions, n, d.MaxDefinitions)
	}
	n, cycle := expandedFields(doc, d.MaxFields)
	if cycle != "" {
		err := gqlerror.Errorf("片段 %s 引用了自身 / fragment %s spreads itself", cycle, cycle)
		err.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
		return err
	}
	if n > d.MaxFields {
		return tooComplex("展开片段后字段过多（超过 %d）/ the document has more than %d fields once its fragments are expanded",
			d.MaxFields, d.MaxFields)
	}
	if key, n := repeatedKeys(doc); n > maxRepeatedKey {
		return tooComplex("字段 %s 在同一选择集中出现 %d 次（上限 %d）/ the field %s comes %d times in one selection set, the limit is %d",
			key, n, maxRepeatedKey, key, n, maxRepeatedKey)
	}
	return nil
}

// maxRepeatedKey bounds how often one response key may come in one
// selection set (repeatedKeys).
const maxRepeatedKey = 50

func tooComplex(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": hub.ETOOCOMPLEX}
	return err
}

// expandedFields counts the fields of every operation and fragment of doc
// with fragment spreads expanded, stopping above limit. It returns the
// name of a fragment that spreads itself, if any.
func expandedFields(doc *ast.QueryDocument, limit int) (int, string) {
	defs := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		if _, dup := defs[f.Name]; !dup {
			defs[f.Name] = f
		}
	}
	const visiting = -1
	size := map[string]int{}
	cycle := ""
	var count func(ast.SelectionSet) int
	fragment := func(name string) int {
		n, ok := size[name]
		switch {
		case ok && n == visiting:
			if cycle == "" {
				cycle = name
			}
			return limit + 1
		case ok:
			return n
		}
		def := defs[name]
		if def == nil {
			return 0 // unknown: validation refuses it
		}
		size[name] = visiting
		n = count(def.SelectionSet)
		size[name] = n
		return n
	}
	count = func(set ast.SelectionSet) int {
		total := 0
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				total += 1 + count(s.SelectionSet)
			case *ast.InlineFragment:
				total += count(s.SelectionSet)
			case *ast.FragmentSpread:
				total += fragment(s.Name)
			}
			if total > limit {
				return limit + 1
			}
		}
		return total
	}
	total := 0
	for _, op := range doc.Operations {
		total = min(total+count(op.SelectionSet), limit+1)
	}
	for _, f := range doc.Fragments {
		total = min(total+fragment(f.Name), limit+1)
	}
	return total, cycle
}

// repeatedKeys returns the response key (alias or field name) that comes
// most often in one selection set of doc, fragments expanded, and how
// often. gqlparser's OverlappingFieldsCanBeMerged compares the fields of a
// key pairwise, so a key repeated n times costs n² comparisons: a thousand
// copies of `me { name }` take about a second to validate. Called only
// once expandedFields is within its bound, which bounds the work here.
func repeatedKeys(doc *ast.QueryDocument) (string, int) {
	defs := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		if _, dup := defs[f.Name]; !dup {
			defs[f.Name] = f
		}
	}
	worst, most := "", 0
	memo := map[string]map[string]int{}
	var keys func(ast.SelectionSet) map[string]int
	var visit func(ast.SelectionSet)
	// keys counts the response keys of set, fragments merged in; the
	// selection sets of its fields are visited as sets of their own.
	keys = func(set ast.SelectionSet) map[string]int {
		out := map[string]int{}
		add := func(m map[string]int) {
			for k, n := range m {
				out[k] += n
			}
		}
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				k := s.Alias
				if k == "" {
					k = s.Name
				}
				out[k]++
			case *ast.InlineFragment:
				add(keys(s.SelectionSet))
			case *ast.FragmentSpread:
				m, ok := memo[s.Name]
				if !ok {
					memo[s.Name] = nil // a cycle, refused before: counts nothing
					if def := defs[s.Name]; def != nil {
						m = keys(def.SelectionSet)
					}
					memo[s.Name] = m
				}
				add(m)
			}
		}
		for k, n := range out {
			if n > most {
				worst, most = k, n
			}
		}
		return out
	}
	visit = func(set ast.SelectionSet) {
		if len(set) == 0 {
			return
		}
		keys(set)
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				visit(s.SelectionSet)
			case *ast.InlineFragment:
				visit(s.SelectionSet)
			}
		}
	}
	for _, op := range doc.Operations {
		visit(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		visit(f.SelectionSet)
	}
	return worst, most
}
