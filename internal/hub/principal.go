package hub

import (
	"context"
	"strings"
)

// Principal is who a request acts for. It travels in the context and
// reaches every query: the storage layer hands it to PostgreSQL, whose
// policies decide what the principal may read and write.
type Principal struct {
	UserID     int64
	Name       string
	Role       Role
	Department *string
	Region     string
	// RegionPath is the path of Region; the principal's scope is its subtree.
	RegionPath string
}

type principalKey struct{}

// NewContext returns ctx carrying p.
func NewContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// ErrNoPrincipal is the one error of a request that acts for nobody (no
// session, no bearer token), whichever service or route refuses it.
var ErrNoPrincipal = &Error{Code: EUNAUTHENTICATED,
	Message: "需要登录：请先登录或提供 Bearer 令牌 / authentication required: sign in or send Authorization: Bearer <token>"}

// Signed returns the principal in ctx, or ErrNoPrincipal when the request
// acts for nobody.
func Signed(ctx context.Context) (*Principal, error) {
	if p := PrincipalFrom(ctx); p != nil {
		return p, nil
	}
	return nil, ErrNoPrincipal
}

// User is an account of the hub.
type User struct {
	ID         int64
	Name       string
	Role       Role
	Department *string
	Region     string
	// Service marks a machine identity of a department (a platform that
	// sends figures): tokens only, no password, no dashboard login.
	Service bool
}

// NewUser describes a user to create.
type NewUser struct {
	Name       string
	Role       Role
	Department *string
	Region     string
	Password   *string
	// Service creates a service account: it needs a department and takes
	// no password.
	Service bool
}

// AuthService turns bearer tokens into principals and manages accounts.
type AuthService interface {
	// Authenticate returns the principal of a token, or an UNAUTHENTICATED error.
	Authenticate(ctx context.Context, token string) (*Principal, error)
}

type channelKey struct{}

// Channels a change comes through, as the audit trail records them.
const (
	ChannelAPI    = "API"
	ChannelImport = "IMPORT"
	ChannelCLI    = "CLI"
)

// ImportChannel is the channel of an import of the named file.
func ImportChannel(file string) string { return "import:" + file }

// SplitChannel returns the kind of a channel (API, IMPORT, CLI, …, upper
// case) and the file name after the first colon of "import:figures.csv".
func SplitChannel(channel string) (kind, file string) {
	kind, file, _ = strings.Cut(channel, ":")
	return strings.ToUpper(kind), file
}

// NewChannelContext returns ctx carrying the channel a change comes through
// ("api", "import:figures.csv", "cli"), which the audit trail records.
func NewChannelContext(ctx context.Context, channel string) context.Context {
	return context.WithValue(ctx, channelKey{}, channel)
}

// ChannelFrom returns the channel in ctx, or "api" (ChannelAPI).
func ChannelFrom(ctx context.Context) string {
	if c, ok := ctx.Value(channelKey{}).(string); ok {
		return c
	}
	return "api"
}
