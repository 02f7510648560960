package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
)

// authChannel is the channel migration 00067's triggers notify when a
// token, a user or a region changes in a way that changes who a token
// stands for or whether it still works.
const authChannel = "hub_auth"

// maxCachedTokens bounds the cache; when full it is emptied (a miss costs
// one lookup, so the bound matters more than the eviction order).
const maxCachedTokens = 10_000

// tokenCache keeps the principals of recently seen tokens for a short
// time. It serves only while its listener is listening: a cache that
// could miss a revocation is no cache.
type tokenCache struct {
	ttl time.Duration

	mu      sync.Mutex
	live    bool   // LISTEN hub_auth is active on the listener's connection
	gen     uint64 // bumped by every clear, so a lookup racing a clear stores nothing
	entries map[[sha256.Size]byte]cachedPrincipal
}

type cachedPrincipal struct {
	p     hub.Principal
	until time.Time
}

func (c *tokenCache) get(key [sha256.Size]byte, now time.Time) (*hub.Principal, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		return nil, c.gen, false
	}
	e, ok := c.entries[key]
	if !ok || !now.Before(e.until) {
		return nil, c.gen, false
	}
	p := e.p
	return &p, c.gen, true
}

// put stores p unless the cache was cleared since gen was read: the
// lookup that produced p may have read the row before the change that
// cleared the cache committed.
func (c *tokenCache) put(key [sha256.Size]byte, gen uint64, p *hub.Principal, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	if len(c.entries) >= maxCachedTokens {
		clear(c.entries)
	}
	c.entries[key] = cachedPrincipal{p: *p, until: until}
}

// clear empties the cache; live says whether it may serve afterwards.
func (c *tokenCache) clear(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.gen++
	clear(c.entries)
}

// CacheTokens makes Authenticate keep each token's principal for up to
// ttl (never past the token's expiry), so that most requests skip the
// token lookup's round trip. Revocations, disabled users and changed
// roles, departments, scopes or regions clear the cache of every process
// as soon as PostgreSQL delivers the hub_auth notification of their
// commit (migration 00067); those made through this AuthService clear it
// before they return. A dedicated connection listens until ctx ends;
// while it is down (the database restarts), the cache is empty and
// unused, and it reconnects every second.
//
// It returns an error when the first LISTEN fails; ttl <= 0 does nothing.
// Call it at most once, before serving.
func (s *AuthService) CacheTokens(ctx context.Context, ttl time.Duration, log *slog.Logger) error {
	if ttl <= 0 {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &tokenCache{ttl: ttl, entries: map[[sha256.Size]byte]cachedPrincipal{}}
	conn, err := s.listen(ctx)
	if err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	c.clear(true)
	s.cache = c
	go func() {
		for {
			err := waitNotifications(ctx, conn, c)
			c.clear(false)
			conn.Close(context.Background())
			if ctx.Err() != nil {
				return
			}
			log.Warn("token cache off until the listener reconnects", "err", err)
			for {
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Second):
				}
				if conn, err = s.listen(ctx); err == nil {
					// Whatever changed while nobody listened is forgotten with the cache.
					c.clear(true)
					log.Info("token cache on again")
					break
				}
			}
		}
	}()
	return nil
}

// listen opens a connection of its own (not one of the pool's) and
// listens on the auth channel.
func (s *AuthService) listen(ctx context.Context) (*pgx.Conn, error) {
	cc := s.db.pool.Config().ConnConfig.Copy()
	cc.RuntimeParams["application_name"] = "hub token cache"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+authChannel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

func waitNotifications(ctx context.Context, conn *pgx.Conn, c *tokenCache) error {
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		c.clear(true)
	}
}

// forget clears the cache after a change made through this service, so
// that this process never serves the old principal, whatever the
// notification's delay.
func (s *AuthService) forget() {
	if s.cache != nil {
		s.cache.clear(true)
	}
}
