package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// liveMsg is one graphql-transport-ws message.
type liveMsg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
	// at is when the client read it.
	at time.Time
}

// liveClient is a graphql-transport-ws client over coder/websocket, as a
// department's Go system would write one.
type liveClient struct {
	t    testing.TB
	conn *websocket.Conn
	msgs chan liveMsg
	err  chan error
	// lastArrival is when the message nextValues returned last was read.
	lastArrival time.Time
}

// wsURL is the WebSocket address of srv's /graphql.
func wsURL(srv *httptest.Server) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/graphql"
}

// dialLive connects and sends connection_init with payload; it returns
// the client after connection_ack, or the close error.
func dialLive(t testing.TB, url string, header http.Header, payload map[string]any) (*liveClient, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	if err != nil {
		return nil, err
	}
	c := &liveClient{t: t, conn: conn, msgs: make(chan liveMsg, 1024), err: make(chan error, 1)}
	t.Cleanup(func() { _ = conn.CloseNow() })
	go c.read()
	p, _ := json.Marshal(payload)
	c.send(liveMsg{Type: "connection_init", Payload: p})
	m, err := c.next()
	if err != nil {
		return nil, err
	}
	if m.Type != "connection_ack" {
		t.Fatalf("after connection_init: %+v", m)
	}
	return c, nil
}

// read answers pings and queues every other message.
func (c *liveClient) read() {
	for {
		_, b, err := c.conn.Read(context.Background())
		if err != nil {
			c.err <- err
			close(c.msgs)
			return
		}
		m := liveMsg{at: time.Now()}
		if err := json.Unmarshal(b, &m); err != nil {
			c.err <- err
			close(c.msgs)
			return
		}
		if m.Type == "ping" {
			c.send(liveMsg{Type: "pong"})
			continue
		}
		c.msgs <- m
	}
}

func (c *liveClient) send(m liveMsg) {
	b, _ := json.Marshal(m)
	_ = c.conn.Write(context.Background(), websocket.MessageText, b)
}

// subscribe starts a subscription.
func (c *liveClient) subscribe(id, query string, vars map[string]any) {
	p, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	c.send(liveMsg{ID: id, Type: "subscribe", Payload: p})
}

// next returns the next message, or the error that closed the
// connection. It waits at most a minute (a hung test, not a timing claim).
func (c *liveClient) next() (liveMsg, error) {
	c.t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			return liveMsg{}, <-c.err
		}
		return m, nil
	case <-time.After(time.Minute):
		c.t.Fatal("no live message within a minute")
		return liveMsg{}, nil
	}
}

// mustNext returns the next message, failing on a closed connection.
func (c *liveClient) mustNext() liveMsg {
	c.t.Helper()
	m, err := c.next()
	if err != nil {
		c.t.Fatalf("live connection closed: %v", err)
	}
	return m
}

// closeCode is the WebSocket close code of err (-1: none).
func closeCode(err error) websocket.StatusCode {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}

// valuesEvent is the data of a valuesChanged event.
type valuesEvent struct {
	ValuesChanged struct {
		Resync bool
		Values []struct {
			ID, Status, Period string
			Value              *float64
			Region             struct{ Code string }
			Indicator          struct{ Key string }
		}
	}
}

// nextValues returns the next valuesChanged event of subscription id.
func (c *liveClient) nextValues(id string) valuesEvent {
	c.t.Helper()
	m := c.mustNext()
	c.lastArrival = m.at
	if m.ID != id || m.Type != "next" {
		c.t.Fatalf("want a next message of %s, got %s %s %s", id, m.ID, m.Type, m.Payload)
	}
	var p struct {
		Data   valuesEvent
		Errors []any
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || len(p.Errors) > 0 {
		c.t.Fatalf("event %s: %v %s", id, err, m.Payload)
	}
	return p.Data
}
