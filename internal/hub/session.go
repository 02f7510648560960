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
	// SignOn starts the session of a person single sign-on vouches for:
	// the user of id.Identity, created on first sign-on, with the role,
	// department and region id maps to. An unmapped identity (Role nil),
	// a disabled user, a service account or a name taken by another
	// account is FORBIDDEN, saying which. Every attempt is audited.
	SignOn(ctx context.Context, id SSOIdentity, address string) (*Session, error)
}

// SSOIdentity is a person single sign-on vouches for, in the hub's terms.
type SSOIdentity struct {
	// Identity is the provider's issuer and subject: who it is.
	Identity string
	// Name is the user name the provider gives (its username claim).
	Name string
	// Role, Department and Region are what the operator's mapping gives
	// the person's claims; Role nil: no rule of the mapping matched.
	Role       *Role
	Department *string
	Region     string
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
