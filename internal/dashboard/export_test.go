package dashboard_test

import (
	"bytes"
	"encoding/csv"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// XLSX exports hold numbers as numbers with number formats; qualifier,
// status and the synthetic mark have columns of their own; headers and
// statuses are in the page's language; names carry table, region,
// indicator and period; CSV starts with a UTF-8 BOM.
func TestExport_TypedCellsLanguageAndNames(t *testing.T) {
	api, token := setup(t)
	for _, lang := range []string{"zh", "en"} {
		q := "period=2022&indicator=child_directors"
		if lang == "en" {
			q += "&lang=en"
		}
		rec := get(t, api.Handler, token, "/export/ranking.xlsx?"+q)
		if rec.Code != http.StatusOK {
			t.Fatalf("xlsx %s: %d", lang, rec.Code)
		}
		_, params, err := mime.ParseMediaType(rec.Header().Get("Content-Disposition"))
		wantName := map[string]string{"zh": "排名-潍坊市-村（居）儿童主任数-2022.xlsx", "en": "Ranking-Weifang-"}[lang]
		if err != nil || !strings.Contains(params["filename"], wantName) || !strings.Contains(rec.Header().Get("Content-Disposition"), `filename="ranking-370700-child_directors-2022.xlsx"`) {
			t.Errorf("%s: disposition %q (%v), want a name with %q", lang, rec.Header().Get("Content-Disposition"), err, wantName)
		}
		f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		sheet := f.GetSheetName(0)
		rows, _ := f.GetRows(sheet)
		head := strings.Join(rows[0], "|")
		wantHead := map[string]string{"zh": "名次|地区代码|地区|村（居）儿童主任数", "en": "Rank|Region code|Region|"}[lang]
		if !strings.HasPrefix(head, wantHead) || !strings.Contains(head, map[string]string{"zh": "|限定|每万名未成年人|状态|模拟数据", "en": "|Qualifier|Per 10,000 minors|Status|Synthetic"}[lang]) {
			t.Errorf("%s header: %s", lang, head)
		}
		var qingzhou int
		synthetic := 0
		for i, r := range rows {
			if len(r) > 1 && r[1] == "370781" {
				qingzhou = i + 1
			}
			if i > 0 && len(r) > 7 && r[7] != "" {
				synthetic++
				if r[7] != map[string]string{"zh": "模拟", "en": "synthetic"}[lang] {
					t.Errorf("%s synthetic mark %q", lang, r[7])
				}
			}
		}
		if qingzhou == 0 {
			t.Fatalf("%s: no 青州市 row", lang)
		}
		if synthetic == 0 {
			t.Errorf("%s: no synthetic row marked", lang)
		}
		for _, col := range []int{4, 6} {
			ref, _ := excelize.CoordinatesToCellName(col, qingzhou)
			typ, _ := f.GetCellType(sheet, ref)
			style, _ := f.GetCellStyle(sheet, ref)
			st, _ := f.GetStyle(style)
			if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
				t.Errorf("%s %s is %v, not a number", lang, ref, typ)
			}
			if st == nil || st.CustomNumFmt == nil || !strings.HasPrefix(*st.CustomNumFmt, "#,##0") {
				t.Errorf("%s %s has no number format: %+v", lang, ref, st)
			}
		}
		if v, _ := f.GetCellValue(sheet, "D"+strconv.Itoa(qingzhou)); v != "1,080" {
			t.Errorf("%s: 青州市 shows %q, want 1,080", lang, v)
		}
		status, _ := f.GetCellValue(sheet, "G"+strconv.Itoa(qingzhou))
		if want := map[string]string{"zh": "已", "en": "approved"}[lang]; !strings.Contains(status, want) && !(lang == "en" && status == "published") {
			t.Errorf("%s status %q", lang, status)
		}

		c := get(t, api.Handler, token, "/export/heatmap.csv?"+q)
		if !bytes.HasPrefix(c.Body.Bytes(), []byte("\ufeff")) {
			t.Errorf("%s heatmap csv has no BOM", lang)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(c.Body.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) < 2 || len(recs[0]) != 9 {
			t.Fatalf("%s heatmap csv: %v %v", lang, err, recs)
		}
		if lang == "zh" && recs[0][0] != "指标" || lang == "en" && recs[0][0] != "Indicator" {
			t.Errorf("%s heatmap header %v", lang, recs[0])
		}
	}
}

// TestExports_EveryTableMarksSyntheticFigures: each table export, CSV and
// XLSX, has a 模拟数据 column that marks the generated figures and leaves
// the seed's real ones (青州市's 1,080 child directors in 2022) unmarked.
func TestExports_EveryTableMarksSyntheticFigures(t *testing.T) {
	api, token := setup(t)
	for _, path := range []string{
		"/export/ranking.csv?period=2022&indicator=child_directors",
		"/export/ranking.xlsx?period=2022&indicator=child_directors",
		"/export/heatmap.csv?period=2022&protection=GOVERNMENT",
		"/export/heatmap.xlsx?period=2022&protection=GOVERNMENT",
	} {
		rec := get(t, api.Handler, token, path)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", path, rec.Code)
		}
		var rows [][]string
		if strings.Contains(path, ".csv") {
			var err error
			rows, err = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
		} else {
			f, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			rows, _ = f.GetRows(f.GetSheetName(0))
		}
		col := len(rows[0]) - 1
		if rows[0][col] != "模拟数据" {
			t.Fatalf("%s: last column %q, want 模拟数据", path, rows[0][col])
		}
		marked, seedUnmarked := 0, false
		for _, r := range rows[1:] {
			mark := ""
			if len(r) > col {
				mark = r[col]
			}
			if mark != "" && mark != "模拟" {
				t.Errorf("%s: mark %q", path, mark)
			}
			if mark == "模拟" {
				marked++
			}
			if slices.Contains(r, "370781") && (slices.Contains(r, "1080") || slices.Contains(r, "1,080")) {
				seedUnmarked = mark == ""
			}
		}
		if marked == 0 || !seedUnmarked {
			t.Errorf("%s: %d rows marked 模拟, seed figure unmarked: %v", path, marked, seedUnmarked)
		}
	}
}
