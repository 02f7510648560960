package graph_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
)

// TestLimits_SignedInCallersAreRefusedBeforeAnySQL: through the whole
// server and with a real token, oversized requests are refused with their
// codes, fast, and run no SQL beyond what authenticating the token takes
// ({ __typename } runs the same).
func TestLimits_SignedInCallersAreRefusedBeforeAnySQL(t *testing.T) {
	counter := &statementCounter{}
	api := apitest.New(t, apitest.Options{Tracer: counter})
	token := api.User(t, hub.NewUser{Name: "leader", Role: hub.Leader, Region: "370700"})
	statements := func(query string, vars map[string]any) (int64, *apitest.Response, time.Duration) {
		before := counter.n.Load()
		start := time.Now()
		resp := api.Do(t, token, query, vars)
		return counter.n.Load() - before, resp, time.Since(start)
	}
	floor, resp, _ := statements("{ __typename }", nil)
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	regions := make([]string, 9000)
	for i := range regions {
		regions[i] = fmt.Sprint(370000 + i)
	}
	var bomb strings.Builder
	bomb.WriteString("query { me { ...F15 } }\nfragment F0 on Principal { name }\n")
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&bomb, "fragment F%d on Principal { ...F%d ...F%d ...F%d }\n", i, i-1, i-1, i-1)
	}
	var aliases strings.Builder
	aliases.WriteString("{")
	for i := range 30 {
		fmt.Fprintf(&aliases, " a%d: dataValues(filter: {}, first: 1000) { edges { node { id value } } }", i)
	}
	aliases.WriteString("}")
	for _, c := range []struct {
		name, query string
		vars        map[string]any
		code        string
		within      time.Duration
	}{
		{"trend of 9,000 regions", `query($r: [ID!]!) { trend(indicator: "minors_total", regions: $r, from: "2019", to: "2022") { points { value } } }`,
			map[string]any{"r": regions}, hub.EINVALID, 5 * time.Second},
		{"fragment bomb", bomb.String(), nil, hub.ETOOCOMPLEX, 5 * time.Second},
		{"30 pages of 1,000", aliases.String(), nil, hub.ETOOCOMPLEX, 5 * time.Second},
	} {
		n, resp, took := statements(c.query, c.vars)
		t.Logf("%s: %s in %v, %d statements (floor %d)", c.name, resp.Code(), took, n, floor)
		if resp.Code() != c.code || resp.Status >= 500 {
			t.Errorf("%s: %d %+v", c.name, resp.Status, resp.Errors)
		}
		// within is a ceiling against a hang, not a speed test (timings
		// flake on a shared machine; they are logged above): the bound
		// that matters is the statement count below.
		if took > c.within {
			t.Errorf("%s: answered after %v", c.name, took)
		}
		if n > floor {
			t.Errorf("%s: %d SQL statements, { __typename } runs %d", c.name, n, floor)
		}
	}
}

// xlsxBomb is a small XLSX file whose worksheet unpacks to rows MiB of
// template rows.
func xlsxBomb(t *testing.T, mib int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string]string{
		"xl/workbook.xml":            `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`,
	} {
		w, _ := zw.Create(name)
		_, _ = io.WriteString(w, body)
	}
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	_, _ = io.WriteString(w, `<worksheet><sheetData><row><c t="inlineStr"><is><t>指标代码</t></is></c><c t="inlineStr"><is><t>地区代码</t></is></c>`+
		`<c t="inlineStr"><is><t>期间</t></is></c><c t="inlineStr"><is><t>数值</t></is></c></row>`)
	row := `<row><c t="inlineStr"><is><t>minors_total</t></is></c><c><v>370702</v></c><c><v>2030</v></c><c><v>1</v></c></row>`
	block := []byte(strings.Repeat(row, (1<<20)/len(row)))
	for range mib {
		_, _ = w.Write(block)
	}
	_, _ = io.WriteString(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportValues_ZipBombIsRefusedForEveryRole: the probe's XLSX (a few
// hundred KB unpacking to 265 MiB of rows) and one of 64 MiB (under the
// byte limit, over the row limit) are refused on a dry run, whoever sends
// them, before a row reaches the database: BAD_USER_INPUT for an analyst,
// FORBIDDEN before the file is read for a role that never enters values.
func TestImportValues_ZipBombIsRefusedForEveryRole(t *testing.T) {
	api := apitest.New(t, apitest.Options{})
	dept := "civil_affairs"
	tokens := map[string]string{
		"analyst": api.User(t, hub.NewUser{Name: "ca", Role: hub.Analyst, Department: &dept, Region: "370700"}),
		"media":   api.User(t, hub.NewUser{Name: "press", Role: hub.Media, Region: "370700"}),
	}
	for _, mib := range []int{265, 64} {
		bomb := xlsxBomb(t, mib)
		for who, token := range tokens {
			start := time.Now()
			resp, _ := upload(t, api, token, "bomb.xlsx", string(bomb), true)
			t.Logf("%d MiB bomb (%d KiB) by %s: %s in %v", mib, len(bomb)>>10, who, resp.Code(), time.Since(start))
			want, text := hub.EINVALID, "导入上限"
			if who == "media" {
				want, text = hub.EFORBIDDEN, "不能录入数据"
			}
			if resp.Code() != want || resp.Status >= 500 || !strings.Contains(resp.Errors[0].Message, text) {
				t.Errorf("%d MiB bomb by %s: %d %+v", mib, who, resp.Status, resp.Errors)
			}
		}
	}
}
