package live

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

// MaxValuesPerEvent bounds the values of one ValuesEvent; a larger change
// comes as several events (the GraphQL cost counts one event's values).
const MaxValuesPerEvent = 100

// ValuesEvent is what a valuesChanged subscriber is told.
type ValuesEvent struct {
	// Values are the changed values the subscriber may read, as dataValues
	// would show them now.
	Values []*hub.DataValue
	// Resync: changes may have been missed (the listener reconnected, or
	// a bulk load changed too many rows to list): read again.
	Resync bool
}

// Stream is a subscription's events, in order; C is closed when it ends.
type Stream[T any] struct {
	C   <-chan T
	sub *Subscription
}

// Err says why the stream ended: ErrSlowConsumer, ErrShutdown, or nil
// (its context ended).
func (s *Stream[T]) Err() error { return s.sub.Err() }

// Done is closed when the broker ends the stream's subscription (before C
// is closed, which happens once the stream's goroutine has seen it).
func (s *Stream[T]) Done() <-chan struct{} { return s.sub.done }

// Values streams the changes of values matching f that the principal in
// ctx may read, read again under that principal (values). The stream ends
// with ctx.
func (b *Broker) Values(ctx context.Context, log *slog.Logger, values hub.ValueService, f hub.ValueFilter) (*Stream[ValuesEvent], error) {
	sub, err := b.Subscribe(hub.PrincipalFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := make(chan ValuesEvent)
	go func() {
		defer close(out)
		defer sub.Close()
		send := func(ev ValuesEvent) bool { return deliver(ctx, sub, out, ev) }
		sent := map[int]sentStamp{}
		for {
			c, ok := sub.next(ctx.Done())
			if !ok {
				return
			}
			if !concerns(c, f.Indicators) {
				continue
			}
			if c.Resync || c.Many {
				if !send(ValuesEvent{Resync: true}) {
					return
				}
				continue
			}
			g := f
			g.Changed = c.ValueIDs
			conn, err := values.FindValues(ctx, g, hub.ValuePage{First: hub.MaxPageSize, SkipCount: true})
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				// Nothing is lost: the subscriber is told to read again.
				log.WarnContext(ctx, "live updates: reading changed values failed", "error", err)
				if !send(ValuesEvent{Resync: true}) {
					return
				}
				continue
			}
			// Two notifications read after the same commit find the same
			// row: send each version of a value once.
			fresh := conn.Values[:0]
			for _, v := range conn.Values {
				stamp := sentStamp{v.Version, v.Status, v.UpdatedAt.UnixNano()}
				if sent[v.ID] != stamp {
					sent[v.ID] = stamp
					fresh = append(fresh, v)
				}
			}
			if len(sent) > maxSent {
				clear(sent)
			}
			for chunk := range slices.Chunk(fresh, MaxValuesPerEvent) {
				if !send(ValuesEvent{Values: chunk}) {
					return
				}
			}
		}
	}()
	return &Stream[ValuesEvent]{C: out, sub: sub}, nil
}

// deliver hands ev to the subscriber's transport, which takes it once it
// has written the previous event to the client. A client that does not
// read blocks that write; after Limits.SendTimeout the subscription is
// dropped as a slow consumer. false: the stream ends.
func deliver[T any](ctx context.Context, sub *Subscription, out chan<- T, ev T) bool {
	t := time.NewTimer(sub.b.limits.SendTimeout)
	defer t.Stop()
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
	case <-sub.done:
	case <-t.C:
		sub.drop(ErrSlowConsumer)
	}
	return false
}

// sentStamp is what a valuesChanged subscriber was last sent of a row.
type sentStamp struct {
	version int
	status  hub.Status
	at      int64
}

// maxSent bounds the rows a subscription remembers having sent; past it
// it forgets them all (at worst a value is sent twice).
const maxSent = 10000

// concerns says whether c may change values of the indicators keys (all
// when keys is empty).
func concerns(c hub.Change, keys []string) bool {
	if len(keys) == 0 || c.Resync || len(c.Indicators) == 0 {
		return true
	}
	for _, k := range c.Indicators {
		if slices.Contains(keys, k) {
			return true
		}
	}
	return false
}

// Comparison streams the rows of the comparison q, as the principal in
// ctx sees it, each time a change makes them differ from what it last
// sent (or from what they were when it subscribed), and after a resync.
// A change the principal may not read leaves its comparison as it was, so
// it is told nothing.
func (b *Broker) Comparison(ctx context.Context, log *slog.Logger, analytics hub.AnalyticsService, catalogue hub.CatalogueService, q hub.ComparisonQuery) (*Stream[[]*hub.ComparisonRow], error) {
	// The first reading checks the arguments (a refusal is the
	// subscription's error) and is what the next ones are compared with.
	last, err := analytics.Comparison(ctx, q)
	if err != nil {
		return nil, err
	}
	// Which indicators' changes can change it: its own and the minors
	// (per 10,000); any for a derived indicator.
	var inputs []string
	if ind, err := catalogue.IndicatorsByKey(ctx, []string{q.Indicator}); err == nil && len(ind) == 1 && ind[0] != nil && ind[0].Formula == nil {
		inputs = []string{q.Indicator, hub.MinorsKey}
	}
	sub, err := b.Subscribe(hub.PrincipalFrom(ctx))
	if err != nil {
		return nil, err
	}
	out := make(chan []*hub.ComparisonRow)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			c, ok := sub.next(ctx.Done())
			if !ok {
				return
			}
			if !concerns(c, inputs) {
				continue
			}
			rows, err := analytics.Comparison(ctx, q)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				log.WarnContext(ctx, "live updates: reading a comparison failed", "error", err)
				continue
			}
			if !c.Resync && sameRows(rows, last) {
				continue
			}
			last = rows
			if !deliver(ctx, sub, out, rows) {
				return
			}
		}
	}()
	return &Stream[[]*hub.ComparisonRow]{C: out, sub: sub}, nil
}

// sameRows compares two comparisons' figures, region by region.
func sameRows(a, b []*hub.ComparisonRow) bool {
	return slices.EqualFunc(a, b, func(x, y *hub.ComparisonRow) bool {
		return x.RegionCode == y.RegionCode && eq(x.Value, y.Value) && eq(x.PerTenThousandMinors, y.PerTenThousandMinors) &&
			eq(x.Rank, y.Rank) && eq(x.Status, y.Status) && eq(x.Qualifier, y.Qualifier)
	})
}

func eq[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
