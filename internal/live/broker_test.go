package live

import (
	"context"
	"errors"
	"testing"

	"github.com/sixprot/hub/internal/hub"
)

func principal(id int64) *hub.Principal { return &hub.Principal{UserID: id, Role: hub.Leader} }

// TestBroker_FullQueueDropsTheSubscriberAsSlow: a subscriber whose queue
// is full is dropped (ErrSlowConsumer, Done closed, no longer counted);
// the others keep theirs.
func TestBroker_FullQueueDropsTheSubscriberAsSlow(t *testing.T) {
	b := NewBroker(Limits{Buffer: 2})
	slow, err := b.Subscribe(principal(1))
	if err != nil {
		t.Fatal(err)
	}
	fast, _ := b.Subscribe(principal(2))
	for i := range 2 {
		b.Publish(hub.Change{ValueIDs: []int{i}})
		<-fast.ch
	}
	if slow.Err() != nil || b.Len() != 2 {
		t.Fatalf("a full queue is not yet over: %v, %d", slow.Err(), b.Len())
	}
	b.Publish(hub.Change{ValueIDs: []int{3}})
	select {
	case <-slow.Done():
	default:
		t.Fatal("the slow subscriber was not dropped")
	}
	if !errors.Is(slow.Err(), ErrSlowConsumer) || fast.Err() != nil || b.Len() != 1 {
		t.Fatalf("slow %v, fast %v, %d left", slow.Err(), fast.Err(), b.Len())
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
	b.Publish(hub.Change{Resync: true})
	c, ok := s.next(nil)
	if !ok || len(c.ValueIDs) != 2 || len(c.Indicators) != 2 || !c.Resync {
		t.Fatalf("merged: %+v %v", c, ok)
	}
	if !concerns(hub.Change{Indicators: []string{"b"}}, []string{"a", "b"}) || concerns(hub.Change{Indicators: []string{"c"}}, []string{"a"}) {
		t.Fatal("concerns")
	}
}
