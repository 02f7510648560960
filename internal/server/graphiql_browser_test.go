package server_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/chromedp/chromedp/kb"

	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/browsertest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/server"
)

// chromium starts Debian's chromium with a fresh profile (the flags of the
// dashboard's browser tests), or skips outside CI when there is none.
func chromium(t *testing.T) context.Context {
	return browsertest.Chromium(t, 1400, 1000, 180*time.Second)
}

// browserLog records every request the page (and its workers) makes and
// every error it reports: exceptions, console.error, and the browser's own
// error log (CSP violations, failed loads).
type browserLog struct {
	mu       sync.Mutex
	requests []string
	errors   []string
}

func (l *browserLog) listen(ev any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		l.requests = append(l.requests, ev.Request.URL)
	case *runtime.EventExceptionThrown:
		desc := ""
		if ev.ExceptionDetails.Exception != nil {
			desc = ev.ExceptionDetails.Exception.Description
		}
		l.errors = append(l.errors, "exception: "+ev.ExceptionDetails.Text+" "+desc)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			l.errors = append(l.errors, "console.error: "+strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError {
			l.errors = append(l.errors, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
		}
	}
}

func (l *browserLog) snapshot() (requests, errors []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.requests...), append([]string(nil), l.errors...)
}

// TestBrowser_GraphiQLWithTheSessionShowsTheSchemaAndRunsAQuery signs in
// through /login, opens /graphql in Chromium, finds the schema's types in
// the docs explorer, runs the leader's preloaded queries with the session
// cookie (and the page's CSRF header) and sees their data; no request
// leaves the hub, the page reports no error, and localStorage holds no
// credential.
func TestBrowser_GraphiQLWithTheSessionShowsTheSchemaAndRunsAQuery(t *testing.T) {
	ctx := chromium(t)
	api := apitest.New(t, apitest.Options{})
	pw := "graphiql-browser-pw"
	api.User(t, hub.NewUser{Name: "gq-browser-leader", Role: hub.Leader, Region: "370700", Password: &pw})
	srv := httptest.NewServer(api.Handler)
	defer srv.Close()

	var bl browserLog
	if err := chromedp.Listen(ctx, bl.listen); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/login?next=/graphql"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "gq-browser-leader"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), pw),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-container`)),
	)
	if err != nil {
		t.Fatalf("log in and open GraphiQL: %v", err)
	}

	// The docs explorer lists the schema's types once the introspection
	// query (sent with the session) has answered.
	err = chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
	)
	if err != nil {
		t.Fatalf("open the docs explorer: %v", err)
	}
	docs, err := chromedp.Run(ctx, chromedp.Poll[string](`(function () {
  var d = document.querySelector('.graphiql-doc-explorer');
  var s = d ? d.innerText : '';
  return s.indexOf('DataValue') >= 0 && s.indexOf('Region') >= 0 ? s : false;
})()`, chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		_, errs := bl.snapshot()
		t.Fatalf("the docs explorer shows no schema types: %v (page errors: %v)", err, errs)
	}
	for _, want := range []string{"Query", "Mutation", "DataValue", "Region", "Indicator"} {
		if !strings.Contains(docs, want) {
			t.Errorf("docs explorer lacks %s: %.300s", want, docs)
		}
	}

	// The first tab is the leader's comparison of the districts, with who
	// is asking; run it with the session. (Only the tab open at load is
	// run: GraphiQL takes the operation's name from the editor a moment
	// after a tab switch, and a click before then sends the previous tab's.)
	tabs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.graphiql-tab-button').length`))
	if err != nil || tabs != len(server.GraphiQLExamples[hub.Leader]) {
		t.Fatalf("the leader's page has %d tabs, want %d: %v", tabs, len(server.GraphiQLExamples[hub.Leader]), err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.graphiql-execute-button`))); err != nil {
		t.Fatalf("run: %v", err)
	}
	// Monaco renders the lines in view only: the top of the answer, who
	// is asking and the first row of the ranking.
	out, err := chromedp.Run(ctx, chromedp.Poll[string](`(function () {
  var s = ((document.querySelector('.graphiql-response') || {}).innerText || '').replace(/\s+/g, ' ');
  return /"rank": 1\b/.test(s) || s.indexOf('"errors"') >= 0 ? s : false;
})()`, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil || !strings.Contains(out, `"rank": 1`) {
		_, errs := bl.snapshot()
		t.Fatalf("no comparison in the response: %v (page errors: %v): %.3000s", err, errs, out)
	}
	for _, want := range []string{`"name": "gq-browser-leader"`, `"role": "LEADER"`, `"comparison": [`, `"perTenThousandMinors":`} {
		if !strings.Contains(out, want) {
			t.Errorf("response lacks %s: %.1000s", want, out)
		}
	}
	t.Logf("response: %.400s", out)

	// The rest of GraphiQL is there: history, the explorer plugin,
	// prettify; autocomplete suggests the schema's fields in a new tab.
	tools, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`['Show History', 'Show GraphiQL Explorer'].map(function (l) {
  return !!document.querySelector('button[aria-label="' + l + '"]');
}).concat([!!document.querySelector('button[aria-label^="Prettify query"]')])`))
	if err != nil || len(tools) != 3 || !tools[0] || !tools[1] || !tools[2] {
		t.Errorf("history, explorer, prettify buttons: %v %v", tools, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`button.graphiql-tab-add`)),
		chromedp.Click(chromedp.CSS(`.graphiql-query-editor .monaco-editor`)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(kb.Backspace),
		chromedp.KeyEvent("{ me { na"),
	)
	if err != nil {
		t.Fatalf("type in a new tab: %v", err)
	}
	suggest, err := chromedp.Run(ctx, chromedp.Poll[string](`(function () {
  var w = document.querySelector('.suggest-widget.visible');
  return w && w.innerText.indexOf('name') >= 0 ? w.innerText : false;
})()`, chromedp.WithPollingTimeout(20*time.Second)))
	if err != nil {
		t.Errorf("autocomplete suggests nothing for { me { na: %v", err)
	} else {
		t.Logf("autocomplete: %q", suggest)
	}

	store, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(Object.assign({}, localStorage)) + ' ' + JSON.stringify(Object.assign({}, sessionStorage)) + ' ' + document.cookie`))
	if err != nil {
		t.Fatal(err)
	}
	csrf, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('meta[name="hub-csrf"]').content`))
	if err != nil || csrf == "" {
		t.Fatalf("page CSRF: %q %v", csrf, err)
	}
	if strings.Contains(store, csrf) || strings.Contains(store, "sph_") || strings.Contains(store, "hub_session") {
		t.Errorf("browser storage holds a credential: %.500s", store)
	}
	if !strings.Contains(store, "hub.graphiql.leader.") {
		t.Errorf("GraphiQL saved nothing under the role's prefix (history, tabs): %.300s", store)
	}

	requests, errs := bl.snapshot()
	for _, u := range requests {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") { // data: is drawn in the page (Monaco's squiggles)
			t.Errorf("a request left the hub: %s", u)
		}
	}
	for _, e := range errs {
		t.Errorf("page error: %s", e)
	}
	t.Logf("%d requests, all to the hub", len(requests))
}

// TestBrowser_GraphiQLWithAPastedTokenKeepsItInMemory opens /graphql
// signed out, pastes a bearer token into the Headers tab as a person
// would, runs the first tab and sees the token's user; the token reaches
// neither localStorage nor sessionStorage, and no request leaves the hub.
func TestBrowser_GraphiQLWithAPastedTokenKeepsItInMemory(t *testing.T) {
	ctx := chromium(t)
	api := apitest.New(t, apitest.Options{})
	token := api.User(t, hub.NewUser{Name: "gq-token-leader", Role: hub.Leader, Region: "370700"})
	srv := httptest.NewServer(api.Handler)
	defer srv.Close()

	var bl browserLog
	if err := chromedp.Listen(ctx, bl.listen); err != nil {
		t.Fatal(err)
	}
	headers := `.graphiql-editor-tool .graphiql-editor:not(.hidden) .monaco-editor`
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/graphql"),
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-container`)),
		chromedp.WaitVisible(chromedp.CSS(headers)),
		chromedp.Click(chromedp.CSS(headers)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(kb.Backspace),
		// Pasted, as one insertion (typing it key by key meets Monaco's
		// auto-closing quotes and braces).
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, input.InsertText, input.InsertTextParams{Text: `{"Authorization": "Bearer ` + token + `"}`})
			return err
		}),
	)
	if err != nil {
		t.Fatalf("paste the token: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Poll[string](`(function () {
  var s = (document.querySelector('.graphiql-editor-tool') || {}).innerText || '';
  return s.indexOf('`+token[len(token)-6:]+`') >= 0 ? s : false;
})()`, chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil {
		t.Fatalf("the headers editor does not show the token: %v", err)
	}
	t.Logf("headers editor: %q", text)
	// GraphiQL reads the Headers editor a moment after an edit (longer on
	// a busy machine): a click before then sends the old headers, so a run
	// that answers an error is clicked again a second later.
	var out string
	for try := range 10 {
		if try > 0 {
			if err := chromedp.Do(ctx, chromedp.Sleep(time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.graphiql-execute-button`))); err != nil {
			t.Fatal(err)
		}
		out, err = chromedp.Run(ctx, chromedp.Poll[string](`(function () {
  var s = ((document.querySelector('.graphiql-response') || {}).innerText || '');
  return s.indexOf('gq-token-leader') >= 0 || s.indexOf('"errors"') >= 0 ? s : false;
})()`, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil || strings.Contains(out, "gq-token-leader") {
			break
		}
	}
	if !strings.Contains(out, "gq-token-leader") {
		t.Fatalf("the token's user is not in the response: %v %.500s", err, out)
	}
	store, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(Object.assign({}, localStorage)) + ' ' + JSON.stringify(Object.assign({}, sessionStorage))`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(store, token) || strings.Contains(store, "sph_") || strings.Contains(store, "Bearer") {
		t.Errorf("browser storage holds the token: %.800s", store)
	}
	requests, errs := bl.snapshot()
	for _, u := range requests {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") { // data: is drawn in the page (Monaco's squiggles)
			t.Errorf("a request left the hub: %s", u)
		}
	}
	t.Logf("page reports, signed out before the paste: %v", errs)
}
