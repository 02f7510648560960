package catalogue_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/catalogue"
	"github.com/sixprot/hub/internal/hub"
)

func str(s string) *string { return &s }

var retired = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func departments() map[string]*hub.Department {
	return map[string]*hub.Department{
		"civil_affairs": {Code: "civil_affairs", Name: "民政局"},
		"closed":        {Code: "closed", Name: "撤销的部门", RetiredAt: &retired},
	}
}

// count is a valid entered indicator; edit changes a copy.
func count(key string, edit ...func(*hub.Indicator)) *hub.Indicator {
	i := &hub.Indicator{Key: key, Name: "名称", Protection: hub.Government, Unit: "persons", DepartmentCode: "civil_affairs",
		ValueType: hub.Count, Aggregation: hub.Sum, PeriodType: hub.Year, CollectionLevel: hub.LevelCounty}
	for _, e := range edit {
		e(i)
	}
	return i
}

func derived(key, formula string, edit ...func(*hub.Indicator)) *hub.Indicator {
	return count(key, append([]func(*hub.Indicator){func(i *hub.Indicator) {
		i.ValueType, i.Aggregation, i.Formula = hub.Rate, hub.None, str(formula)
	}}, edit...)...)
}

func TestCheckIndicator_EachRuleOfTheDefinition(t *testing.T) {
	cases := []struct {
		name, field, code string
		ind               *hub.Indicator
	}{
		{"valid count", "", "", count("minors")},
		{"valid derived", "", "", derived("per_10k", "a / b * 10000")},
		{"key with a capital", catalogue.FieldKey, hub.EINVALID, count("Minors")},
		{"key starting with a digit", catalogue.FieldKey, hub.EINVALID, count("1minors")},
		{"key too long", catalogue.FieldKey, hub.EINVALID, count(strings.Repeat("k", 65))},
		{"blank name", catalogue.FieldName, hub.EINVALID, count("k", func(i *hub.Indicator) { i.Name = "  " })},
		{"unknown protection", catalogue.FieldProtection, hub.EINVALID, count("k", func(i *hub.Indicator) { i.Protection = "CARE" })},
		{"no unit", catalogue.FieldUnit, hub.EINVALID, count("k", func(i *hub.Indicator) { i.Unit = "" })},
		{"unknown department", catalogue.FieldDepartment, hub.ENOTFOUND, count("k", func(i *hub.Indicator) { i.DepartmentCode = "police" })},
		{"retired department", catalogue.FieldDepartment, hub.ERETIRED, count("k", func(i *hub.Indicator) { i.DepartmentCode = "closed" })},
		{"unknown value type", catalogue.FieldValueType, hub.EINVALID, count("k", func(i *hub.Indicator) { i.ValueType = "MONEY" })},
		{"unknown aggregation", catalogue.FieldAggregation, hub.EINVALID, count("k", func(i *hub.Indicator) { i.Aggregation = "MEDIAN" })},
		{"percent summed", catalogue.FieldAggregation, hub.EINVALID, count("k", func(i *hub.Indicator) { i.ValueType = hub.Percent })},
		{"rate summed", catalogue.FieldAggregation, hub.EINVALID, count("k", func(i *hub.Indicator) { i.ValueType = hub.Rate })},
		{"percent averaged", "", "", count("k", func(i *hub.Indicator) { i.ValueType, i.Aggregation = hub.Percent, hub.Average })},
		{"unknown period type", catalogue.FieldPeriodType, hub.EINVALID, count("k", func(i *hub.Indicator) { i.PeriodType = "WEEK" })},
		{"city level", catalogue.FieldCollectionLevel, hub.EINVALID, count("k", func(i *hub.Indicator) { i.CollectionLevel = hub.LevelCity })},
		{"town level", "", "", count("k", func(i *hub.Indicator) { i.CollectionLevel = hub.LevelTown })},
		{"lower is better on a case count", "", "", count("k", func(i *hub.Indicator) { i.LowerIsBetter = true })},
		{"lower is better on BASE", catalogue.FieldLowerIsBetter, hub.EINVALID, count("k", func(i *hub.Indicator) { i.LowerIsBetter, i.Protection = true, hub.Base })},
		{"lower is better on a derived one", catalogue.FieldLowerIsBetter, hub.EINVALID, derived("k", "a / b", func(i *hub.Indicator) { i.LowerIsBetter = true })},
		{"blank formula", catalogue.FieldFormula, hub.EINVALID, derived("k", " ")},
		{"formula too long", catalogue.FieldFormula, hub.EINVALID, derived("k", strings.Repeat("a + ", 300)+"a")},
		{"formula that does not parse", catalogue.FieldFormula, hub.EVALIDATION, derived("k", "a / (b")},
		{"derived indicator summed", catalogue.FieldAggregation, hub.EINVALID, derived("k", "a / b", func(i *hub.Indicator) { i.ValueType, i.Aggregation = hub.Count, hub.Sum })},
		{"sensitive and public", "", "", count("k", func(i *hub.Indicator) { i.Sensitive, i.Publicity = true, true })},
		{"red-amber-green thresholds", "", "", count("k", func(i *hub.Indicator) { i.RAGAmber, i.RAGGreen = ptr(40.0), ptr(60.0) })},
		{"only one threshold", catalogue.FieldRAG, hub.EINVALID, count("k", func(i *hub.Indicator) { i.RAGAmber = ptr(40.0) })},
		{"green below amber, more is better", catalogue.FieldRAG, hub.EINVALID, count("k", func(i *hub.Indicator) { i.RAGAmber, i.RAGGreen = ptr(60.0), ptr(40.0) })},
		{"green below amber, fewer is better", "", "", count("k", func(i *hub.Indicator) { i.LowerIsBetter, i.RAGAmber, i.RAGGreen = true, ptr(60.0), ptr(40.0) })},
		{"green above amber, fewer is better", catalogue.FieldRAG, hub.EINVALID, count("k", func(i *hub.Indicator) { i.LowerIsBetter, i.RAGAmber, i.RAGGreen = true, ptr(40.0), ptr(60.0) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := catalogue.CheckIndicator(c.ind, departments())
			if c.field == "" {
				if r != nil {
					t.Fatalf("refused: %s %v", r.Field, r.Err)
				}
				return
			}
			if r == nil || r.Field != c.field || hub.ErrorCode(r.Err) != c.code {
				t.Fatalf("got %+v, want field %s code %s", r, c.field, c.code)
			}
			if msg := hub.ErrorMessage(r.Err); !strings.Contains(msg, "/ ") {
				t.Errorf("message %q is not Chinese / English", msg)
			}
		})
	}
}

func TestCheckFormulas_KnownActiveSamePeriodAndAcyclic(t *testing.T) {
	base := func() map[string]*hub.Indicator {
		return map[string]*hub.Indicator{
			"a":       count("a"),
			"b":       count("b"),
			"monthly": count("monthly", func(i *hub.Indicator) { i.PeriodType = hub.Month }),
			"old":     count("old", func(i *hub.Indicator) { i.RetiredAt = &retired }),
		}
	}
	cases := []struct {
		name    string
		add     []*hub.Indicator
		key     string
		code    string
		message string
	}{
		{"reads entered indicators", []*hub.Indicator{derived("r", "a / b * 10000")}, "", "", ""},
		{"reads another derived one", []*hub.Indicator{derived("r", "a / b"), derived("s", "r * 2")}, "", "", ""},
		{"unknown key", []*hub.Indicator{derived("r", "a / nobody")}, "r", hub.EINVALID, "nobody"},
		{"retired input", []*hub.Indicator{derived("r", "a / old")}, "r", hub.ERETIRED, "old"},
		{"another period type", []*hub.Indicator{derived("r", "a / monthly")}, "r", hub.EINVALID, "period types"},
		{"reads itself", []*hub.Indicator{derived("r", "r + 1")}, "", hub.EVALIDATION, "circular"},
		{"a cycle of two", []*hub.Indicator{derived("r", "s + 1"), derived("s", "r * 2")}, "", hub.EVALIDATION, "circular"},
		{"a retired derived one may read a retired input", []*hub.Indicator{derived("r", "a / old", func(i *hub.Indicator) { i.RetiredAt = &retired })}, "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			after := base()
			for _, i := range c.add {
				after[i.Key] = i
			}
			key, r := catalogue.CheckFormulas(after)
			if c.code == "" {
				if r != nil {
					t.Fatalf("refused %s: %v", key, r.Err)
				}
				return
			}
			if r == nil || hub.ErrorCode(r.Err) != c.code || key != c.key || !strings.Contains(r.Err.Error(), c.message) {
				t.Fatalf("got %s %+v, want %s %s mentioning %q", key, r, c.key, c.code, c.message)
			}
		})
	}
}

