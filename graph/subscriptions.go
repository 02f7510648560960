package graph

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"github.com/sixprot/hub/graph/model"
	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/live"
)

// Close codes of a graphql-transport-ws connection the hub ends (docs/live.md).
const (
	// CloseUnauthorized: connection_init carried no valid credential
	// (the protocol's 4401).
	CloseUnauthorized = 4401
	// CloseSlowConsumer: updates came faster than the client read them
	// and its queue was full; the client reconnects and reads again.
	CloseSlowConsumer = 4504
	// CloseGoingAway: the server is shutting down (RFC 6455's 1001).
	CloseGoingAway = 1001
)

// Keep-alive intervals of live connections.
const (
	// livePing is how often the server pings a graphql-transport-ws
	// client (a client that answers no pong for two intervals is
	// dropped) and sends an SSE comment or a graphql-ws keep-alive.
	livePing = 15 * time.Second
	// liveInitTimeout is how long a WebSocket may wait before
	// connection_init (the protocol's 4408 after it).
	liveInitTimeout = 10 * time.Second
)

// LiveConfig enables subscriptions (issue 19).
type LiveConfig struct {
	// Broker fans the database's changes out (live.NewBroker; the
	// process's postgres.Listener publishes into it).
	Broker *live.Broker
	// Auth checks the token of a WebSocket's connection_init.
	Auth hub.AuthService
	// Ping overrides livePing (tests).
	Ping time.Duration
}

// addLiveTransports adds the WebSocket (graphql-transport-ws, and the
// older graphql-ws) and SSE transports, before the HTTP transport, which
// takes every other request.
func addLiveTransports(srv *handler.Server, log *slog.Logger, cfg LiveConfig) {
	ping := cfg.Ping
	if ping == 0 {
		ping = livePing
	}
	srv.AddTransport(transport.Websocket{
		Implementation:        wsImplementation{},
		InitFunc:              liveInit(cfg.Auth),
		InitTimeout:           liveInitTimeout,
		KeepAlivePingInterval: ping,
		PingPongInterval:      ping,
		ErrorFunc: func(ctx context.Context, err error) {
			if !errors.Is(err, context.Canceled) {
				log.DebugContext(ctx, "websocket", "error", err)
			}
		},
	})
	srv.AddTransport(transport.SSE{KeepAlivePingInterval: ping})
}

// liveConn is what a live connection's subscriptions know of it: how to
// end it with a close code (WebSocket) or how to stop its stream (SSE).
type liveConn struct {
	origin, host string

	mu   sync.Mutex
	ws   transport.WebsocketConn
	stop func() // SSE: cancels the request and unblocks its writes
}

type liveConnKey struct{}

// end closes the connection because of err (live.ErrSlowConsumer,
// live.ErrShutdown).
func (c *liveConn) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.ws != nil:
		code, reason := CloseGoingAway, "server shutting down"
		if errors.Is(err, live.ErrSlowConsumer) {
			code, reason = CloseSlowConsumer, "slow consumer"
		}
		_ = c.ws.WriteClose(code, reason)
		_ = c.ws.Close()
	case c.stop != nil:
		c.stop()
	}
}

// liveHandler prepares live requests for their transports: it clears the
// HTTP server's read and write timeouts (a subscription lasts), gives SSE
// a Flusher through the wrappers of the edge, remembers the connection
// for its subscriptions (liveConn), holds it in the broker so that a
// shutdown waits for its close, and closes it when the broker shuts down.
func liveHandler(b *live.Broker, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws := r.Header.Get("Upgrade") != ""
		sse := !ws && r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "text/event-stream")
		if !ws && !sse {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		c := &liveConn{origin: r.Header.Get("Origin"), host: r.Host}
		ctx, cancel := context.WithCancel(context.WithValue(r.Context(), liveConnKey{}, c))
		defer cancel()
		if sse {
			c.stop = func() { cancel(); _ = rc.SetWriteDeadline(time.Now()) }
			w = flushWriter{ResponseWriter: w, rc: rc}
		}
		release := b.Hold()
		defer release()
		go func() {
			select {
			case <-b.Done():
				c.end(live.ErrShutdown)
			case <-ctx.Done():
			}
		}()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// flushWriter gives SSE the Flusher that the edge's wrappers hide.
type flushWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (w flushWriter) Flush() { _ = w.rc.Flush() }

func (w flushWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wsImplementation is gqlgen's coder/websocket adapter, which also tells
// the connection's liveConn its socket. coder/websocket refuses a
// cross-origin handshake (Origin other than Host) with 403.
type wsImplementation struct{}

func (wsImplementation) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := transport.CoderWebsocketImplementation{}.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	if c, ok := r.Context().Value(liveConnKey{}).(*liveConn); ok {
		c.mu.Lock()
		c.ws = conn
		c.mu.Unlock()
	}
	return conn, nil
}

// liveInit authenticates a WebSocket in connection_init: the payload's
// token ({"Authorization": "Bearer …"} or {"token": "…"}), else a token
// the edge already checked in the handshake's Authorization header, else
// the dashboard's session cookie when the handshake came from the hub's
// own pages (an Origin naming the hub's host; coder/websocket has refused
// any other). Without one, the connection closes with 4401.
func liveInit(auth hub.AuthService) transport.WebsocketInitFunc {
	return func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		refuse := func(err error) (context.Context, *transport.InitPayload, error) {
			ctx = transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, CloseUnauthorized), "Unauthorized")
			return ctx, nil, errors.New(hub.ErrorMessage(err))
		}
		token := p.GetString("token")
		if h := p.Authorization(); h != "" {
			t, ok := strings.CutPrefix(h, "Bearer ")
			if !ok || strings.TrimSpace(t) == "" {
				return refuse(hub.Errorf(hub.EUNAUTHENTICATED, "Authorization 应为 \"Bearer <令牌>\" / Authorization must be \"Bearer <token>\""))
			}
			token = strings.TrimSpace(t)
		}
		if token != "" {
			if auth == nil {
				return refuse(hub.Errorf(hub.EUNAUTHENTICATED, "本服务不接受令牌 / this server accepts no tokens"))
			}
			pr, err := auth.Authenticate(ctx, token)
			if err != nil {
				return refuse(err)
			}
			return hub.NewContext(ctx, pr), nil, nil
		}
		if hub.PrincipalFrom(ctx) != nil {
			return ctx, nil, nil
		}
		if s := hub.SessionFrom(ctx); s != nil && s.Principal != nil && sameOrigin(ctx) {
			return hub.NewContext(ctx, s.Principal), nil, nil
		}
		return refuse(hub.ErrNoPrincipal)
	}
}

