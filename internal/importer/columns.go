package importer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/sixprot/hub/internal/hub"
)

// Column is a column of the import template.
type Column struct {
	Field hub.ValueField
	// Header is the Chinese header the template writes.
	Header string
	// English is the English header accepted as an alias.
	English string
	// Required columns must be present in every file.
	Required bool
	aliases  []string
}

// Columns are the template's columns in their order. Files may order them
// freely and may leave out the optional ones.
var Columns = []Column{
	{Field: hub.FieldIndicator, Header: "指标代码", English: "indicator", Required: true, aliases: []string{"指标", "indicator_key", "indicatorkey"}},
	{Field: hub.FieldRegion, Header: "地区代码", English: "region", Required: true, aliases: []string{"地区", "region_code", "regioncode", "行政区划代码"}},
	{Field: hub.FieldPeriod, Header: "期间", English: "period", Required: true, aliases: []string{"报告期", "统计期"}},
	{Field: hub.FieldValue, Header: "数值", English: "value", Required: true, aliases: []string{"值", "数据"}},
	{Field: hub.FieldQualifier, Header: "限定", English: "qualifier", aliases: []string{"限定词", "精确度"}},
	{Field: hub.FieldVersion, Header: "预期版本", English: "expected version", aliases: []string{"版本", "expectedversion", "expected_version", "version"}},
	{Field: hub.FieldComment, Header: "备注", English: "comment", aliases: []string{"说明", "comments", "note"}},
}

// infoHeaders are columns the template adds for people (names, unit);
// the import reads past them.
var infoHeaders = []string{"指标名称", "indicator name", "地区名称", "region name", "单位", "unit", "部门", "department",
	"当前状态", "status", "保护类别", "protection"}

func normalize(h string) string {
	h = strings.TrimPrefix(h, "\uFEFF")
	h = strings.TrimSpace(strings.ToLower(h))
	h = strings.TrimRight(h, "*＊")
	return strings.TrimSpace(h)
}

// layout says which file column holds which field.
type layout struct {
	index  map[hub.ValueField]int
	header map[hub.ValueField]string
}

// readHeader maps a header row to fields. Unknown, missing or repeated
// columns are an error that names them and lists the accepted headers.
func readHeader(cells []string) (*layout, error) {
	l := &layout{index: map[hub.ValueField]int{}, header: map[hub.ValueField]string{}}
	var unknown []string
	for i, raw := range cells {
		h := normalize(raw)
		if h == "" || contains(infoHeaders, h) {
			continue
		}
		c := columnFor(h)
		if c == nil {
			unknown = append(unknown, fmt.Sprintf("%s %q", colName(i), strings.TrimSpace(raw)))
			continue
		}
		if j, dup := l.index[c.Field]; dup {
			return nil, hub.Errorf(hub.EINVALID, "第 1 行：列 %s 与列 %s 都是“%s” / row 1: columns %s and %s are both %q",
				colName(j), colName(i), c.Header, colName(j), colName(i), c.English)
		}
		l.index[c.Field] = i
		l.header[c.Field] = strings.TrimSpace(raw)
	}
	var missing []string
	for _, c := range Columns {
		if _, ok := l.index[c.Field]; c.Required && !ok {
			missing = append(missing, c.Header+" / "+c.English)
		}
	}
	if len(unknown) > 0 || len(missing) > 0 {
		var msg strings.Builder
		msg.WriteString("第 1 行（表头）列不正确 / row 1 (header): wrong columns")
		if len(unknown) > 0 {
			fmt.Fprintf(&msg, "；未知列 / unknown: %s", strings.Join(unknown, ", "))
		}
		if len(missing) > 0 {
			fmt.Fprintf(&msg, "；缺少列 / missing: %s", strings.Join(missing, ", "))
		}
		msg.WriteString("。可用的列 / accepted columns: ")
		for i, c := range Columns {
			if i > 0 {
				msg.WriteString(", ")
			}
			msg.WriteString(c.Header + " (" + c.English + ")")
		}
		return nil, hub.Errorf(hub.EINVALID, "%s", msg.String())
	}
	return l, nil
}

