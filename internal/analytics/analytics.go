// Package analytics decides the answers of the analytics service:
// derived-indicator formulas, values per 10,000 minors, ranking with ties
// and missing values, protection-profile scores and trend periods. It works
// on plain domain values (the catalogue, regions and rollups a request
// read); internal/postgres reads them in one round trip and hands them
// here, so that every figure can be tested without a database.
package analytics

import (
	"fmt"
	"sort"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
	"github.com/sixprot/hub/internal/hub"
)

// Rank gives competition ranks (1 = highest; ties share a rank, the next
// rank skips) to values; nil values get a nil rank. order lists the
// indexes of values by rank, ties in their given order, nil values last
// in their given order: the order a ranked list is shown in.
func Rank(values []*float64) (ranks []*int, order []int) {
	order = make([]int, 0, len(values))
	for i, v := range values {
		if v != nil {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return *values[order[a]] > *values[order[b]] })
	ranks = make([]*int, len(values))
	for pos, i := range order {
		r := pos + 1
		if pos > 0 && *values[order[pos-1]] == *values[i] {
			r = *ranks[order[pos-1]]
		}
		ranks[i] = &r
	}
	for i, v := range values {
		if v == nil {
			order = append(order, i)
		}
	}
	return ranks, order
}

type identVisitor struct{ names map[string]bool }

func (v *identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v.names[id.Value] = true
	}
}

// Identifiers returns the set of names an expr-lang syntax tree refers to
// (a formula's indicator keys; a validation rule's, with the names of the
// functions it calls where the tree keeps them as identifiers).
func Identifiers(node *ast.Node) map[string]bool {
	v := &identVisitor{names: map[string]bool{}}
	ast.Walk(node, v)
	return v.names
}

// Dependencies returns the indicator keys a formula refers to, sorted.
func Dependencies(formula string) ([]string, error) {
	tree, err := parser.Parse(formula)
	if err != nil {
		return nil, hub.Errorf(hub.EVALIDATION, "公式无法解析 / formula does not parse: %v", err)
	}
	names := Identifiers(&tree.Node)
	deps := make([]string, 0, len(names))
	for k := range names {
		deps = append(deps, k)
	}
	sort.Strings(deps)
	return deps, nil
}

// CheckFormulas rejects formulas that do not parse or that refer, directly
// or through other derived indicators, to themselves. formulas maps an
// indicator key to its formula (only derived indicators).
func CheckFormulas(formulas map[string]string) error {
	deps := map[string][]string{}
	for k, f := range formulas {
		d, err := Dependencies(f)
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		deps[k] = d
	}
	const (
		white = iota
		grey
		black
	)
	colour := map[string]int{}
	var visit func(k string, path []string) error
	visit = func(k string, path []string) error {
		switch colour[k] {
		case grey:
			return hub.Errorf(hub.EVALIDATION, "公式循环引用 / circular formula: %v", append(path, k))
		case black:
			return nil
		}
		colour[k] = grey
		for _, d := range deps[k] {
			if err := visit(d, append(path, k)); err != nil {
				return err
			}
		}
		colour[k] = black
		return nil
	}
	keys := make([]string, 0, len(deps))
	for k := range deps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := visit(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// Evaluate computes a formula from the values of its inputs. A missing
// input or a division by zero gives nil (no value), never an error.
func Evaluate(formula string, values map[string]*float64) (*float64, error) {
	deps, err := Dependencies(formula)
	if err != nil {
		return nil, err
	}
	env := map[string]any{}
	for _, d := range deps {
		v := values[d]
		if v == nil {
			return nil, nil
		}
		env[d] = *v
	}
	out, err := expr.Eval(formula, env)
	if err != nil {
		return nil, hub.Errorf(hub.EVALIDATION, "公式计算失败 / formula failed: %v", err)
	}
	var f float64
	switch x := out.(type) {
	case float64:
		f = x
	case int:
		f = float64(x)
	default:
		return nil, hub.Errorf(hub.EVALIDATION, "公式结果不是数字 / formula result is not a number")
	}
	if f != f || f > 1e308 || f < -1e308 { // NaN or ±Inf (division by zero)
		return nil, nil
	}
	return &f, nil
}
