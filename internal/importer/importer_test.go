package importer_test

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
)

func analyst(dept string) context.Context {
	return hub.NewContext(context.Background(), &hub.Principal{Name: "t-analyst", Role: hub.Analyst, Department: &dept,
		Region: "370700", RegionPath: "370700"})
}

func run(t *testing.T, db *pgtest.DB, ctx context.Context, name string, data []byte, dry bool, batch int) (*importer.Summary, error) {
	t.Helper()
	im := &importer.Importer{Submit: postgres.NewSubmitService(db.App), BatchSize: batch}
	return im.Import(ctx, name, bytes.NewReader(data), int64(len(data)), importer.Options{DryRun: dry})
}

func count(t *testing.T, db *pgtest.DB, where string) int {
	t.Helper()
	conn := db.OwnerConn(t)
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM data_values WHERE `+where).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const goodCSV = "指标代码,地区代码,期间,数值,限定,备注\n" +
	"minors_total,370702,2030,100,,\n" +
	"minors_total,370703,2030,\"1,200\",约,估计\n" +
	"\n" +
	",,,,,\n" +
	"minors_total,370704,2030,,,\n" +
	"minors_share,370702,2030,12.5,精确,\n" +
	"minors_total,370705,2030,未报告,,\n"

func TestImport_CSVCreatesThenIsIdempotentAndAudited(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := analyst("civil_affairs")
	sum, err := run(t, db, ctx, "/tmp/figures.csv", []byte(goodCSV), false, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Two blank lines (one has only commas) and one row without a value are ignored.
	if sum.Status != importer.Committed || sum.Created != 4 || sum.Ignored != 3 || sum.ConflictCount != 0 {
		t.Fatalf("summary %+v", sum)
	}
	if n := count(t, db, `period = '2030' AND source = 'import' AND is_head`); n != 4 {
		t.Fatalf("%d imported heads, want 4", n)
	}
	if n := count(t, db, `period = '2030' AND region_code = '370705' AND value IS NULL`); n != 1 {
		t.Fatalf("未报告 must be stored as NULL (not reported), got %d rows", n)
	}
	if n := count(t, db, `period = '2030' AND region_code = '370703' AND value = 1200 AND qualifier = 'APPROX' AND comment = '估计'`); n != 1 {
		t.Fatalf("thousands separator, qualifier 约 and comment not read")
	}
	conn := db.OwnerConn(t)
	var audited int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE period = '2030' AND channel = 'IMPORT' AND file_name = 'figures.csv' AND action = 'create'`).Scan(&audited); err != nil || audited != 4 {
		t.Fatalf("audit rows with channel IMPORT, file figures.csv = %d (%v), want 4", audited, err)
	}
	sum, err = run(t, db, ctx, "figures.csv", []byte(goodCSV), false, 2)
	if err != nil || sum.Unchanged != 4 || sum.Created+sum.Updated != 0 || sum.Status != importer.Committed {
		t.Fatalf("reimport: %v %+v", err, sum)
	}
}

func TestImport_GBKCSVFromExcel(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	gbk, err := simplifiedchinese.GBK.NewEncoder().String("指标代码,地区代码,期间,数值,限定,备注\nminors_total,370702,2030,5,至少,全年累计\n")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := run(t, db, analyst("civil_affairs"), "gbk.csv", []byte(gbk), false, 0)
	if err != nil || sum.Created != 1 || sum.Encoding != "GBK" {
		t.Fatalf("%v %+v", err, sum)
	}
	if n := count(t, db, `period = '2030' AND comment = '全年累计' AND qualifier = 'AT_LEAST'`); n != 1 {
		t.Fatal("GBK comment not decoded")
	}
}

func TestImport_UTF8BOMAndEnglishHeaders(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	data := "\uFEFFIndicator,Region,Period,Value,Qualifier,Expected Version,Comment\nminors_total,370702,2030,5,AT_LEAST,0,x\n"
	sum, err := run(t, db, analyst("civil_affairs"), "bom.csv", []byte(data), false, 0)
	if err != nil || sum.Created != 1 {
		t.Fatalf("%v %+v", err, sum)
	}
}

