package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

const importMutation = `mutation($file: Upload!) { importValues(file: $file) {
  status rows created updated unchanged ignored conflictCount conflicts { row column code message } } }`

type summary struct {
	Status                                                    string
	Rows, Created, Updated, Unchanged, Ignored, ConflictCount int
	Conflicts                                                 []map[string]any
}

func importFile(t *testing.T, api *apitest.API, token, name string, data []byte) summary {
	t.Helper()
	resp := api.Upload(t, token, importMutation, nil, "file", name, data)
	if len(resp.Errors) > 0 {
		t.Fatalf("import: %+v", resp.Errors)
	}
	var out struct{ ImportValues summary }
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		t.Fatal(err)
	}
	return out.ImportValues
}

func TestTemplate_DownloadFillImportRoundTrip(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	token := api.User(t, hub.NewUser{Name: "ca", Role: hub.Analyst, Department: &dept, Region: "370700"})
	// The demo has every 2023 value: a new indicator gives empty rows.
	if _, err := api.DB.OwnerConn(t).Exec(context.Background(), `INSERT INTO indicators (key, name, protection, unit, department_code, value_type, aggregation)
VALUES ('new_count', '新指标', 'GOVERNMENT', 'units', 'civil_affairs', 'COUNT', 'SUM')`); err != nil {
		t.Fatal(err)
	}
	rec := api.Get(t, token, "/export/template.xlsx?department=civil_affairs&period=2023")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("download: %d %s", rec.Code, rec.Body.String())
	}
	tmpl := rec.Body.Bytes()
	f, err := excelize.OpenReader(bytes.NewReader(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "指标代码,指标名称,地区代码,地区名称,期间,数值,单位,限定,预期版本,备注" {
		t.Fatalf("headers %v", rows[0])
	}
	var filled, empty, towns int
	emptyRow, filledRow := 0, 0
	for i, r := range rows[1:] {
		if len(r[2]) > 6 {
			towns++
		}
		if len(r) > 5 && r[5] != "" {
			filled++
			if filledRow == 0 && r[5] != "未报告" {
				filledRow = i + 2
			}
		} else {
			empty++
			if emptyRow == 0 {
				emptyRow = i + 2
			}
		}
		if r[0] == "child_directors_per_10k" {
			t.Errorf("derived indicator in the template: row %d", i+2)
		}
	}
	if filled == 0 || empty == 0 || towns == 0 || filledRow == 0 {
		t.Fatalf("template has %d filled, %d empty, %d town rows; want some of each", filled, empty, towns)
	}
	dvs, err := f.GetDataValidations(sheet)
	if err != nil || len(dvs) == 0 || !strings.HasPrefix(dvs[0].Sqref, "H2:H") || !strings.Contains(dvs[0].Formula1, "至少") {
		t.Fatalf("no qualifier dropdown on column H: %+v %v", dvs, err)
	}

	// The untouched template changes nothing.
	sum := importFile(t, api, token, "template.xlsx", tmpl)
	if sum.Status != "COMMITTED" || sum.Created+sum.Updated != 0 || sum.ConflictCount != 0 ||
		sum.Unchanged != filled || sum.Ignored != empty {
		t.Fatalf("untouched template: %+v; want %d unchanged, %d ignored", sum, filled, empty)
	}

	// Fill an empty row and change a filled one.
	old, _ := f.GetCellValue(sheet, "F"+strconv.Itoa(filledRow))
	x, _ := strconv.ParseFloat(old, 64)
	_ = f.SetCellValue(sheet, "F"+strconv.Itoa(filledRow), x+1)
	_ = f.SetCellValue(sheet, "F"+strconv.Itoa(emptyRow), 7)
	_ = f.SetCellValue(sheet, "H"+strconv.Itoa(emptyRow), "约")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sum = importFile(t, api, token, "filled.xlsx", buf.Bytes())
	if sum.Status != "COMMITTED" || sum.Created != 1 || sum.Updated != 1 || sum.Unchanged != filled-1 {
		t.Fatalf("filled template: %+v", sum)
	}
	// The template downloaded before the change is now stale where it changed.
	sum = importFile(t, api, token, "template.xlsx", tmpl)
	if sum.Status != "REJECTED" || sum.ConflictCount != 1 || sum.Conflicts[0]["code"] != hub.ECONFLICT {
		t.Fatalf("stale template: %+v", sum)
	}
}

func TestTemplate_ScopeAndErrors(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	token := api.User(t, hub.NewUser{Name: "ca-weicheng", Role: hub.Analyst, Department: &dept, Region: "370702"})
	rec := api.Get(t, token, "/export/template.xlsx?period=2023")
	if rec.Code != http.StatusOK {
		t.Fatalf("download: %d %s", rec.Code, rec.Body.String())
	}
	f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows(f.GetSheetName(0))
	for _, r := range rows[1:] {
		if !strings.HasPrefix(r[2], "370702") {
			t.Fatalf("region %s outside the analyst's scope 370702", r[2])
		}
	}
	for target, want := range map[string]int{
		"/export/template.xlsx?department=civil_affairs":             http.StatusUnauthorized,
		"/export/template.xlsx?department=nope&period=2023":          http.StatusNotFound,
		"/export/template.xlsx?department=civil_affairs&period=20x3": http.StatusBadRequest,
	} {
		tok := token
		if want == http.StatusUnauthorized {
			tok = ""
		}
		if rec := api.Get(t, tok, target); rec.Code != want {
			t.Errorf("%s: %d, want %d", target, rec.Code, want)
		}
	}
}
