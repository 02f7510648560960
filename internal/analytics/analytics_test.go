package analytics

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/expr-lang/expr/parser"

	"github.com/sixprot/hub/internal/hub"
)

func f(v float64) *float64 { return &v }

func TestRankTiesShareARankAndMissingValuesGetNone(t *testing.T) {
	values := []*float64{f(5), nil, f(9), f(5), f(1)}
	ranks, order := Rank(values)
	want := []int{2, 0, 1, 2, 4}
	for i, r := range ranks {
		if values[i] == nil {
			if r != nil {
				t.Errorf("row %d: rank %d for a missing value, want none", i, *r)
			}
			continue
		}
		if r == nil || *r != want[i] {
			t.Errorf("row %d: rank %v, want %d", i, r, want[i])
		}
	}
	// 9 first, the two 5s in their given order, then 1, the missing last
	if wantOrder := []int{2, 0, 3, 4, 1}; !slices.Equal(order, wantOrder) {
		t.Errorf("order %v, want %v", order, wantOrder)
	}
}

func TestEvaluateDerivedIndicatorFormula(t *testing.T) {
	got, err := Evaluate("child_directors / minors_total * 10000", map[string]*float64{
		"child_directors": f(30), "minors_total": f(60000),
	})
	if err != nil || got == nil || *got != 5 {
		t.Fatalf("got %v, %v; want 5", got, err)
	}
}

func TestEvaluateMissingInputOrZeroDivisorGivesNoValue(t *testing.T) {
	got, err := Evaluate("a / b", map[string]*float64{"a": f(1)})
	if err != nil || got != nil {
		t.Fatalf("missing input: got %v, %v; want nil, nil", got, err)
	}
	got, err = Evaluate("a / b", map[string]*float64{"a": f(1), "b": f(0)})
	if err != nil || got != nil {
		t.Fatalf("zero divisor: got %v, %v; want nil, nil", got, err)
	}
}

func TestCheckFormulasRejectsCircularFormulas(t *testing.T) {
	err := CheckFormulas(map[string]string{
		"x": "y * 2",
		"y": "z + 1",
		"z": "x / 3",
	})
	var he *hub.Error
	if !errors.As(err, &he) || he.Code != hub.EVALIDATION {
		t.Fatalf("circular formulas: got %v, want a validation error", err)
	}
	if err := CheckFormulas(map[string]string{"self": "self + 1"}); err == nil {
		t.Fatal("self-reference accepted")
	}
}

func TestCheckFormulasAcceptsTheDemoCatalogue(t *testing.T) {
	err := CheckFormulas(map[string]string{
		"child_directors_per_10k":   "child_directors / minors_total * 10000",
		"hope_rooms_per_10k":        "hope_rooms / minors_total * 10000",
		"allowance_per_aided_child": "distressed_children_allowance / distressed_children_aided",
		"minors_share_computed":     "minors_total / population_total * 100",
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIdentifiers_NamesEachKeyOnce(t *testing.T) {
	for src, want := range map[string][]string{
		"a + b * a":                 {"a", "b"},
		"hope_rooms / minors_total": {"hope_rooms", "minors_total"},
		"1 + 2":                     {},
	} {
		tree, err := parser.Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		got := slices.Sorted(maps.Keys(Identifiers(&tree.Node)))
		if !slices.Equal(got, want) {
			t.Errorf("Identifiers(%q) = %v, want %v", src, got, want)
		}
	}
}
