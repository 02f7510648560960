package postgres

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/crypto/bcrypt"

	"github.com/sixprot/hub/internal/hub"
)

// SessionTTL is how long a browser session lasts.
const SessionTTL = 12 * time.Hour

// SessionService keeps browser sessions; it runs as hub_app and checks
// passwords through hub_login_attempt, so it never reads a hash.
type SessionService struct {
	db *DB
	// Backoff bounds password guessing; DefaultLoginBackoff unless set.
	Backoff LoginBackoff
}

// NewSessionService returns a SessionService over db with the default
// login back-off.
func NewSessionService(db *DB) *SessionService {
	return &SessionService{db: db, Backoff: DefaultLoginBackoff}
}

var _ hub.SessionService = (*SessionService)(nil)

// LoginBackoff makes password guessing slow: once MaxFailures failed logins
// of one user name, or from one client address, fall within Window, the
// next attempt must wait Base, doubling with every further failure (at
// most Window). Attempts that must wait are refused without checking the
// password. The counts live in PostgreSQL (migration 00046), so every
// replica behind a load balancer shares them.
type LoginBackoff struct {
	MaxFailures int
	Window      time.Duration
	Base        time.Duration
}

// DefaultLoginBackoff allows 5 failures in 15 minutes, then waits 30 s,
// 1 min, 2 min … up to 15 min.
var DefaultLoginBackoff = LoginBackoff{MaxFailures: 5, Window: 15 * time.Minute, Base: 30 * time.Second}

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

var errSessionExpired = hub.Errorf(hub.EUNAUTHENTICATED, "会话已过期，请重新登录 / session expired, log in again")

var errBadLogin = hub.Errorf(hub.EUNAUTHENTICATED, "用户名或密码错误 / wrong user name or password")

// Login checks the password and starts a session, in one statement:
// hub_login_attempt checks the back-off of the name and the address first,
// then the password, and records the failure or the success in the audit
// trail; the session is inserted only for a user it returned.
func (s *SessionService) Login(ctx context.Context, name, password, address string) (*hub.Session, error) {
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	csrf, err := randomToken()
	if err != nil {
		return nil, err
	}
	b := s.Backoff
	if b.MaxFailures <= 0 || b.Window <= 0 || b.Base <= 0 {
		b = DefaultLoginBackoff
	}
	const q = `WITH attempt AS (
  SELECT user_id, retry_after FROM hub_login_attempt($1, $2, $3, $4, $5 * interval '1 second', $6 * interval '1 second')
), session AS (
  INSERT INTO sessions (hash, user_id, csrf, expires_at)
  SELECT $7, user_id, $8, now() + $9::interval FROM attempt WHERE user_id IS NOT NULL
  RETURNING expires_at
)
SELECT attempt.retry_after, session.expires_at FROM attempt LEFT JOIN session ON true`
	sess := &hub.Session{Token: token, CSRF: csrf}
	var retry float64
	var expires *time.Time
	err = s.db.pool.QueryRow(ctx, q, name, password, address, b.MaxFailures, b.Window.Seconds(), b.Base.Seconds(),
		hashToken(token), csrf, SessionTTL.String()).Scan(&retry, &expires)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "55P03" {
		// Other attempts on the name or from the address hold its lock.
		e := hub.Errorf(hub.ERATELIMITED, "同时进行的登录尝试过多，请 1 秒后再试 / too many logins at once, try again in 1 s")
		e.RetryAfter = time.Second
		return nil, e
	}
	if err != nil {
		return nil, fmt.Errorf("login: %w", mapError(err))
	}
	if retry > 0 {
		secs := int(math.Ceil(retry))
		e := hub.Errorf(hub.ERATELIMITED, "登录失败次数过多，请 %d 秒后再试 / Too many failed logins, try again in %d s", secs, secs)
		e.RetryAfter = time.Duration(secs) * time.Second
		return nil, e
	}
	if expires == nil {
		return nil, errBadLogin
	}
	sess.Expires = *expires
	// The session as every later request sees it, with its principal.
	return s.Session(ctx, token)
}

// Session returns the live session of token.
func (s *SessionService) Session(ctx context.Context, token string) (*hub.Session, error) {
	const q = `SELECT s.csrf, s.expires_at, u.id, u.name, u.role, u.department_code, u.region_code, r.path::text
FROM sessions s JOIN users u ON u.id = s.user_id JOIN regions r ON r.code = u.region_code
WHERE s.hash = $1 AND s.expires_at > now() AND NOT u.disabled`
	if !wellFormed(token, "") {
		return nil, errSessionExpired
	}
	sess := &hub.Session{Token: token, Principal: &hub.Principal{}}
	p := sess.Principal
	err := s.db.pool.QueryRow(ctx, q, hashToken(token)).Scan(&sess.CSRF, &sess.Expires, &p.UserID, &p.Name, &p.Role, &p.Department, &p.Region, &p.RegionPath)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errSessionExpired
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

// LogoutEverywhere ends every session of the user of token: "sign out
// everywhere" after a lost laptop or a shared computer.
func (s *SessionService) LogoutEverywhere(ctx context.Context, token string) (int, error) {
	tag, err := s.db.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = (SELECT user_id FROM sessions WHERE hash = $1)`, hashToken(token))
	if err != nil {
		return 0, fmt.Errorf("logout everywhere: %w", mapError(err))
	}
	return int(tag.RowsAffected()), nil
}

// ssoRefusals word hub_sso_login's refusals (00058).
var ssoRefusals = map[string]string{
	"unmapped":        "您的统一身份认证账号没有对应的角色，请联系管理员 / your single sign-on account maps to no role of the hub: ask an administrator",
	"disabled":        "您的账号已停用，请联系管理员 / your account is disabled: ask an administrator",
	"service account": "服务账号不能登录 / service accounts cannot sign in",
	"name taken":      "用户名已被本地账号使用，请联系管理员 / your user name is taken by a local account: ask an administrator",
}

// SignOn starts the session of a person single sign-on vouches for, in
// one statement (hub_sso_login, 00058), which also audits it.
func (s *SessionService) SignOn(ctx context.Context, id hub.SSOIdentity, address string) (*hub.Session, error) {
	token, err := randomToken()
	if err != nil {
		return nil, err
	}
	csrf, err := randomToken()
	if err != nil {
		return nil, err
	}
	var uid *int64
	var refusal *string
	err = s.db.pool.QueryRow(ctx, `SELECT user_id, refusal FROM hub_sso_login($1, $2, $3, $4, $5, $6, $7, $8::interval, $9)`,
		id.Identity, id.Name, id.Role, id.Department, id.Region, hashToken(token), csrf, SessionTTL.String(), address).Scan(&uid, &refusal)
	// The sign-on may have given the user another role, department or
	// region: their bearer tokens stand for the new one from now on.
	s.db.forgetTokens()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (pgErr.Code == "23514" || pgErr.Code == "23502") {
		return nil, hub.Errorf(hub.EFORBIDDEN, "统一身份认证给出的用户名 %q 无效（只可用字母、数字和 _.@-）/ the user name %q from single sign-on is not valid here", id.Name, id.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("single sign-on: %w", mapError(err))
	}
	if refusal != nil {
		return nil, hub.Errorf(hub.EFORBIDDEN, "%s", ssoRefusals[*refusal])
	}
	return s.Session(ctx, token)
}

// SetPassword sets the password of user name; it runs on the owner's
// connection (the CLI, the demo), as user management does.
func (s *AuthService) SetPassword(ctx context.Context, name, password string) error {
	if err := hub.CheckPassword(name, password); err != nil {
		return err
	}
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
