package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

// AccessService explains access and manages sharing agreements. Sharing
// writes run as hub_app, so the shares_write policy has the last word.
type AccessService struct {
	db  *DB
	cat *CatalogueService
}

// NewAccessService returns an AccessService over db.
func NewAccessService(db *DB) *AccessService {
	return &AccessService{db: db, cat: NewCatalogueService(db)}
}

var _ hub.AccessService = (*AccessService)(nil)

// Explain says whether the principal may read and write a value and which
// rule blocks it.
func (s *AccessService) Explain(ctx context.Context, indicator, region, period string) (*hub.AccessExplanation, error) {
	p, err := hub.Signed(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := hub.ParsePeriod(period); err != nil {
		return nil, err
	}
	inds, err := s.cat.IndicatorsByKey(ctx, []string{indicator})
	if err != nil {
		return nil, err
	}
	regions, err := s.cat.RegionsByCode(ctx, []string{region})
	if err != nil {
		return nil, err
	}
	if inds[0] == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有指标 %q / no indicator %q", indicator, indicator)
	}
	if regions[0] == nil {
		return nil, hub.Errorf(hub.ENOTFOUND, "没有地区 %q / no region %q", region, region)
	}
	f := &hub.ValueFacts{Principal: p, Indicator: inds[0], Region: regions[0], Period: period, Now: time.Now()}
	// The facts are read under the row policies, for every role: what the
	// caller may not read is absent, so a hidden value (a DRAFT to a
	// coordinator, an embargoed batch to the media office, an unshared
	// value to another department) and a cell nobody entered give the same
	// facts and the same answer.
	const facts = `SELECT (SELECT status FROM data_values
        WHERE indicator_key = $1 AND region_code = $2 AND period = $3 AND is_head),
       r.status IS NOT NULL, r.status, r.publish_at, coalesce(r.releasable, false)
FROM (SELECT 1) one
LEFT JOIN data_values r ON r.indicator_key = $1 AND r.region_code = $2 AND r.period = $3 AND r.is_released`
	// shared: an agreement with the principal's department covers the
	// indicator in this region (as the policies test it).
	const shared = `SELECT (text2ltree($1) || $2::ltree) <@ hub_shared_scopes()`
	q := facts
	err = s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(q, indicator, region, period).QueryRow(func(row pgx.Row) error {
			var head, released *string
			err := row.Scan(&head, &f.Released, &released, &f.PublishAt, &f.Releasable)
			if err != nil {
				return err
			}
			if head != nil {
				f.HeadStatus = hub.Status(*head)
			}
			if released != nil {
				f.ReleasedStatus = hub.Status(*released)
			}
			f.Exists = head != nil || f.Released
			return nil
		})
		b.Queue(shared, indicator, regions[0].Path).QueryRow(func(row pgx.Row) error { return row.Scan(&f.Shared) })
	})
	if err != nil {
		return nil, fmt.Errorf("explain access: %w", err)
	}
	return access.Explain(f), nil
}

// owner returns the department whose indicators a share request is about.
func owner(p *hub.Principal, r hub.ShareRequest) (string, error) {
	switch {
	case r.From != nil:
		return *r.From, nil
	case p.Department != nil:
		return *p.Department, nil
	}
	return "", hub.Errorf(hub.EINVALID, "请指定共享方部门 fromDepartment / say whose indicators to share: fromDepartment")
}

// Share records that r.From (default: the caller's department) shares
// r.Indicators (nil: all) with r.To in the subtree of r.Region (default:
// the caller's region). Sharing what is shared already changes nothing.
// The shares_audit trigger records each agreement made.
func (s *AccessService) Share(ctx context.Context, r hub.ShareRequest) error {
	return s.changeShares(ctx, r, "share")
}

// Revoke ends the agreements of r whose region lies in the subtree of
// r.Region (default: the caller's region): the named indicators, or every
// agreement between the two departments when r.Indicators is nil. An
// agreement of a region outside the caller's scope is FORBIDDEN.
func (s *AccessService) Revoke(ctx context.Context, r hub.ShareRequest) error {
	return s.changeShares(ctx, r, "unshare")
}