// sameOrigin says whether the live connection in ctx came from a page of
// the hub itself: its Origin names the host it was sent to.
func sameOrigin(ctx context.Context) bool {
	c, ok := ctx.Value(liveConnKey{}).(*liveConn)
	if !ok || c.origin == "" {
		return false
	}
	u, err := url.Parse(c.origin)
	return err == nil && strings.EqualFold(u.Host, c.host)
}

// liveEvents forwards a live stream to gqlgen, converting each event, and
// when the broker ends the stream (a slow consumer, a shutdown) ends the
// connection with the protocol's close code.
func liveEvents[T, U any](ctx context.Context, s *live.Stream[T], conv func(T) U) <-chan U {
	out := make(chan U)
	go func() {
		defer close(out)
	forward:
		for ev := range s.C {
			select {
			case out <- conv(ev):
			case <-ctx.Done():
				return
			case <-s.Done():
				// Dropped while gqlgen was still writing the last event.
				break forward
			}
		}
		if err := s.Err(); err != nil {
			if c, ok := ctx.Value(liveConnKey{}).(*liveConn); ok {
				c.end(err)
			}
		}
	}()
	return out
}

// valuesChanged is the resolver of Subscription.valuesChanged.
func (r *Resolver) valuesChanged(ctx context.Context, filter *model.DataValueFilter) (<-chan *live.ValuesEvent, error) {
	// gqlgen runs no root-field middleware for subscriptions: the
	// principal is checked here (requirePrincipal's rule).
	if _, err := hub.Signed(ctx); err != nil {
		return nil, err
	}
	if r.Live == nil {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "本服务未启用实时更新 / live updates are not enabled on this server")
	}
	var f hub.ValueFilter
	if filter != nil {
		for _, p := range filter.Periods {
			if _, err := hub.ParsePeriod(p); err != nil {
				return nil, err
			}
		}
		f = hub.ValueFilter{Indicators: filter.Indicators, Regions: filter.Regions, Periods: filter.Periods,
			Statuses: filter.Statuses, Departments: filter.Departments, Protections: filter.Protections}
	}
	s, err := r.Live.Broker.Values(ctx, r.log(), r.Values, f)
	if err != nil {
		return nil, err
	}
	return liveEvents(ctx, s, func(ev live.ValuesEvent) *live.ValuesEvent {
		if ev.Values == nil {
			ev.Values = []*hub.DataValue{}
		}
		if err := attachValueFields(ctx, ev.Values, changedValues...); err != nil {
			// As when the values cannot be read: the subscriber is told
			// to read again.
			r.log().WarnContext(ctx, "live updates: reading indicators and regions failed", "error", err)
			return &live.ValuesEvent{Values: []*hub.DataValue{}, Resync: true}
		}
		return &ev
	}), nil
}

// comparisonChanged is the resolver of Subscription.comparisonChanged.
func (r *Resolver) comparisonChanged(ctx context.Context, q hub.ComparisonQuery) (<-chan []*hub.ComparisonRow, error) {
	// gqlgen runs no root-field middleware for subscriptions: the
	// principal is checked here (requirePrincipal's rule).
	if _, err := hub.Signed(ctx); err != nil {
		return nil, err
	}
	if r.Live == nil {
		return nil, hub.Errorf(hub.EUNAVAILABLE, "本服务未启用实时更新 / live updates are not enabled on this server")
	}
	s, err := r.Live.Broker.Comparison(ctx, r.log(), r.Analytics, r.Catalogue, q)
	if err != nil {
		return nil, err
	}
	return liveEvents(ctx, s, func(rows []*hub.ComparisonRow) []*hub.ComparisonRow { return rows }), nil
}

func (r *Resolver) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}
