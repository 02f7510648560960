package importer

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sixprot/hub/internal/hub"
)

// TemplateRow is one row of a department's template: an indicator, a
// region at the indicator's collection level, a period, and the current
// value where the caller may see one.
type TemplateRow struct {
	Indicator *hub.Indicator
	Region    *hub.Region
	Period    string
	Current   *hub.DataValue
}

// TemplateSources are the services a template is built from; every read
// runs under the principal of the context.
type TemplateSources struct {
	Catalogue hub.CatalogueService
	Values    hub.ValueService
}

// templatePageSize is the page size the template reads values with (the
// value service's largest).
const templatePageSize = 1000

// TemplatePeriods returns the periods of an indicator of period type pt
// that a template for period shows: a year shows its quarters and months
// for quarterly and monthly indicators; a quarter or month shows only
// indicators of its own type.
func TemplatePeriods(period hub.Period, pt hub.PeriodType) []string {
	if period.Type() == pt {
		return []string{period.String()}
	}
	if period.Type() != hub.Year {
		return nil
	}
	var out []string
	switch pt {
	case hub.Quarter:
		for q := 1; q <= 4; q++ {
			out = append(out, fmt.Sprintf("%04dQ%d", period.Year, q))
		}
	case hub.Month:
		for m := 1; m <= 12; m++ {
			out = append(out, fmt.Sprintf("%04d-%02d", period.Year, m))
		}
	}
	return out
}