func TestDecide_CreatesUpdatesAndLeavesEqualDefinitionsUnchanged(t *testing.T) {
	stored := map[string]*hub.Indicator{"a": count("a"), "b": count("b")}
	renamed := count("b", func(i *hub.Indicator) { i.Name = "新名称" })
	pl := catalogue.Decide([]*hub.Indicator{count("a"), renamed, count("c")}, []int{2, 3, 4}, stored, departments(), nil)
	if pl.Created != 1 || pl.Updated != 1 || pl.Unchanged != 1 || len(pl.Conflicts) != 0 {
		t.Fatalf("plan %+v", pl)
	}
	if len(pl.Write) != 2 || pl.Write[0].Key != "b" || pl.Write[1].Key != "c" {
		t.Fatalf("writes %v, want b then c", pl.Write)
	}
	// The same batch again over what it wrote changes nothing.
	after := map[string]*hub.Indicator{"a": count("a"), "b": renamed, "c": count("c")}
	if pl := catalogue.Decide([]*hub.Indicator{count("a"), renamed, count("c")}, []int{2, 3, 4}, after, departments(), nil); pl.Unchanged != 3 || len(pl.Write) != 0 {
		t.Fatalf("second run %+v", pl)
	}
}

func TestDecide_RefusesAllOrNothingByInput(t *testing.T) {
	stored := map[string]*hub.Indicator{"a": count("a"), "b": count("b"), "r": derived("r", "a / b")}
	cases := []struct {
		name   string
		in     []*hub.Indicator
		values map[string]bool
		at     int
		field  string
		code   string
	}{
		{"a key twice", []*hub.Indicator{count("c"), count("c")}, nil, 11, catalogue.FieldKey, hub.EINVALID},
		{"a bad definition", []*hub.Indicator{count("c"), count("d", func(i *hub.Indicator) { i.Unit = "" })}, nil, 11, catalogue.FieldUnit, hub.EINVALID},
		{"department of an indicator with values", []*hub.Indicator{count("a", func(i *hub.Indicator) { i.DepartmentCode = "other" })},
			map[string]bool{"a": true}, 10, catalogue.FieldDepartment, hub.ECONFLICT},
		{"value type of an indicator with values", []*hub.Indicator{count("a", func(i *hub.Indicator) { i.ValueType = hub.Amount })},
			map[string]bool{"a": true}, 10, catalogue.FieldValueType, hub.ECONFLICT},
		{"period type of an indicator with values", []*hub.Indicator{count("a", func(i *hub.Indicator) { i.PeriodType = hub.Month })},
			map[string]bool{"a": true}, 10, catalogue.FieldPeriodType, hub.ECONFLICT},
		{"level of an indicator with values", []*hub.Indicator{count("a", func(i *hub.Indicator) { i.CollectionLevel = hub.LevelTown })},
			map[string]bool{"a": true}, 10, catalogue.FieldCollectionLevel, hub.ECONFLICT},
		{"a change that breaks a stored formula", []*hub.Indicator{count("b", func(i *hub.Indicator) { i.PeriodType = hub.Month })},
			nil, 10, catalogue.FieldFormula, hub.EINVALID},
	}
	depts := departments()
	depts["other"] = &hub.Department{Code: "other", Name: "其他"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := make([]int, len(c.in))
			for i := range at {
				at[i] = 10 + i
			}
			pl := catalogue.Decide(c.in, at, stored, depts, c.values)
			if len(pl.Conflicts) != 1 || pl.Write != nil || pl.Created+pl.Updated+pl.Unchanged != 0 {
				t.Fatalf("plan %+v", pl)
			}
			got := pl.Conflicts[0]
			if got.Index != c.at || string(got.Field) != c.field || got.Code != c.code {
				t.Fatalf("conflict %+v, want at %d field %s code %s", got, c.at, c.field, c.code)
			}
		})
	}
	// Without values, the same changes are allowed.
	pl := catalogue.Decide([]*hub.Indicator{count("a", func(i *hub.Indicator) { i.CollectionLevel = hub.LevelTown })}, []int{0}, stored, depts, nil)
	if pl.Updated != 1 || len(pl.Conflicts) != 0 {
		t.Fatalf("level change without values: %+v", pl)
	}
}

