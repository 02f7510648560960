package server

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/media"
)

// mediaRoutes serves the media office: the publicity exports and the
// release view, for scripts (bearer token) and browsers (session cookie
// from /login). The figures come from MediaService under the caller's
// principal, with the same suppression as the GraphQL publicityStats.
func mediaRoutes(mux *http.ServeMux, cfg Config, authed func(http.Handler) http.Handler) {
	mux.Handle("GET /export/publicity.csv", authed(publicityExport(cfg, "csv")))
	mux.Handle("GET /export/publicity.json", authed(publicityExport(cfg, "json")))
	mux.Handle("GET /media", authed(releaseView(cfg)))
}

// record is an SDMX-style observation: indicator, region, period, value,
// qualifier, unit, status; text is the press wording (Chinese, or English
// with lang=en); synthetic marks generated demo data (模拟), so
// that no export passes it off as a real figure.
type record struct {
	Indicator  string   `json:"indicator"`
	Region     string   `json:"region"`
	Period     string   `json:"period"`
	Value      *float64 `json:"value"`
	Qualifier  string   `json:"qualifier"`
	Unit       string   `json:"unit"`
	Status     string   `json:"status"`
	Suppressed bool     `json:"suppressed"`
	Aggregated bool     `json:"aggregated"`
	Text       string   `json:"text"`
	// Names and words beside the codes, in the request's language
	// (Chinese, or English with lang=en).
	IndicatorName string `json:"indicatorName"`
	RegionName    string `json:"regionName"`
	UnitName      string `json:"unitName"`
	// Suppression is why a suppressed figure is withheld (SMALL_COUNT or
	// COMPLEMENTARY), SuppressionNote the same in words, naming the region
	// a complementary one protects.
	Suppression     string `json:"suppression"`
	SuppressionNote string `json:"suppressionNote"`
	Synthetic       bool   `json:"synthetic"`
	// QualifierName and StatusName are the qualifier and the status in
	// words (≥（不少于）, 已发布), in the request's language.
	QualifierName string `json:"qualifierName"`
	StatusName    string `json:"statusName"`
}

func publicityRecords(r *http.Request, cfg Config) ([]record, error) {
	if hub.PrincipalFrom(r.Context()) == nil {
		return nil, hub.Errorf(hub.EUNAUTHENTICATED, "需要登录：请提供 Bearer 令牌 / authentication required: send Authorization: Bearer <token>")
	}
	period := r.URL.Query().Get("period")
	if period == "" {
		return nil, hub.Errorf(hub.EINVALID, "缺少参数 period，例如 ?period=2022 / missing period, e.g. ?period=2022")
	}
	var region *string
	if c := r.URL.Query().Get("region"); c != "" {
		region = &c
	}
	stats, err := cfg.Services.Media.PublicityStats(r.Context(), period, region)
	if err != nil {
		return nil, err
	}
	return describe(r, cfg, stats)
}

// describe turns stats into records with the names of their indicators,
// regions and units and the reason of each suppression, in the request's
// language.
func describe(r *http.Request, cfg Config, stats []*hub.PublicityStat) ([]record, error) {
	lang := r.URL.Query().Get("lang")
	en := lang == "en"
	keys := make([]string, len(stats))
	var codes []string
	seen := map[string]bool{}
	for i, s := range stats {
		keys[i] = s.IndicatorKey
		for _, c := range []string{s.RegionCode, s.Protects} {
			if c != "" && !seen[c] {
				seen[c] = true
				codes = append(codes, c)
			}
		}
	}
	inds, err := cfg.Services.Catalogue.IndicatorsByKey(r.Context(), keys)
	if err != nil {
		return nil, err
	}
	regions, err := cfg.Services.Catalogue.RegionsByCode(r.Context(), codes)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, rg := range regions {
		if rg != nil {
			names[rg.Code] = rg.Name
			if en && rg.NameEn != nil {
				names[rg.Code] = *rg.NameEn
			}
		}
	}
	// Every figure of the table is PUBLISHED: hub_published_table reads
	// nothing else.
	status := hub.Published
	out := make([]record, len(stats))
	for i, s := range stats {
		ind := inds[i]
		rec := record{Indicator: s.IndicatorKey, Region: s.RegionCode, Period: s.Period, Value: s.Value,
			Qualifier: string(s.Qualifier), Unit: ind.Unit, Status: string(status),
			Suppressed: s.Suppressed, Aggregated: s.Aggregated, Text: media.PressFigure(s.Value, s.Qualifier, ind.Unit),
			IndicatorName: ind.Name, RegionName: names[s.RegionCode], UnitName: media.UnitWord(ind.Unit),
			Suppression: string(s.Suppression), SuppressionNote: suppressionNote(s, names, en),
			Synthetic: s.Synthetic, QualifierName: media.QualifierWord(s.Qualifier, lang), StatusName: media.StatusWord(status, lang)}
		if en {
			rec.Text = media.PressFigureEnglish(s.Value, s.Qualifier, ind.Unit)
			if rec.UnitName = media.UnitWordEnglish(ind.Unit); rec.UnitName == "" {
				rec.UnitName = ind.Unit
			}
			if ind.NameEn != nil {
				rec.IndicatorName = *ind.NameEn
			}
		}
		out[i] = rec
	}
	return out, nil
}

