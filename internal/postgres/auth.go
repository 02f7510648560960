package postgres

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/hub"
)

// AuthService authenticates bearer tokens and manages users and tokens.
// User and token management runs on the owner's connection (the CLI);
// Authenticate runs on the app's.
type AuthService struct {
	db *DB
}

// NewAuthService returns an AuthService over db.
func NewAuthService(db *DB) *AuthService { return &AuthService{db: db} }

var _ hub.AuthService = (*AuthService)(nil)

// TouchInterval is how often at most Authenticate records a token's
// last_used_at: one write a minute per token in use, not one per request.
const TouchInterval = time.Minute

// tokenPrefix marks the hub's tokens, so that a leaked one is recognisable.
const tokenPrefix = "sph_"

// secretLen is the length of the secret part of tokens and session ids:
// 32 random bytes in unpadded base64url (randomToken, CreateToken).
const secretLen = 43

// wellFormed tells whether s could be a secret the hub made: prefix and
// then 43 base64url characters. Anything else is refused without a
// database round trip, so that checking a malformed credential costs
// nothing, whatever its size.
func wellFormed(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != secretLen {
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Authenticate returns the principal of token. The token is looked up by
// its SHA-256, so neither the token nor a timing of its comparison is ever
// in the database.
//
// Why this is safe against timing attacks without a constant-time compare
// in Go: the secret the client sends is never compared byte by byte with
// a stored secret. PostgreSQL's index lookup compares SHA-256 digests; an
// attacker who measures how long a guess takes learns at most how many
// leading bytes of the digest of their guess match a stored digest, and
// because SHA-256 is preimage-resistant that says nothing usable about any
// token (to exploit it they would need inputs with chosen digest prefixes).
// Tokens carry 256 random bits, so guessing is hopeless anyway.
func (s *AuthService) Authenticate(ctx context.Context, token string) (*hub.Principal, error) {
	// The same statement records when the token was last used, at most
	// once a minute per token (TouchInterval): most requests write nothing.
	const q = `WITH t AS (
  SELECT t.id, u.id AS user_id, u.name, u.role, u.department_code, u.region_code, r.path::text AS path,
         coalesce(t.expires_at <= now(), false) AS expired, t.last_used_at,
         extract(epoch FROM t.expires_at - now()) AS expires_in
  FROM tokens t JOIN users u ON u.id = t.user_id JOIN regions r ON r.code = u.region_code
  WHERE t.hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled
), touch AS (
  UPDATE tokens SET last_used_at = now()
  WHERE id = (SELECT id FROM t WHERE NOT expired AND (last_used_at IS NULL OR last_used_at < now() - $2 * interval '1 second'))
    AND (last_used_at IS NULL OR last_used_at < now() - $2 * interval '1 second')
)
SELECT user_id, name, role, department_code, region_code, path, expired, expires_in FROM t`
	if !wellFormed(token, tokenPrefix) {
		return nil, hub.Errorf(hub.EUNAUTHENTICATED, "令牌无效 / invalid token")
	}
	key := sha256.Sum256([]byte(token))
	start := time.Now()
	var gen uint64
	cache := s.db.tokens
	if cache != nil {
		var p hub.Principal
		var ok bool
		if p, gen, ok = cache.get(key); ok {
			return &p, nil
		}
	}
	var p hub.Principal
	var expired bool
	var expiresIn *float64
	err := s.db.pool.QueryRow(ctx, q, key[:], TouchInterval.Seconds()).Scan(&p.UserID, &p.Name, &p.Role, &p.Department, &p.Region, &p.RegionPath, &expired, &expiresIn)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hub.Errorf(hub.EUNAUTHENTICATED, "令牌无效或已吊销 / invalid or revoked token")
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", mapError(err))
	}
	if expired {
		return nil, hub.Errorf(hub.EUNAUTHENTICATED, "令牌已过期 / token expired")
	}
	if cache != nil {
		until := start.Add(cache.ttl)
		if expiresIn != nil {
			if exp := start.Add(time.Duration(*expiresIn * float64(time.Second))); exp.Before(until) {
				until = exp
			}
		}
		cache.putUntil(key, gen, p, until)
	}
	return &p, nil
}

// CreateUser creates a user. A missing department or region, or a name
// taken already, is a BAD_USER_INPUT error saying so.
func (s *AuthService) CreateUser(ctx context.Context, u hub.NewUser) (*hub.User, error) {
	if u.Role == hub.Analyst && (u.Department == nil || *u.Department == "") {
		return nil, hub.Errorf(hub.EINVALID, "分析员必须指定部门（--department）/ analysts need a department (--department)")
	}
	if u.Service && (u.Department == nil || *u.Department == "") {
		return nil, hub.Errorf(hub.EINVALID, "服务账号属于一个部门（--department）/ a service account belongs to a department (--department)")
	}
	if u.Service && u.Password != nil {
		return nil, hub.Errorf(hub.EINVALID, "服务账号只用令牌，不设密码 / a service account uses tokens only, never a password")
	}
	var hash *string
	if u.Password != nil {
		if err := hub.CheckPassword(u.Name, *u.Password); err != nil {
			return nil, err
		}
		h, err := HashPassword(*u.Password)
		if err != nil {
			return nil, err
		}
		hash = &h
	}
	q := `INSERT INTO users (name, role, department_code, region_code, service, password_hash) VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id`
	args := []any{u.Name, u.Role, u.Department, u.Region, u.Service, hash}
	if hash == nil {
		// hub_app may not write the password column at all (00057).
		q = `INSERT INTO users (name, role, department_code, region_code, service) VALUES ($1, $2, $3, $4, $5) RETURNING id`
		args = args[:5]
	}
	out := &hub.User{Name: u.Name, Role: u.Role, Department: u.Department, Region: u.Region, Service: u.Service}
	err := s.run(ctx, func(db querier) error { return db.QueryRow(ctx, q, args...).Scan(&out.ID) })
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505":
			return nil, hub.Errorf(hub.ECONFLICT, "用户 %q 已存在 / user %q exists already", u.Name, u.Name)
		case pgErr.Code == "23503" && strings.Contains(pgErr.ConstraintName, "department"):
			return nil, hub.Errorf(hub.EINVALID, "部门 %q 不存在 / no department %q", deref(u.Department), deref(u.Department))
		case pgErr.Code == "23503":
			return nil, hub.Errorf(hub.EINVALID, "地区 %q 不存在 / no region %q", u.Region, u.Region)
		case pgErr.Code == "23514":
			return nil, hub.Errorf(hub.EINVALID, "用户名 %q 无效：只可用字母、数字和 _.@-（最多 64 个）/ invalid user name %q", u.Name, u.Name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create user %s: %w", u.Name, mapError(err))
	}
	return out, nil
}

// EnsureUser returns the user named u.Name, creating it when missing.
func (s *AuthService) EnsureUser(ctx context.Context, u hub.NewUser) (*hub.User, error) {
	created, err := s.CreateUser(ctx, u)
	if hub.ErrorCode(err) != hub.ECONFLICT {
		return created, err
	}
	return s.User(ctx, u.Name)
}

// User returns the user with the given name, or NOT_FOUND.
func (s *AuthService) User(ctx context.Context, name string) (*hub.User, error) {
	var u hub.User
	err := s.db.pool.QueryRow(ctx, `SELECT id, name, role, department_code, region_code, service FROM users WHERE name = $1`, name).
		Scan(&u.ID, &u.Name, &u.Role, &u.Department, &u.Region, &u.Service)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有用户 %q（先运行 hub user create）/ no user %q (run hub user create first)", name, name)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %s: %w", name, err)
	}
	return &u, nil
}

