package dashboard

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sixprot/hub/internal/hub"
)

// The 大屏: the same view as a dashboard page (state in the URL: period,
// protection, indicator, percap, lang, parent), laid out for a wall screen
// at 1920×1080 — dark, large type, no scrolling — and refreshing itself:
// every refresh seconds dashboard.js's hubRefresh() fetches data.json and
// redraws the charts, cards and ranking without reloading the page.
const (
	defaultRefresh = 60
	minRefresh     = 10
	maxRefresh     = 3600
)

// refreshOf reads ?refresh= (seconds), bounded to [minRefresh, maxRefresh].
func refreshOf(r *http.Request) (int, error) {
	s := r.URL.Query().Get("refresh")
	if s == "" {
		return defaultRefresh, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < minRefresh || n > maxRefresh {
		return 0, hub.Errorf(hub.EINVALID, "刷新间隔 refresh 应为 %d–%d 秒的整数，不是 %q / refresh must be whole seconds from %d to %d, not %q",
			minRefresh, maxRefresh, s, minRefresh, maxRefresh, s)
	}
	return n, nil
}

type screenData struct {
	pageData
	Refresh int
	// Exit is the ordinary dashboard page of the same view.
	Exit string
}

func (d *Dashboard) screen(w http.ResponseWriter, r *http.Request) {
	if p := hub.PrincipalFrom(r.Context()); p != nil && p.Role == hub.Media {
		http.Redirect(w, r, "/media", http.StatusSeeOther)
		return
	}
	refresh, err := refreshOf(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	m, ok := d.model(w, r)
	if !ok {
		return
	}
	exit := string(m.View.Href("/dashboard", "parent", ""))
	if p := hub.PrincipalFrom(r.Context()); p != nil && m.Parent.Code != p.Region {
		exit = string(m.View.Href("/dashboard/region/"+m.Parent.Code, "parent", ""))
	}
	data := screenData{pageData: d.pageData(r, m), Refresh: refresh, Exit: exit}
	var buf bytes.Buffer
	if err := d.tmpl.ExecuteTemplate(&buf, "screen.html", data); err != nil {
		d.fail(w, r, fmt.Errorf("render screen: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// rankingRow is a ranking row in data.json, for a refresh of the table.
type rankingRow struct {
	Code      string `json:"code"`
	Rank      int    `json:"rank"`
	Name      string `json:"name"`
	Shown     string `json:"shown"`
	PerTenK   string `json:"perTenK"`
	Synthetic bool   `json:"synthetic"`
}

func (m *Model) rankingRows() []rankingRow {
	out := make([]rankingRow, 0, len(m.Rows))
	for _, r := range m.Rows {
		out = append(out, rankingRow{Code: r.Region.Code, Rank: r.Rank, Name: r.Name, Shown: r.Shown,
			PerTenK: formatRate(r.PerTenK, nil, m.View.Lang), Synthetic: r.Synthetic})
	}
	return out
}
