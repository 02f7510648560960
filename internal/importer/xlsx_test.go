package importer

import (
	"bytes"
	"strings"
	"testing"
)

func TestMergedCells_FoundWhereverTheReadsSplitTheTag(t *testing.T) {
	for pad := 65500; pad < 65560; pad++ {
		sheet := `<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>` + strings.Repeat("x", pad) +
			`</t></is></c></row></sheetData><mergeCells count="2"><mergeCell ref="A1:B1"/><mergeCell ref="A2:A3"/></mergeCells>`
		data := buildXLSX(sheet)
		x, err := NewXLSXReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		// A1:B1 is in the header row and allowed; A2:A3 is not.
		if m := x.Merged(); len(m) != 1 || m[0] != "A2:A3" {
			t.Fatalf("pad %d: merged %v, want [A2:A3]", pad, m)
		}
	}
}

func TestCellRefAndColumnNames(t *testing.T) {
	for _, c := range []struct {
		ref      string
		col, row int
		ok       bool
	}{{"A1", 0, 1, true}, {"AB12", 27, 12, true}, {"XFD3", 16383, 3, true}, {"XFE3", 0, 0, false}, {"1A", 0, 0, false}, {"A0", 0, 0, false}, {"A", 0, 0, false}} {
		col, row, ok := cellRef(c.ref)
		if ok != c.ok || ok && (col != c.col || row != c.row) {
			t.Errorf("cellRef(%q) = %d, %d, %v", c.ref, col, row, ok)
		}
		if ok && colName(col)+"" != strings.TrimRight(c.ref, "0123456789") {
			t.Errorf("colName(%d) = %s", col, colName(col))
		}
	}
}
