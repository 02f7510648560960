package loader

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoadAll_BatchIsFetchedAtOnceAndCached: a caller holding several keys
// gets them in key order from one fetch of the distinct keys, without the
// loader's wait (an hour here: waiting would time the test out), and later
// single loads of those keys are served from the cache.
func TestLoadAll_BatchIsFetchedAtOnceAndCached(t *testing.T) {
	var calls atomic.Int32
	var got [][]string
	l := newLoader(func(_ context.Context, keys []string) ([]string, error) {
		calls.Add(1)
		got = append(got, slices.Clone(keys))
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = "v" + k
		}
		return out, nil
	}, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	vs, err := LoadAll(ctx, l, []string{"b", "a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"vb", "va", "vb", "vc"}; !slices.Equal(vs, want) {
		t.Errorf("values %v, want %v (key order)", vs, want)
	}
	if calls.Load() != 1 || !slices.Equal(got[0], []string{"b", "a", "c"}) {
		t.Errorf("fetches %v, want one of the distinct keys [b a c]", got)
	}
	if v, err := l.Load(ctx, "a")(); err != nil || v != "va" {
		t.Errorf("single load of a cached key: %q, %v", v, err)
	}
	if vs, err := LoadAll(ctx, l, []string{"c", "a"}); err != nil || !slices.Equal(vs, []string{"vc", "va"}) {
		t.Errorf("second LoadAll: %v, %v", vs, err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d fetches, want 1: cached keys must not be fetched again", calls.Load())
	}
}

// TestLoadAll_SingleKeyWaitsForSiblings: one key goes through the loader,
// so that the keys of concurrent single-key callers (gqlgen resolves each
// edge of a connection on its own) end up in one fetch.
func TestLoadAll_SingleKeyWaitsForSiblings(t *testing.T) {
	var calls atomic.Int32
	l := newLoader(func(_ context.Context, keys []string) ([]string, error) {
		calls.Add(1)
		return keys, nil
	}, 50*time.Millisecond)
	ctx := context.Background()
	done := make(chan struct{})
	for _, k := range []string{"x", "y", "z"} {
		go func() {
			defer func() { done <- struct{}{} }()
			if vs, err := LoadAll(ctx, l, []string{k}); err != nil || vs[0] != k {
				t.Errorf("load %s: %v %v", k, vs, err)
			}
		}()
	}
	for range 3 {
		<-done
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("%d fetches for three concurrent single keys, want 1", n)
	}
}