func TestImport_AnyConflictWritesNothingAcrossBatches(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	var b strings.Builder
	b.WriteString("指标代码,地区代码,期间,数值,预期版本\n")
	for _, r := range []string{"370702", "370703", "370704", "370705", "370781", "370782"} {
		b.WriteString("minors_total," + r + ",2030,10,\n")
	}
	b.WriteString("minors_total,370783,2030,abc,\n")  // row 8: bad number
	b.WriteString("minors_total,370784,2030Q1,1,\n")  // row 9: wrong period type
	b.WriteString("minors_total,370702,2030,11,\n")   // row 10: duplicate of row 2
	b.WriteString("minors_total,999999,2030,1,\n")    // row 11: no such region
	b.WriteString("child_directors,370785,2030,1,\n") // row 12: another department's indicator? (civil_affairs owns it)
	b.WriteString("minors_total,370786,2030,1,7\n")   // row 13: stale expected version
	b.WriteString("minors_total,370702001,2030,1,\n") // row 14: a town, minors_total is per county
	sum, err := run(t, db, analyst("civil_affairs"), "bad.csv", []byte(b.String()), false, 2)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Status != importer.Rejected || sum.Created != 0 {
		t.Fatalf("summary %+v", sum)
	}
	want := map[int]string{8: "D", 9: "C", 10: "A", 11: "B", 13: "E", 14: "B"}
	got := map[int]string{}
	for _, c := range sum.Conflicts {
		got[c.Row] = c.Column[:1]
		if !strings.ContainsFunc(c.Message, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("row %d: message has no Chinese: %s", c.Row, c.Message)
		}
	}
	for row, col := range want {
		if got[row] != col {
			t.Errorf("row %d: conflict in column %q, want %q (all: %v)", row, got[row], col, sum.Conflicts)
		}
	}
	if n := count(t, db, `period = '2030'`); n != 0 {
		t.Fatalf("a rejected import wrote %d rows", n)
	}
}

func TestImport_DryRunWritesNothing(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sum, err := run(t, db, analyst("civil_affairs"), "f.csv", []byte(goodCSV), true, 2)
	if err != nil || sum.Status != importer.DryRun || sum.Created != 4 {
		t.Fatalf("%v %+v", err, sum)
	}
	if n := count(t, db, `period = '2030'`); n != 0 {
		t.Fatalf("dry run wrote %d rows", n)
	}
}

func TestImport_OtherDepartmentIsForbiddenByRow(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	sum, err := run(t, db, analyst("education"), "f.csv", []byte(goodCSV), false, 0)
	if err != nil || sum.Status != importer.Rejected || sum.ConflictCount != 4 || sum.Conflicts[0].Code != hub.EFORBIDDEN || sum.Conflicts[0].Row != 2 {
		t.Fatalf("%v %+v", err, sum)
	}
	if n := count(t, db, `period = '2030'`); n != 0 {
		t.Fatalf("forbidden import wrote %d rows", n)
	}
}

func TestImport_BadFilesGetClearMessages(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := analyst("civil_affairs")
	merged := templateXLSX(t, func(f *excelize.File) { _ = f.MergeCell("Sheet1", "A2", "A3") })
	cases := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"wrong columns", "a.csv", []byte("指标,地区,数直\nx,y,1\n"), "数直"},
		{"missing columns", "a.csv", []byte("指标代码,地区代码\n"), "缺少列"},
		{"empty", "a.csv", nil, "空"},
		{"xls", "a.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 1, 2}, ".xls"},
		{"broken xlsx", "a.xlsx", []byte("PK\x03\x04garbage"), "XLSX"},
		{"merged cells", "m.xlsx", merged, "合并单元格"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := run(t, db, ctx, c.file, c.data, false, 0)
			if err == nil || hub.ErrorCode(err) != hub.EINVALID || !strings.Contains(hub.ErrorMessage(err), c.want) {
				t.Fatalf("error %v (code %s), want BAD_USER_INPUT mentioning %q", err, hub.ErrorCode(err), c.want)
			}
		})
	}
}

func TestImport_BrokenEncodingIsARowConflict(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	// A UTF-8 file whose third row has bytes that are neither UTF-8 nor
	// read as such (the first 64 KiB decide the encoding).
	data := "指标代码,地区代码,期间,数值,备注\n" + strings.Repeat("minors_total,370702,2030,1,"+strings.Repeat("注", 30)+"\n", 1) +
		strings.Repeat(",,,,\n", 20000) + "minors_total,370703,2030,1,\xff\xfe\n"
	sum, err := run(t, db, analyst("civil_affairs"), "enc.csv", []byte(data), false, 0)
	if err != nil || sum.Status != importer.Rejected || sum.ConflictCount != 1 || sum.Conflicts[0].Row != 20003 || !strings.HasPrefix(sum.Conflicts[0].Column, "E") {
		t.Fatalf("%v %+v", err, sum)
	}
}

