package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

const importMutation = `mutation($file: Upload!, $dry: Boolean) { importValues(file: $file, dryRun: $dry) {
  file format encoding status rows created updated unchanged ignored conflictCount conflicts { row column code message } warnings { message } } }`

type importSummary struct {
	ImportValues struct {
		File, Format, Status                                      string
		Encoding                                                  *string
		Rows, Created, Updated, Unchanged, Ignored, ConflictCount int
		Conflicts                                                 []struct {
			Row                   int
			Column, Code, Message string
		}
	}
}

func upload(t *testing.T, api *apitest.API, token, name, data string, dry bool) (*apitest.Response, importSummary) {
	t.Helper()
	resp := api.Upload(t, token, importMutation, map[string]any{"dry": dry}, "file", name, []byte(data))
	var out importSummary
	if len(resp.Errors) == 0 {
		if err := json.Unmarshal(resp.Data, &out); err != nil {
			t.Fatal(err)
		}
	}
	return resp, out
}

func TestImportValues_MultipartUploadDryRunThenWriteAudited(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	token := api.User(t, hub.NewUser{Name: "ca", Role: hub.Analyst, Department: &dept, Region: "370700"})
	csv := "\uFEFF指标代码,地区代码,期间,数值,限定,备注\nminors_total,370702,2030,100,约,\n\nminors_total,370703,2030,,,\n"
	resp, sum := upload(t, api, token, "报表.csv", csv, true)
	if len(resp.Errors) > 0 || sum.ImportValues.Status != "DRY_RUN" || sum.ImportValues.Created != 1 || sum.ImportValues.Ignored != 2 {
		t.Fatalf("dry run: %+v %+v", resp.Errors, sum)
	}
	conn := api.DB.OwnerConn(t)
	count := func() (n int) {
		_ = conn.QueryRow(context.Background(), `SELECT count(*) FROM data_values WHERE period = '2030'`).Scan(&n)
		return n
	}
	if count() != 0 {
		t.Fatal("dry run wrote values")
	}
	resp, sum = upload(t, api, token, "报表.csv", csv, false)
	if len(resp.Errors) > 0 || sum.ImportValues.Status != "COMMITTED" || sum.ImportValues.Created != 1 || count() != 1 {
		t.Fatalf("import: %+v %+v", resp.Errors, sum)
	}
	var channel, file, actor string
	if err := conn.QueryRow(context.Background(), `SELECT channel, file_name, actor FROM audit_log WHERE period = '2030'`).Scan(&channel, &file, &actor); err != nil ||
		channel != "IMPORT" || file != "报表.csv" || actor != "ca" {
		t.Fatalf("audit: %q %q by %q (%v), want IMPORT 报表.csv by ca", channel, file, actor, err)
	}
	resp, sum = upload(t, api, token, "报表.csv", csv, false)
	if len(resp.Errors) > 0 || sum.ImportValues.Unchanged != 1 || sum.ImportValues.Created+sum.ImportValues.Updated != 0 {
		t.Fatalf("reimport: %+v %+v", resp.Errors, sum)
	}
}

func TestImportValues_ConflictsByRowAndColumnWriteNothing(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	token := api.User(t, hub.NewUser{Name: "ca", Role: hub.Analyst, Department: &dept, Region: "370700"})
	csv := "indicator,region,period,value\nminors_total,370702,2030,100\nminors_total,370703,2030,-5\nminors_total,370704,2030,1e400\n"
	resp, sum := upload(t, api, token, "bad.csv", csv, false)
	s := sum.ImportValues
	if len(resp.Errors) > 0 || s.Status != "REJECTED" || s.ConflictCount != 2 || s.Created != 0 ||
		s.Conflicts[0].Row != 3 || !strings.HasPrefix(s.Conflicts[0].Column, "D") || s.Conflicts[1].Row != 4 {
		t.Fatalf("%+v %+v", resp.Errors, sum)
	}
	var n int
	_ = api.DB.OwnerConn(t).QueryRow(context.Background(), `SELECT count(*) FROM data_values WHERE period = '2030'`).Scan(&n)
	if n != 0 {
		t.Fatalf("a rejected upload wrote %d values", n)
	}
	// A file that is no spreadsheet is BAD_USER_INPUT, not a crash.
	resp, _ = upload(t, api, token, "x.xlsx", "PK\x03\x04not really", false)
	if resp.Code() != hub.EINVALID {
		t.Fatalf("broken xlsx: %+v", resp.Errors)
	}
}

func TestImportValues_OnlyAnalystsOfTheDepartmentMayImport(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	csv := "指标代码,地区代码,期间,数值\nminors_total,370702,2030,100\n"
	if resp, _ := upload(t, api, "", "a.csv", csv, false); resp.Code() != hub.EUNAUTHENTICATED {
		t.Fatalf("no token: %+v", resp.Errors)
	}
	// Another department's analyst: a FORBIDDEN conflict at the row.
	edu := "education"
	resp, sum := upload(t, api, api.User(t, hub.NewUser{Name: "edu", Role: hub.Analyst, Department: &edu, Region: "370700"}), "a.csv", csv, false)
	if len(resp.Errors) > 0 || sum.ImportValues.Status != "REJECTED" || sum.ImportValues.Conflicts[0].Code != hub.EFORBIDDEN {
		t.Errorf("edu: %+v %+v", resp.Errors, sum)
	}
	// Roles that never enter values: FORBIDDEN in errors[], the file unread.
	for _, u := range []hub.NewUser{
		{Name: "lead", Role: hub.Leader, Region: "370700"},
		{Name: "coord", Role: hub.Coordinator, Region: "370700"},
		{Name: "adm", Role: hub.Admin, Region: "370700"},
	} {
		token := api.User(t, u)
		if resp, _ := upload(t, api, token, "a.csv", csv, false); resp.Code() != hub.EFORBIDDEN {
			t.Errorf("%s: %+v, want FORBIDDEN in errors", u.Name, resp.Errors)
		}
	}
	// Out of the analyst's region subtree.
	ca := "civil_affairs"
	token := api.User(t, hub.NewUser{Name: "ca-weicheng", Role: hub.Analyst, Department: &ca, Region: "370702"})
	_, sum = upload(t, api, token, "a.csv", "指标代码,地区代码,期间,数值\nminors_total,370703,2030,100\n", false)
	if sum.ImportValues.Status != "REJECTED" || sum.ImportValues.Conflicts[0].Code != hub.EFORBIDDEN || !strings.HasPrefix(sum.ImportValues.Conflicts[0].Column, "B") {
		t.Errorf("out of scope: %+v", sum)
	}
}