func (s *AccessService) changeShares(ctx context.Context, r hub.ShareRequest, action string) error {
	p, err := hub.Signed(ctx)
	if err != nil {
		return err
	}
	code := p.Region
	if r.Region != nil {
		code = *r.Region
	}
	regions, err := s.cat.RegionsByCode(ctx, []string{code})
	if err != nil {
		return fmt.Errorf("%s indicators: %w", action, err)
	}
	if regions[0] == nil {
		return hub.Errorf(hub.EINVALID, "没有地区 %q / no region %q", code, code)
	}
	region := regions[0]
	if err := access.ShareBlockedBy(p, region); err != nil {
		return err
	}
	from, err := owner(p, r)
	if err != nil {
		return err
	}
	const insert = `INSERT INTO shares (owner_department, grantee_department, indicator_key, region_code, created_by)
SELECT $1, $2, k, $4, hub_user() FROM unnest($3::text[]) AS k
ON CONFLICT DO NOTHING`
	const insertAll = `INSERT INTO shares (owner_department, grantee_department, indicator_key, region_code, created_by)
VALUES ($1, $2, NULL, $3, hub_user()) ON CONFLICT DO NOTHING`
	const remove = `DELETE FROM shares WHERE owner_department = $1 AND grantee_department = $2
AND ($3::text[] IS NULL OR indicator_key = ANY($3)) AND region_path <@ $4::ltree`
	// outside: agreements of the request that the caller's scope does not
	// cover (shares are readable by everybody, the policy lets the caller
	// delete only those of its scope).
	const outside = `SELECT region_code FROM shares WHERE owner_department = $1 AND grantee_department = $2
AND ($3::text[] IS NULL OR indicator_key = ANY($3)) AND NOT region_path <@ $4::ltree
AND region_path @> $5::ltree ORDER BY region_path LIMIT 1`
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		switch {
		case action == "unshare":
			var tag pgconn.CommandTag
			tag, err = tx.Exec(ctx, remove, from, r.To, r.Indicators, region.Path)
			if err != nil || tag.RowsAffected() > 0 {
				break
			}
			var other string
			switch err = tx.QueryRow(ctx, outside, from, r.To, r.Indicators, p.RegionPath, region.Path).Scan(&other); {
			case errors.Is(err, pgx.ErrNoRows):
				err = nil // nothing to revoke: revoking twice is harmless
			case err == nil:
				err = hub.Errorf(hub.EFORBIDDEN, "共享协议属于地区 %s，不在您的地区 %s 范围内 / the agreement belongs to region %s, outside your region %s",
					other, p.Region, other, p.Region)
			}
		case r.Indicators == nil:
			_, err = tx.Exec(ctx, insertAll, from, r.To, region.Code)
		default:
			_, err = tx.Exec(ctx, insert, from, r.To, r.Indicators, region.Code)
		}
		if err != nil {
			return shareError(err, from, r.To)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s indicators: %w", action, err)
	}
	return nil
}

func shareError(err error, from, to string) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch {
	case pgErr.Code == "23503" && strings.Contains(pgErr.ConstraintName, "indicator"):
		return hub.Errorf(hub.EINVALID, "只能共享 %s 部门自己的指标 / only indicators of %s can be shared by it", from, from)
	case pgErr.Code == "23503":
		return hub.Errorf(hub.EINVALID, "没有部门 %q 或 %q / no department %q or %q", from, to, from, to)
	case pgErr.Code == "23514":
		return hub.Errorf(hub.EINVALID, "部门不能与自己共享 / a department cannot share with itself")
	case pgErr.Code == "42501":
		return hub.Errorf(hub.EFORBIDDEN, "不能管理此共享协议：地区不在您的范围内 / you may not manage this agreement: its region is outside your scope")
	}
	return err
}

// Shares lists the agreements a department gives or receives, or all.
func (s *AccessService) Shares(ctx context.Context, department *string) ([]*hub.Share, error) {
	const q = `SELECT owner_department, grantee_department, indicator_key, region_code, created_at, created_by FROM shares
WHERE $1::text IS NULL OR owner_department = $1 OR grantee_department = $1
ORDER BY owner_department, grantee_department, indicator_key NULLS FIRST, region_path`
	shares, err := list(ctx, s.db, func(row pgx.CollectableRow) (*hub.Share, error) {
		var sh hub.Share
		err := row.Scan(&sh.Owner, &sh.Grantee, &sh.Indicator, &sh.Region, &sh.CreatedAt, &sh.CreatedBy)
		return &sh, err
	}, q, department)
	if err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	return shares, nil
}
