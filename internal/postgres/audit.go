package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
)

// AuditService reads the trail through audit_entries, the view that shows
// each caller only the rows (and of a value's row only the sides) the read
// rules allow (migration 00047); hub_app cannot read audit_log itself.
type AuditService struct{ db *DB }

// NewAuditService returns the audit service on db (the hub_app pool).
func NewAuditService(db *DB) *AuditService { return &AuditService{db: db} }

var _ hub.AuditService = (*AuditService)(nil)

const auditWhere = `
FROM audit_entries a
WHERE ($1::text[] IS NULL OR a.region_code = ANY($1))
  AND ($2::text[] IS NULL OR a.indicator_key = ANY($2))
  AND ($3::text[] IS NULL OR a.actor = ANY($3))
  AND ($4::text[] IS NULL OR a.action = ANY($4))
  AND ($5::timestamptz IS NULL OR a.at >= $5)
  AND ($6::timestamptz IS NULL OR a.at < $6)`

const (
	pageAudit = `SELECT a.id, a.at, a.actor, a.actor_role, a.channel, a.file_name, a.action, a.indicator_key, a.region_code,
       a.period, a.old_value, a.new_value, a.old_status, a.new_status, a.detail` + auditWhere + `
  AND ($7::bigint = 0 OR a.id < $7)
  AND ($9::bigint = 0 OR a.id > $9)
ORDER BY a.id DESC
LIMIT $8`
	// pageAuditOldest reads the range from its oldest end (Relay's last).
	pageAuditOldest = `SELECT a.id, a.at, a.actor, a.actor_role, a.channel, a.file_name, a.action, a.indicator_key, a.region_code,
       a.period, a.old_value, a.new_value, a.old_status, a.new_status, a.detail` + auditWhere + `
  AND ($7::bigint = 0 OR a.id < $7)
  AND ($9::bigint = 0 OR a.id > $9)
ORDER BY a.id
LIMIT $8`
	countAudit = `SELECT count(*)` + auditWhere
)

// FindAudit returns a page of the trail, newest first.
func (s *AuditService) FindAudit(ctx context.Context, f hub.AuditFilter, first int, before int64) (*hub.AuditPage, error) {
	return s.FindAuditRange(ctx, f, hub.AuditRange{N: first, Below: before})
}

// FindAuditRange returns a page of the trail between two ids, newest first.
func (s *AuditService) FindAuditRange(ctx context.Context, f hub.AuditFilter, r hub.AuditRange) (*hub.AuditPage, error) {
	first := r.N
	if first <= 0 || first > MaxPageSize {
		first = MaxPageSize
	}
	query := pageAudit
	if r.FromOldest {
		query = pageAuditOldest
	}
	args := []any{nilIfEmpty(f.Regions), nilIfEmpty(f.Indicators), nilIfEmpty(f.Actors), nilIfEmpty(f.Actions), f.From, f.To}
	page := &hub.AuditPage{}
	err := s.db.read(ctx, func(b *pgx.Batch) {
		b.Queue(query, append(args, r.Below, first+1, r.Above)...).Query(func(rows pgx.Rows) error {
			var err error
			page.Entries, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*hub.AuditRecord, error) {
				var e hub.AuditRecord
				return &e, r.Scan(&e.ID, &e.At, &e.Actor, &e.ActorRole, &e.Channel, &e.FileName, &e.Action, &e.IndicatorKey,
					&e.RegionCode, &e.Period, &e.OldValue, &e.NewValue, &e.OldStatus, &e.NewStatus, &e.Detail)
			})
			return err
		})
		b.Queue(countAudit, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&page.TotalCount) })
	})
	if err != nil {
		return nil, fmt.Errorf("find audit entries: %w", err)
	}
	more := len(page.Entries) > first
	if more {
		page.Entries = page.Entries[:first]
	}
	if r.FromOldest {
		slices.Reverse(page.Entries)
		page.HasPreviousPage = more
	} else {
		page.HasNextPage = more
	}
	return page, nil
}
