package postgres

import (
	"sync"
	"time"
)

// CatalogueChannel is the channel migration 00068's triggers notify when
// the catalogue (indicators, departments, regions) or what decides who
// may read a value (sharing agreements, publications) changes.
const CatalogueChannel = "hub_catalogue"

// A watcher is told about its channels by the process's Listener: every
// notification, and whether LISTEN is in place.
type watcher interface {
	// notified is called for each notification on one of its channels.
	notified(channel string)
	// listening reports the connection: false as soon as it is lost,
	// true once LISTEN is in place again. Notifications in between are
	// lost, so a cache must start again empty.
	listening(up bool)
}

type watch struct {
	channels []string
	w        watcher
}

// notifiedCache is a bounded map that serves only while the listener
// listens and that every notification on its channels empties: a cache
// that could miss a change is no cache. Entries also expire after a TTL.
//
// A reader that misses reads gen first and stores its result with it; a
// notification (or a change made by this process) in between bumps gen,
// and the result, which may predate the change, is not kept.
type notifiedCache[K comparable, V any] struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	live    bool
	gen     uint64
	entries map[K]cached[V]
}

type cached[V any] struct {
	v     V
	until time.Time
}

func newNotifiedCache[K comparable, V any](ttl time.Duration, max int) *notifiedCache[K, V] {
	return &notifiedCache[K, V]{ttl: ttl, max: max, entries: map[K]cached[V]{}}
}

// get returns the entry of k, and the generation a miss must store with.
func (c *notifiedCache[K, V]) get(k K) (V, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	if !c.live {
		return zero, c.gen, false
	}
	e, ok := c.entries[k]
	if !ok || !time.Now().Before(e.until) {
		return zero, c.gen, false
	}
	return e.v, c.gen, true
}

// put stores v unless the cache was emptied since gen was read.
func (c *notifiedCache[K, V]) put(k K, gen uint64, v V) {
	c.putUntil(k, gen, v, time.Now().Add(c.ttl))
}

// putUntil is put with an earlier end than the TTL's (a token's expiry).
func (c *notifiedCache[K, V]) putUntil(k K, gen uint64, v V, until time.Time) {
	if limit := time.Now().Add(c.ttl); until.After(limit) {
		until = limit
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	if len(c.entries) >= c.max {
		clear(c.entries)
	}
	c.entries[k] = cached[V]{v: v, until: until}
}

// empty forgets every entry (a change this process made, before it
// returns to its caller, whatever the notification's delay).
func (c *notifiedCache[K, V]) empty() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.entries)
}

func (c *notifiedCache[K, V]) set(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.gen++
	clear(c.entries)
}

func (c *notifiedCache[K, V]) notified(string)   { c.empty() }
func (c *notifiedCache[K, V]) listening(up bool) { c.set(up) }