func columnFor(h string) *Column {
	for i := range Columns {
		c := &Columns[i]
		if h == c.Header || h == c.English || contains(c.aliases, h) {
			return c
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// colName returns the spreadsheet name of column i (0 → A, 26 → AA).
func colName(i int) string {
	name := ""
	for i++; i > 0; i = (i - 1) / 26 {
		name = string(rune('A'+(i-1)%26)) + name
	}
	return name
}

// column returns the label of f for messages: its header in the file and
// its spreadsheet letter.
func (l *layout) column(f hub.ValueField) string {
	i, ok := l.index[f]
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s（%s）", colName(i), l.header[f])
}

// conflict is err at row, in the column of f.
func (l *layout) conflict(row int, f hub.ValueField, err error) hub.Conflict {
	return l.atRow(hub.Conflict{Index: row, Field: f, Code: hub.ErrorCode(err), Message: hub.ErrorMessage(err)})
}

// atRow places a conflict of the write pipeline, which numbers the
// import's inputs by row, at its Row and Column.
func (l *layout) atRow(c hub.Conflict) hub.Conflict {
	c.Row, c.Index, c.Column = c.Index, 0, l.column(c.Field)
	return c
}

func (l *layout) cell(cells []string, f hub.ValueField) string {
	i, ok := l.index[f]
	if !ok || i >= len(cells) {
		return ""
	}
	return strings.TrimSpace(cells[i])
}

// notReported are the spellings of "not reported" (NULL, which is not 0)
// in a value cell. An empty value cell means "nothing entered": the row is
// ignored.
var notReported = []string{"未报告", "未报", "not reported", "null", "-", "—", "－"}

// parseValue reads a value cell: digits with optional thousands
// separators, full-width digits, a trailing % for percents.
func parseValue(s string) (*float64, error) {
	if contains(notReported, strings.ToLower(s)) {
		return nil, nil
	}
	t := strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９':
			return '0' + (r - '０')
		case r == '．':
			return '.'
		case r == '－':
			return '-'
		case r == ',' || r == '，' || r == ' ' || r == '\u00a0' || r == '%' || r == '％':
			return -1
		}
		return r
	}, s)
	x, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) || t == "" {
		return nil, hub.Errorf(hub.EINVALID, "“%s”不是数字（留空表示未填，填“未报告”表示未报告）/ %q is not a number (leave empty for nothing entered, 未报告 for not reported)", s, s)
	}
	return &x, nil
}

// qualifiers maps the qualifier spellings a file may use.
var qualifiers = map[string]hub.Qualifier{
	"": hub.Exact, "exact": hub.Exact, "精确": hub.Exact, "确切": hub.Exact, "准确": hub.Exact,
	"at_least": hub.AtLeast, "at least": hub.AtLeast, "至少": hub.AtLeast, "余": hub.AtLeast, "多": hub.AtLeast, "以上": hub.AtLeast,
	"approx": hub.Approx, "约": hub.Approx, "大约": hub.Approx, "接近": hub.Approx, "左右": hub.Approx,
}

// QualifierLabel is how the template writes a qualifier (its dropdown lists these).
func QualifierLabel(q hub.Qualifier) string {
	switch q {
	case hub.AtLeast:
		return "至少"
	case hub.Approx:
		return "约"
	}
	return "精确"
}

// qualifierOf reads a qualifier cell in any of its spellings; another word
// is passed on as it is, for the write pipeline's check to refuse.
func qualifierOf(s string) hub.Qualifier {
	if q, ok := qualifiers[strings.ToLower(s)]; ok {
		return q
	}
	return hub.Qualifier(s)
}

func parseVersion(s string) (*int, error) {
	if s == "" {
		return nil, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x < 0 || x != math.Trunc(x) || x > math.MaxInt32 {
		return nil, hub.Errorf(hub.EINVALID, "预期版本“%s”应为非负整数 / expected version %q must be a non-negative integer", s, s)
	}
	v := int(x)
	return &v, nil
}

// blank reports whether every cell is empty.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimFunc(c, unicode.IsSpace) != "" {
			return false
		}
	}
	return true
}
