package dashboard

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/components"
	"github.com/xuri/excelize/v2"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/media"
)

var funcs = template.FuncMap{
	"value":       func(v *float64, q *hub.Qualifier, lang string) string { return formatValue(v, q, lang) },
	"rate":        func(v *float64, lang string) string { return formatRate(v, nil, lang) },
	"protections": func() []hub.Protection { return hub.Protections },
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
	// Data is the first answer of DataURL, in the page itself: the charts
	// are drawn without a second request (and a second build of the
	// model); dashboard.js asks DataURL only to refresh.
	Data chartData
	// MapURLs are the boundary files the page's map needs, preloaded
	// from the page's head.
	MapURLs []string
	// Path is the page's own path: its links that change the view keep it.
	Path string
	// Live loads live.js (Config.Live).
	Live bool
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
	data := d.pageData(r, m)
	var buf bytes.Buffer
	if err := d.tmpl.ExecuteTemplate(&buf, "dashboard.html", data); err != nil {
		d.fail(w, r, fmt.Errorf("render dashboard: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// charts returns the go-echarts page of m and its chart data, the
// boundary files named by their content hash (cached for a year, like
// ECharts itself).
func (d *Dashboard) charts(m *Model) (*components.Page, chartData) {
	pg, cd := m.page()
	for _, mi := range cd.Maps {
		mi.URL = d.assets.hashedURL(mi.URL)
	}
	return pg, cd
}

// pageData is what the dashboard's and the 大屏's templates get: the
// model, the scripts, and the chart data inlined.
func (d *Dashboard) pageData(r *http.Request, m *Model) pageData {
	pg, cd := d.charts(m)
	var maps []string
	for _, mi := range cd.Maps {
		maps = append(maps, mi.URL)
	}
	slices.Sort(maps)
	return pageData{Model: m, Scripts: d.scripts(pg.JSAssets.Values), DataURL: "/dashboard/data.json?" + m.View.Query("parent", m.Parent.Code),
		Data: cd, MapURLs: maps, Path: r.URL.Path, Live: d.cfg.Live}
}

// data answers the chart options of a view, and the links their clicks open.
func (d *Dashboard) data(w http.ResponseWriter, r *http.Request) {
	m, ok := d.model(w, r)
	if !ok {
		return
	}
	_, cd := d.charts(m)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(cd)
}

// cell is one cell of an export: text, or a number written as a number
// (Num) with its number format.
type cell struct {
	Text string
	Num  *float64
	// Format is the number format of a number cell: "#,##0" for whole
	// numbers, "#,##0.00" otherwise.
	Format string
}

func text(s string) cell { return cell{Text: s} }

// rounded is a rate to the two decimals the page shows: the CSV wrote
// 60.33519553072626 where the page says 60.34.
func rounded(v *float64) *float64 {
	if v == nil {
		return nil
	}
	x := round2(*v)
	return &x
}

func number(v *float64) cell {
	if v == nil {
		return cell{}
	}
	f := "#,##0.00"
	if *v == math.Trunc(*v) {
		f = "#,##0"
	}
	return cell{Num: v, Format: f}
}

// csvText writes c for CSV: full digits, no thousands separators.
func (c cell) csvText() string {
	if c.Num == nil {
		return c.Text
	}
	return strconv.FormatFloat(*c.Num, 'f', -1, 64)
}

func pick(w [2]string, lang string) string {
	if lang == "en" {
		return w[1]
	}
	return w[0]
}

func (m *Model) statusCell(s *hub.Status) cell {
	if s == nil {
		return text("")
	}
	return text(media.StatusWord(*s, m.View.Lang))
}

func (m *Model) qualifierCell(q *hub.Qualifier) cell {
	if q == nil || *q == hub.Exact {
		// An exact figure needs no word beside it.
		return text("")
	}
	return text(media.QualifierWord(*q, m.View.Lang))
}

func (m *Model) syntheticCell(yes bool) cell {
	if !yes {
		return text("")
	}
	return text(m.L["simulated"])
}

// table returns a page table as typed cells, headers in the page's
// language: the ranking (one row a region) or the heatmap (one row an
// indicator and region). Qualifier, status and the synthetic mark have
// columns of their own; a missing figure is an empty cell.
func (m *Model) table(name string) ([][]cell, bool) {
	lang := m.View.Lang
	head := func(keys ...string) []cell {
		out := make([]cell, len(keys))
		for i, k := range keys {
			if l, ok := m.L[k]; ok {
				k = l
			}
			out[i] = text(k)
		}
		return out
	}
	unit := indicatorName(m.Indicator, lang)
	if u := unitName(m.Indicator.Unit, lang); u != "" {
		unit += pick([2]string{"（" + u + "）", " (" + u + ")"}, lang)
	}
	switch name {
	case "ranking":
		out := [][]cell{head("rank", "code", "region", unit, "qualifier", "per10k", "status", "simcol")}
		for _, r := range m.Rows {
			rank := cell{}
			if r.Rank > 0 {
				f := float64(r.Rank)
				rank = number(&f)
			}
			out = append(out, []cell{rank, text(r.Region.Code), text(r.Name), number(r.Value), m.qualifierCell(r.Qualifier),
				number(rounded(r.PerTenK)), m.statusCell(r.Status), m.syntheticCell(r.Synthetic)})
		}
		return out, true
	case "heatmap":
		out := [][]cell{head("indicator", "key", "code", "region", "value", "unit", "qualifier", "status", "simcol")}
		for _, ind := range m.HeatIndicators {
			for _, c := range m.Children {
				dv := m.Heat[ind.Key][c.Code]
				row := []cell{text(indicatorName(ind, lang)), text(ind.Key), text(c.Code), text(regionName(c, lang))}
				if dv == nil {
					row = append(row, cell{}, text(unitName(ind.Unit, lang)), text(""), text(""), m.syntheticCell(c.Synthetic))
				} else {
					q, st := dv.Qualifier, dv.Status
					row = append(row, number(dv.Value), text(unitName(ind.Unit, lang)), m.qualifierCell(&q), m.statusCell(&st),
						m.syntheticCell(dv.Value != nil && isSynthetic(c, dv)))
				}
				out = append(out, row)
			}
		}
		return out, true
	}
	return nil, false
}

// unitName is a catalogue unit as an export's reader reads it, in the
// media office's words: 人, 份, 元/人 on a Chinese page, persons, copies,
// person-times on an English one; a unit without a word stays its code.
// Chinese exports said "persons" and "（rooms）".
func unitName(unit, lang string) string {
	w := media.UnitWord(unit)
	if lang == "en" {
		w = media.UnitWordEnglish(unit)
	}
	if w == "" {
		return unit
	}
	return w
}

// exportName is the downloaded file's name: table, region, indicator and
// period, in the page's language (names) and as codes (the ASCII
// fallback).
func (m *Model) exportName(table, ext string) (ascii, local string) {
	ascii = fmt.Sprintf("%s-%s-%s-%s.%s", table, m.Parent.Code, m.Indicator.Key, m.View.Period, ext)
	what := indicatorName(m.Indicator, m.View.Lang)
	if table == "heatmap" {
		what = protectionName(m.View.Protection, m.View.Lang)
	}
	local = fmt.Sprintf("%s-%s-%s-%s.%s", m.L[table], regionName(m.Parent, m.View.Lang), what, m.View.Period, ext)
	return ascii, local
}

// disposition is an attachment's Content-Disposition: the ASCII name for
// old clients and the page-language name (RFC 5987 filename*), which
// browsers prefer.
func disposition(ascii, local string) string {
	var b strings.Builder
	for _, c := range []byte(local) {
		if c < 0x80 && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + b.String()
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
	ascii, local := m.exportName(name, ext)
	w.Header().Set("Content-Disposition", disposition(ascii, local))
	w.Header().Set("Cache-Control", "no-store")
	if ext == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		_, _ = w.Write([]byte("\ufeff")) // BOM: Excel then reads UTF-8
		cw := csv.NewWriter(w)
		for _, row := range rows {
			rec := make([]string, len(row))
			for j, c := range row {
				rec[j] = c.csvText()
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
		return
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	styles := map[string]int{}
	for i, row := range rows {
		for j, c := range row {
			ref, _ := excelize.CoordinatesToCellName(j+1, i+1)
			var err error
			if c.Num != nil {
				err = f.SetCellFloat(sheet, ref, *c.Num, -1, 64)
				if err == nil {
					st, ok := styles[c.Format]
					if !ok {
						format := c.Format
						st, err = f.NewStyle(&excelize.Style{CustomNumFmt: &format})
						styles[c.Format] = st
					}
					if err == nil {
						err = f.SetCellStyle(sheet, ref, ref, st)
					}
				}
			} else if c.Text != "" {
				err = f.SetCellStr(sheet, ref, c.Text)
			}
			if err != nil {
				d.fail(w, r, fmt.Errorf("export xlsx: %w", err))
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	_ = f.Write(w)
}

// scripts names the chart library's scripts by their hashed, long-cached
// URLs (assets.go).
func (d *Dashboard) scripts(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = d.assets.hashedURL(u)
	}
	return out
}