func TestDecide_KeepsARetiredIndicatorRetired(t *testing.T) {
	stored := map[string]*hub.Indicator{"a": count("a", func(i *hub.Indicator) { i.RetiredAt = &retired })}
	pl := catalogue.Decide([]*hub.Indicator{count("a")}, []int{0}, stored, departments(), nil)
	if pl.Unchanged != 1 {
		t.Fatalf("re-importing a retired indicator's definition: %+v", pl)
	}
	pl = catalogue.Decide([]*hub.Indicator{count("a", func(i *hub.Indicator) { i.Name = "新" })}, []int{0}, stored, departments(), nil)
	if pl.Updated != 1 || pl.Write[0].RetiredAt == nil {
		t.Fatalf("renaming a retired indicator un-retired it: %+v", pl.Write[0])
	}
}

func TestRetireRefusal_WhileAnActiveDerivedIndicatorReadsIt(t *testing.T) {
	cat := map[string]*hub.Indicator{
		"a": count("a"), "b": count("b"), "c": count("c"),
		"r":    derived("r", "a / b"),
		"gone": derived("gone", "c * 2", func(i *hub.Indicator) { i.RetiredAt = &retired }),
	}
	if err := catalogue.RetireRefusal("a", cat); hub.ErrorCode(err) != hub.ECONFLICT || !strings.Contains(err.Error(), "r") {
		t.Fatalf("retire a (read by r): %v", err)
	}
	if err := catalogue.RetireRefusal("c", cat); err != nil {
		t.Fatalf("retire c (read only by a retired one): %v", err)
	}
	if err := catalogue.RetireRefusal("r", cat); err != nil {
		t.Fatalf("retire the derived one: %v", err)
	}
	if err := catalogue.RetireRefusal("nobody", cat); hub.ErrorCode(err) != hub.ENOTFOUND {
		t.Fatalf("retire an unknown key: %v", err)
	}
	if err := catalogue.RetireDepartmentRefusal("civil_affairs", []string{"a"}); hub.ErrorCode(err) != hub.ECONFLICT {
		t.Fatalf("retire a department with an active indicator: %v", err)
	}
}

