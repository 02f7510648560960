package server

import (
	"bytes"
	"compress/gzip"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/sixprot/hub/internal/hub"
)

// The GraphiQL page: npm graphiql with its explorer plugin, built by
// tools/graphiql (npm ci && npm run build) into graphiql/assets/, one
// bundle plus Monaco's workers and the fonts, and committed, so that go
// build needs no Node. BUILD.sha256 records the hashes of the build's
// inputs and outputs (TestGraphiQLBundle_MatchesItsSources).
//
//go:embed graphiql/assets
var graphiqlFiles embed.FS

// graphiqlAssets is the path prefix of the page's files.
const graphiqlAssets = "/graphql/assets/"

// CSRFHeader is the header a request to /graphql that authenticates with
// the session cookie must carry: the session's CSRF token, which only the
// hub's own pages know (the GraphiQL page has it in <meta name="hub-csrf">).
const CSRFHeader = "X-Hub-CSRF"

// graphiQLOr serves the GraphiQL page to browsers and GraphQL GET requests
// to everything else.
func graphiQLOr(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("query") == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
			serveGraphiQL(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// graphQLSessions lets the dashboard's session act on /graphql, with the
// session's CSRF token in the X-Hub-CSRF header: a cookie goes with any
// request the browser sends, even one another site makes it send, the
// header only with the hub's own page's. A bearer token needs no header.
// A session without the header (or with a wrong one) is refused 403, so a
// forged request cannot even act anonymously under the user's cookie.
func graphQLSessions(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		s := hub.SessionFrom(ctx)
		if hub.PrincipalFrom(ctx) != nil || s == nil {
			next.ServeHTTP(w, r)
			return
		}
		// A browser cannot put a header on a WebSocket handshake; the live
		// endpoint accepts the session there only when the Origin is the
		// hub's own (graph/subscriptions.go refuses any other with 403),
		// which is the CSRF check for that path.
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			next.ServeHTTP(w, r)
			return
		}
		got := r.Header.Get(CSRFHeader)
		if s.CSRF == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) != 1 {
			writeError(w, r, log, hub.Errorf(hub.EFORBIDDEN,
				"用会话 Cookie 调用 /graphql 需要 %s 头（GraphiQL 页面自动带上），或改用 Authorization: Bearer 令牌 / a request with the session cookie needs the %s header (the GraphiQL page sends it), or use an Authorization: Bearer token",
				CSRFHeader, CSRFHeader))
			return
		}
		next.ServeHTTP(w, r.WithContext(hub.NewContext(ctx, s.Principal)))
	})
}

// example is an operation preloaded as a tab of the GraphiQL page.
type example struct {
	Query     string `json:"query"`
	Variables string `json:"variables,omitempty"`
}

// meExample opens every role's tabs: who am I, where.
const meExample = `# 我是谁 / who am I
query Me {
  me { name role department { code name } region { code name } }
}
`

// graphiqlExamples are the tabs a role starts with (signed out: the
// first and how to sign in). Each is valid against the schema and runs
// for its role without errors (TestGraphiQL_ExamplesRunForTheirRole).
var graphiqlExamples = map[hub.Role][]example{
	"": {{Query: `# 请先在 /login 登录（GraphiQL 随后使用会话），或在下方 Headers 中填写
#   {"Authorization": "Bearer sph_..."}
# Log in at /login (GraphiQL then uses the session), or put a token in the
# Headers tab below.
query Me {
  me { name role region { name } }
}
`}},
	hub.Analyst: {{Query: meExample}, {Query: `# 本部门 2022 年的数据 / your department's 2022 values
query MyValues {
  dataValues(filter: {periods: ["2022"]}, first: 20) {
    totalCount
    edges { node { id indicator { key name } region { code name } value qualifier status version } }
    pageInfo { hasNextPage endCursor }
  }
}
`}, {Query: `# 为什么看不到某个值 / why can't I see a value?
query ExplainAccess {
  explainAccess(indicator: "child_directors", region: "370781", period: "2022") {
    canRead canWrite readBlockedBy writeBlockedBy rules
  }
}
`}},
	hub.Coordinator: {{Query: meExample}, {Query: `# 待审核 / submitted values waiting for review
query Submitted {
  dataValues(filter: {statuses: [SUBMITTED]}, first: 20) {
    totalCount
    edges { node { id indicator { key name department { name } } region { name } period value status } }
  }
}
`}, {Query: `# 校验报告 / validation report
query ValidationReport {
  validationReport(period: "2022") { kind severity message region { name } outlier { value median mad score } }
}
`}},
	hub.Leader: {{Query: `# 各区县比较（每万名未成年人）/ districts compared, per 10,000 minors
query Comparison {
  me { name role region { name } }
  comparison(indicator: "child_directors", period: "2022") { region { name } value qualifier perTenThousandMinors rank }
}
`}, {Query: meExample}, {Query: `# 六大保护画像 / six-protections profile
query ProtectionProfile {
  protectionProfile(regions: ["370781", "370705"], period: "2022") { region { name } scores { protection score indicatorsUsed } }
}
`}},
	hub.Media: {{Query: meExample}, {Query: `# 已发布的宣传数据 / published publicity figures
query PublicityStats {
  publicityStats(period: "2022") { indicator { name } region { name } text suppressed }
}
`}},
	hub.Admin: {{Query: meExample}, {Query: `# 审计日志 / the audit trail
query AuditLog {
  auditLog(first: 20) {
    totalCount
    edges { node { at actor actorRole channel action indicator { key } region { name } period oldValue newValue } }
  }
}
`}, {Query: `# 指标目录 / the catalogue
query Catalogue {
  departments { code name indicators { key name unit protection } }
}
`}},
}

