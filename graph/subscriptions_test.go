package graph_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sixprot/hub/graph"
	"github.com/sixprot/hub/internal/apitest"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/live"
)

const valuesSub = `subscription($f: DataValueFilter) { valuesChanged(filter: $f) {
  resync values { id status period value region { code } indicator { key } } } }`

// liveFixture is the demo with a civil-affairs analyst and a city
// coordinator who enter and approve minors_total for 2030.
type liveFixture struct {
	api                  *apitest.API
	analyst, coordinator string
}

func newLiveFixture(t *testing.T, limits live.Limits, ping ...time.Duration) *liveFixture {
	t.Helper()
	opts := apitest.Options{Live: &limits}
	if len(ping) > 0 {
		opts.LivePing = ping[0]
	}
	api := apitest.New(t, opts)
	dept := "civil_affairs"
	return &liveFixture{api: api,
		analyst:     api.User(t, hub.NewUser{Name: "live-analyst", Role: hub.Analyst, Department: &dept, Region: "370700"}),
		coordinator: api.User(t, hub.NewUser{Name: "live-coordinator", Role: hub.Coordinator, Region: "370700"}),
	}
}

// approve enters minors_total of region for 2030 as value, submits it and
// approves it, through api's GraphQL; it returns the value's id.
func (f *liveFixture) approve(t *testing.T, api *apitest.API, region string, value float64) string {
	t.Helper()
	var out struct {
		SubmitValues struct {
			Conflicts []struct{ Code, Message string }
			Values    []struct{ ID string }
		}
	}
	api.Query(t, f.analyst, `mutation($in: [DataValueInput!]!) { submitValues(input: $in) { conflicts { code message } values { id } } }`,
		map[string]any{"in": []any{map[string]any{"indicator": "minors_total", "region": region, "period": "2030", "value": value}}}, &out)
	if len(out.SubmitValues.Conflicts) > 0 || len(out.SubmitValues.Values) != 1 {
		t.Fatalf("submit: %+v", out.SubmitValues)
	}
	id := out.SubmitValues.Values[0].ID
	const move = `mutation($ids: [ID!]!, $to: ValueStatus!) { transition(ids: $ids, to: $to) { id } }`
	api.Query(t, f.analyst, move, map[string]any{"ids": []string{id}, "to": "SUBMITTED"}, nil)
	api.Query(t, f.coordinator, move, map[string]any{"ids": []string{id}, "to": "APPROVED"}, nil)
	return id
}