func TestMayChange_AdminsOfTheWholeTreeOnly(t *testing.T) {
	ca := "civil_affairs"
	cases := []struct {
		p    *hub.Principal
		code string
	}{
		{&hub.Principal{Role: hub.Admin, Region: "370700", RegionPath: "370700"}, ""},
		{&hub.Principal{Role: hub.Admin, Region: "370781", RegionPath: "370700.370781"}, hub.EFORBIDDEN},
		{&hub.Principal{Role: hub.Coordinator, Region: "370700", RegionPath: "370700"}, hub.EFORBIDDEN},
		{&hub.Principal{Role: hub.Analyst, Department: &ca, Region: "370700", RegionPath: "370700"}, hub.EFORBIDDEN},
		{&hub.Principal{Role: hub.Leader, Region: "370700", RegionPath: "370700"}, hub.EFORBIDDEN},
		{&hub.Principal{Role: hub.Media, Region: "370700", RegionPath: "370700"}, hub.EFORBIDDEN},
		{nil, hub.EUNAUTHENTICATED},
	}
	for _, c := range cases {
		if got := hub.ErrorCode(catalogue.MayChange(c.p)); got != c.code {
			t.Errorf("%+v: %q, want %q", c.p, got, c.code)
		}
	}
}

func TestApply_PatchesOnlyTheGivenFields(t *testing.T) {
	stored := derived("r", "a / b", func(i *hub.Indicator) { i.NameEn = str("R") })
	n := catalogue.Apply(stored, hub.IndicatorPatch{Name: str("新"), NameEn: str(""), Formula: str("a / b * 100")})
	if n.Name != "新" || n.NameEn != nil || *n.Formula != "a / b * 100" || n.Unit != stored.Unit || *stored.Formula != "a / b" {
		t.Fatalf("patched %+v (stored %+v)", n, stored)
	}
}

