package server

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
)

// templateRoutes serves the department's import template, authenticated
// like the other exports (bearer token, or the dashboard's session).
func templateRoutes(mux *http.ServeMux, cfg Config, authed func(http.Handler) http.Handler) {
	mux.Handle("GET /export/template.xlsx", authed(templateExport(cfg)))
}

// templateExport writes /export/template.xlsx?department=D[&period=P]: one
// row per indicator of D × region in the caller's scope at the
// indicator's collection level, with the values the caller can see.
// department defaults to an analyst's own, period to last year.
func templateExport(cfg Config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := hub.PrincipalFrom(r.Context())
		if err := access.TemplateBlockedBy(p); err != nil {
			writeError(w, r, cfg.Log, err)
			return
		}
		dept := r.URL.Query().Get("department")
		if dept == "" && p.Department != nil {
			dept = *p.Department
		}
		if dept == "" {
			writeError(w, r, cfg.Log, hub.Errorf(hub.EINVALID, "缺少参数 department，例如 ?department=civil_affairs / missing department, e.g. ?department=civil_affairs"))
			return
		}
		period := r.URL.Query().Get("period")
		if period == "" {
			period = strconv.Itoa(time.Now().Year() - 1)
		}
		d, rows, err := importer.BuildTemplate(r.Context(), importer.TemplateSources{Catalogue: cfg.Services.Catalogue, Values: cfg.Services.Values}, dept, period)
		if err != nil {
			writeError(w, r, cfg.Log, err)
			return
		}
		var buf bytes.Buffer
		if err := importer.WriteTemplate(&buf, d.Name, rows); err != nil {
			writeError(w, r, cfg.Log, err)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", `attachment; filename="template-`+d.Code+`-`+period+`.xlsx"`)
		_, _ = buf.WriteTo(w)
	})
}
