// Package live fans the database's change notifications out to GraphQL
// subscriptions: one broker per process takes every hub.Change from the
// process's one LISTEN connection (postgres.Listener), queues it for each
// subscriber within bounds, and each subscription reads what changed again
// under its own principal, so a subscriber learns nothing of a change it
// may not read, not even that it happened.
package live

import (
	"context"
	"sync"

	"github.com/sixprot/hub/internal/hub"
)

// Limits bound the subscriptions of one process.
type Limits struct {
	// PerPrincipal is the most subscriptions one user (its tokens and
	// sessions together) may hold (default 20).
	PerPrincipal int
	// Total is the most subscriptions of the process (default 2,000).
	Total int
	// Buffer is how many changes may wait for a subscriber; one more and
	// it is dropped as too slow (default 256).
	Buffer int
}

// DefaultLimits are the limits a broker has unless configured.
var DefaultLimits = Limits{PerPrincipal: 20, Total: 2000, Buffer: 256}

// Why a subscription ended, other than its own context.
var (
	// ErrSlowConsumer: changes came faster than the subscriber took
	// them, and its queue was full. Transports close with their code for
	// it (graphql-transport-ws: 4504) and the client subscribes again.
	ErrSlowConsumer = hub.Errorf(hub.ERATELIMITED, "更新来得比客户端读取得快，订阅已断开，请重新订阅 / updates came faster than the client read them: the subscription was dropped, subscribe again")
	// ErrShutdown: the process is shutting down (WebSocket close 1001).
	ErrShutdown = hub.Errorf(hub.EUNAVAILABLE, "服务正在关闭，请重新连接 / the server is shutting down: reconnect")
)

// Broker fans changes out to the subscriptions of one process.
type Broker struct {
	limits Limits

	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	perUser map[int64]int
	closed  bool
	// done is closed by Shutdown; held counts the connections (WebSocket,
	// SSE) that Shutdown waits for.
	done chan struct{}
	held sync.WaitGroup
}

// NewBroker returns a broker with the limits l (zero fields: DefaultLimits).
func NewBroker(l Limits) *Broker {
	if l.PerPrincipal <= 0 {
		l.PerPrincipal = DefaultLimits.PerPrincipal
	}
	if l.Total <= 0 {
		l.Total = DefaultLimits.Total
	}
	if l.Buffer <= 0 {
		l.Buffer = DefaultLimits.Buffer
	}
	return &Broker{limits: l, subs: map[*Subscription]struct{}{}, perUser: map[int64]int{}, done: make(chan struct{})}
}

// Subscription is one subscriber's queue of changes.
type Subscription struct {
	b      *Broker
	user   int64
	ch     chan hub.Change
	done   chan struct{}
	err    error
	closed bool
}

// Subscribe registers a subscriber for p, within the limits: beyond them
// it is refused with RATE_LIMITED.
func (b *Broker) Subscribe(p *hub.Principal) (*Subscription, error) {
	if p == nil {
		return nil, hub.ErrNoPrincipal
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.closed:
		return nil, ErrShutdown
	case len(b.subs) >= b.limits.Total:
		return nil, hub.Errorf(hub.ERATELIMITED, "本服务的订阅已达上限 %d，请稍后再试 / this server holds its limit of %d subscriptions: try again later", b.limits.Total, b.limits.Total)
	case b.perUser[p.UserID] >= b.limits.PerPrincipal:
		return nil, hub.Errorf(hub.ERATELIMITED, "每个用户最多 %d 个订阅 / at most %d subscriptions per user", b.limits.PerPrincipal, b.limits.PerPrincipal)
	}
	s := &Subscription{b: b, user: p.UserID, ch: make(chan hub.Change, b.limits.Buffer), done: make(chan struct{})}
	b.subs[s] = struct{}{}
	b.perUser[p.UserID]++
	return s, nil
}

// Publish queues c for every subscriber; a subscriber whose queue is full
// is dropped with ErrSlowConsumer rather than buffered without bound.
func (b *Broker) Publish(c hub.Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		select {
		case s.ch <- c:
		default:
			b.endLocked(s, ErrSlowConsumer)
		}
	}
}

// Shutdown ends every subscription with ErrShutdown, refuses new ones,
// closes Done (transports close their connections: WebSocket 1001), and
// waits until every held connection is released or ctx ends. It may be
// called more than once.
func (b *Broker) Shutdown(ctx context.Context) {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.done)
	}
	for s := range b.subs {
		b.endLocked(s, ErrShutdown)
	}
	b.mu.Unlock()
	released := make(chan struct{})
	go func() { b.held.Wait(); close(released) }()
	select {
	case <-released:
	case <-ctx.Done():
	}
}

// Done is closed when the broker shuts down.
func (b *Broker) Done() <-chan struct{} { return b.done }

// Hold counts a connection that carries subscriptions until release is
// called, so that Shutdown waits for it to close.
func (b *Broker) Hold() (release func()) {
	b.held.Add(1)
	var once sync.Once
	return func() { once.Do(b.held.Done) }
}

// Len is how many subscriptions the broker holds.
func (b *Broker) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

func (b *Broker) endLocked(s *Subscription, err error) {
	if s.closed {
		return
	}
	s.closed, s.err = true, err
	delete(b.subs, s)
	if b.perUser[s.user]--; b.perUser[s.user] <= 0 {
		delete(b.perUser, s.user)
	}
	close(s.done)
}

// Close ends the subscription (its subscriber went away).
func (s *Subscription) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.endLocked(s, nil)
}

// Done is closed when the broker ended the subscription or it was closed.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Err says why the subscription ended: ErrSlowConsumer, ErrShutdown, or
// nil (closed by its subscriber, or still running).
func (s *Subscription) Err() error {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	return s.err
}

// next waits for the next change and takes every change queued behind it
// too, merged into one (a burst of notifications becomes one read). ok is
// false when the subscription ended or done was closed.
func (s *Subscription) next(done <-chan struct{}) (c hub.Change, ok bool) {
	select {
	case <-done:
		return c, false
	case <-s.done:
		return c, false
	case c = <-s.ch:
	}
	for {
		select {
		case more := <-s.ch:
			c = merge(c, more)
		default:
			return c, true
		}
	}
}

// merge joins two changes into one that asks for at least as much.
func merge(a, b hub.Change) hub.Change {
	return hub.Change{
		ValueIDs:   append(a.ValueIDs, b.ValueIDs...),
		Indicators: append(a.Indicators, b.Indicators...),
		Many:       a.Many || b.Many,
		Resync:     a.Resync || b.Resync,
	}
}
