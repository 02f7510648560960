package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

// UserService administers users for admins over GraphQL. It checks who
// may (access.UserAdminBlockedBy, in words) and then runs the CLI's own
// statements of AuthService as the admin, under the row policies of
// migration 00057, so a check forgotten here is still refused by
// PostgreSQL.
type UserService struct{ auth *AuthService }

// NewUserService returns a UserService over db (the app's pool).
func NewUserService(db *DB) *UserService { return &UserService{auth: NewAuthService(db)} }

var _ hub.UserService = (*UserService)(nil)

// admin returns the caller when they administer users at all.
func admin(ctx context.Context) (*hub.Principal, error) {
	p := hub.PrincipalFrom(ctx)
	return p, access.UserAdminBlockedBy(p, "", "")
}

// Users lists the users of the caller's subtree.
func (s *UserService) Users(ctx context.Context, f hub.UserFilter) ([]*hub.UserRecord, error) {
	p, err := admin(ctx)
	if err != nil {
		return nil, err
	}
	if f.First < 1 || f.First > hub.MaxPageSize {
		return nil, hub.Errorf(hub.EINVALID, "first 应为 1–%d / first must be 1 to %d", hub.MaxPageSize, hub.MaxPageSize)
	}
	f.Scope = p.RegionPath
	return s.auth.ListUsers(ctx, f)
}

// regionPath returns the path of region code, BAD_USER_INPUT when there
// is no such region.
func (s *UserService) regionPath(ctx context.Context, code string) (string, error) {
	var path string
	err := s.auth.db.pool.QueryRow(ctx, `SELECT path::text FROM regions WHERE code = $1`, code).Scan(&path)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", hub.Errorf(hub.EINVALID, "地区 %q 不存在 / no region %q", code, code)
	}
	if err != nil {
		return "", fmt.Errorf("region %s: %w", code, mapError(err))
	}
	return path, nil
}

// CreateUser creates a user in the caller's subtree (region default: the
// caller's), without a password: the user signs in once an operator sets
// one (hub user password) or through single sign-on.
func (s *UserService) CreateUser(ctx context.Context, u hub.NewUser) (*hub.UserRecord, error) {
	p, err := admin(ctx)
	if err != nil {
		return nil, err
	}
	if u.Password != nil {
		return nil, hub.Errorf(hub.EINVALID, "密码只能用命令行设置（hub user password）/ passwords are set with the CLI only (hub user password)")
	}
	if u.Region == "" {
		u.Region = p.Region
	}
	path, err := s.regionPath(ctx, u.Region)
	if err != nil {
		return nil, err
	}
	if err := access.UserAdminBlockedBy(p, u.Region, path); err != nil {
		return nil, err
	}
	if _, err := s.auth.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	r, _, err := s.auth.UserRecord(ctx, u.Name)
	return r, err
}

