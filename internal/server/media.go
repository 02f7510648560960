package server

import (
	"encoding/csv"
	"html/template"
	"net/http"
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
// qualifier, unit, status; synthetic marks generated demo data (模拟), so
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
	Synthetic  bool     `json:"synthetic"`
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
	keys := make([]string, len(stats))
	for i, s := range stats {
		keys[i] = s.IndicatorKey
	}
	inds, err := cfg.Services.Catalogue.IndicatorsByKey(r.Context(), keys)
	if err != nil {
		return nil, err
	}
	out := make([]record, len(stats))
	for i, s := range stats {
		out[i] = record{Indicator: s.IndicatorKey, Region: s.RegionCode, Period: s.Period, Value: s.Value,
			Qualifier: string(s.Qualifier), Unit: inds[i].Unit, Status: string(hub.Published),
			Suppressed: s.Suppressed, Aggregated: s.Aggregated, Text: media.PressFigure(s.Value, s.Qualifier, inds[i].Unit),
			Synthetic: s.Synthetic}
	}
	return out, nil
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
		_ = cw.Write([]string{"indicator", "region", "period", "value", "qualifier", "unit", "status", "suppressed", "text", "synthetic"})
		for _, rec := range recs {
			v := ""
			if rec.Value != nil {
				v = strconv.FormatFloat(*rec.Value, 'f', -1, 64)
			}
			_ = cw.Write([]string{rec.Indicator, rec.Region, rec.Period, v, rec.Qualifier, rec.Unit, rec.Status,
				strconv.FormatBool(rec.Suppressed), rec.Text, strconv.FormatBool(rec.Synthetic)})
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
<html lang="zh-CN"><head><meta charset="utf-8"><title>发布数据 / Releases</title>
<style>body{font-family:"Noto Sans CJK SC",sans-serif;margin:1.5rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}</style>
</head><body>
<h1>已发布统计 / Published statistics</h1>
<table><tr><th>发布批次 / Publication</th><th>发布时间 / Published at</th><th>数据 / Values</th><th>下载 / Download</th></tr>
{{range .}}<tr><td>{{.Title}}</td><td>{{shanghai .PublishAt}}</td><td>{{.Values}}</td>
<td>{{if not .Open}}禁发期 / embargoed{{else}}{{range $i, $p := .Periods}}{{if $i}}<br>{{end}}{{$p}}: <a href="/export/publicity.csv?period={{$p}}">CSV</a> · <a href="/export/publicity.json?period={{$p}}">JSON</a>{{else}}—{{end}}{{end}}</td></tr>
{{else}}<tr><td colspan="4">暂无发布 / nothing published yet</td></tr>{{end}}
</table></body></html>`))

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
		rows := make([]row, len(pubs))
		for i, p := range pubs {
			rows[i] = row{Publication: p, Open: !p.PublishAt.After(time.Now())}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := releaseTmpl.Execute(w, rows); err != nil {
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
