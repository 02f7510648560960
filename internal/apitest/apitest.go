// Package apitest runs the hub's HTTP handler against a test database and
// sends it GraphQL requests as users of any role, for end-to-end tests of
// the API and of the access rules.
package apitest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/dashboard"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/live"
	"github.com/sixprot/hub/internal/metrics"
	"github.com/sixprot/hub/internal/pgtest"
	"github.com/sixprot/hub/internal/postgres"
	"github.com/sixprot/hub/internal/server"
	"github.com/sixprot/hub/internal/trusted"
)

// API is a hub served over a test database.
type API struct {
	DB      *pgtest.DB
	Handler http.Handler
	// Live is the broker of subscriptions (Options.Live), else nil.
	Live *live.Broker
	auth *postgres.AuthService
}

// Options change the API under test.
type Options struct {
	// Empty starts without the demo data.
	Empty bool
	// Tracer sees every statement requests run.
	Tracer pgx.QueryTracer
	// LoaderWait overrides the dataloaders' wait; tests that count
	// statements lengthen it so that a busy machine cannot split a batch.
	LoaderWait time.Duration
	// Log receives the server's log (default: discarded).
	Log *slog.Logger
	// Metrics, when set, is counted into and served at /metrics to admins.
	Metrics *metrics.Registry
	// StatementTimeout is set on the request pool's connections.
	StatementTimeout time.Duration
	// RateLimit is the server's per-client rate limit; by default it is
	// off, since tests send many requests as one client.
	RateLimit server.RateLimit
	// SSO offers single sign-on on the login page.
	SSO dashboard.SingleSignOn
	// DB serves an existing database (pgtest.Existing) instead of a fresh
	// copy of the demo.
	DB *pgtest.DB
	// Live, when set, serves subscriptions with these limits: New starts
	// the hub's own LISTEN connection (stopped when the test ends) and
	// returns once it listens.
	Live *live.Limits
	// Cache turns on the process caches of hub serve (postgres.DB.Cache:
	// catalogue and value counts, cleared by notifications) with this
	// TTL; New then starts the hub's LISTEN connection as for Live.
	Cache time.Duration
	// LivePing overrides the keep-alive interval of live connections.
	LivePing time.Duration
	// TrustedDocuments restricts non-admins to these documents (hub serve
	// --trusted-documents).
	TrustedDocuments *trusted.Documents
}

// New serves a hub over a fresh copy of the demo database.
func New(t testing.TB, opts Options) *API {
	t.Helper()
	db := opts.DB
	if db == nil {
		db = pgtest.New(t, pgtest.Options{Demo: !opts.Empty, Tracer: opts.Tracer, StatementTimeout: opts.StatementTimeout})
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	svc := postgres.NewServices(db.App, postgres.ServicesConfig{})
	var lc *graph.LiveConfig
	var broker *live.Broker
	if opts.Live != nil {
		broker = live.NewBroker(*opts.Live)
		lc = &graph.LiveConfig{Broker: broker, Ping: opts.LivePing}
	}
	if opts.Live != nil || opts.Cache > 0 {
		startListener(t, db, opts.Log, broker, opts.Cache)
	}
	h := server.Handler(server.Config{
		Log:       opts.Log,
		Metrics:   opts.Metrics,
		RateLimit: cmp.Or(opts.RateLimit, server.RateLimit{PerSecond: -1}),
		Services:  svc,
		GraphQL: graph.NewHTTPHandler(svc, graph.HTTPConfig{Log: opts.Log, Metrics: opts.Metrics, LoaderWait: opts.LoaderWait, Live: lc,
			TrustedDocuments: opts.TrustedDocuments}),
		MaxUploadBytes: graph.DefaultLimits.Upload,
		Live:           opts.Live != nil,
		Ready:          func(ctx context.Context) error { return db.App.Ping(ctx) },
		SSO:            opts.SSO,
	})
	return &API{DB: db, Handler: h, Live: broker, auth: postgres.NewAuthService(db.Owner)}
}

// startListener runs the hub's LISTEN connection for broker until the test
// ends, and returns once it listens.
func startListener(t testing.TB, db *pgtest.DB, log *slog.Logger, broker *live.Broker, cache time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{}, 1)
	var publish func(hub.Change)
	if broker != nil {
		publish = broker.Publish
	}
	l := db.App.Listener(log, publish)
	db.App.Cache(l, cache)
	l.Listening = func() {
		select {
		case listening <- struct{}{}:
		default:
		}
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = l.Run(ctx) }()
	t.Cleanup(func() {
		if broker != nil {
			broker.Shutdown(context.Background())
		}
		cancel()
		<-done
	})
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("the live listener did not LISTEN within 30 s")
	}
}

