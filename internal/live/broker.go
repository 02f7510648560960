// Package live fans the database's change notifications out to GraphQL
// subscriptions: one broker per process takes every hub.Change from the
// process's one LISTEN connection (postgres.Listener), queues it for each
// subscriber within bounds, and each subscription reads what changed again
// under its own principal, so a subscriber learns nothing of a change it
// may not read, not even that it happened.
package live

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

// Limits bound the subscriptions of one process.
type Limits struct {
	// PerPrincipal is the most subscriptions one user (its tokens and
	// sessions together) may hold (default 20).
	PerPrincipal int
	// Total is the most subscriptions of the process (default 2,000).
	Total int
	// Pending is how many changed rows may wait for one subscriber,
	// merged; beyond it they become one "read again" (a resync), so a
	// burst (an import) costs each subscriber one read, not one per
	// statement, and bounded memory (default 10,000).
	Pending int
	// SendTimeout is how long a subscriber may take to accept an event
	// (its client reading the socket); a slower one is dropped with
	// ErrSlowConsumer rather than buffered for without bound (default
	// 10 s).
	SendTimeout time.Duration
}

// DefaultLimits are the limits a broker has unless configured.
var DefaultLimits = Limits{PerPrincipal: 20, Total: 2000, Pending: 10000, SendTimeout: 10 * time.Second}

// Why a subscription ended, other than its own context.
var (
	// ErrSlowConsumer: the subscriber did not take an event within
	// Limits.SendTimeout (its client stopped reading). Transports close
	// with their code for it (graphql-transport-ws: 4504) and the client
	// subscribes again.
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
	if l.Pending <= 0 {
		l.Pending = DefaultLimits.Pending
	}
	if l.SendTimeout <= 0 {
		l.SendTimeout = DefaultLimits.SendTimeout
	}
	return &Broker{limits: l, subs: map[*Subscription]struct{}{}, perUser: map[int64]int{}, done: make(chan struct{})}
}

// Subscription is one subscriber's pending changes, merged.
type Subscription struct {
	b    *Broker
	user int64
	// wake has a token when pending has changes (guarded by b.mu).
	wake    chan struct{}
	pending hub.Change
	has     bool
	done    chan struct{}
	err     error
	closed  bool
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
	s := &Subscription{b: b, user: p.UserID, wake: make(chan struct{}, 1), done: make(chan struct{})}
	b.subs[s] = struct{}{}
	b.perUser[p.UserID]++
	return s, nil
}

// Publish adds c to every subscriber's pending changes. It never blocks:
// pending changes are merged, and beyond Limits.Pending rows they become
// a resync.
func (b *Broker) Publish(c hub.Change) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.pending = merge(s.pending, c, b.limits.Pending)
		s.has = true
		select {
		case s.wake <- struct{}{}:
		default:
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

// next waits for changes and takes all that are pending, merged into one
// (a burst of notifications becomes one read). ok is false when the
// subscription ended or done was closed.
func (s *Subscription) next(done <-chan struct{}) (c hub.Change, ok bool) {
	for {
		s.b.mu.Lock()
		if s.has {
			c, s.pending, s.has = s.pending, hub.Change{}, false
			s.b.mu.Unlock()
			return c, true
		}
		s.b.mu.Unlock()
		select {
		case <-done:
			return c, false
		case <-s.done:
			return c, false
		case <-s.wake:
		}
	}
}

// drop ends the subscription with err (ErrSlowConsumer).
func (s *Subscription) drop(err error) {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	s.b.endLocked(s, err)
}

// merge joins two changes into one that asks for at least as much; past
// max rows it asks for a resync instead.
func merge(a, b hub.Change, max int) hub.Change {
	m := hub.Change{Many: a.Many || b.Many, Resync: a.Resync || b.Resync}
	// A resync asks for everything: the ids it supersedes are not kept.
	if len(a.ValueIDs)+len(b.ValueIDs) > max {
		m.Resync = true
	}
	if !m.Resync {
		m.ValueIDs = append(a.ValueIDs, b.ValueIDs...)
		m.Indicators = append(a.Indicators, b.Indicators...)
		// Keys repeat from one notification to the next: keep each once.
		slices.Sort(m.Indicators)
		m.Indicators = slices.Compact(m.Indicators)
	}
	return m
}