var graphiqlPage = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · 六大保护数据中心 / Six Protections Hub</title>
<meta name="hub-csrf" content="{{.CSRF}}">
<meta name="hub-role" content="{{.Role}}">
<link rel="stylesheet" href="/graphql/assets/graphiql.css">
<link rel="icon" href="/dashboard/assets/favicon.svg" type="image/svg+xml">
<style>html,body,#graphiql{height:100%;margin:0}</style>
</head><body>
<div id="graphiql">正在加载 GraphiQL… / loading GraphiQL…</div>
<script type="application/json" id="hub-examples">{{.Examples}}</script>
<script src="/graphql/assets/graphiql.js"></script>
</body></html>
`))

// serveGraphiQL writes the page for the request's user: a session's CSRF
// token for the page's fetcher, and the tabs of the user's role.
func serveGraphiQL(w http.ResponseWriter, r *http.Request) {
	data := struct {
		CSRF, Role string
		Examples   template.JS
	}{}
	p := hub.PrincipalFrom(r.Context())
	if s := hub.SessionFrom(r.Context()); s != nil {
		data.CSRF, p = s.CSRF, s.Principal
	}
	var role hub.Role
	if p != nil {
		role = p.Role
	}
	data.Role = string(role)
	if data.Role == "" {
		data.Role = "anonymous"
	}
	ex, _ := json.Marshal(graphiqlExamples[role])
	// json.Marshal escapes <, > and &: the JSON cannot close the script.
	data.Examples = template.JS(ex)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = graphiqlPage.Execute(w, data)
}

// graphiqlAssetsHandler serves the bundle's files; they change only with
// the binary. Scripts and styles (7 MB, most of it Monaco) go gzipped to
// browsers that accept it (about a quarter of the size), compressed once
// per process on first request.
func graphiqlAssetsHandler() http.Handler {
	sub, err := fs.Sub(graphiqlFiles, "graphiql/assets")
	if err != nil {
		panic(err)
	}
	files := http.StripPrefix(graphiqlAssets, http.FileServerFS(sub))
	var mu sync.Mutex
	gzipped := map[string][]byte{}
	compressed := func(name string) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if b, ok := gzipped[name]; ok {
			return b, nil
		}
		raw, err := fs.ReadFile(sub, name)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(raw)
		if err := zw.Close(); err != nil {
			return nil, err
		}
		gzipped[name] = buf.Bytes()
		return buf.Bytes(), nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, graphiqlAssets)
		if name == "" || strings.Contains(name, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		ext := path.Ext(name)
		if (ext == ".js" || ext == ".css") && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			if b, err := compressed(name); err == nil {
				w.Header().Set("Content-Type", mime.TypeByExtension(ext))
				w.Header().Set("Content-Encoding", "gzip")
				w.Header().Set("Vary", "Accept-Encoding")
				_, _ = w.Write(b)
				return
			}
		}
		files.ServeHTTP(w, r)
	})
}
