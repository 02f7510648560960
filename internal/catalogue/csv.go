package catalogue

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// Columns are the catalogue CSV's columns, in the order the template
// writes them (docs/data-in.md, "The catalogue"). The first nine are
// required; the others default to false or empty.
var Columns = []string{"key", "name", "name_en", "protection", "department", "unit", "value_type", "aggregation",
	"period_type", "collection_level", "publicity", "sensitive", "lower_is_better", "formula", "description",
	"rag_amber", "rag_green"}

var requiredColumns = []string{"key", "name", "protection", "department", "unit", "value_type", "aggregation",
	"period_type", "collection_level"}

// MaxImportRows bounds a catalogue file (header included): a city has a
// few hundred indicators, a province a few thousand.
const MaxImportRows = 10_000

// MaxImportBytes bounds a catalogue file's size.
const MaxImportBytes = 4 << 20

// Row is a definition read from a CSV file, with its row number (the
// header is row 1).
type Row struct {
	Row       int
	Indicator *hub.Indicator
}

// ReadCSV reads a catalogue file (UTF-8, with or without BOM): one
// indicator per row under a header naming Columns (any order, the nine
// required ones present). A cell that does not parse is a conflict of its
// row and column; a file that cannot be read at all (no header, unknown
// or missing columns, too many rows or bytes) is an error.
func ReadCSV(r io.Reader) ([]Row, []hub.Conflict, error) {
	lr := &io.LimitedReader{R: r, N: MaxImportBytes + 1}
	cr := csv.NewReader(lr)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, nil, hub.Errorf(hub.EINVALID, "无法读取表头 / cannot read the header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !slices.Contains(Columns, h) {
			return nil, nil, hub.Errorf(hub.EINVALID, "未知的列 %q；可用列：%s / unknown column %q; columns: %s", h, strings.Join(Columns, ", "), h, strings.Join(Columns, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, nil, hub.Errorf(hub.EINVALID, "列 %q 重复 / column %q appears twice", h, h)
		}
		col[h] = i
	}
	for _, c := range requiredColumns {
		if _, ok := col[c]; !ok {
			return nil, nil, hub.Errorf(hub.EINVALID, "缺少列 %q / missing column %q", c, c)
		}
	}
	var rows []Row
	var conflicts []hub.Conflict
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if lr.N <= 0 {
			return nil, nil, hub.Errorf(hub.EINVALID, "文件超过 %d 字节 / the file is larger than %d bytes", MaxImportBytes, MaxImportBytes)
		}
		if err != nil {
			return nil, nil, hub.Errorf(hub.EINVALID, "文件无法读取 / the file cannot be read: %v", err)
		}
		n, _ := cr.FieldPos(0) // the line the row starts on (blank lines count)
		if len(rows) >= MaxImportRows {
			return nil, nil, hub.Errorf(hub.EINVALID, "文件超过 %d 行 / the file has more than %d rows", MaxImportRows, MaxImportRows)
		}
		cell := func(c string) string {
			if i, ok := col[c]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if strings.TrimSpace(strings.Join(rec, "")) == "" {
			continue
		}
		flag := func(c string) bool {
			v := cell(c)
			if v == "" {
				return false
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				conflicts = append(conflicts, hub.Conflict{Row: n, Column: c, Field: hub.ValueField(c), Code: hub.EINVALID,
					Message: fmt.Sprintf("%s 应为 true 或 false，不是 %q / %s must be true or false, not %q", c, v, c, v)})
			}
			return b
		}
		ind := &hub.Indicator{
			Key: cell("key"), Name: cell("name"), NameEn: optional(cell("name_en")),
			Protection: hub.Protection(strings.ToUpper(cell("protection"))), Unit: cell("unit"),
			DepartmentCode: cell("department"), ValueType: hub.ValueType(strings.ToUpper(cell("value_type"))),
			Aggregation:     hub.Aggregation(strings.ToUpper(cell("aggregation"))),
			PeriodType:      hub.PeriodType(strings.ToUpper(cell("period_type"))),
			CollectionLevel: hub.RegionLevel(strings.ToUpper(cell("collection_level"))),
			Publicity:       flag("publicity"), Sensitive: flag("sensitive"), LowerIsBetter: flag("lower_is_better"),
			Formula: optional(cell("formula")), Description: optional(cell("description")),
		}
		for _, f := range []struct {
			col string
			dst **float64
		}{{"rag_amber", &ind.RAGAmber}, {"rag_green", &ind.RAGGreen}} {
			if v := cell(f.col); v != "" {
				x, err := strconv.ParseFloat(v, 64)
				if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
					conflicts = append(conflicts, hub.Conflict{Row: n, Column: f.col, Field: hub.ValueField(f.col), Code: hub.EINVALID,
						Message: fmt.Sprintf("%s 应为数字，不是 %q / %s must be a number, not %q", f.col, v, f.col, v)})
					continue
				}
				*f.dst = &x
			}
		}
		rows = append(rows, Row{Row: n, Indicator: ind})
	}
	return rows, conflicts, nil
}

// WriteCSV writes indicators in Columns, the file ReadCSV reads back.
func WriteCSV(w io.Writer, inds []*hub.Indicator) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns); err != nil {
		return err
	}
	for _, i := range inds {
		rec := []string{i.Key, i.Name, deref(i.NameEn), string(i.Protection), i.DepartmentCode, i.Unit,
			string(i.ValueType), string(i.Aggregation), string(i.PeriodType), string(i.CollectionLevel),
			strconv.FormatBool(i.Publicity), strconv.FormatBool(i.Sensitive), strconv.FormatBool(i.LowerIsBetter),
			deref(i.Formula), deref(i.Description), fnum(i.RAGAmber), fnum(i.RAGGreen)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func fnum(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