// target returns user name when the caller may administer it.
func (s *UserService) target(ctx context.Context, name string) (*hub.UserRecord, error) {
	p, err := admin(ctx)
	if err != nil {
		return nil, err
	}
	u, path, err := s.auth.UserRecord(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := access.UserAdminBlockedBy(p, fmt.Sprintf("用户 / user %s (%s)", u.Name, u.Region), path); err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateUser changes the role, department or region of a user of the
// caller's subtree; a new region must be in it too.
func (s *UserService) UpdateUser(ctx context.Context, name string, c hub.UserChange) (*hub.UserRecord, error) {
	if _, err := s.target(ctx, name); err != nil {
		return nil, err
	}
	if c.Region != nil {
		path, err := s.regionPath(ctx, *c.Region)
		if err != nil {
			return nil, err
		}
		if err := access.UserAdminBlockedBy(hub.PrincipalFrom(ctx), *c.Region, path); err != nil {
			return nil, err
		}
	}
	if _, err := s.auth.UpdateUser(ctx, name, c); err != nil {
		return nil, err
	}
	r, _, err := s.auth.UserRecord(ctx, name)
	return r, err
}

// SetDisabled disables or enables a user of the caller's subtree.
// Disabling oneself is refused: nobody would be left to undo it here.
func (s *UserService) SetDisabled(ctx context.Context, name string, disabled bool) (*hub.UserRecord, error) {
	if _, err := s.target(ctx, name); err != nil {
		return nil, err
	}
	if p := hub.PrincipalFrom(ctx); disabled && p.Name == name {
		return nil, hub.Errorf(hub.EINVALID, "不能停用自己的账号 / you cannot disable your own account")
	}
	if err := s.auth.SetDisabled(ctx, name, disabled); err != nil {
		return nil, err
	}
	r, _, err := s.auth.UserRecord(ctx, name)
	return r, err
}

var _ hub.TokenService = (*AuthService)(nil)

// maxListedTokens bounds MyTokens: the newest ones.
const maxListedTokens = 200

// MyTokens lists the caller's tokens, newest first (at most 200).
func (s *AuthService) MyTokens(ctx context.Context) ([]*hub.Token, error) {
	p, err := hub.Signed(ctx)
	if err != nil {
		return nil, err
	}
	var out []*hub.Token
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id
WHERE t.user_id = $1 ORDER BY t.id DESC LIMIT $2`, p.UserID, maxListedTokens)
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.Token, error) { return scanToken(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("my tokens: %w", err)
	}
	return out, nil
}

// CheckTokenName returns the trimmed name of a new token, or
// BAD_USER_INPUT when it is empty or too long.
func CheckTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > hub.MaxTokenName || !utf8.ValidString(name) {
		return "", hub.Errorf(hub.EINVALID, "令牌名称应为 1–%d 个字符 / a token's name needs 1 to %d characters", hub.MaxTokenName, hub.MaxTokenName)
	}
	return name, nil
}

// CreateMyToken makes a named token for the caller through
// hub_token_create (00057), which acts for the request's user only.
func (s *AuthService) CreateMyToken(ctx context.Context, name string, lifetime time.Duration) (*hub.NewToken, error) {
	p, err := hub.Signed(ctx)
	if err != nil {
		return nil, err
	}
	if name, err = CheckTokenName(name); err != nil {
		return nil, err
	}
	if lifetime < time.Second || lifetime > hub.MaxTokenLifetime {
		return nil, hub.Errorf(hub.EINVALID, "有效期应为 1 秒到 %d 天 / the lifetime must be 1 s to %d days",
			int(hub.MaxTokenLifetime.Hours()/24), int(hub.MaxTokenLifetime.Hours()/24))
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("random token: %w", err)
	}
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := &hub.Token{User: p.Name, Name: &name}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, created_at, expires_at FROM hub_token_create($1, $2, $3 * interval '1 second')`,
			name, hashToken(secret), int64(lifetime.Seconds())).Scan(&t.ID, &t.CreatedAt, &t.ExpiresAt)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hub.Errorf(hub.EUNAUTHENTICATED, "账号已停用 / the account is disabled")
	}
	if err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	return &hub.NewToken{Token: t, Secret: secret}, nil
}

// RevokeMyToken revokes the caller's token id through hub_token_revoke
// (00057); another user's token is NOT_FOUND, as if it did not exist.
func (s *AuthService) RevokeMyToken(ctx context.Context, id int64) (*hub.Token, error) {
	p, err := hub.Signed(ctx)
	if err != nil {
		return nil, err
	}
	var t *hub.Token
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT hub_token_revoke($1)`, id).Scan(&ok); err != nil {
			return err
		}
		if !ok {
			return hub.Errorf(hub.ENOTFOUND, "没有令牌 %d / no token %d", id, id)
		}
		var err error
		t, err = scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens t JOIN users u ON u.id = t.user_id
WHERE t.id = $1 AND t.user_id = $2`, id, p.UserID))
		return err
	})
	s.forget()
	if err != nil {
		return nil, fmt.Errorf("revoke token %d: %w", id, err)
	}
	return t, nil
}
