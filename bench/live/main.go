// Command live serves the hub with live updates on a loopback port over an
// existing database, opens -subscribers WebSocket subscriptions of a city
// leader and -outsiders of a county leader, approves -approvals values one
// at a time over GraphQL, and prints the approval-to-subscriber latency
// (p50, p99), the memory per subscriber and the events the outsiders got
// (which must be 0).
//
//	go run ./bench/live -database-url 'postgres://postgres@localhost:5432/sixprot?sslmode=disable'
//
// Bounded: at most 2,000 subscribers and 1,000 approvals, each waited for at
// most 30 s; nothing listens beyond 127.0.0.1. It writes corrections of
// social_service_projects for 2100 in every county but the outsiders'
// (bench-live-analyst's drafts, approved by bench-live-coordinator), so a
// demo database is changed: use a copy.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/live"
	"github.com/sixprot/hub/internal/postgres"
	"github.com/sixprot/hub/internal/server"
)

func main() {
	dbURL := flag.String("database-url", os.Getenv("HUB_BENCH_DATABASE_URL"), "owner URL of the database (default $HUB_BENCH_DATABASE_URL)")
	subs := flag.Int("subscribers", 1000, "city leaders' subscriptions (at most 2,000)")
	outsiders := flag.Int("outsiders", 100, "subscriptions of a 潍城区 (370702) leader, who may read none of the approved values")
	approvals := flag.Int("approvals", 1000, "approvals, one at a time (at most 1,000)")
	flag.Parse()
	if *dbURL == "" {
		fmt.Fprintln(os.Stderr, "live: set -database-url or HUB_BENCH_DATABASE_URL")
		os.Exit(2)
	}
	*subs, *outsiders, *approvals = min(max(*subs, 1), 2000), min(max(*outsiders, 0), 500), min(max(*approvals, 1), 1000)
	if err := run(*dbURL, *subs, *outsiders, *approvals); err != nil {
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(1)
	}
}

func run(dbURL string, nSubs, nOut, nApprovals int) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	owner, err := postgres.Open(ctx, postgres.Config{URL: dbURL, MaxConns: 2})
	if err != nil {
		return err
	}
	defer owner.Close()
	auth := postgres.NewAuthService(owner)
	dept := "civil_affairs"
	tokens := map[string]string{}
	for name, u := range map[string]hub.NewUser{
		"bench-live-leader":      {Role: hub.Leader, Region: "370700"},
		"bench-live-outsider":    {Role: hub.Leader, Region: "370702"},
		"bench-live-analyst":     {Role: hub.Analyst, Department: &dept, Region: "370700"},
		"bench-live-coordinator": {Role: hub.Coordinator, Region: "370700"},
	} {
		u.Name = name
		if _, err := auth.EnsureUser(ctx, u); err != nil {
			return err
		}
		if tokens[name], err = auth.CreateToken(ctx, name); err != nil {
			return err
		}
	}
	appURL, err := postgres.AppURL(dbURL)
	if err != nil {
		return err
	}
	db, err := postgres.Open(ctx, postgres.Config{URL: appURL, MaxConns: 8})
	if err != nil {
		return err
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	broker := live.NewBroker(live.Limits{PerPrincipal: 2000, Total: 2500})
	listening := make(chan struct{}, 1)
	l := db.Listener(quiet, broker.Publish)
	l.Listening = func() {
		select {
		case listening <- struct{}{}:
		default:
		}
	}
	go func() { _ = l.Run(ctx) }()
	<-listening
	svc := postgres.NewServices(db, postgres.ServicesConfig{})
	h := server.Handler(server.Config{Log: quiet, Services: svc, RateLimit: server.RateLimit{PerSecond: -1}, Live: true,
		GraphQL: graph.NewHTTPHandler(svc, graph.HTTPConfig{Log: quiet, Live: &graph.LiveConfig{Broker: broker}}),
		Ready:   func(ctx context.Context) error { return db.Ping(ctx) }})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // closed below
	defer srv.Close()
	base := "http://" + ln.Addr().String() + "/graphql"
	wsURL := "ws://" + ln.Addr().String() + "/graphql"

	ids, err := prepare(base, tokens, nApprovals)
	if err != nil {
		return err
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	const q = `subscription { valuesChanged(filter: {indicators: ["social_service_projects", "charity_participants"]}) { values { id } } }`
	conns := make([]*client, nSubs+nOut)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	var mu sync.Mutex
	var dialErr error
	for i := range conns {
		token := tokens["bench-live-leader"]
		if i >= nSubs {
			token = tokens["bench-live-outsider"]
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := dial(ctx, wsURL, token, q)
			mu.Lock()
			conns[i], dialErr = c, errors.Join(dialErr, err)
			mu.Unlock()
		})
	}
	wg.Wait()
	if dialErr != nil {
		return dialErr
	}
	for broker.Len() < len(conns) {
		time.Sleep(10 * time.Millisecond)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	fmt.Printf("%d subscriptions: %.1f KiB per subscriber (hub and clients in this process), %d goroutines\n",
		len(conns), float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse)/1024/float64(len(conns)), runtime.NumGoroutine())

	var first, last []time.Duration
	for i, id := range ids {
		t0 := time.Now()
		if err := gql(base, tokens["bench-live-coordinator"], `mutation($ids: [ID!]!) { transition(ids: $ids, to: APPROVED) { id } }`, map[string]any{"ids": []string{id}}, nil); err != nil {
			return fmt.Errorf("approval %d: %w", i, err)
		}
		var slowest time.Duration
		for j, c := range conns[:nSubs] {
			got, err := c.waitFor(id)
			if err != nil {
				return fmt.Errorf("approval %d, subscriber %d: %w", i, j, err)
			}
			d := got.Sub(t0)
			if j == 0 {
				first = append(first, d)
			}
			slowest = max(slowest, d)
		}
		last = append(last, slowest)
	}
	leaked := 0
	for _, c := range conns[nSubs:] {
		leaked += c.count()
	}
	fmt.Printf("%d approvals, approval sent → first subscriber: p50 %s p99 %s; → all %d subscribers: p50 %s p99 %s\n",
		len(ids), pct(first, 0.5), pct(first, 0.99), nSubs, pct(last, 0.5), pct(last, 0.99))
	fmt.Printf("events to the %d outsiders: %d\n", nOut, leaked)
	if leaked != 0 {
		return fmt.Errorf("%d events reached subscribers who may not read them", leaked)
	}
	return nil
}

