package hub

import (
	"context"
	"time"
)

// UserRecord is a user as administrators see it: never the password
// hash, only whether there is one.
type UserRecord struct {
	User
	Disabled    bool
	HasPassword bool
	CreatedAt   time.Time
}

// UserChange is a change of a user's role, department or region; nil
// fields stay as they are, an empty Department removes it.
type UserChange struct {
	Role       *Role
	Department *string
	Region     *string
}

// UserFilter selects users to list: by role, in the subtree of a region,
// a page of First names after After (by name).
type UserFilter struct {
	Role   *Role
	Region *string
	// Scope, when not empty, is a region path: only users of its subtree.
	Scope string
	First int
	After string
}

// UserService administers users for admins (GraphQL). Every method is
// FORBIDDEN for anyone but an admin, and for an admin acting on a user
// (or a region) outside their own subtree; every change is audited.
// Passwords are never set here: only with the CLI.
type UserService interface {
	Users(ctx context.Context, f UserFilter) ([]*UserRecord, error)
	CreateUser(ctx context.Context, u NewUser) (*UserRecord, error)
	UpdateUser(ctx context.Context, name string, c UserChange) (*UserRecord, error)
	SetDisabled(ctx context.Context, name string, disabled bool) (*UserRecord, error)
}

// Token is an API token as its owner or an operator sees it: never the
// secret nor its hash.
type Token struct {
	ID         int64
	User       string
	Name       *string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// NewToken is a token just made: Secret is shown once and never again.
type NewToken struct {
	Token  *Token
	Secret string
}

// MaxTokenLifetime bounds the lifetime of a self-service token (a year
// and a day): every token a user makes for themselves expires.
const MaxTokenLifetime = 366 * 24 * time.Hour

// MaxTokenName bounds a token's name, in characters.
const MaxTokenName = 100

// TokenService lets a signed-in user manage their own API tokens.
type TokenService interface {
	// MyTokens lists the caller's tokens, newest first, revoked ones too.
	MyTokens(ctx context.Context) ([]*Token, error)
	// CreateMyToken makes a named token for the caller that expires after
	// lifetime (1 s to MaxTokenLifetime).
	CreateMyToken(ctx context.Context, name string, lifetime time.Duration) (*NewToken, error)
	// RevokeMyToken revokes the caller's token id; another user's token
	// is NOT_FOUND.
	RevokeMyToken(ctx context.Context, id int64) (*Token, error)
}