// suppressionNote says in words why s is withheld: 小数保护, or which
// region's withheld figure it protects.
func suppressionNote(s *hub.PublicityStat, names map[string]string, en bool) string {
	switch s.Suppression {
	case hub.SmallCount:
		if en {
			return "small count withheld to protect the children it counts"
		}
		return "小数保护：敏感小数已隐藏"
	case hub.Complementary:
		who := names[s.Protects]
		if who == "" {
			who = s.Protects
		}
		if en {
			return "withheld so that the hidden figure of " + who + " cannot be worked out by subtraction (complementary suppression)"
		}
		return "互补隐藏：为防止推算出" + who + "的隐藏数值而隐藏"
	}
	return ""
}

func publicityExport(cfg Config, format string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		recs, err := publicityRecords(r, cfg)
		if err != nil {
			writeError(w, r, cfg.Log, err)
			return
		}
		if format == "json" {
			writeJSON(w, http.StatusOK, map[string]any{"observations": recs})
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="publicity-`+r.URL.Query().Get("period")+`.csv"`)
		_, _ = w.Write([]byte("\uFEFF")) // Excel opens UTF-8 CSV with a BOM correctly
		cw := csv.NewWriter(w)
		head := []string{"indicator", "region", "period", "value", "qualifier", "unit", "status", "suppressed", "text",
			"indicator_name", "region_name", "unit_name", "suppression", "suppression_note", "synthetic",
			"qualifier_name", "status_name"}
		if r.URL.Query().Get("lang") != "en" {
			head = []string{"指标代码", "地区代码", "期间", "数值", "限定", "单位代码", "状态", "已隐藏", "新闻稿写法",
				"指标", "地区", "单位", "隐藏原因", "说明", "模拟数据", "限定说明", "状态名称"}
		}
		_ = cw.Write(head)
		for _, rec := range recs {
			v := ""
			if rec.Value != nil {
				v = strconv.FormatFloat(*rec.Value, 'f', -1, 64)
			}
			_ = cw.Write([]string{rec.Indicator, rec.Region, rec.Period, v, rec.Qualifier, rec.Unit, rec.Status,
				strconv.FormatBool(rec.Suppressed), rec.Text, rec.IndicatorName, rec.RegionName, rec.UnitName,
				rec.Suppression, rec.SuppressionNote, strconv.FormatBool(rec.Synthetic), rec.QualifierName, rec.StatusName})
		}
		cw.Flush()
	})
}

// shanghaiZone is the zone the media office reads times in: China
// Standard Time, UTC+8 all year (no daylight saving since 1991), so a fixed
// zone needs no tz database on the host.
var shanghaiZone = time.FixedZone("CST", 8*60*60)

// shanghaiTime writes t in Asia/Shanghai with the zone named.
func shanghaiTime(t time.Time) string {
	return t.In(shanghaiZone).Format("2006-01-02 15:04") + " 北京时间 (UTC+08:00 Asia/Shanghai)"
}

var releaseTmpl = template.Must(template.New("media").Funcs(template.FuncMap{"shanghai": shanghaiTime}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>发布数据 / Releases</title>
<style>body{font-family:"Noto Sans CJK SC",sans-serif;margin:1.5rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}
nav{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;border-bottom:1px solid #ccc;padding-bottom:.5rem}nav form{margin:0}.note{color:#555;max-width:60em}
.wrap{overflow-x:auto;max-width:100%}</style>
</head><body>
<nav id="nav"><a href="/media">发布数据 / Releases</a>{{if .Dashboard}}<a href="/dashboard">驾驶舱 / Dashboard</a>{{end}}<a href="#withheld">隐藏的数值 / Withheld figures</a>
<span class="user">{{.User}}</span>{{if .CSRF}}<form method="post" action="/logout"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit" id="logout">退出 / Log out</button></form>{{end}}</nav>
<h1>已发布统计 / Published statistics</h1>
<div class="wrap"><table><tr><th>发布批次 / Publication</th><th>发布时间 / Published at</th><th>数据 / Values</th><th>下载 / Download</th></tr>
{{range .Rows}}<tr><td>{{.Title}}</td><td>{{shanghai .PublishAt}}</td><td>{{.Values}}</td>
<td>{{if not .Open}}禁发期 / embargoed{{else}}{{range $i, $p := .Periods}}{{if $i}}<br>{{end}}{{$p}}: 中文 / Chinese <a href="/export/publicity.csv?period={{$p}}">CSV</a> · <a href="/export/publicity.json?period={{$p}}">JSON</a>；英文 / English <a href="/export/publicity.csv?period={{$p}}&amp;lang=en">CSV</a> · <a href="/export/publicity.json?period={{$p}}&amp;lang=en">JSON</a>{{else}}—{{end}}{{end}}</td></tr>
{{else}}<tr><td colspan="4">暂无发布 / nothing published yet</td></tr>{{end}}
</table></div>
<h2 id="withheld">隐藏的数值 / Withheld figures</h2>
<p class="note">部分敏感指标（如困境儿童、涉案未成年人人数）的数值不予发布，导出文件中该格为空，“已隐藏”为 true，并写明原因：</p>
<ul class="note"><li><b>小数保护</b>（SMALL_COUNT）：1 至阈值以下的小数（默认少于 5）可能识别出具体儿童，因此隐藏；0 照常发布。</li>
<li><b>互补隐藏</b>（COMPLEMENTARY）：合计与其各组成部分构成等式，只隐藏一格时可用减法推算出来，因此再隐藏一格（说明中写明它保护的是哪个地区的数值）。</li></ul>
<p class="note">Small counts of vulnerable children (1 up to the threshold, 5 by default) are withheld (SMALL_COUNT); where a total and its parts would let a withheld figure be worked out by subtraction, one more figure is withheld to protect it (COMPLEMENTARY), and the note names the region it protects. Zeros are shown.</p>
{{range .Withheld}}<h3>{{.Period}}</h3>
<div class="wrap"><table class="withheld"><tr><th>指标 / Indicator</th><th>地区 / Region</th><th>原因 / Reason</th></tr>
{{range .Records}}<tr data-region="{{.Region}}" data-reason="{{.Suppression}}"><td>{{.IndicatorName}}</td><td>{{.RegionName}}</td><td>{{.SuppressionNote}}</td></tr>
{{end}}</table></div>
{{else}}<p class="note">本期无隐藏的数值 / no figure withheld.</p>{{end}}
</body></html>`))

