package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
)

// Principal returns the principal of the named user, for commands an
// operator runs on a user's behalf (hub import --user). Disabled users
// are refused.
func (s *AuthService) Principal(ctx context.Context, name string) (*hub.Principal, error) {
	const q = `SELECT u.id, u.name, u.role, u.department_code, u.region_code, r.path::text, u.disabled
FROM users u JOIN regions r ON r.code = u.region_code WHERE u.name = $1`
	var p hub.Principal
	var disabled bool
	err := s.db.pool.QueryRow(ctx, q, name).Scan(&p.UserID, &p.Name, &p.Role, &p.Department, &p.Region, &p.RegionPath, &disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有用户 %q（先运行 hub user create）/ no user %q (run hub user create first)", name, name)
	}
	if err != nil {
		return nil, fmt.Errorf("find user %s: %w", name, err)
	}
	if disabled {
		return nil, hub.Errorf(hub.EFORBIDDEN, "用户 %q 已停用 / user %q is disabled", name, name)
	}
	return &p, nil
}