func TestReadCSV_ColumnsAndConflictsByRow(t *testing.T) {
	in := "\ufeffkey,name,protection,department,unit,value_type,aggregation,period_type,collection_level,publicity,formula\n" +
		"visits,探访,government,civil_affairs,visits,count,sum,month,town,true,\n" +
		"\n" +
		"share,占比,BASE,civil_affairs,percent,PERCENT,NONE,YEAR,COUNTY,maybe,a / b\n"
	rows, conflicts, err := catalogue.ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Row != 2 || rows[1].Row != 4 {
		t.Fatalf("rows %+v", rows)
	}
	v := rows[0].Indicator
	if v.Protection != hub.Government || v.PeriodType != hub.Month || v.CollectionLevel != hub.LevelTown || !v.Publicity || v.Formula != nil {
		t.Fatalf("visits %+v", v)
	}
	if len(conflicts) != 1 || conflicts[0].Row != 4 || conflicts[0].Column != "publicity" {
		t.Fatalf("conflicts %+v", conflicts)
	}
	for _, bad := range []string{"", "key,name\n", "key,name,protection,department,unit,value_type,aggregation,period_type,collection_level,colour\n"} {
		if _, _, err := catalogue.ReadCSV(strings.NewReader(bad)); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
	// Thresholds are optional number columns.
	rag, conflicts, err := catalogue.ReadCSV(strings.NewReader("key,name,protection,department,unit,value_type,aggregation,period_type,collection_level,rag_amber,rag_green\n" +
		"a,甲,GOVERNMENT,civil_affairs,p,COUNT,SUM,YEAR,COUNTY,40,60.5\nb,乙,GOVERNMENT,civil_affairs,p,COUNT,SUM,YEAR,COUNTY,many,\n"))
	if err != nil || len(rag) != 2 || rag[0].Indicator.RAGAmber == nil || *rag[0].Indicator.RAGGreen != 60.5 ||
		len(conflicts) != 1 || conflicts[0].Column != "rag_amber" || conflicts[0].Row != 3 {
		t.Fatalf("thresholds: %v %+v %+v", err, rag, conflicts)
	}
	v.RAGAmber, v.RAGGreen = rag[0].Indicator.RAGAmber, rag[0].Indicator.RAGGreen
	// WriteCSV writes what ReadCSV reads.
	var b strings.Builder
	if err := catalogue.WriteCSV(&b, []*hub.Indicator{v}); err != nil {
		t.Fatal(err)
	}
	back, _, err := catalogue.ReadCSV(strings.NewReader(b.String()))
	if err != nil || len(back) != 1 || !catalogue.Equal(back[0].Indicator, v) {
		t.Fatalf("round trip: %v %+v", err, back)
	}
}

func ptr[T any](v T) *T { return &v }
