package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/hub"
)

// UserRecord is a user as `hub user list` shows it: never the password
// hash, only whether there is one.
type UserRecord = hub.UserRecord

// UserChange is a change of a user's role, department or region.
type UserChange = hub.UserChange

// querier is what the account statements run on: the pool, or a
// transaction acting for a principal.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// run runs the statements of one account operation: in a transaction
// acting for the principal of ctx (as hub_app, under the row policies of
// migration 00057) when ctx carries one, as GraphQL's requests do; else
// on the pool as it is, the owner's connection of the CLI. One
// implementation serves both.
func (s *AuthService) run(ctx context.Context, fn func(q querier) error) error {
	if hub.PrincipalFrom(ctx) == nil {
		return fn(s.db.pool)
	}
	// Not db.tx: the callers map PostgreSQL's errors themselves (a
	// unique name, a missing department), so they get them unmapped.
	return pgx.BeginFunc(ctx, s.db.pool, func(tx pgx.Tx) error {
		sql, args := PrincipalSettings(ctx)
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("set principal: %w", err)
		}
		return fn(tx)
	})
}

// userColumns are a user's columns as ctx may read them: hub_app holds no
// SELECT on the password hash, so a principal's request asks
// hub_user_has_password (00057, admins only) whether there is one.
func userColumns(ctx context.Context) string {
	has := "u.password_hash IS NOT NULL"
	if hub.PrincipalFrom(ctx) != nil {
		has = "coalesce(hub_user_has_password(u.id), false)"
	}
	return `u.id, u.name, u.role, u.department_code, u.region_code, u.service, u.disabled, ` + has + `, u.created_at`
}

func scanUser(r pgx.Row) (*hub.UserRecord, error) {
	var u hub.UserRecord
	err := r.Scan(&u.ID, &u.Name, &u.Role, &u.Department, &u.Region, &u.Service, &u.Disabled, &u.HasPassword, &u.CreatedAt)
	return &u, err
}

// ListUsers returns the users f selects, by name (every user for a zero
// filter). f.First 0 means all.
func (s *AuthService) ListUsers(ctx context.Context, f hub.UserFilter) ([]*hub.UserRecord, error) {
	var limit any
	if f.First > 0 {
		limit = f.First
	}
	q := `SELECT ` + userColumns(ctx) + ` FROM users u JOIN regions r ON r.code = u.region_code
WHERE ($1::text IS NULL OR u.role = $1) AND ($2::text = '' OR r.path <@ $2::ltree)
  AND ($3::text IS NULL OR r.path <@ (SELECT path FROM regions WHERE code = $3)) AND u.name > $4
ORDER BY u.name LIMIT $5`
	var out []*hub.UserRecord
	err := s.run(ctx, func(db querier) error {
		rows, _ := db.Query(ctx, q, f.Role, f.Scope, f.Region, f.After, limit)
		var err error
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.UserRecord, error) { return scanUser(r) })
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", mapError(err))
	}
	return out, nil
}

// UserRecord returns user name with its region's path, or NOT_FOUND.
func (s *AuthService) UserRecord(ctx context.Context, name string) (*hub.UserRecord, string, error) {
	q := `SELECT ` + userColumns(ctx) + `, r.path::text FROM users u JOIN regions r ON r.code = u.region_code WHERE u.name = $1`
	var u hub.UserRecord
	var path string
	err := s.run(ctx, func(db querier) error {
		return db.QueryRow(ctx, q, name).Scan(&u.ID, &u.Name, &u.Role, &u.Department, &u.Region, &u.Service,
			&u.Disabled, &u.HasPassword, &u.CreatedAt, &path)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", hub.Errorf(hub.ENOTFOUND, "没有用户 %q / no user %q", name, name)
	}
	if err != nil {
		return nil, "", fmt.Errorf("find user %s: %w", name, mapError(err))
	}
	return &u, path, nil
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
// users.disabled on every request); disabling also ends their sessions
// (trigger users_end_sessions, 00057), so enabling again does not revive
// them. The users_audit trigger records it.
func (s *AuthService) SetDisabled(ctx context.Context, name string, disabled bool) error {
	var tag pgconn.CommandTag
	err := s.run(ctx, func(db querier) error {
		var err error
		tag, err = db.Exec(ctx, `UPDATE users SET disabled = $2 WHERE name = $1`, name, disabled)
		return err
	})
	s.forget()
	if err != nil {
		return fmt.Errorf("disable user %s: %w", name, mapError(err))
	}
	if tag.RowsAffected() == 0 {
		return hub.Errorf(hub.ENOTFOUND, "没有用户 %q / no user %q", name, name)
	}
	return nil
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
	err := s.run(ctx, func(db querier) error {
		return db.QueryRow(ctx, q, name, c.Role, c.Department != nil, dept, c.Region).
			Scan(&u.ID, &u.Name, &u.Role, &u.Department, &u.Region, &u.Service)
	})
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
		return nil, fmt.Errorf("update user %s: %w", name, mapError(err))
	}
	return &u, nil
}

// TokenRecord is a token as `hub token list` shows it: never the secret
// nor its hash.
type TokenRecord = hub.Token

// ListTokens returns the tokens of user (every user's when empty), newest
// first.
func (s *AuthService) ListTokens(ctx context.Context, user string) ([]*TokenRecord, error) {
	if user != "" {
		if _, err := s.User(ctx, user); err != nil {
			return nil, err
		}
	}
	rows, _ := s.db.pool.Query(ctx, `SELECT `+tokenColumns+`
FROM tokens t JOIN users u ON u.id = t.user_id WHERE $1 = '' OR u.name = $1 ORDER BY t.id DESC`, user)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*TokenRecord, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

const tokenColumns = `t.id, u.name, t.name, t.created_at, t.last_used_at, t.expires_at, t.revoked_at`

func scanToken(r pgx.Row) (*hub.Token, error) {
	var t hub.Token
	err := r.Scan(&t.ID, &t.User, &t.Name, &t.CreatedAt, &t.LastUsedAt, &t.ExpiresAt, &t.RevokedAt)
	return &t, err
}
