package live

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

func principal(id int64) *hub.Principal { return &hub.Principal{UserID: id, Role: hub.Leader} }

// TestDeliver_ASubscriberThatDoesNotTakeItsEventIsDroppedAsSlow: an
// event nobody takes within SendTimeout drops the subscription
// (ErrSlowConsumer, Done closed, no longer counted); the others keep
// theirs.
func TestDeliver_ASubscriberThatDoesNotTakeItsEventIsDroppedAsSlow(t *testing.T) {
	b := NewBroker(Limits{SendTimeout: time.Millisecond})
	slow, err := b.Subscribe(principal(1))
	if err != nil {
		t.Fatal(err)
	}
	fast, _ := b.Subscribe(principal(2))
	if deliver(context.Background(), slow, make(chan int), 1) {
		t.Fatal("an event nobody took was delivered")
	}
	select {
	case <-slow.Done():
	default:
		t.Fatal("the slow subscriber was not dropped")
	}
	out := make(chan int, 1)
	if !deliver(context.Background(), fast, out, 1) {
		t.Fatal("an event taken at once was not delivered")
	}
	if !errors.Is(slow.Err(), ErrSlowConsumer) || fast.Err() != nil || b.Len() != 1 {
		t.Fatalf("slow %v, fast %v, %d left", slow.Err(), fast.Err(), b.Len())
	}
}

// TestBroker_PendingChangesAreBoundedAsAResync: changes pile up merged,
// and past Limits.Pending rows they become one resync, so a subscriber's
// memory is bounded whatever the burst.
func TestBroker_PendingChangesAreBoundedAsAResync(t *testing.T) {
	b := NewBroker(Limits{Pending: 100})
	s, _ := b.Subscribe(principal(1))
	for i := range 50 {
		b.Publish(hub.Change{ValueIDs: []int{i}, Indicators: []string{"a"}})
	}
	if c, ok := s.next(nil); !ok || len(c.ValueIDs) != 50 || len(c.Indicators) != 1 || c.Resync {
		t.Fatalf("50 changes: %d ids, %v, resync %v", len(c.ValueIDs), c.Indicators, c.Resync)
	}
	for i := range 101 {
		b.Publish(hub.Change{ValueIDs: []int{i}})
	}
	if c, ok := s.next(nil); !ok || len(c.ValueIDs) != 0 || !c.Resync {
		t.Fatalf("101 changes: %d ids, resync %v", len(c.ValueIDs), c.Resync)
	}
}

// TestBroker_LimitsPerPrincipalAndProcess: beyond either limit a
// subscription is refused RATE_LIMITED; closing one frees its place.
func TestBroker_LimitsPerPrincipalAndProcess(t *testing.T) {
	b := NewBroker(Limits{PerPrincipal: 2, Total: 3})
	a1, _ := b.Subscribe(principal(1))
	if _, err := b.Subscribe(principal(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe(principal(1)); hub.ErrorCode(err) != hub.ERATELIMITED {
		t.Fatalf("third of one user: %v", err)
	}
	if _, err := b.Subscribe(principal(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Subscribe(principal(3)); hub.ErrorCode(err) != hub.ERATELIMITED {
		t.Fatalf("fourth of the process: %v", err)
	}
	a1.Close()
	if _, err := b.Subscribe(principal(1)); err != nil {
		t.Fatalf("after a close: %v", err)
	}
	if _, err := b.Subscribe(nil); !errors.Is(err, hub.ErrNoPrincipal) {
		t.Fatalf("no principal: %v", err)
	}
}

// TestBroker_ShutdownEndsEverySubscriptionAndRefusesNewOnes.
func TestBroker_ShutdownEndsEverySubscriptionAndRefusesNewOnes(t *testing.T) {
	b := NewBroker(Limits{})
	s, _ := b.Subscribe(principal(1))
	release := b.Hold()
	go func() { <-b.Done(); release() }()
	b.Shutdown(context.Background())
	if !errors.Is(s.Err(), ErrShutdown) || b.Len() != 0 {
		t.Fatalf("after shutdown: %v, %d", s.Err(), b.Len())
	}
	if _, err := b.Subscribe(principal(2)); !errors.Is(err, ErrShutdown) {
		t.Fatalf("subscribe after shutdown: %v", err)
	}
	b.Shutdown(context.Background()) // a second call is harmless
}

// TestSubscription_NextMergesWhatIsQueued: changes waiting together are
// read as one.
func TestSubscription_NextMergesWhatIsQueued(t *testing.T) {
	b := NewBroker(Limits{})
	s, _ := b.Subscribe(principal(1))
	b.Publish(hub.Change{ValueIDs: []int{1}, Indicators: []string{"a"}})
	b.Publish(hub.Change{ValueIDs: []int{2}, Indicators: []string{"b"}})
	b.Publish(hub.Change{ValueIDs: []int{3}, Indicators: []string{"a"}})
	c, ok := s.next(nil)
	if !ok || len(c.ValueIDs) != 3 || len(c.Indicators) != 2 || c.Resync {
		t.Fatalf("merged: %+v %v", c, ok)
	}
	// A resync asks for everything: the ids it supersedes are not kept.
	b.Publish(hub.Change{ValueIDs: []int{4}})
	b.Publish(hub.Change{Resync: true})
	if c, ok := s.next(nil); !ok || !c.Resync || len(c.ValueIDs) != 0 {
		t.Fatalf("with a resync: %+v %v", c, ok)
	}
	if !concerns(hub.Change{Indicators: []string{"b"}}, []string{"a", "b"}) || concerns(hub.Change{Indicators: []string{"c"}}, []string{"a"}) {
		t.Fatal("concerns")
	}
}
