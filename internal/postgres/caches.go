package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

// DefaultCacheTTL bounds how long a cached entry lives without any
// notification (hub serve --cache-ttl).
const DefaultCacheTTL = time.Minute

// maxCached bounds each cache; a full cache is emptied (a miss costs one
// statement, so the bound matters more than the eviction order).
const maxCached = 200_000

// caches are the process's caches of what the row policies let everyone
// read alike (the catalogue) and of value counts per principal. Each one
// serves only while the process's Listener listens, and each notification
// that could change an entry empties the whole cache (DB.Cache).
type caches struct {
	counts      *notifiedCache[countKey, int]
	regions     *notifiedCache[string, hub.Region]
	indicators  *notifiedCache[string, hub.Indicator]
	departments *notifiedCache[string, hub.Department]
	// formulas are the catalogue's derived indicators: one entry, what
	// every comparison evaluates its formulas with.
	formulas *notifiedCache[struct{}, []hub.Indicator]
	// levels are the regions at a level under a parent, by code, as a
	// comparison reads them: at most hub.MaxComparisonRows + 1.
	levels *notifiedCache[levelKey, []hub.Region]
	// trees are the tree counts (towns and villages) of each region's
	// subtree.
	trees *notifiedCache[string, hub.TreeCounts]
}

// levelKey names the regions at level under parent.
type levelKey struct {
	level  hub.RegionLevel
	parent string
}

// maxLevels bounds the cache of regions at a level under a parent: an
// entry holds up to hub.MaxComparisonRows regions.
const maxLevels = 1024

// maxCachedCounts and maxCountFilterBytes bound the count cache's memory
// whatever the callers send: at most 10,000 counts, each for a filter
// written in at most 1 KiB (a longer filter is counted, never kept).
const (
	maxCachedCounts     = 10_000
	maxCountFilterBytes = 1 << 10
)

// countKey is everything a count of values depends on: the principal's
// settings that the row policies read, and the filter.
type countKey struct {
	user, role, department, scope string
	filter                        string
}

// Cache makes every service over db keep, for up to ttl, what l's
// notifications can invalidate: regions, indicators and departments (no
// row policy hides them: every principal reads the same rows), what a
// comparison reads of them (the derived indicators, the regions at a level
// under a parent, the towns and villages under each region), and the
// totalCount of a dataValues filter per principal. Migration 00064
// notifies hub_values on every change of data_values, 00068 hub_catalogue
// on every change of the catalogue, the regions, sharing agreements and
// publications; each notification empties the caches it concerns, and
// this process's own writes empty them before they return (db.tx). While
// l's connection is down nothing is served from them.
//
// Counts of the media role are never cached: what the media office may
// read changes by the clock (embargo times), not only by a write. With a
// read replica (Config.ReadURL) Cache does nothing: a standby replays a
// change after the primary has notified it, so a cache filled from the
// standby could keep what the notification meant to clear.
//
// Call it before l.Run and before serving; ttl <= 0 does nothing.
func (db *DB) Cache(l *Listener, ttl time.Duration) {
	if ttl <= 0 || db.replica != nil {
		return
	}
	c := &caches{
		counts:      newNotifiedCache[countKey, int](ttl, maxCachedCounts),
		regions:     newNotifiedCache[string, hub.Region](ttl, maxCached),
		indicators:  newNotifiedCache[string, hub.Indicator](ttl, maxCached),
		departments: newNotifiedCache[string, hub.Department](ttl, maxCached),
		formulas:    newNotifiedCache[struct{}, []hub.Indicator](ttl, 1),
		levels:      newNotifiedCache[levelKey, []hub.Region](ttl, maxLevels),
		trees:       newNotifiedCache[string, hub.TreeCounts](ttl, maxCached),
	}
	l.watch(c.counts, ValuesChannel, CatalogueChannel)
	l.watch(c.regions, CatalogueChannel)
	l.watch(c.indicators, CatalogueChannel)
	l.watch(c.departments, CatalogueChannel)
	l.watch(c.formulas, CatalogueChannel)
	l.watch(c.levels, CatalogueChannel)
	l.watch(c.trees, CatalogueChannel)
	db.caches = c
}

