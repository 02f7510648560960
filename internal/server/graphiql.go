package server

import (
	"net/http"
	"strings"
)

// graphiQLOr serves the explorer page to browsers and GraphQL GET requests
// to everything else.
func graphiQLOr(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("query") == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(explorerPage))
			return
		}
		api.ServeHTTP(w, r)
	})
}

// explorerPage is a small, self-contained query page: it loads nothing from
// outside the hub, because the intranets it runs on have no internet.
const explorerPage = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>六大保护数据中心 GraphQL / Six Protections Hub GraphQL</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1.5rem;color:#222}
textarea,input{font-family:monospace;font-size:14px;width:100%;box-sizing:border-box}
textarea{height:16rem} pre{background:#f5f5f5;padding:1rem;overflow:auto;max-height:30rem}
button{font-size:1rem;padding:.4rem 1.2rem;margin:.5rem 0}
</style></head><body>
<h1>GraphQL 查询 / GraphQL explorer</h1>
<p>令牌 / Bearer token: <input id="token" placeholder="sph_..."></p>
<p>查询 / Query:</p>
<textarea id="query">{
  me { name role region { name } }
  dataValues(filter: {indicators: ["child_directors"], periods: ["2022"]}, first: 20) {
    totalCount
    edges { node { region { name } value qualifier status } }
  }
}</textarea>
<p>变量 / Variables (JSON): <input id="vars" value="{}"></p>
<button id="run">运行 / Run</button>
<pre id="out"></pre>
<script src="/graphql/explorer.js"></script>
</body></html>`

// explorerScript runs the query; it is served as a file so that a strict
// Content-Security-Policy needs no inline script.
const explorerScript = `document.getElementById('run').addEventListener('click', async function () {
  var out = document.getElementById('out');
  var token = document.getElementById('token').value.trim();
  try { localStorage.setItem('hubToken', token); } catch (e) {}
  var headers = {'Content-Type': 'application/json'};
  if (token) headers['Authorization'] = 'Bearer ' + token;
  var vars = {};
  try { vars = JSON.parse(document.getElementById('vars').value || '{}'); } catch (e) { out.textContent = '变量不是有效 JSON / variables are not valid JSON'; return; }
  var res = await fetch('/graphql', {method: 'POST', headers: headers,
    body: JSON.stringify({query: document.getElementById('query').value, variables: vars})});
  out.textContent = JSON.stringify(await res.json(), null, 2);
});
try { document.getElementById('token').value = localStorage.getItem('hubToken') || ''; } catch (e) {}
`

func serveExplorerScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	_, _ = w.Write([]byte(explorerScript))
}
