// Package validation holds the pure computations of data validation:
// compiling and evaluating validation rules (expressions over indicator
// keys, with expr-lang/expr, as internal/analytics does for formulas) and
// the modified z-score of outlier checks. Storage and the choice of which
// values to check live in internal/postgres.
package validation

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/sixprot/hub/internal/hub"
)

// Rule is a validation rule compiled against the indicator catalogue.
type Rule struct {
	*hub.ValidationRule
	left, right *vm.Program
	keys        map[string]bool
}

// Compile checks a rule's definition and compiles its expressions. known
// lists the indicator keys an expression may read (stored, not derived
// indicators); an unknown key, a syntax error, a non-numeric expression,
// an unknown operator or severity, a negative tolerance or a missing text
// is EINVALID. On success r.Indicators is set to the keys read, sorted.
func Compile(r *hub.ValidationRule, known []string) (*Rule, error) {
	if !hub.ValidOperator(r.Operator) {
		return nil, hub.Errorf(hub.EINVALID, "未知运算符 %q，可用 %s / unknown operator %q; use one of %s",
			r.Operator, strings.Join(hub.Operators, " "), r.Operator, strings.Join(hub.Operators, " "))
	}
	if !r.Severity.Valid() {
		return nil, hub.Errorf(hub.EINVALID, "严重程度须为 BLOCK 或 WARN / severity must be BLOCK or WARN, not %q", r.Severity)
	}
	if !r.MissingValues.Valid() {
		return nil, hub.Errorf(hub.EINVALID, "缺失值策略须为 SKIP_IF_ANY_MISSING 或 NEVER_SKIP / missingValues must be SKIP_IF_ANY_MISSING or NEVER_SKIP, not %q", r.MissingValues)
	}
	if r.Tolerance < 0 || math.IsNaN(r.Tolerance) || math.IsInf(r.Tolerance, 0) {
		return nil, hub.Errorf(hub.EINVALID, "容差须为非负数 / tolerance must be a non-negative number, not %v", r.Tolerance)
	}
	if strings.TrimSpace(r.TextZh) == "" || strings.TrimSpace(r.TextEn) == "" {
		return nil, hub.Errorf(hub.EINVALID, "规则须有中英文说明 / a rule needs a Chinese and an English text")
	}
	env := make(map[string]any, len(known))
	for _, k := range known {
		env[k] = 0.0
	}
	out := &Rule{ValidationRule: r, keys: map[string]bool{}}
	var err error
	if out.left, err = compileSide("left", r.Left, env, out.keys); err != nil {
		return nil, err
	}
	if out.right, err = compileSide("right", r.Right, env, out.keys); err != nil {
		return nil, err
	}
	if len(out.keys) == 0 {
		return nil, hub.Errorf(hub.EINVALID, "规则须至少引用一个指标 / a rule must read at least one indicator")
	}
	r.Indicators = make([]string, 0, len(out.keys))
	for k := range out.keys {
		r.Indicators = append(r.Indicators, k)
	}
	sort.Strings(r.Indicators)
	return out, nil
}

type identVisitor struct {
	env  map[string]any
	keys map[string]bool
}

func (v *identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		if _, known := v.env[id.Value]; known {
			v.keys[id.Value] = true
		}
	}
}

func compileSide(side, src string, env map[string]any, keys map[string]bool) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, hub.Errorf(hub.EINVALID, "%s 表达式为空 / the %s expression is empty", side, side)
	}
	// Compiling against the catalogue as the environment makes expr itself
	// refuse unknown names; AsFloat64 refuses non-numeric expressions.
	p, err := expr.Compile(src, expr.Env(env), expr.AsFloat64())
	if err != nil {
		return nil, hub.Errorf(hub.EINVALID, "%s 表达式无效（未知指标或语法错误）/ invalid %s expression (unknown indicator or syntax error): %s",
			side, side, firstLine(err.Error()))
	}
	node := p.Node()
	ast.Walk(&node, &identVisitor{env: env, keys: keys})
	return p, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Result is a rule evaluated for one region and period.
type Result struct {
	// Skipped: a value was missing (SKIP_IF_ANY_MISSING) or a side is not
	// a finite number (division by zero); the rule says nothing.
	Skipped     bool
	Violated    bool
	Left, Right float64
}

// Eval evaluates the rule on values (indicator key → value; nil or absent
// is missing). Under NEVER_SKIP a missing value counts as 0.
func (r *Rule) Eval(values map[string]*float64) (Result, error) {
	env := make(map[string]any, len(r.keys))
	for k := range r.keys {
		v := values[k]
		switch {
		case v != nil:
			env[k] = *v
		case r.MissingValues == hub.NeverSkip:
			env[k] = 0.0
		default:
			return Result{Skipped: true}, nil
		}
	}
	l, err := run(r.left, env)
	if err != nil {
		return Result{}, fmt.Errorf("rule %s left: %w", r.Name, err)
	}
	rt, err := run(r.right, env)
	if err != nil {
		return Result{}, fmt.Errorf("rule %s right: %w", r.Name, err)
	}
	res := Result{Left: l, Right: rt}
	if !finite(l) || !finite(rt) {
		res.Skipped = true
		return res, nil
	}
	res.Violated = !Holds(l, r.Operator, rt, r.Tolerance)
	return res, nil
}

func run(p *vm.Program, env map[string]any) (float64, error) {
	out, err := expr.Run(p, env)
	if err != nil {
		return 0, err
	}
	f, ok := out.(float64)
	if !ok {
		return 0, fmt.Errorf("result %T is not a number", out)
	}
	return f, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Holds reports whether l op r holds, relaxed by tol: equality within tol,
// inequality beyond it, and ordered comparisons allowing tol of slack.
func Holds(l float64, op string, r, tol float64) bool {
	switch op {
	case "==":
		return math.Abs(l-r) <= tol
	case "!=":
		return math.Abs(l-r) > tol
	case "<":
		return l < r+tol
	case "<=":
		return l <= r+tol
	case ">":
		return l > r-tol
	case ">=":
		return l >= r-tol
	}
	return false
}

// Message says, Chinese first, that the rule is violated and with which
// numbers.
func (r *Rule) Message(res Result) string {
	return fmt.Sprintf("%s：%s（左 %s，右 %s）/ %s: %s (left %s, right %s)",
		r.TextZh, r.Expression(), num(res.Left), num(res.Right),
		r.TextEn, r.Expression(), num(res.Left), num(res.Right))
}

func num(x float64) string { return fmt.Sprintf("%.6g", x) }
