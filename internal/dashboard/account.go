package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

// tokenLifetimes are the lifetimes the token page offers, in days; the
// first is the default.
var tokenLifetimes = []int{90, 7, 30, 180, 365}

type tokensData struct {
	L         labels
	Lang      string
	User      string
	CSRF      string
	Tokens    []tokenRow
	Lifetimes []int
	// Secret is the token just made, shown this once.
	Secret string
	Error  string
	Switch string
}

// tokenRow is a token as the page shows it, times in 北京时间.
type tokenRow struct {
	ID                               int64
	Name, Created, LastUsed, Expires string
	Revoked                          string
	Active                           bool
}

// beijing is the time zone the page shows (UTC+08:00, Asia/Shanghai; a
// fixed zone, so no tz database is needed on the server).
var beijing = time.FixedZone("UTC+08:00", 8*3600)

func shown(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return t.In(beijing).Format("2006-01-02 15:04")
}

func tokenRows(ts []*hub.Token, now time.Time, l labels) []tokenRow {
	out := make([]tokenRow, 0, len(ts))
	for _, t := range ts {
		row := tokenRow{ID: t.ID, Created: shown(&t.CreatedAt, ""), LastUsed: shown(t.LastUsedAt, l["never"]),
			Expires: shown(t.ExpiresAt, "—"), Revoked: shown(t.RevokedAt, ""),
			Active: t.RevokedAt == nil && (t.ExpiresAt == nil || t.ExpiresAt.After(now))}
		if t.Name != nil {
			row.Name = *t.Name
		}
		out = append(out, row)
	}
	return out
}

// session returns the request's browser session: the token page's forms
// are a person's, checked by the session's CSRF token; scripts with a
// bearer token use the GraphQL mutations (createMyToken, revokeMyToken).
func (d *Dashboard) session(w http.ResponseWriter, r *http.Request, form bool) *hub.Session {
	s := hub.SessionFrom(r.Context())
	switch {
	case s == nil:
		d.fail(w, r, hub.Errorf(hub.EFORBIDDEN, "此页面需要浏览器登录；脚本请用 GraphQL 的 myTokens / createMyToken / revokeMyToken / this page needs a browser session; scripts use GraphQL's myTokens, createMyToken, revokeMyToken"))
		return nil
	case form && !equal(s.CSRF, r.PostFormValue("csrf")):
		d.fail(w, r, hub.Errorf(hub.EFORBIDDEN, "CSRF 校验失败，请刷新页面 / CSRF check failed, reload the page"))
		return nil
	}
	return s
}

func (d *Dashboard) tokensPage(w http.ResponseWriter, r *http.Request) {
	if s := d.session(w, r, false); s != nil {
		d.renderTokens(w, r, s, http.StatusOK, "", "")
	}
}

func (d *Dashboard) renderTokens(w http.ResponseWriter, r *http.Request, s *hub.Session, status int, secret, msg string) {
	tokens, err := d.cfg.Tokens.MyTokens(r.Context())
	if err != nil {
		d.fail(w, r, err)
		return
	}
	lang := langOf(r)
	sw := "/account/tokens?lang=en"
	if lang == "en" {
		sw = "/account/tokens"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	l := labelsFor(lang)
	_ = d.tmpl.ExecuteTemplate(w, "tokens.html", tokensData{L: l, Lang: lang, User: s.Principal.Name,
		CSRF: s.CSRF, Tokens: tokenRows(tokens, d.cfg.Now(), l), Lifetimes: tokenLifetimes, Secret: secret, Error: msg, Switch: sw})
}

// createToken makes a named token and shows its secret once, on the
// answer to the POST itself (never in a URL, never stored).
func (d *Dashboard) createToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<14)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, hub.Errorf(hub.EINVALID, "表单无效 / invalid form"))
		return
	}
	s := d.session(w, r, true)
	if s == nil {
		return
	}
	days, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil || days < 1 || time.Duration(days)*24*time.Hour > hub.MaxTokenLifetime {
		d.renderTokens(w, r, s, http.StatusBadRequest, "", hub.ErrorMessage(hub.Errorf(hub.EINVALID, "有效期应为 1–366 天 / the lifetime must be 1 to 366 days")))
		return
	}
	t, err := d.cfg.Tokens.CreateMyToken(r.Context(), r.PostFormValue("name"), time.Duration(days)*24*time.Hour)
	if hub.ErrorCode(err) == hub.EINVALID {
		d.renderTokens(w, r, s, http.StatusBadRequest, "", hub.ErrorMessage(err))
		return
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.renderTokens(w, r, s, http.StatusOK, t.Secret, "")
}

func (d *Dashboard) revokeToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<14)
	if err := r.ParseForm(); err != nil {
		d.fail(w, r, hub.Errorf(hub.EINVALID, "表单无效 / invalid form"))
		return
	}
	if d.session(w, r, true) == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		d.fail(w, r, hub.Errorf(hub.ENOTFOUND, "没有此令牌 / no such token"))
		return
	}
	if _, err := d.cfg.Tokens.RevokeMyToken(r.Context(), id); err != nil {
		d.fail(w, r, err)
		return
	}
	target := "/account/tokens"
	if langOf(r) == "en" {
		target += "?" + url.Values{"lang": {"en"}}.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}