// CreateToken returns a new bearer token for the user, without expiry.
// Only its hash is stored: the token cannot be shown again.
func (s *AuthService) CreateToken(ctx context.Context, userName string) (string, error) {
	t, err := s.IssueToken(ctx, userName, 0)
	if err != nil {
		return "", err
	}
	return t.Token, nil
}

// IssuedToken is a token just made: the secret (shown once) and its record.
type IssuedToken struct {
	ID        int64
	Token     string
	ExpiresAt *time.Time
}

// IssueToken returns a new bearer token for the user that expires after
// ttl (0: never). Rotation is issuing a new token, moving the client to
// it, then RevokeToken of the old one.
func (s *AuthService) IssueToken(ctx context.Context, userName string, ttl time.Duration) (*IssuedToken, error) {
	if ttl < 0 {
		return nil, hub.Errorf(hub.EINVALID, "有效期须为正 / the lifetime must be positive")
	}
	u, err := s.User(ctx, userName)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("random token: %w", err)
	}
	out := &IssuedToken{Token: tokenPrefix + base64.RawURLEncoding.EncodeToString(raw)}
	var ttlArg *string
	if ttl > 0 {
		v := fmt.Sprintf("%d seconds", int64(ttl.Seconds()))
		ttlArg = &v
	}
	err = s.db.pool.QueryRow(ctx, `INSERT INTO tokens (user_id, hash, expires_at) VALUES ($1, $2, now() + $3::interval)
RETURNING id, expires_at`, u.ID, hashToken(out.Token), ttlArg).Scan(&out.ID, &out.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("store token: %w", err)
	}
	return out, nil
}

// RevokeToken revokes token id (the id `hub token create` prints on
// stderr); revoking a revoked token changes nothing.
func (s *AuthService) RevokeToken(ctx context.Context, id int64) error {
	tag, err := s.db.pool.Exec(ctx, `UPDATE tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1`, id)
	s.forget()
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return hub.Errorf(hub.ENOTFOUND, "没有令牌 %d / no token %d", id, id)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
