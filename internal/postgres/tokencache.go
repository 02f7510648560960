package postgres

import (
	"crypto/sha256"
	"time"

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
// time, by the SHA-256 of the token.
type tokenCache = notifiedCache[[sha256.Size]byte, hub.Principal]

// CacheTokens makes Authenticate keep each token's principal for up to
// ttl (never past the token's expiry), so that most requests skip the
// token lookup's round trip. Revocations, disabled users and changed
// roles, departments, scopes or regions clear the cache of every process
// as soon as PostgreSQL delivers the hub_auth notification of their
// commit (migration 00067) to l, the process's one LISTEN connection;
// those made through any AuthService over the same DB (hub serve's user
// and token services, not only this one) or by a single sign-on clear it
// before they return. While l's connection is down (the database
// restarts), the cache is empty and unused.
//
// ttl <= 0 does nothing. Call it at most once per DB, before l.Run and
// serving.
func (s *AuthService) CacheTokens(l *Listener, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	s.db.tokens = newNotifiedCache[[sha256.Size]byte, hub.Principal](ttl, maxCachedTokens)
	l.watch(s.db.tokens, authChannel)
}

// forget clears the cache after a change made through this service, so
// that this process never serves the old principal, whatever the
// notification's delay.
func (s *AuthService) forget() { s.db.forgetTokens() }

// forgetTokens clears the token cache of db, if any.
func (db *DB) forgetTokens() {
	if db.tokens != nil {
		db.tokens.empty()
	}
}
