package dashboard

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/sixprot/hub/internal/hub"
)

var funcs = template.FuncMap{
	"value":       func(v *float64, q *hub.Qualifier, lang string) string { return formatValue(v, q, lang) },
	"protections": func() []hub.Protection { return hub.Protections[:6] },
	"pname":       protectionName,
	"iname":       indicatorName,
	"selected": func(codes []string, code string) bool {
		for _, c := range codes {
			if c == code {
				return true
			}
		}
		return false
	},
	"rname": regionName,
}

type pageData struct {
	*Model
	Scripts []string
	DataURL string
	// Path is the page's own path: its links that change the view keep it.
	Path string
}

func (d *Dashboard) model(w http.ResponseWriter, r *http.Request) (*Model, bool) {
	v, err := parseView(r)
	if err == nil && v.Parent == "" {
		v.Parent = r.URL.Query().Get("parent")
	}
	if err != nil {
		d.fail(w, r, err)
		return nil, false
	}
	m, err := d.build(r.Context(), v)
	if err != nil {
		d.fail(w, r, err)
		return nil, false
	}
	return m, true
}

// page renders a dashboard page; the charts' options come from data.json.
//
// The media office has its own page (/media): its dashboard would be
// empty charts of figures it may not read, so it is sent there.
func (d *Dashboard) page(w http.ResponseWriter, r *http.Request) {
	if p := hub.PrincipalFrom(r.Context()); p != nil && p.Role == hub.Media {
		http.Redirect(w, r, "/media", http.StatusSeeOther)
		return
	}
	m, ok := d.model(w, r)
	if !ok {
		return
	}
	pg, _ := m.page()
	data := pageData{Model: m, Scripts: pg.JSAssets.Values, DataURL: "/dashboard/data.json?" + m.View.Query("parent", m.Parent.Code), Path: r.URL.Path}
	var buf bytes.Buffer
	if err := d.tmpl.ExecuteTemplate(&buf, "dashboard.html", data); err != nil {
		d.fail(w, r, fmt.Errorf("render dashboard: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// data answers the chart options of a view, and the links their clicks open.
func (d *Dashboard) data(w http.ResponseWriter, r *http.Request) {
	m, ok := d.model(w, r)
	if !ok {
		return
	}
	_, cd := m.page()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(cd)
}

// table returns a page table as rows of text: ranking or heatmap.
func (m *Model) table(name string) ([][]string, bool) {
	lang := m.View.Lang
	switch name {
	case "ranking":
		out := [][]string{{m.L["rank"], "code", m.L["region"], indicatorName(m.Indicator, lang), m.L["per10k"], m.L["status"]}}
		for _, r := range m.Rows {
			rank, st := "", ""
			if r.Rank > 0 {
				rank = fmt.Sprint(r.Rank)
			}
			if r.Status != nil {
				st = string(*r.Status)
			}
			out = append(out, []string{rank, r.Region.Code, r.Name, plain(r.Value, r.Qualifier), plain(r.PerTenK, nil), st})
		}
		return out, true
	case "heatmap":
		head := []string{m.L["indicator"]}
		for _, c := range m.Children {
			head = append(head, regionName(c, lang))
		}
		out := [][]string{head}
		for _, ind := range m.HeatIndicators {
			row := []string{indicatorName(ind, lang)}
			for _, c := range m.Children {
				if dv := m.Heat[ind.Key][c.Code]; dv != nil {
					q := dv.Qualifier
					row = append(row, plain(dv.Value, &q))
				} else {
					row = append(row, "—")
				}
			}
			out = append(out, row)
		}
		return out, true
	}
	return nil, false
}

// plain writes a value for files: full digits, qualifier kept.
func plain(v *float64, q *hub.Qualifier) string {
	if v == nil {
		return "—"
	}
	return qualifierMark(q) + strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", *v), "0"), ".")
}

// export downloads a page table as CSV or XLSX: /export/ranking.csv?<view>.
func (d *Dashboard) export(w http.ResponseWriter, r *http.Request) {
	name, ext, _ := strings.Cut(r.PathValue("file"), ".")
	if ext != "csv" && ext != "xlsx" {
		d.fail(w, r, hub.Errorf(hub.ENOTFOUND, "没有此导出 / no such export"))
		return
	}
	m, ok := d.model(w, r)
	if !ok {
		return
	}
	rows, ok := m.table(name)
	if !ok {
		d.fail(w, r, hub.Errorf(hub.ENOTFOUND, "没有表格 %q / no table %q", name, name))
		return
	}
	file := fmt.Sprintf("%s-%s-%s-%s.%s", name, m.Parent.Code, m.Indicator.Key, m.View.Period, ext)
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
	w.Header().Set("Cache-Control", "no-store")
	if ext == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write([]byte("\ufeff")) // BOM: Excel then reads UTF-8
		cw := csv.NewWriter(w)
		_ = cw.WriteAll(rows)
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := make([]any, len(row))
		for j, s := range row {
			vals[j] = s
		}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			d.fail(w, r, fmt.Errorf("export xlsx: %w", err))
			return
		}
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	_ = f.Write(w)
}
