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
	p := hub.PrincipalFrom(ctx)
	if p == nil {
		return nil, hub.Errorf(hub.EUNAUTHENTICATED, "需要登录 / authentication required")
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
	const facts = `SELECT head_status, released, released_status, publish_at, releasable FROM hub_value_facts($1, $2, $3)`
	// The media office learns nothing of values it may not read, not even
	// that they exist (an embargoed batch's cells, an unpublished headline
	// figure): its facts are read under the row policies, so that a hidden
	// value and a missing one give the same facts and the same answer.
	const mediaFacts = `SELECT NULL::text, true, status, publish_at, releasable FROM data_values
WHERE indicator_key = $1 AND region_code = $2 AND period = $3 AND is_released`
	const shared = `SELECT $1 IN (SELECT hub_shared_indicators())`
	q := facts
	if p.Role == hub.Media {
		q = mediaFacts
	}
	err = s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(q, indicator, region, period).QueryRow(func(row pgx.Row) error {
			var head, released *string
			err := row.Scan(&head, &f.Released, &released, &f.PublishAt, &f.Releasable)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // no row the media office may read
			} else if err != nil {
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
		b.Queue(shared, indicator).QueryRow(func(row pgx.Row) error { return row.Scan(&f.Shared) })
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
// r.Indicators (nil: all) with r.To. Sharing what is shared already
// changes nothing.
func (s *AccessService) Share(ctx context.Context, r hub.ShareRequest) error {
	return s.changeShares(ctx, r, "share")
}

// Revoke ends the agreements of r: the named indicators, or every
// agreement between the two departments when r.Indicators is nil.
func (s *AccessService) Revoke(ctx context.Context, r hub.ShareRequest) error {
	return s.changeShares(ctx, r, "unshare")
}

func (s *AccessService) changeShares(ctx context.Context, r hub.ShareRequest, action string) error {
	p := hub.PrincipalFrom(ctx)
	if p == nil {
		return hub.Errorf(hub.EUNAUTHENTICATED, "需要登录 / authentication required")
	}
	from, err := owner(p, r)
	if err != nil {
		return err
	}
	if err := access.ShareBlockedBy(p, from); err != nil {
		return err
	}
	const insert = `INSERT INTO shares (owner_department, grantee_department, indicator_key, created_by)
SELECT $1, $2, k, hub_user() FROM unnest($3::text[]) AS k
ON CONFLICT DO NOTHING`
	const insertAll = `INSERT INTO shares (owner_department, grantee_department, indicator_key, created_by)
VALUES ($1, $2, NULL, hub_user()) ON CONFLICT DO NOTHING`
	const remove = `DELETE FROM shares WHERE owner_department = $1 AND grantee_department = $2
AND ($3::text[] IS NULL OR indicator_key = ANY($3))`
	const audit = `INSERT INTO audit_log (actor, actor_role, channel, action, department_code, detail)
VALUES (hub_user(), hub_role(), hub_channel(), $1, $2, $3)`
	detail := fmt.Sprintf("%s → %s: %s", from, r.To, "all indicators")
	if r.Indicators != nil {
		detail = fmt.Sprintf("%s → %s: %s", from, r.To, strings.Join(r.Indicators, ", "))
	}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		var err error
		switch {
		case action == "unshare":
			_, err = tx.Exec(ctx, remove, from, r.To, r.Indicators)
		case r.Indicators == nil:
			_, err = tx.Exec(ctx, insertAll, from, r.To)
		default:
			_, err = tx.Exec(ctx, insert, from, r.To, r.Indicators)
		}
		if err != nil {
			return shareError(err, from, r.To)
		}
		_, err = tx.Exec(ctx, audit, action, from, detail)
		return err
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
	}
	return err
}

// Shares lists the agreements a department gives or receives, or all.
func (s *AccessService) Shares(ctx context.Context, department *string) ([]*hub.Share, error) {
	const q = `SELECT owner_department, grantee_department, indicator_key, created_at, created_by FROM shares
WHERE $1::text IS NULL OR owner_department = $1 OR grantee_department = $1
ORDER BY owner_department, grantee_department, indicator_key NULLS FIRST`
	shares, err := list(ctx, s.db, func(row pgx.CollectableRow) (*hub.Share, error) {
		var sh hub.Share
		err := row.Scan(&sh.Owner, &sh.Grantee, &sh.Indicator, &sh.CreatedAt, &sh.CreatedBy)
		return &sh, err
	}, q, department)
	if err != nil {
		return nil, fmt.Errorf("list shares: %w", err)
	}
	return shares, nil
}