// BuildTemplate returns the rows of department's template for period: one
// per indicator that can be entered (not derived) × region in the
// caller's scope at the indicator's collection level × period, with the
// values the caller can see.
func BuildTemplate(ctx context.Context, src TemplateSources, department, period string) (*hub.Department, []TemplateRow, error) {
	p, err := hub.Signed(ctx)
	if err != nil {
		return nil, nil, err
	}
	per, err := hub.ParsePeriod(period)
	if err != nil {
		return nil, nil, err
	}
	depts, err := src.Catalogue.DepartmentsByCode(ctx, []string{department})
	if err != nil {
		return nil, nil, fmt.Errorf("template: %w", err)
	}
	if len(depts) == 0 || depts[0] == nil {
		return nil, nil, hub.Errorf(hub.ENOTFOUND, "部门 %q 不存在 / no department %q", department, department)
	}
	inds, err := src.Catalogue.Indicators(ctx, hub.IndicatorFilter{Department: &department})
	if err != nil {
		return nil, nil, fmt.Errorf("template: %w", err)
	}
	byLevel := map[hub.RegionLevel][]*hub.Region{}
	var periods []string
	for _, ind := range inds {
		if _, ok := byLevel[ind.CollectionLevel]; !ok {
			lvl := ind.CollectionLevel
			regs, err := src.Catalogue.Regions(ctx, hub.RegionFilter{Level: &lvl})
			if err != nil {
				return nil, nil, fmt.Errorf("template: %w", err)
			}
			var in []*hub.Region
			for _, r := range regs {
				if hub.Within(r.Path, p.RegionPath) {
					in = append(in, r)
				}
			}
			byLevel[lvl] = in
		}
		periods = append(periods, TemplatePeriods(per, ind.PeriodType)...)
	}
	current := map[hub.ValueKey]*hub.DataValue{}
	if len(periods) > 0 {
		page := hub.ValuePage{First: templatePageSize}
		for {
			conn, err := src.Values.FindValues(ctx, hub.ValueFilter{Departments: []string{department}, Periods: dedupe(periods)}, page)
			if err != nil {
				return nil, nil, fmt.Errorf("template: %w", err)
			}
			for _, v := range conn.Values {
				current[v.Key()] = v
			}
			if !conn.HasNextPage || len(conn.Values) == 0 {
				break
			}
			k := conn.Values[len(conn.Values)-1].Key()
			page.After = &k
		}
	}
	var rows []TemplateRow
	for _, ind := range inds {
		if ind.Formula != nil {
			continue
		}
		for _, pp := range TemplatePeriods(per, ind.PeriodType) {
			for _, r := range byLevel[ind.CollectionLevel] {
				rows = append(rows, TemplateRow{Indicator: ind, Region: r, Period: pp,
					Current: current[hub.ValueKey{Indicator: ind.Key, Period: pp, Region: r.Code}]})
			}
		}
	}
	return depts[0], rows, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// The template's columns, in order: the import reads the code columns and
// skips the name columns (infoHeaders).
var templateHeaders = []string{"指标代码", "指标名称", "地区代码", "地区名称", "期间", "数值", "单位", "限定", "预期版本", "备注"}

// WriteTemplate writes rows as an XLSX workbook: the data sheet first
// (the import reads the first sheet), then a sheet of instructions. The
// qualifier column has a dropdown; code and period columns are text so
// that Excel keeps 370702 and 2022 as they are.
func WriteTemplate(w io.Writer, departmentName string, rows []TemplateRow) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "数据"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	// A plain (not streamed) sheet: data validations need it, and a
	// template is at most a few thousand rows.
	for i, width := range []float64{28, 30, 14, 16, 10, 14, 10, 10, 10, 30} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	header := make([]any, len(templateHeaders))
	for i, h := range templateHeaders {
		header[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	if err := f.SetCellStyle(sheet, "A1", "J1", bold); err != nil {
		return err
	}
	for i, r := range rows {
		var value, version, qualifier, comment any = nil, nil, nil, nil
		if v := r.Current; v != nil {
			if v.Value != nil {
				value = *v.Value
			} else {
				value = notReported[0]
			}
			version, qualifier = v.Version, QualifierLabel(v.Qualifier)
			if v.Comment != nil {
				comment = *v.Comment
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{r.Indicator.Key, r.Indicator.Name, r.Region.Code, r.Region.Name, r.Period, value, r.Indicator.Unit, qualifier, version, comment}
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			return err
		}
	}
	if len(rows) > 0 {
		last := strconv.Itoa(len(rows) + 1)
		for _, col := range []string{"A", "C", "E"} {
			if err := f.SetCellStyle(sheet, col+"2", col+last, text); err != nil {
				return err
			}
		}
	}
	if len(rows) > 0 {
		last := strconv.Itoa(len(rows) + 1)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = "H2:H" + last
		if err := dv.SetDropList([]string{"精确", "至少", "约"}); err != nil {
			return err
		}
		dv.SetError(excelize.DataValidationErrorStyleStop, "限定 / qualifier", "请选择 精确、至少 或 约 / choose 精确 (exact), 至少 (at least) or 约 (approx.)")
		if err := f.AddDataValidation(sheet, dv); err != nil {
			return err
		}
		num := excelize.NewDataValidation(true)
		num.Sqref = "I2:I" + last
		if err := num.SetRange(0, 2147483647, excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween); err != nil {
			return err
		}
		if err := f.AddDataValidation(sheet, num); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet("说明"); err != nil {
		return err
	}
	notes := [][]any{
		{departmentName + " 数据填报模板 / data entry template"},
		{"生成时间 / generated", time.Now().Format("2006-01-02 15:04")},
		{"数值", "填数字；留空表示未填（导入时忽略）；“未报告”表示未报告（不是 0）/ a number; empty = nothing entered (ignored); 未报告 = not reported (not 0)"},
		{"限定", "精确 / 至少（余、多）/ 约（接近）; 留空为精确 / empty = exact"},
		{"预期版本", "下载时的版本；期间他人修改过则导入报冲突 / the version when downloaded: a change by someone else since then is a conflict"},
		{"导入 / import", "hub import --user 用户名 --file 文件.xlsx [--dry-run]，或 GraphQL importValues；整个文件全部写入或全部不写 / all or nothing per file"},
		{"注意 / note", "请勿合并单元格，请勿改动表头；数据只读第一个工作表 / do not merge cells or change the header; only the first sheet is read"},
	}
	for i, r := range notes {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("说明", cell, &r); err != nil {
			return err
		}
	}
	f.SetActiveSheet(0)
	_, err = f.WriteTo(w)
	return err
}
