package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/sixprot/hub/internal/hub"
)

// SessionTTL is how long a browser session lasts.
const SessionTTL = 12 * time.Hour

// SessionService keeps browser sessions; it runs as hub_app and checks
// passwords through hub_check_password, so it never reads a hash.
type SessionService struct{ db *DB }

// NewSessionService returns a SessionService over db.
func NewSessionService(db *DB) *SessionService { return &SessionService{db: db} }

var _ hub.SessionService = (*SessionService)(nil)

// HashPassword returns the bcrypt hash stored for password.
func HashPassword(password string) (string, error) {
	if len(password) < 8 || len(password) > 72 {
		return "", hub.Errorf(hub.EINVALID, "密码应为 8–72 个字节 / a password needs 8 to 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

func randomToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

var errBadLogin = hub.Errorf(hub.EUNAUTHENTICATED, "用户名或密码错误 / wrong user name or password")

// Login checks the password and starts a session.
func (s *SessionService) Login(ctx context.Context, name, password string) (*hub.Session, error) {
	if name == "" || password == "" || len(password) > 72 {
		return nil, errBadLogin
	}
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	csrf, err := randomToken()
	if err != nil {
		return nil, err
	}
	const q = `INSERT INTO sessions (hash, user_id, csrf, expires_at)
SELECT $3, id, $4, now() + $5::interval FROM (SELECT hub_check_password($1, $2) AS id) c
WHERE id IS NOT NULL
RETURNING expires_at`
	sess := &hub.Session{Token: token, CSRF: csrf}
	err = s.db.pool.QueryRow(ctx, q, name, password, hashToken(token), csrf, SessionTTL.String()).Scan(&sess.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errBadLogin
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	// The session as every later request sees it, with its principal.
	return s.Session(ctx, token)
}

// Session returns the live session of token.
func (s *SessionService) Session(ctx context.Context, token string) (*hub.Session, error) {
	const q = `SELECT s.csrf, s.expires_at, u.id, u.name, u.role, u.department_code, u.region_code, r.path::text
FROM sessions s JOIN users u ON u.id = s.user_id JOIN regions r ON r.code = u.region_code
WHERE s.hash = $1 AND s.expires_at > now() AND NOT u.disabled`
	sess := &hub.Session{Token: token, Principal: &hub.Principal{}}
	p := sess.Principal
	err := s.db.pool.QueryRow(ctx, q, hashToken(token)).Scan(&sess.CSRF, &sess.Expires, &p.UserID, &p.Name, &p.Role, &p.Department, &p.Region, &p.RegionPath)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hub.Errorf(hub.EUNAUTHENTICATED, "会话已过期，请重新登录 / session expired, log in again")
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	return sess, nil
}

// Logout ends the session of token (and any expired ones).
func (s *SessionService) Logout(ctx context.Context, token string) error {
	if _, err := s.db.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1 OR expires_at < now()`, hashToken(token)); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// SetPassword sets the password of user name; it runs on the owner's
// connection (the CLI, the demo), as user management does.
func (s *AuthService) SetPassword(ctx context.Context, name, password string) error {
	h, err := HashPassword(password)
	if err != nil {
		return err
	}
	tag, err := s.db.pool.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE name = $1`, name, h)
	if err != nil {
		return fmt.Errorf("set password of %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return hub.Errorf(hub.ENOTFOUND, "没有用户 %q / no user %q", name, name)
	}
	return nil
}
