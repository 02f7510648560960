// Package validation decides data validation over plain values: a rule's
// definition (Check; expressions over indicator keys compiled with
// expr-lang/expr, as internal/analytics does for formulas), which rules
// apply to which regions (AppliesTo), what the rules say of a submission
// (Submission: BLOCK is a conflict, WARN a warning, a rule that cannot be
// evaluated a WARN finding) and the validation report (Report: rule
// findings, and outliers by the modified z-score). internal/postgres reads
// the rules and values and hands them here.
package validation

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/sixprot/hub/internal/analytics"
	"github.com/sixprot/hub/internal/hub"
)

// Rule is a validation rule compiled against the indicator catalogue.
type Rule struct {
	*hub.ValidationRule
	left, right *vm.Program
	keys        map[string]bool
	// broken is why a stored rule does not compile (any more): it is not
	// evaluated, and Eval says so.
	broken error
}

// Functions are the functions a rule may call: arithmetic on numbers,
// nothing that loops, builds strings or lists, or reads anything but its
// arguments.
var Functions = []string{"abs", "ceil", "floor", "round", "min", "max"}

// MaxTextBytes bounds each of a rule's texts (they are in every finding).
const MaxTextBytes = 2000

// Compile checks a rule's definition and compiles its expressions. known
// lists the indicator keys an expression may read (stored, not derived
// indicators); towns and villages, the region's tree counts
// (hub.TreeCounts), may be read too; an unknown key, a syntax error, a non-numeric expression,
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
	if len(r.TextZh) > MaxTextBytes || len(r.TextEn) > MaxTextBytes {
		return nil, hub.Errorf(hub.EINVALID, "规则说明过长（上限 %d 字节）/ a rule's text is longer than %d bytes", MaxTextBytes, MaxTextBytes)
	}
	env := make(map[string]any, len(known)+2)
	for _, k := range known {
		env[k] = 0.0
	}
	env[hub.TownsCount], env[hub.VillagesCount] = 0.0, 0.0
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

// CompileStored compiles a rule read from the database. A rule that does
// not compile (stored before a bound existed, or against a catalogue that
// changed) is returned anyway: its Eval fails with the reason, which the
// caller reports as a finding rather than failing the submission.
func CompileStored(r *hub.ValidationRule) *Rule {
	out, err := Compile(r, r.Indicators)
	if err != nil {
		return &Rule{ValidationRule: r, broken: err}
	}
	return out
}

// FailureMessage says, Chinese first, that the rule could not be
// evaluated and why.
func (r *Rule) FailureMessage(err error) string {
	why := hub.ErrorMessage(err)
	if hub.ErrorCode(err) == hub.EINTERNAL {
		why = firstLine(err.Error())
	}
	return fmt.Sprintf("规则 %s 无法计算，未检查 / rule %s could not be evaluated and was not checked: %s", r.Name, r.Name, why)
}

// allowed is what a rule's syntax tree may hold: numbers, indicator keys,
// arithmetic, comparisons and conditions, and calls of Functions. Its
// evaluation then costs at most a few steps per node: no ranges (1..N),
// loops (sum, map, filter …), strings (repeat) or lists.
type allowed struct {
	nodes int
	bad   string
}

// Visit sees children before their parent: the last thing refused is
// the outermost, which is what the message names.
func (a *allowed) Visit(n *ast.Node) {
	a.nodes++
	switch v := (*n).(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.IdentifierNode:
	case *ast.UnaryNode:
		if !oneOf(v.Operator, "-", "+", "!", "not") {
			a.bad = v.Operator
		}
	case *ast.BinaryNode:
		if !oneOf(v.Operator, "+", "-", "*", "/", "%", "**", "^", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "and", "or") {
			a.bad = v.Operator
		}
	case *ast.ConditionalNode:
	case *ast.BuiltinNode:
		if !oneOf(v.Name, Functions...) {
			a.bad = v.Name + "()"
		}
	case *ast.CallNode:
		id, ok := v.Callee.(*ast.IdentifierNode)
		if !ok || !oneOf(id.Value, Functions...) {
			a.bad = "()"
			if ok {
				a.bad = id.Value + "()"
			}
		}
	case *ast.StringNode:
		a.bad = fmt.Sprintf("%q", v.Value)
	default:
		a.bad = strings.TrimPrefix(fmt.Sprintf("%T", v), "*ast.")
	}
}

func oneOf(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

func compileSide(side, src string, env map[string]any, keys map[string]bool) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, hub.Errorf(hub.EINVALID, "%s 表达式为空 / the %s expression is empty", side, side)
	}
	if len(src) > hub.MaxRuleExpressionBytes {
		return nil, hub.Errorf(hub.EINVALID, "%s 表达式过长（%d 字节，上限 %d）/ the %s expression is %d bytes, the limit is %d",
			side, len(src), hub.MaxRuleExpressionBytes, side, len(src), hub.MaxRuleExpressionBytes)
	}
	// The syntax is checked before compiling: only arithmetic over
	// indicator keys, and at most MaxRuleNodes nodes.
	cfg := conf.CreateNew()
	cfg.MaxNodes = hub.MaxRuleNodes
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return nil, hub.Errorf(hub.EINVALID, "%s 表达式无效（语法错误或超过 %d 个节点）/ invalid %s expression (a syntax error, or more than %d nodes): %s",
			side, hub.MaxRuleNodes, side, hub.MaxRuleNodes, firstLine(err.Error()))
	}
	check := &allowed{}
	ast.Walk(&tree.Node, check)
	if check.nodes > hub.MaxRuleNodes {
		return nil, hub.Errorf(hub.EINVALID, "%s 表达式过大（%d 个节点，上限 %d）/ the %s expression has %d nodes, the limit is %d",
			side, check.nodes, hub.MaxRuleNodes, side, check.nodes, hub.MaxRuleNodes)
	}
	if check.bad != "" {
		fns := strings.Join(Functions, " ")
		return nil, hub.Errorf(hub.EINVALID, "%s 表达式不能使用 %s：规则只能用数字、指标、算术与比较运算和函数 %s / the %s expression may not use %s: rules use numbers, indicator keys, arithmetic and comparisons and the functions %s",
			side, check.bad, fns, side, check.bad, fns)
	}
	// Compiling against the catalogue as the environment makes expr itself
	// refuse unknown names; AsFloat64 refuses non-numeric expressions.
	opts := []expr.Option{expr.Env(env), expr.AsFloat64(), expr.MaxNodes(hub.MaxRuleNodes), expr.DisableAllBuiltins()}
	for _, fn := range Functions {
		opts = append(opts, expr.EnableBuiltin(fn))
	}
	p, err := expr.Compile(src, opts...)
	if err != nil {
		return nil, hub.Errorf(hub.EINVALID, "%s 表达式无效（未知指标或语法错误）/ invalid %s expression (unknown indicator or syntax error): %s",
			side, side, firstLine(err.Error()))
	}
	node := p.Node()
	for name := range analytics.Identifiers(&node) {
		if _, known := env[name]; known {
			keys[name] = true
		}
	}
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
	if r.broken != nil {
		return Result{}, r.broken
	}
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
