package hub

import (
	"context"
	"time"
)

// Session is a logged-in browser: the cookie's secret Token, the CSRF token
// its forms must carry, and whom it acts for.
type Session struct {
	Token     string
	CSRF      string
	Expires   time.Time
	Principal *Principal
}

// SessionService logs users in with a password and keeps their sessions.
type SessionService interface {
	// Login returns a new session, UNAUTHENTICATED for a wrong name or
	// password, or RATE_LIMITED (with RetryAfter) while too many recent
	// failures of the name or from address (the client's address) make
	// it wait. Every attempt is audited.
	Login(ctx context.Context, name, password, address string) (*Session, error)
	// Session returns the live session of token, or UNAUTHENTICATED.
	Session(ctx context.Context, token string) (*Session, error)
	// Logout ends the session of token.
	Logout(ctx context.Context, token string) error
	// LogoutEverywhere ends every session of the user whose session token
	// is, this one included, and returns how many it ended.
	LogoutEverywhere(ctx context.Context, token string) (int, error)
}

// sessionKey carries the session a request came with; the HTTP edge puts
// it there once it has checked the cookie.
type sessionKey struct{}

// NewSessionContext returns ctx carrying s.
func NewSessionContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// SessionFrom returns the session in ctx, or nil.
func SessionFrom(ctx context.Context) *Session { return valueFrom[Session](ctx, sessionKey{}) }

// valueFrom returns the *T that ctx carries under key, or nil.
func valueFrom[T any](ctx context.Context, key any) *T {
	v, _ := ctx.Value(key).(*T)
	return v
}