// prepare enters n values (two civil-affairs indicators, every county but
// 370702, from 2100 down) as drafts and submits them; it returns their ids.
func prepare(url string, tokens map[string]string, n int) ([]string, error) {
	var regions struct{ Regions []struct{ Code string } }
	if err := gql(url, tokens["bench-live-coordinator"], `{ regions(level: COUNTY) { code } }`, nil, &regions); err != nil {
		return nil, err
	}
	var in []any
	stamp := time.Now().UnixNano() % 100000
	for year := hub.MaxYear; len(in) < n && year > 2030; year-- {
		for _, r := range regions.Regions {
			for _, ind := range []string{"social_service_projects", "charity_participants"} {
				if r.Code != "370702" && len(in) < n {
					in = append(in, map[string]any{"indicator": ind, "region": r.Code, "period": fmt.Sprint(year), "value": stamp})
				}
			}
		}
	}
	var out struct {
		SubmitValues struct {
			Conflicts []struct{ Message string }
			Values    []struct{ ID string }
		}
	}
	if err := gql(url, tokens["bench-live-analyst"], `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { conflicts { message } values { id } } }`, map[string]any{"in": in}, &out); err != nil {
		return nil, err
	}
	if len(out.SubmitValues.Conflicts) > 0 {
		return nil, fmt.Errorf("submit: %s", out.SubmitValues.Conflicts[0].Message)
	}
	ids := make([]string, 0, len(out.SubmitValues.Values))
	for _, v := range out.SubmitValues.Values {
		ids = append(ids, v.ID)
	}
	err := gql(url, tokens["bench-live-analyst"], `mutation($ids: [ID!]!) { transition(ids: $ids, to: SUBMITTED) { id } }`, map[string]any{"ids": ids}, nil)
	return ids, err
}

// gql sends one GraphQL request and decodes its data into out.
func gql(url, token, query string, vars map[string]any, out any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return err
	}
	if len(r.Errors) > 0 {
		return errors.New(r.Errors[0].Message)
	}
	if out != nil {
		return json.Unmarshal(r.Data, out)
	}
	return nil
}

// client is one graphql-transport-ws subscription; it records when each
// value id arrived.
type client struct {
	mu      sync.Mutex
	arrived map[string]time.Time
	wake    chan struct{}
	err     error
}

func dial(ctx context.Context, url, token, query string) (*client, error) {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	send := func(v any) error {
		b, _ := json.Marshal(v)
		return conn.Write(ctx, websocket.MessageText, b)
	}
	if err := send(map[string]any{"type": "connection_init", "payload": map[string]any{"token": token}}); err != nil {
		return nil, err
	}
	if _, b, err := conn.Read(ctx); err != nil || !strings.Contains(string(b), "connection_ack") {
		return nil, fmt.Errorf("connection_init: %s %v", b, err)
	}
	if err := send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": query}}); err != nil {
		return nil, err
	}
	c := &client{arrived: map[string]time.Time{}, wake: make(chan struct{}, 1)}
	go func() {
		for {
			_, b, err := conn.Read(ctx)
			now := time.Now()
			var m struct {
				Type    string
				Payload struct {
					Data struct {
						ValuesChanged struct{ Values []struct{ ID string } }
					}
				}
			}
			if err == nil {
				err = json.Unmarshal(b, &m)
			}
			c.mu.Lock()
			if err != nil {
				c.err = err
			} else if m.Type == "ping" {
				go send(map[string]string{"type": "pong"}) //nolint:errcheck // a lost pong drops the client, which the run reports
			} else {
				for _, v := range m.Payload.Data.ValuesChanged.Values {
					c.arrived[v.ID] = now
				}
			}
			c.mu.Unlock()
			select {
			case c.wake <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

// waitFor returns when id arrived, waiting at most 30 s.
func (c *client) waitFor(id string) (time.Time, error) {
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		t, ok := c.arrived[id]
		err := c.err
		c.mu.Unlock()
		switch {
		case ok:
			return t, nil
		case err != nil:
			return t, err
		}
		select {
		case <-c.wake:
		case <-deadline:
			return t, fmt.Errorf("value %s did not arrive within 30 s", id)
		}
	}
}

func (c *client) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.arrived)
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))].Round(100 * time.Microsecond)
}
