package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/hub"
)

// UserRecord is a user as `hub user list` shows it: never the password
// hash, only whether there is one.
type UserRecord struct {
	hub.User
	Disabled    bool
	HasPassword bool
	CreatedAt   time.Time
}

// ListUsers returns every user, by name. It runs on the owner's connection.
func (s *AuthService) ListUsers(ctx context.Context) ([]UserRecord, error) {
	rows, _ := s.db.pool.Query(ctx, `SELECT id, name, role, department_code, region_code, service, disabled,
       password_hash IS NOT NULL, created_at FROM users ORDER BY name`)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (UserRecord, error) {
		var u UserRecord
		err := r.Scan(&u.ID, &u.Name, &u.Role, &u.Department, &u.Region, &u.Service, &u.Disabled, &u.HasPassword, &u.CreatedAt)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// HasPassword tells whether user name has a password (the demo keeps an
// existing one).
func (s *AuthService) HasPassword(ctx context.Context, name string) (bool, error) {
	var has bool
	err := s.db.pool.QueryRow(ctx, `SELECT password_hash IS NOT NULL FROM users WHERE name = $1`, name).Scan(&has)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, hub.Errorf(hub.ENOTFOUND, "没有用户 %q / no user %q", name, name)
	}
	if err != nil {
		return false, fmt.Errorf("password of %s: %w", name, err)
	}
	return has, nil
}

// SetDisabled disables or enables user name. A disabled user's tokens and
// sessions stop working at once (Authenticate and Session read
// users.disabled on every request); disabling also ends their sessions, so
// enabling again does not revive them. The users_audit trigger records it.
func (s *AuthService) SetDisabled(ctx context.Context, name string, disabled bool) error {
	const q = `WITH u AS (UPDATE users SET disabled = $2 WHERE name = $1 RETURNING id),
ended AS (DELETE FROM sessions WHERE $2 AND user_id IN (SELECT id FROM u))
SELECT count(*) FROM u`
	var n int
	err := s.db.pool.QueryRow(ctx, q, name, disabled).Scan(&n)
	s.forget()
	if err != nil {
		return fmt.Errorf("disable user %s: %w", name, err)
	}
	if n == 0 {
		return hub.Errorf(hub.ENOTFOUND, "没有用户 %q / no user %q", name, name)
	}
	return nil
}

// UserChange is a change of a user's role, department or region; nil
// fields stay as they are, an empty Department removes it.
type UserChange struct {
	Role       *hub.Role
	Department *string
	Region     *string
}

// UpdateUser changes the role, department or region of user name in one
// statement; the users_audit trigger records each change.
func (s *AuthService) UpdateUser(ctx context.Context, name string, c UserChange) (*hub.User, error) {
	if c.Role == nil && c.Department == nil && c.Region == nil {
		return nil, hub.Errorf(hub.EINVALID, "没有要修改的内容（--role、--department、--region）/ nothing to change (--role, --department, --region)")
	}
	var dept *string
	if c.Department != nil && *c.Department != "" {
		dept = c.Department
	}
	const q = `UPDATE users SET role = coalesce($2, role),
  department_code = CASE WHEN $3 THEN $4 ELSE department_code END,
  region_code = coalesce($5, region_code)
WHERE name = $1 RETURNING id, name, role, department_code, region_code, service`
	var u hub.User
	err := s.db.pool.QueryRow(ctx, q, name, c.Role, c.Department != nil, dept, c.Region).
		Scan(&u.ID, &u.Name, &u.Role, &u.Department, &u.Region, &u.Service)
	s.forget()
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, hub.Errorf(hub.ENOTFOUND, "没有用户 %q / no user %q", name, name)
	case errors.As(err, &pgErr) && pgErr.Code == "23503" && strings.Contains(pgErr.ConstraintName, "department"):
		return nil, hub.Errorf(hub.EINVALID, "部门 %q 不存在 / no department %q", deref(dept), deref(dept))
	case errors.As(err, &pgErr) && pgErr.Code == "23503":
		return nil, hub.Errorf(hub.EINVALID, "地区 %q 不存在 / no region %q", deref(c.Region), deref(c.Region))
	case errors.As(err, &pgErr) && pgErr.Code == "23514" && pgErr.ConstraintName == "users_check":
		return nil, hub.Errorf(hub.EINVALID, "分析员必须指定部门（--department）/ analysts need a department (--department)")
	case errors.As(err, &pgErr) && pgErr.Code == "23514":
		return nil, hub.Errorf(hub.EINVALID, "修改被拒绝（%s）/ change refused (%s)", pgErr.ConstraintName, pgErr.ConstraintName)
	case err != nil:
		return nil, fmt.Errorf("update user %s: %w", name, err)
	}
	return &u, nil
}

// TokenRecord is a token as `hub token list` shows it: never the secret
// nor its hash.
type TokenRecord struct {
	ID         int64
	User       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// ListTokens returns the tokens of user (every user's when empty), newest
// first.
func (s *AuthService) ListTokens(ctx context.Context, user string) ([]TokenRecord, error) {
	if user != "" {
		if _, err := s.User(ctx, user); err != nil {
			return nil, err
		}
	}
	rows, _ := s.db.pool.Query(ctx, `SELECT t.id, u.name, t.created_at, t.last_used_at, t.expires_at, t.revoked_at
FROM tokens t JOIN users u ON u.id = t.user_id WHERE $1 = '' OR u.name = $1 ORDER BY t.id DESC`, user)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TokenRecord, error) {
		var t TokenRecord
		err := r.Scan(&t.ID, &t.User, &t.CreatedAt, &t.LastUsedAt, &t.ExpiresAt, &t.RevokedAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}