// templateXLSX builds a small workbook with excelize; edit changes it.
func templateXLSX(t *testing.T, edit func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	rows := [][]any{{"指标代码", "地区代码", "期间", "数值", "限定"}, {"minors_total", "370702", "2030", 100, "精确"}, {"minors_total", "370703", "2030", 200, ""}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(f)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rawXLSX builds a workbook from a worksheet's XML, for cells excelize
// does not write (formulas with cached results, error values).
func rawXLSX(t testing.TB, sheetData string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := map[string]string{
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/sharedStrings.xml":       `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>指标代码</t></si><si><r><t>地区</t></r><r><t>代码</t></r></si><si><t>minors_total</t></si></sst>`,
		"xl/worksheets/sheet1.xml":   `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` + sheetData + `</sheetData></worksheet>`,
	}
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const rawHeader = `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>期间</t></is></c><c r="D1" t="inlineStr"><is><t>数值</t></is></c></row>`

func TestImport_XLSXFormulasUseTheCachedResult(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := analyst("civil_affairs")
	ok := rawXLSX(t, rawHeader+
		`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>370702</v></c><c r="C2"><v>2030</v></c><c r="D2"><f>40+2</f><v>42</v></c></row>`+
		`<row r="4"><c r="A4" t="s"><v>2</v></c><c r="B4"><v>370703</v></c><c r="C4" t="str"><f>"20"&amp;"30"</f><v>2030</v></c><c r="D4"><v>7</v></c></row>`)
	sum, err := run(t, db, ctx, "formulas.xlsx", ok, false, 0)
	if err != nil || sum.Created != 2 || sum.Format != "XLSX" {
		t.Fatalf("%v %+v", err, sum)
	}
	if n := count(t, db, `period = '2030' AND region_code = '370702' AND value = 42`); n != 1 {
		t.Fatal("the cached result 42 was not imported")
	}
	bad := rawXLSX(t, rawHeader+
		`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>370704</v></c><c r="C2"><v>2030</v></c><c r="D2"><f>SUM(X1:X9)</f></c></row>`+
		`<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>370705</v></c><c r="C3"><v>2030</v></c><c r="D3" t="e"><v>#DIV/0!</v></c></row>`)
	sum, err = run(t, db, ctx, "formulas.xlsx", bad, false, 0)
	if err != nil || sum.Status != importer.Rejected || sum.ConflictCount != 2 ||
		!strings.Contains(sum.Conflicts[0].Message, "公式") || sum.Conflicts[0].Column[:1] != "D" ||
		!strings.Contains(sum.Conflicts[1].Message, "#DIV/0!") {
		t.Fatalf("%v %+v", err, sum)
	}
}

func TestImport_ValidationRulesAcrossBatches(t *testing.T) {
	db := pgtest.New(t, pgtest.Options{Demo: true})
	ctx := analyst("civil_affairs")
	// minors_total <= population_total is a BLOCK rule of the demo; the two
	// indicators arrive in different batches (batch size 1).
	data := "指标代码,地区代码,期间,数值\nminors_total,370702,2030,100\npopulation_total,370702,2030,50\n"
	sum, err := run(t, db, ctx, "rules.csv", []byte(data), false, 1)
	if err != nil || sum.Status != importer.Rejected || sum.ConflictCount != 1 || sum.Conflicts[0].Code != hub.EVALIDATION ||
		sum.Conflicts[0].Row != 2 || !strings.HasPrefix(sum.Conflicts[0].Column, "D") {
		t.Fatalf("%v %+v", err, sum)
	}
	if n := count(t, db, `period = '2030'`); n != 0 {
		t.Fatalf("a file breaking a BLOCK rule wrote %d rows", n)
	}
	// A WARN rule (minors_share consistent with the two totals) is a warning only.
	data = "指标代码,地区代码,期间,数值\nminors_total,370702,2030,50\npopulation_total,370702,2030,100\nminors_share,370702,2030,10\n"
	sum, err = run(t, db, ctx, "rules.csv", []byte(data), false, 1)
	if err != nil || sum.Status != importer.Committed || sum.Created != 3 || len(sum.Warnings) == 0 {
		t.Fatalf("%v %+v", err, sum)
	}
}
