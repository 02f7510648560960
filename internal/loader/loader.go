// Package loader holds the per-request dataloaders that resolve nested
// GraphQL fields in batches, so that the number of SQL statements of a
// query does not grow with the number of rows it returns.
//
// Loaders are created per request (Middleware) and cache only for that
// request; their batch functions run with the context of the first load,
// which carries the request's principal to the database.
package loader

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/graph-gophers/dataloader/v7"

	"github.com/sixprot/hub/internal/hub"
)

// DefaultWait is how long a loader collects keys before it runs a batch.
// gqlgen resolves the elements of a list in concurrent goroutines, which
// all reach their loaders within a millisecond or two on an idle machine;
// dataloader's default of 16 ms would be paid at every nesting level. A
// key that misses the window costs one more statement, never a wrong
// answer; docs/performance.md has the measurements.
const DefaultWait = 2 * time.Millisecond

// Loaders are one request's dataloaders.
type Loaders struct {
	Region               *Loader[*hub.Region]
	RegionChildren       *Loader[[]*hub.Region]
	RegionCounts         *Loader[hub.TreeCounts]
	Department           *Loader[*hub.Department]
	Indicator            *Loader[*hub.Indicator]
	DepartmentIndicators *Loader[[]*hub.Indicator]
}

// Loader is a dataloader that also knows its batch function and cache, so
// that LoadAll can fetch a whole batch without waiting for one.
type Loader[V any] struct {
	*dataloader.Loader[string, V]
	cache *dataloader.InMemoryCache[string, V]
	fetch func(context.Context, []string) ([]V, error)
}

// New returns fresh loaders over the catalogue that wait wait before each batch.
func New(cat hub.CatalogueService, wait time.Duration) *Loaders {
	return &Loaders{
		Region:               newLoader(cat.RegionsByCode, wait),
		RegionChildren:       newLoader(cat.RegionChildren, wait),
		RegionCounts:         newLoader(cat.RegionCounts, wait),
		Department:           newLoader(cat.DepartmentsByCode, wait),
		Indicator:            newLoader(cat.IndicatorsByKey, wait),
		DepartmentIndicators: newLoader(cat.IndicatorsByDepartment, wait),
	}
}

// newLoader wraps a batch method that returns one result per key, in key
// order, as a dataloader.
func newLoader[V any](fetch func(context.Context, []string) ([]V, error), wait time.Duration) *Loader[V] {
	batch := func(ctx context.Context, keys []string) []*dataloader.Result[V] {
		out := make([]*dataloader.Result[V], len(keys))
		vs, err := fetch(ctx, keys)
		if err == nil && len(vs) != len(keys) {
			err = errors.New("loader: batch returned a different number of results than keys")
		}
		for i := range keys {
			if err != nil {
				out[i] = &dataloader.Result[V]{Error: err}
			} else {
				out[i] = &dataloader.Result[V]{Data: vs[i]}
			}
		}
		return out
	}
	cache := dataloader.NewCache[string, V]()
	return &Loader[V]{
		Loader: dataloader.NewBatchedLoader(batch, dataloader.WithWait[string, V](wait), dataloader.WithCache[string, V](cache)),
		cache:  cache,
		fetch:  fetch,
	}
}

type ctxKey struct{}

// NewContext returns ctx carrying l.
func NewContext(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the loaders of the request in ctx.
func For(ctx context.Context) *Loaders {
	l, _ := ctx.Value(ctxKey{}).(*Loaders)
	if l == nil {
		panic("loader: no loaders in context; wrap the handler with loader.Middleware")
	}
	return l
}

// Middleware gives every request its own loaders.
func Middleware(cat hub.CatalogueService, wait time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), New(cat, wait))))
	})
}

// LoadAll loads every key with l and returns the values in key order, or
// the first error. When the caller asks for more than one key, the keys new
// to the request are fetched at once in one call, without the loader's
// wait: the caller
// (a resolver that has a whole list, or a prefetch) already holds the
// batch. The results go to the loader's cache for later levels and single
// loads. A single key goes through the loader, whose wait gathers it
// with the keys of sibling resolvers (gqlgen resolves each edge of a
// connection on its own).
func LoadAll[V any](ctx context.Context, l *Loader[V], keys []string) ([]V, error) {
	seen := make(map[string]bool, len(keys))
	var missing []string
	for _, k := range keys {
		if _, ok := l.cache.Get(ctx, k); !ok && !seen[k] {
			seen[k] = true
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 && len(keys) > 1 {
		vs, err := l.fetch(ctx, missing)
		if err == nil && len(vs) != len(missing) {
			err = errors.New("loader: batch returned a different number of results than keys")
		}
		if err != nil {
			return nil, err
		}
		for i, k := range missing {
			l.Prime(ctx, k, vs[i])
		}
	}
	// Every key is in the cache now, or on its way in a batch of sibling
	// loads, unless a single key is new: reading the cache's thunks costs
	// none of LoadMany's channels and goroutine.
	vs := make([]V, len(keys))
	for i, k := range keys {
		th, ok := l.cache.Get(ctx, k)
		if !ok {
			th = l.Load(ctx, k)
		}
		v, err := th()
		if err != nil {
			return nil, err
		}
		vs[i] = v
	}
	return vs, nil
}
