package importer

import (
	"archive/zip"
	"bytes"
)

// xlsxSeedSheets are worksheets for the XLSX fuzz corpus: shared and
// inline strings, formulas with and without cached results, errors,
// merged cells, rows and cells out of order.
var xlsxSeedSheets = []string{
	`<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>期间</t></is></c><c r="D1" t="inlineStr"><is><t>数值</t></is></c></row>` +
		`<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>370702</v></c><c r="C2"><v>2022</v></c><c r="D2"><f>1+1</f><v>2</v></c></row>` +
		`<row r="4"><c r="A4" t="s"><v>2</v></c><c r="D4"><f>A1</f></c><c r="E4" t="e"><v>#REF!</v></c><c r="F4" t="b"><v>1</v></c></row></sheetData>`,
	`<sheetData><row r="1"><c r="A1" t="s"><v>9</v></c></row><row r="1"><c r="B1"/><c r="A1"/></row></sheetData><mergeCells><mergeCell ref="A2:A3"/></mergeCells>`,
	`<sheetData><row><c><v>1</v></c><c><v>2</v></c></row><row r="0"><c r="XFE1"><v>3</v></c></row></sheetData>`,
}

// buildXLSX returns a workbook whose first sheet holds sheetData.
func buildXLSX(sheetData string) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	parts := []struct{ name, body string }{
		{"xl/workbook.xml", `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="数据" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>`},
		{"xl/sharedStrings.xml", `<sst><si><t>指标代码</t></si><si><r><t>地区</t></r><r><t>代码</t></r><rPh><t>ちく</t></rPh></si><si><t>minors_total</t></si></sst>`},
		{"xl/worksheets/sheet1.xml", `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` + sheetData + `</worksheet>`},
	}
	for _, p := range parts {
		w, _ := zw.Create(p.name)
		_, _ = w.Write([]byte(p.body))
	}
	_ = zw.Close()
	return buf.Bytes()
}