// User creates a user and returns a bearer token for it.
func (a *API) User(t testing.TB, u hub.NewUser) string {
	t.Helper()
	ctx := context.Background()
	if _, err := a.auth.CreateUser(ctx, u); err != nil {
		t.Fatalf("create user %s: %v", u.Name, err)
	}
	token, err := a.auth.CreateToken(ctx, u.Name)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// Response is a GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// Code returns the extensions.code of the first error, or "".
func (r *Response) Code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// Do sends a GraphQL request with token (none when empty).
func (a *API) Do(t testing.TB, token, query string, vars map[string]any) *Response {
	t.Helper()
	return a.DoOp(t, token, query, "", vars)
}

// DoOp sends a GraphQL request naming the operation to run.
func (a *API) DoOp(t testing.TB, token, query, operation string, vars map[string]any) *Response {
	t.Helper()
	payload := map[string]any{"query": query, "variables": vars}
	if operation != "" {
		payload["operationName"] = operation
	}
	body, _ := json.Marshal(payload)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return a.send(t, token, req)
}

// DoParams sends a POST whose JSON body is params as given (query,
// operationName, variables, extensions), with token (none when empty).
func (a *API) DoParams(t testing.TB, token string, params map[string]any) *Response {
	t.Helper()
	body, _ := json.Marshal(params)
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return a.send(t, token, req)
}

// Raw sends a GraphQL request and returns the response body as the hub
// wrote it, undecoded, failing unless it is a 200 without errors. Benchmarks
// time it against a floor that stops at its JSON bytes: decoding the answer
// is the client's work, not the hub's.
func (a *API) Raw(t testing.TB, token, query string, vars map[string]any) []byte {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors":`)) {
		t.Fatalf("status %d: %.500s", rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// send serves a GraphQL request with token (none when empty) and decodes
// the response.
func (a *API) send(t testing.TB, token string, req *http.Request) *Response {
	t.Helper()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	var resp Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", rec.Code, rec.Body.String())
	}
	resp.Status = rec.Code
	return &resp
}

// Upload sends a GraphQL multipart request (the GraphQL multipart request
// spec that gqlgen's Upload follows): the operation with variable fileVar
// set to a file named name holding data.
func (a *API) Upload(t testing.TB, token, query string, vars map[string]any, fileVar, name string, data []byte) *Response {
	t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars[fileVar] = nil
	ops, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("operations", string(ops))
	_ = mw.WriteField("map", `{"0": ["variables.`+fileVar+`"]}`)
	fw, err := mw.CreateFormFile("0", name)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req := httptest.NewRequest(http.MethodPost, "/graphql", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return a.send(t, token, req)
}

// Get sends a GET request with token (none when empty) and returns the recorded response.
func (a *API) Get(t testing.TB, token, target string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	return rec
}

// Query sends a GraphQL request, fails the test on any error, and decodes
// data into out.
func (a *API) Query(t testing.TB, token, query string, vars map[string]any, out any) {
	t.Helper()
	a.QueryOp(t, token, query, "", vars, out)
}

// QueryOp is Query for one named operation of a document.
func (a *API) QueryOp(t testing.TB, token, query, operation string, vars map[string]any, out any) {
	t.Helper()
	resp := a.DoOp(t, token, query, operation, vars)
	if len(resp.Errors) > 0 {
		t.Fatalf("GraphQL errors: %+v", resp.Errors)
	}
	if out != nil {
		if err := json.Unmarshal(resp.Data, out); err != nil {
			t.Fatalf("decode data: %v: %s", err, resp.Data)
		}
	}
}

// Login signs a user in through the /login form as a browser does (the
// login page's CSRF cookie and field, then the POST) and returns the
// session cookie and where the hub sent the browser next. The test fails
// when the login does not succeed.
func (a *API) Login(t testing.TB, name, password, next string) (*http.Cookie, string) {
	t.Helper()
	page := httptest.NewRecorder()
	a.Handler.ServeHTTP(page, httptest.NewRequest(http.MethodGet, "/login", nil))
	csrf := cookieNamed(page.Result().Cookies(), "hub_login_csrf")
	if csrf == nil {
		t.Fatalf("login page %d sets no CSRF cookie", page.Code)
	}
	form := url.Values{"username": {name}, "password": {password}, "csrf": {csrf.Value}, "next": {next}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(csrf)
	rec := httptest.NewRecorder()
	a.Handler.ServeHTTP(rec, req)
	session := cookieNamed(rec.Result().Cookies(), "hub_session")
	if rec.Code != http.StatusSeeOther || session == nil {
		t.Fatalf("login as %s: status %d: %s", name, rec.Code, rec.Body.String())
	}
	return session, rec.Header().Get("Location")
}

func cookieNamed(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}