func releaseView(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := accessForMedia(r); err != nil {
			writeError(w, r, cfg.Log, err)
			return
		}
		pubs, err := cfg.Services.Media.Publications(r.Context())
		if err != nil {
			writeError(w, r, cfg.Log, err)
			return
		}
		type row struct {
			*hub.Publication
			Open bool
		}
		type withheld struct {
			Period  string
			Records []record
		}
		p := hub.PrincipalFrom(r.Context())
		page := struct {
			Rows      []row
			Withheld  []withheld
			User      string
			CSRF      string
			Dashboard bool
		}{User: p.Name, Dashboard: p.Role != hub.Media}
		if s := hub.SessionFrom(r.Context()); s != nil {
			page.CSRF = s.CSRF
		}
		var periods []string
		for _, pub := range pubs {
			open := !pub.PublishAt.After(time.Now())
			page.Rows = append(page.Rows, row{Publication: pub, Open: open})
			for _, per := range pub.Periods {
				if open && !slices.Contains(periods, per) {
					periods = append(periods, per)
				}
			}
		}
		// The withheld cells of each open period, with their reasons: the
		// same suppressed table the exports give.
		for _, per := range periods {
			stats, err := cfg.Services.Media.PublicityStats(r.Context(), per, nil)
			if err != nil {
				writeError(w, r, cfg.Log, err)
				return
			}
			var hidden []*hub.PublicityStat
			for _, s := range stats {
				if s.Suppressed {
					hidden = append(hidden, s)
				}
			}
			if len(hidden) == 0 {
				continue
			}
			recs, err := describe(r, cfg, hidden)
			if err != nil {
				writeError(w, r, cfg.Log, err)
				return
			}
			page.Withheld = append(page.Withheld, withheld{Period: per, Records: recs})
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := releaseTmpl.Execute(w, page); err != nil {
			cfg.Log.ErrorContext(r.Context(), "render releases", "error", err)
		}
	})
}

func accessForMedia(r *http.Request) error {
	p := hub.PrincipalFrom(r.Context())
	if p == nil {
		return hub.Errorf(hub.EUNAUTHENTICATED, "需要登录 / authentication required")
	}
	if p.Role == hub.Analyst {
		return hub.Errorf(hub.EFORBIDDEN, "发布页面供媒体、协调员、领导和管理员使用 / the release view is for the media office, coordinators, leaders and admins")
	}
	return nil
}
