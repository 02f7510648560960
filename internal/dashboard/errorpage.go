package dashboard

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/sixprot/hub/internal/hub"
)

// fail answers an error through the HTTP edge's table: a person's browser
// asking for one of the dashboard's HTML pages gets an HTML page saying
// what went wrong (htmlError), anything else — data.json, the exports, a
// script — the edge's JSON error body.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	if htmlRoute(r) && prefersHTML(r.Header.Get("Accept")) {
		d.errorPage(w, r, err)
		return
	}
	d.cfg.Errors.Write(w, r, err)
}

// htmlRoute tells the routes that answer a person with HTML (the pages,
// the login, logout and token forms) from those that answer scripts with
// data (data.json, /export/*), which keep the JSON error body whatever
// they are asked with.
func htmlRoute(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case p == "/dashboard", p == "/dashboard/screen", strings.HasPrefix(p, "/dashboard/region/"):
		return true
	case p == "/login", strings.HasPrefix(p, "/login/"), p == "/logout", p == "/logout/everywhere":
		return true
	case p == "/account/tokens", strings.HasPrefix(p, "/account/tokens/"):
		return true
	}
	return false
}

// prefersHTML reads an Accept header: text/html has a higher q-value than
// JSON (application/json or application/graphql-response+json), or the
// same one and is named while JSON is not — what a browser's navigation
// sends ("text/html,…,*/*;q=0.8"). A missing Accept or */* alone is a
// script's, answered in JSON.
func prefersHTML(accept string) bool {
	html, htmlNamed := hub.AcceptQ(accept, "text/html")
	jq, jNamed := hub.AcceptQ(accept, hub.MediaJSON)
	gq, gNamed := hub.AcceptQ(accept, hub.MediaGraphQLResponse)
	// JSON is the better of its two types (the same family, so the more
	// specific range is the one named).
	if gNamed && !jNamed || gNamed == jNamed && gq > jq {
		jq, jNamed = gq, gNamed
	}
	switch {
	case html <= 0:
		return false
	case html != jq:
		return html > jq
	}
	return htmlNamed && !jNamed
}

// bilingual is a word of words in both languages, the page's first
// (Chinese unless lang=en): the error page's words.
func bilingual(w [2]string, lang string) string {
	if lang == "en" {
		return w[1] + " / " + w[0]
	}
	return w[0] + " / " + w[1]
}

type errorLink struct {
	ID, Href, Label string
}

type errorData struct {
	Lang, Title, Message, Code, CodeLabel string
	Status                                int
	Links                                 []errorLink
}

// errorPage answers err as an HTML page: the edge's status and headers
// (Retry-After, WWW-Authenticate), no-store, the message people may read
// (for a 500 only the generic one; the edge logs the cause once), and the
// ways on: the viewer's own page, and the login when signed out.
func (d *Dashboard) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := d.cfg.Errors.Present(w, r, err)
	lang := langOf(r)
	suffix := ""
	if lang == "en" {
		suffix = "?lang=en"
	}
	p := hub.PrincipalFrom(r.Context())
	if p == nil {
		if s := hub.SessionFrom(r.Context()); s != nil {
			p = s.Principal
		}
	}
	data := errorData{Lang: lang, Title: bilingual(words["errtitle"], lang), Message: msg, Code: code,
		CodeLabel: bilingual(words["errcode"], lang), Status: status}
	if p != nil && p.Role == hub.Media {
		data.Links = append(data.Links, errorLink{ID: "home", Href: "/media" + suffix, Label: bilingual(words["errmedia"], lang)})
	} else {
		data.Links = append(data.Links, errorLink{ID: "home", Href: "/dashboard" + suffix, Label: bilingual(words["errhome"], lang)})
	}
	if status == http.StatusUnauthorized || p == nil {
		next := ""
		if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/login") {
			next = r.URL.RequestURI()
		}
		data.Links = append(data.Links, errorLink{ID: "login", Href: loginURL(r, next), Label: bilingual(words["login"], lang)})
	}
	var buf bytes.Buffer
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if terr := d.tmpl.ExecuteTemplate(&buf, "error.html", data); terr != nil {
		// A bug of the template: the message still reaches the person.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(msg + "\n"))
		return
	}
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
