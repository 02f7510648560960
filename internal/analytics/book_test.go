package analytics

import (
	"slices"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func TestPerTenThousand_DividesByMinorsAndRefusesNoMinors(t *testing.T) {
	for _, c := range []struct {
		value, minors float64
		want          float64
		ok            bool
	}{
		{30, 20000, 15, true},
		{3, 8000, 3.75, true},
		{0, 5000, 0, true},
		{7, 0, 0, false},
		{7, -100, 0, false},
	} {
		got, ok := PerTenThousand(c.value, c.minors)
		if ok != c.ok || !same(&got, &c.want) {
			t.Errorf("PerTenThousand(%v, %v) = %v, %v; want %v, %v", c.value, c.minors, got, ok, c.want, c.ok)
		}
	}
}

func TestBookMinors_PeriodElseItsYearElseNone(t *testing.T) {
	b, err := NewBook(catalogue(), append(rollups(),
		approved(hub.MinorsKey, "Z", "2022", 0),
		approved(hub.MinorsKey, "N", "2022", -1),
		Rollup{Indicator: hub.MinorsKey, Region: "U", Period: "2022", Cell: Cell{Qualifier: hub.Exact, Status: hub.Approved}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		region, period string
		want           *float64
	}{
		{"A", "2022", f(10000)},
		{"A", "2022Q1", f(8000)},  // the quarter's own figure
		{"A", "2022Q2", f(10000)}, // else the year's
		{"B", "2022-03", f(20000)},
		{"A", "2021", nil}, // no minors that year
		{"D", "2022", nil}, // none at all
		{"Z", "2022", nil}, // zero
		{"N", "2022", nil}, // negative
		{"U", "2022", nil}, // visible but not reported
	} {
		if got := b.Minors(c.region, c.period); !same(got, c.want) {
			t.Errorf("Minors(%s, %s) = %v, want %v", c.region, c.period, show(got), show(c.want))
		}
	}
}

func TestBookPerTenK_CountsOnlyWithKnownMinors(t *testing.T) {
	b := book(t)
	count := ind("child_directors", hub.Government, hub.Count)
	for _, c := range []struct {
		name           string
		ind            *hub.Indicator
		v              *float64
		region, period string
		want           *float64
	}{
		{"count per year's minors", count, f(60), "B", "2022", f(30)},
		{"quarter's own minors", count, f(3), "A", "2022Q1", f(3.75)},
		{"quarter falls back to its year", count, f(25), "A", "2022Q2", f(25)},
		{"month falls back to its year", count, f(5), "C", "2022-07", f(10)},
		{"unknown minors", count, f(99), "D", "2022", nil},
		{"no value", count, nil, "A", "2022", nil},
		{"a base figure is not per capita", ind(hub.MinorsKey, hub.Base, hub.Count), f(10000), "A", "2022", nil},
		{"a percentage is not per capita", ind("guard_rate", hub.School, hub.Percent), f(80), "A", "2022", nil},
		{"an amount is not compared per capita", ind("allowance", hub.Government, hub.Amount), f(80), "A", "2022", nil},
	} {
		if got := b.PerTenK(c.ind, c.v, c.region, c.period); !same(got, c.want) {
			t.Errorf("%s: PerTenK = %v, want %v", c.name, show(got), show(c.want))
		}
	}
}

func TestBookNormalised_CountsAndAmountsPerTenThousandRatesAsTheyAre(t *testing.T) {
	b, err := NewBook(append(catalogue(), ind("allowance", hub.Government, hub.Amount)),
		append(rollups(), approved("allowance", "B", "2022", 50000), approved("hope_rooms", "D", "2022", 4)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ind    string
		vt     hub.ValueType
		region string
		want   *float64
	}{
		{"hope_rooms", hub.Count, "B", f(10)},           // 20 / 20000 * 10000
		{"hope_rooms", hub.Count, "C", f(2)},            // 1 / 5000 * 10000
		{"cases", hub.Count, "C", f(6)},                 // 3 / 5000 * 10000
		{"allowance", hub.Amount, "B", f(25000)},        // 50000 / 20000 * 10000
		{"guard_rate", hub.Percent, "B", f(90)},         // as it is
		{"disputes_rate", hub.Rate, "B", f(30)},         // as it is
		{"hope_rooms", hub.Count, "D", nil},             // no value
		{"disputes_rate", hub.Rate, "C", nil},           // no value
		{"child_directors", hub.Count, "D", nil},        // no value, no minors
		{"child_directors_per_10k", hub.Rate, "A", nil}, // derived: no rollup of its own
	} {
		i := b.Indicator(c.ind)
		if i == nil || i.ValueType != c.vt {
			t.Fatalf("fixture: %s is not a %s", c.ind, c.vt)
		}
		if got := b.Normalised(i, c.region, "2022"); !same(got, c.want) {
			t.Errorf("Normalised(%s, %s) = %v, want %v", c.ind, c.region, show(got), show(c.want))
		}
	}
}

func TestBookValue_DerivedStatusQualifierAndMissingInputs(t *testing.T) {
	cat := append(catalogue(),
		derived("twice_per_10k", hub.Government, hub.Rate, "child_directors_per_10k * 2"),
		derived("per_zero", hub.Government, hub.Rate, "child_directors / zero"),
		ind("zero", hub.Government, hub.Count),
		ind("approx_count", hub.Government, hub.Count),
		derived("approx_per_10k", hub.Government, hub.Rate, "approx_count / minors_total * 10000"),
	)
	rows := append(rollups(),
		approved("zero", "A", "2022", 0),
		rollup("approx_count", "A", "2022", 40, hub.Approx, hub.Published),
		Rollup{Indicator: "child_directors", Region: "E", Period: "2022", Cell: Cell{Qualifier: hub.Exact, Status: hub.Published}},
	)
	b, err := NewBook(cat, rows)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		ok     bool
		value  *float64
		q      hub.Qualifier
		status hub.Status
	}
	for _, c := range []struct {
		name, key, region string
		want              want
	}{
		{"a plain rollup as it is", "child_directors", "B", want{true, f(60), hub.AtLeast, hub.Approved}},
		{"a missing rollup", "child_directors", "D", want{}},
		{"exact approved inputs", "child_directors_per_10k", "A", want{true, f(30), hub.Exact, hub.Approved}},
		{"an AT_LEAST input makes it APPROX", "child_directors_per_10k", "B", want{true, f(30), hub.Approx, hub.Approved}},
		{"all inputs published", "child_directors_per_10k", "C", want{true, f(40), hub.Exact, hub.Published}},
		{"an APPROX input, the other approved", "approx_per_10k", "A", want{true, f(40), hub.Approx, hub.Approved}},
		{"a missing input: no value", "child_directors_per_10k", "D", want{}},
		{"an input visible without a number", "child_directors_per_10k", "E", want{true, nil, hub.Exact, hub.Approved}},
		{"a derived input", "twice_per_10k", "C", want{true, f(80), hub.Exact, hub.Published}},
		{"a derived input that is APPROX", "twice_per_10k", "B", want{true, f(60), hub.Approx, hub.Approved}},
		{"a derived input that is missing", "twice_per_10k", "D", want{}},
		{"division by zero: no number", "per_zero", "A", want{true, nil, hub.Exact, hub.Approved}},
	} {
		got, ok, err := b.Value(c.key, c.region, "2022")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if ok != c.want.ok || !same(got.Value, c.want.value) {
			t.Errorf("%s: value %v (ok %v), want %v (ok %v)", c.name, show(got.Value), ok, show(c.want.value), c.want.ok)
			continue
		}
		if ok && (got.Qualifier != c.want.q || got.Status != c.want.status) {
			t.Errorf("%s: %s %s, want %s %s", c.name, got.Qualifier, got.Status, c.want.q, c.want.status)
		}
	}
}

func TestNewBook_RefusesCircularFormulas(t *testing.T) {
	_, err := NewBook([]*hub.Indicator{
		derived("x", hub.Government, hub.Rate, "y + 1"),
		derived("y", hub.Government, hub.Rate, "x * 2"),
	}, nil)
	if hub.ErrorCode(err) != hub.EVALIDATION {
		t.Fatalf("circular catalogue: %v, want a validation error", err)
	}
}

func TestInputsAndWithYears_AddTheMinorsAndTheirYears(t *testing.T) {
	if got, want := Inputs("hope_rooms"), []string{"hope_rooms", hub.MinorsKey}; !slices.Equal(got, want) {
		t.Errorf("Inputs = %v, want %v", got, want)
	}
	got := WithYears("2022Q4", "2023Q1", "2023", "2024-01")
	if want := []string{"2022Q4", "2023Q1", "2023", "2024-01", "2022", "2024"}; !slices.Equal(got, want) {
		t.Errorf("WithYears = %v, want %v", got, want)
	}
}

// TestReads_ClosesOverFormulasAndAddsTheMinors: the keys a figure is
// computed from follow formulas through derived inputs, name the minors
// once, stop at towns and villages (tree counts, no rollups), and a
// circular catalogue ends the walk (NewBook refuses it).
func TestReads_ClosesOverFormulasAndAddsTheMinors(t *testing.T) {
	cat := append(catalogue(),
		derived("coverage", hub.Government, hub.Percent, "child_directors / villages * 100"),
		derived("coverage_per_10k", hub.Government, hub.Rate, "coverage * child_directors_per_10k"),
		derived("loop_a", hub.Government, hub.Rate, "loop_b + 1"),
		derived("loop_b", hub.Government, hub.Rate, "loop_a + 1"),
	)
	cases := []struct {
		key   string
		keys  []string
		trees bool
	}{
		{"child_directors", []string{"child_directors", hub.MinorsKey}, false},
		{hub.MinorsKey, []string{hub.MinorsKey}, false},
		{"child_directors_per_10k", []string{"child_directors_per_10k", "child_directors", hub.MinorsKey}, false},
		{"coverage", []string{"coverage", "child_directors", hub.MinorsKey}, true},
		{"coverage_per_10k", []string{"coverage_per_10k", "child_directors", "coverage", "child_directors_per_10k", hub.MinorsKey}, true},
		{"loop_a", []string{"loop_a", "loop_b", hub.MinorsKey}, false},
	}
	for _, c := range cases {
		keys, trees, err := Reads(cat, c.key)
		if err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		slices.Sort(keys)
		want := slices.Sorted(slices.Values(c.keys))
		if !slices.Equal(keys, want) || trees != c.trees {
			t.Errorf("%s: keys %v, tree counts %v; want %v, %v", c.key, keys, trees, want, c.trees)
		}
	}
	if _, _, err := Reads(append(catalogue(), derived("bad", hub.Government, hub.Rate, "1 +")), "bad"); err == nil {
		t.Error("a formula that does not parse: no error")
	}
}