// wrote empties the caches after a write of this process committed.
func (c *caches) wrote() {
	if c == nil {
		return
	}
	c.counts.empty()
	c.regions.empty()
	c.indicators.empty()
	c.departments.empty()
	c.formulas.empty()
	c.levels.empty()
	c.trees.empty()
}

// countKeyOf is the key of a count for the principal of ctx, or false
// when it must not be cached (no principal, the media role, live updates'
// changed rows).
func countKeyOf(ctx context.Context, f hub.ValueFilter) (countKey, bool) {
	p := hub.PrincipalFrom(ctx)
	if p == nil || p.Role == hub.Media || f.Changed != nil {
		return countKey{}, false
	}
	dept := ""
	if p.Department != nil {
		dept = *p.Department
	}
	// Each list is written as its length and each string as its length
	// and its bytes: the filter's strings are the caller's, any byte
	// included, so no separator could keep two filters apart.
	var b strings.Builder
	for _, part := range [][]string{f.Indicators, f.Regions, f.Periods, f.Departments, strs(f.Protections), strs(f.Statuses), idStrings(f.IDs)} {
		if part == nil {
			b.WriteString("-;") // no filter, unlike an empty list
			continue
		}
		b.WriteString(strconv.Itoa(len(part)))
		b.WriteByte(';')
		for _, s := range part {
			b.WriteString(strconv.Itoa(len(s)))
			b.WriteByte(':')
			b.WriteString(s)
		}
	}
	if b.Len() > maxCountFilterBytes {
		return countKey{}, false
	}
	return countKey{user: p.Name, role: string(p.Role), department: dept, scope: p.RegionPath, filter: b.String()}, true
}

func strs[T ~string](xs []T) []string {
	if xs == nil {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func idStrings(ids []int) []string {
	if ids == nil {
		return nil
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strconv.Itoa(id)
	}
	return out
}

// byKeyCached returns the rows of keys from cache, fetching the misses
// with fetch in one statement and keeping them. Without a cache it is
// fetch itself. Callers get their own copies.
func byKeyCached[V any](c *notifiedCache[string, V], keys []string, key func(*V) string,
	fetch func([]string) ([]*V, error)) ([]*V, error) {
	if c == nil {
		return fetch(keys)
	}
	out := make([]*V, len(keys))
	var missing []string
	var gen uint64
	for i, k := range keys {
		v, g, ok := c.get(k)
		if i == 0 || g < gen {
			gen = g
		}
		if ok {
			out[i] = &v
		} else {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	got, err := fetch(missing)
	if err != nil {
		return nil, err
	}
	found := make(map[string]*V, len(got))
	for _, v := range got {
		if v != nil {
			found[key(v)] = v
			c.put(key(v), gen, *v)
		}
	}
	for i, k := range keys {
		if out[i] == nil {
			out[i] = found[k]
		}
	}
	return out, nil
}

// The caches of a DB without caches are nil (byKeyCached then fetches).
func (c *caches) regionCache() *notifiedCache[string, hub.Region] {
	if c == nil {
		return nil
	}
	return c.regions
}

func (c *caches) indicatorCache() *notifiedCache[string, hub.Indicator] {
	if c == nil {
		return nil
	}
	return c.indicators
}

func (c *caches) departmentCache() *notifiedCache[string, hub.Department] {
	if c == nil {
		return nil
	}
	return c.departments
}

// generation is the generation of c that what is read now, before any
// lookup by key, must be stored with (get's, for a key never stored).
func generation[K comparable, V any](c *notifiedCache[K, V]) uint64 {
	var none K
	_, g, _ := c.get(none)
	return g
}
