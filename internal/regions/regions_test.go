package regions

import (
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func parse(t *testing.T, s string) []*hub.Region {
	t.Helper()
	rs, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

const city = "\ufeffcode,name,parent_code,level\n370700,潍坊市,,CITY\n370781,青州市,370700,COUNTY\n370782,诸城市,370700,COUNTY\n" +
	"370781001,王府街道,370781,TOWN\n370781001001,村一,370781001,VILLAGE\n"

func TestParse_RefusesBadRows(t *testing.T) {
	for name, in := range map[string]string{
		"no level column": "code,name,parent_code\n370700,潍坊市,\n",
		"short code":      "code,name,parent_code,level\n3707,潍坊市,,CITY\n",
		"unknown level":   "code,name,parent_code,level\n370700,潍坊市,,METRO\n",
		"no name":         "code,name,parent_code,level\n370700,,,CITY\n",
		"code twice":      "code,name,parent_code,level\n370700,潍坊市,,CITY\n370700,潍坊,,CITY\n",
	} {
		if _, err := Parse(strings.NewReader(in)); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestNewPlan_CreatesParentsFirstThenNothing(t *testing.T) {
	file := parse(t, city)
	// children listed before parents still come after them
	file[0], file[4] = file[4], file[0]
	p, err := NewPlan(nil, file)
	if err != nil {
		t.Fatal(err)
	}
	if p.Summary.Created != 5 || p.Create[0].Code != "370700" || p.Create[4].Level != hub.LevelVillage {
		t.Errorf("plan %+v", p.Summary)
	}
	again, err := NewPlan(parse(t, city), parse(t, city))
	if err != nil || again.Summary.Changed() || again.Summary.Unchanged != 5 {
		t.Errorf("second plan %+v, %v; want 5 unchanged", again.Summary, err)
	}
}

func TestNewPlan_RenamesAndMoves(t *testing.T) {
	stored := parse(t, city)
	file := parse(t, "code,name,parent_code,level\n370781001,王府街道（新）,370782,TOWN\n")
	p, err := NewPlan(stored, file)
	if err != nil {
		t.Fatal(err)
	}
	if p.Summary.Moved != 1 || p.Summary.Renamed != 1 || p.Summary.Unchanged != 0 {
		t.Errorf("summary %+v, want one move and one rename of the same town", p.Summary)
	}
	want := []hub.RegionChange{{Code: "370781001", Kind: hub.RegionMove, Old: "370781", New: "370782"},
		{Code: "370781001", Kind: hub.RegionRename, Old: "王府街道", New: "王府街道（新）"}}
	for i, c := range p.Summary.Changes {
		if c != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, c, want[i])
		}
	}
}

func TestNewPlan_RefusesBrokenTrees(t *testing.T) {
	stored := parse(t, city)
	for name, in := range map[string]string{
		"level change":     "code,name,parent_code,level\n370781001,王府街道,370781,VILLAGE\n",
		"unknown parent":   "code,name,parent_code,level\n370783001,镇,370783,TOWN\n",
		"parent too low":   "code,name,parent_code,level\n370781001002,村二,370781,VILLAGE\n",
		"town without one": "code,name,parent_code,level\n370781009,镇,,TOWN\n",
	} {
		if _, err := NewPlan(stored, parse(t, in)); hub.ErrorCode(err) != hub.EINVALID {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}