// waitSubscriptions waits until broker holds n subscriptions: a
// subscription starts asynchronously after its subscribe message.
func waitSubscriptions(t *testing.T, b *live.Broker, n int) {
	t.Helper()
	for i := 0; b.Len() != n; i++ {
		if i > 6000 {
			t.Fatalf("broker holds %d subscriptions, want %d", b.Len(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func bearer(token string) map[string]any { return map[string]any{"Authorization": "Bearer " + token} }

// TestSubscriptions_TwoProcessesTellOnlyThoseWhoMayRead: two hub stacks,
// each with its own LISTEN connection, on one database. A value approved
// through one reaches a city leader subscribed on the other; a county
// leader of 潍城区 is not told of 奎文区's approval at all (its first event
// is its own county's approval), and the analyst who entered it sees
// each step (DRAFT, SUBMITTED, APPROVED).
func TestSubscriptions_TwoProcessesTellOnlyThoseWhoMayRead(t *testing.T) {
	f := newLiveFixture(t, live.Limits{})
	a := f.api
	b := apitest.New(t, apitest.Options{DB: a.DB, Live: &live.Limits{}})
	srvA, srvB := serveLive(t, a.Handler), serveLive(t, b.Handler)
	cityLeader := a.User(t, hub.NewUser{Name: "live-city-leader", Role: hub.Leader, Region: "370700"})
	countyLeader := a.User(t, hub.NewUser{Name: "live-county-leader", Role: hub.Leader, Region: "370702"})

	filter := map[string]any{"f": map[string]any{"indicators": []string{"minors_total"}, "periods": []string{"2030"}}}
	city, err := dialLive(t, wsURL(srvA), nil, bearer(cityLeader))
	if err != nil {
		t.Fatal(err)
	}
	city.subscribe("1", valuesSub, filter)
	county, err := dialLive(t, wsURL(srvB), nil, map[string]any{"token": countyLeader})
	if err != nil {
		t.Fatal(err)
	}
	county.subscribe("1", valuesSub, filter)
	analyst, err := dialLive(t, wsURL(srvA), nil, bearer(f.analyst))
	if err != nil {
		t.Fatal(err)
	}
	analyst.subscribe("a", valuesSub, filter)
	waitSubscriptions(t, a.Live, 2)
	waitSubscriptions(t, b.Live, 1)

	// 奎文区 (370705) is approved through hub B; the city leader listens on A.
	f.approve(t, b, "370705", 40)
	ev := city.nextValues("1")
	if v := ev.ValuesChanged.Values; ev.ValuesChanged.Resync || len(v) != 1 || v[0].Region.Code != "370705" || v[0].Status != "APPROVED" || *v[0].Value != 40 {
		t.Fatalf("city leader: %+v", ev)
	}
	untilApproved(t, analyst, "a", "DRAFT", "SUBMITTED", "APPROVED")

	// 潍城区 (370702) through hub A: the county leader on B hears of this
	// one first, so it heard nothing of 奎文区.
	f.approve(t, a, "370702", 41)
	ev = county.nextValues("1")
	if v := ev.ValuesChanged.Values; len(v) != 1 || v[0].Region.Code != "370702" || *v[0].Value != 41 {
		t.Fatalf("county leader's first event should be its own county's approval: %+v", ev)
	}
	if ev := city.nextValues("1"); len(ev.ValuesChanged.Values) != 1 || ev.ValuesChanged.Values[0].Region.Code != "370702" {
		t.Fatalf("city leader, second approval: %+v", ev)
	}
}

// untilApproved reads events of subscription id until the value is
// APPROVED: each holds one value, in statuses that follow the order of
// want (a read after a later commit may skip a status, never go back).
func untilApproved(t *testing.T, c *liveClient, id string, want ...string) {
	t.Helper()
	at := 0
	for {
		ev := c.nextValues(id)
		v := ev.ValuesChanged.Values
		if len(v) != 1 {
			t.Fatalf("want one value in statuses %v: %+v", want, ev)
		}
		i := slices.Index(want, v[0].Status)
		if i < at {
			t.Fatalf("status %s after %s (want the order %v)", v[0].Status, want[at], want)
		}
		at = i
		if v[0].Status == "APPROVED" {
			return
		}
	}
}

// TestSubscriptions_ConnectionInitNeedsAValidCredential: without a token,
// or with a bad one, connection_init is refused with 4401; a request
// without a principal over SSE is refused UNAUTHENTICATED.
func TestSubscriptions_ConnectionInitNeedsAValidCredential(t *testing.T) {
	f := newLiveFixture(t, live.Limits{})
	srv := serveLive(t, f.api.Handler)
	for name, payload := range map[string]map[string]any{
		"none":      {},
		"bad token": {"token": "sph_nope"},
		"bad form":  {"Authorization": "Basic abc"},
	} {
		_, err := dialLive(t, wsURL(srv), nil, payload)
		if closeCode(err) != graph.CloseUnauthorized {
			t.Errorf("%s: %v, want close %d", name, err, graph.CloseUnauthorized)
		}
	}
	resp := sse(t, srv, "", valuesSub, nil)
	body := readAll(resp)
	if !strings.Contains(body, `"UNAUTHENTICATED"`) || strings.Contains(body, `"values"`) {
		t.Fatalf("SSE without a token: %s", body)
	}
}

// TestSubscriptions_CrossOriginHandshakeIsRefused: a WebSocket handshake
// from another site's page is refused (403) before any credential counts,
// so a session cookie cannot be ridden from elsewhere.
func TestSubscriptions_CrossOriginHandshakeIsRefused(t *testing.T) {
	f := newLiveFixture(t, live.Limits{})
	srv := serveLive(t, f.api.Handler)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin handshake: %v %+v", err, resp)
	}
}

// TestSubscriptions_LimitPerPrincipal: a user's subscriptions beyond the
// limit are refused RATE_LIMITED, on the same connection or another.
func TestSubscriptions_LimitPerPrincipal(t *testing.T) {
	f := newLiveFixture(t, live.Limits{PerPrincipal: 2})
	srv := serveLive(t, f.api.Handler)
	c, err := dialLive(t, wsURL(srv), nil, bearer(f.coordinator))
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("1", valuesSub, nil)
	c.subscribe("2", valuesSub, nil)
	waitSubscriptions(t, f.api.Live, 2)
	c.subscribe("3", valuesSub, nil)
	m := c.mustNext()
	if m.ID != "3" || (m.Type != "error" && m.Type != "next") || !bytes.Contains(m.Payload, []byte(hub.ERATELIMITED)) {
		t.Fatalf("third subscription: %s %s %s", m.ID, m.Type, m.Payload)
	}
	// Another user is not counted against this one.
	d, err := dialLive(t, wsURL(srv), nil, bearer(f.analyst))
	if err != nil {
		t.Fatal(err)
	}
	d.subscribe("1", valuesSub, nil)
	waitSubscriptions(t, f.api.Live, 3)
}

// TestSubscriptions_ListenerReconnectsAndSubscribersResync: when the
// listener's backend is terminated (what a database restart does to the
// connection), it reconnects, every subscriber gets a resync event, and
// approvals reach them again.
func TestSubscriptions_ListenerReconnectsAndSubscribersResync(t *testing.T) {
	f := newLiveFixture(t, live.Limits{})
	srv := serveLive(t, f.api.Handler)
	c, err := dialLive(t, wsURL(srv), nil, bearer(f.coordinator))
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("1", valuesSub, nil)
	waitSubscriptions(t, f.api.Live, 1)
	var n int
	if err := f.api.DB.OwnerConn(t).QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = $1 AND application_name = 'hub live'`, f.api.DB.Name).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminate the listener: %d, %v", n, err)
	}
	if ev := c.nextValues("1"); !ev.ValuesChanged.Resync || len(ev.ValuesChanged.Values) != 0 {
		t.Fatalf("after the listener's reconnection: %+v, want a resync", ev)
	}
	f.approve(t, f.api, "370705", 43)
	// The coordinator reads SUBMITTED and later: the submission, then the approval.
	untilApproved(t, c, "1", "SUBMITTED", "APPROVED")
}

// TestSubscriptions_SlowConsumerIsDroppedWith4504: a client that stops
// reading is not buffered for without bound: once the sockets are full and
// an event waits longer than SendTimeout, it is dropped, with close code
// 4504, and the broker forgets it.
func TestSubscriptions_SlowConsumerIsDroppedWith4504(t *testing.T) {
	// Pings far apart: this client answers none while it does not read.
	f := newLiveFixture(t, live.Limits{SendTimeout: 200 * time.Millisecond}, time.Hour)
	// Small send buffers on the server's side too: what the client must
	// drain before the close frame is a few kilobytes, not the megabytes
	// a loopback socket grows to. With those, a loaded CI machine took
	// 46 s to fill them, and the client then drained them for longer than
	// the close frame's 5 s, so that it saw EOF instead of 4504.
	srv := httptest.NewUnstartedServer(f.api.Handler)
	srv.Listener = smallSendBuffers{srv.Listener}
	srv.Start()
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A small receive buffer: the sockets fill after a few kilobytes, so
	// the drop comes soon and the close frame follows little unread data.
	dial := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
	}}
	client := &http.Client{Transport: &http.Transport{DialContext: dial.DialContext}}
	conn, _, err := websocket.Dial(ctx, wsURL(srv), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	write := func(v any) {
		b, _ := json.Marshal(v)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	write(map[string]any{"type": "connection_init", "payload": bearer(f.coordinator)})
	if _, b, err := conn.Read(ctx); err != nil || !bytes.Contains(b, []byte("connection_ack")) {
		t.Fatalf("ack: %s %v", b, err)
	}
	write(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": valuesSub}})
	waitSubscriptions(t, f.api.Live, 1)
	// The client reads nothing now; resync events need no database read,
	// so the sockets' buffers fill quickly.
	giveUp := time.Now().Add(3 * time.Minute) // a hung test, not a timing claim
	for i := 0; f.api.Live.Len() > 0; i++ {
		if i%10_000 == 0 && time.Now().After(giveUp) {
			t.Fatalf("a client that reads nothing was never dropped (%d changes published)", i)
		}
		f.api.Live.Publish(hub.Change{Resync: true})
		if i%1000 == 999 {
			// Let the connection's writer run: on a loaded machine a
			// loop that only publishes starved it for minutes.
			time.Sleep(time.Millisecond)
		}
	}
	t.Logf("dropped after %s", time.Since(giveUp.Add(-3*time.Minute)))
	// Now read what was sent, up to the close frame, with a deadline of
	// its own (the dial's may be nearly spent on a loaded machine).
	ctx, cancelRead := context.WithTimeout(context.Background(), time.Minute)
	defer cancelRead()
	for {
		var r io.Reader
		if _, r, err = conn.Reader(ctx); err != nil {
			break
		}
		_, _ = io.Copy(io.Discard, r)
	}
	if closeCode(err) != graph.CloseSlowConsumer {
		t.Fatalf("slow consumer: %v, want close %d", err, graph.CloseSlowConsumer)
	}
}

// TestSubscriptions_ShutdownClosesWith1001: a shutting-down hub closes its
// WebSockets with 1001 (going away) and ends SSE streams, and refuses new
// subscriptions.
func TestSubscriptions_ShutdownClosesWith1001(t *testing.T) {
	f := newLiveFixture(t, live.Limits{})
	srv := serveLive(t, f.api.Handler)
	c, err := dialLive(t, wsURL(srv), nil, bearer(f.coordinator))
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("1", valuesSub, nil)
	idle, err := dialLive(t, wsURL(srv), nil, bearer(f.coordinator))
	if err != nil {
		t.Fatal(err)
	}
	stream := sse(t, srv, f.coordinator, valuesSub, nil)
	waitSubscriptions(t, f.api.Live, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f.api.Live.Shutdown(ctx)
	for name, cl := range map[string]*liveClient{"subscribed": c, "idle": idle} {
		for {
			m, err := cl.next()
			if err != nil {
				if closeCode(err) != graph.CloseGoingAway {
					t.Errorf("%s connection: %v, want close %d", name, err, graph.CloseGoingAway)
				}
				break
			}
			if m.Type != "complete" {
				t.Errorf("%s connection before its close: %+v", name, m)
			}
		}
	}
	readAll(stream) // ends
	if f.api.Live.Len() != 0 {
		t.Fatalf("%d subscriptions after shutdown", f.api.Live.Len())
	}
}

// TestSubscriptions_ComparisonChangedEmitsTheNewRows: an approval that
// changes a leader's comparison sends its new rows; the same subscription
// over SSE gets them too.
func TestSubscriptions_ComparisonChangedEmitsTheNewRows(t *testing.T) {
	f := newLiveFixture(t, live.Limits{})
	srv := serveLive(t, f.api.Handler)
	leader := f.api.User(t, hub.NewUser{Name: "live-leader", Role: hub.Leader, Region: "370700"})
	const q = `subscription { comparisonChanged(indicator: "minors_total", period: "2030") { region { code } value rank status } }`
	c, err := dialLive(t, wsURL(srv), nil, bearer(leader))
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("1", q, nil)
	stream := sse(t, srv, leader, q, nil)
	waitSubscriptions(t, f.api.Live, 2)
	f.approve(t, f.api, "370705", 44)

	type rows struct {
		ComparisonChanged []struct {
			Region struct{ Code string }
			Value  *float64
			Rank   *int
			Status *string
		}
	}
	check := func(via string, data json.RawMessage) {
		var p struct {
			Data   rows
			Errors []any
		}
		if err := json.Unmarshal(data, &p); err != nil || len(p.Errors) > 0 {
			t.Fatalf("%s: %v %s", via, err, data)
		}
		for _, r := range p.Data.ComparisonChanged {
			if r.Region.Code == "370705" {
				if r.Value == nil || *r.Value != 44 || r.Rank == nil || *r.Rank != 1 {
					t.Fatalf("%s: 奎文区's row %+v", via, r)
				}
				return
			}
		}
		t.Fatalf("%s: no row for 370705: %s", via, data)
	}
	m := c.mustNext()
	if m.Type != "next" {
		t.Fatalf("websocket: %+v", m)
	}
	check("websocket", m.Payload)
	check("sse", nextSSE(t, stream))
}

// serveLive serves h until the test ends, after the streams the test
// opened are closed (cleanups run last first).
// smallSendBuffers gives every accepted connection a 4 KiB send buffer.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(4096)
	}
	return c, err
}

func serveLive(t *testing.T, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// sse starts a subscription over SSE with token (none when empty).
func sse(t *testing.T, srv *httptest.Server, token, query string, vars map[string]any) *bufio.Reader {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("SSE: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return bufio.NewReader(resp.Body)
}

// nextSSE returns the data of the next "next" event.
func nextSSE(t *testing.T, r *bufio.Reader) json.RawMessage {
	t.Helper()
	event := ""
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("SSE stream ended: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "next":
			return json.RawMessage(strings.TrimPrefix(line, "data: "))
		}
	}
}

func readAll(r *bufio.Reader) string {
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	return b.String()
}
