package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/hub"
)

// ValueService reads data values.
type ValueService struct{ db *DB }

// NewValueService returns a ValueService over db.
func NewValueService(db *DB) *ValueService { return &ValueService{db: db} }

var _ hub.ValueService = (*ValueService)(nil)

// MaxPageSize bounds one page of values (hub.MaxPageSize).
const MaxPageSize = hub.MaxPageSize

// visibleValues picks, for every key, the newest version the principal may
// see: the policies let a department see its working copy and everybody
// else the released version, so DISTINCT ON (key) ... version DESC gives
// each reader the right one. $1–$6 filter ($6: the keys of changed rows the
// reader may read, for live updates), $7–$9 are the page cursor.
const visibleValues = `
SELECT DISTINCT ON (v.indicator_key, v.period, v.region_code)
       v.id, v.indicator_key, v.region_code, v.period, v.value, v.qualifier, v.status, v.status_reason,
       v.version, v.comment, v.source, v.updated_at, v.updated_by
FROM data_values v
WHERE ($1::text[] IS NULL OR v.indicator_key = ANY($1))
  AND ($2::text[] IS NULL OR v.region_code = ANY($2))
  AND ($3::text[] IS NULL OR v.period = ANY($3))
  AND ($4::text[] IS NULL OR v.department_code = ANY($4))
  AND ($5::text[] IS NULL OR v.indicator_key IN (SELECT key FROM indicators WHERE protection = ANY($5)))
  AND ($6::bigint[] IS NULL OR (v.indicator_key, v.period, v.region_code) IN
       (SELECT c.indicator_key, c.period, c.region_code FROM data_values c WHERE c.id = ANY($6)))
  AND ($7::text IS NULL OR (v.indicator_key, v.period, v.region_code) > ($7, $8, $9))
ORDER BY v.indicator_key, v.period, v.region_code, v.version DESC`

const (
	pageValues = `SELECT * FROM (` + visibleValues + `) v
WHERE ($10::text[] IS NULL OR v.status = ANY($10))
ORDER BY v.indicator_key, v.period, v.region_code
LIMIT $11`
	countValues = `SELECT count(*) FROM (` + visibleValues + `) v
WHERE ($10::text[] IS NULL OR v.status = ANY($10))`
)

func scanValue(row pgx.CollectableRow) (*hub.DataValue, error) {
	var v hub.DataValue
	err := row.Scan(&v.ID, &v.IndicatorKey, &v.RegionCode, &v.Period, &v.Value, &v.Qualifier, &v.Status,
		&v.StatusReason, &v.Version, &v.Comment, &v.Source, &v.UpdatedAt, &v.UpdatedBy)
	return &v, err
}

// changedIDs is the $6 of visibleValues: nil (no filter) or the row ids.
func changedIDs(ids []int) []int64 {
	if ids == nil {
		return nil
	}
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

func nilIfEmpty[T ~string](xs []T) []string {
	if len(xs) == 0 {
		return nil
	}
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// FindValues returns one page of the values the principal may read, and
// how many there are in all, in one round trip.
func (s *ValueService) FindValues(ctx context.Context, f hub.ValueFilter, page hub.ValuePage) (*hub.ValueConnection, error) {
	if page.First < 0 || page.First > MaxPageSize {
		return nil, hub.Errorf(hub.EINVALID, "first 应在 0–%d 之间 / first must be between 0 and %d", MaxPageSize, MaxPageSize)
	}
	var after [3]*string
	if page.After != nil {
		after = [3]*string{&page.After.Indicator, &page.After.Period, &page.After.Region}
	}
	filter := []any{nilIfEmpty(f.Indicators), nilIfEmpty(f.Regions), nilIfEmpty(f.Periods),
		nilIfEmpty(f.Departments), nilIfEmpty(f.Protections), changedIDs(f.Changed)}
	pageArgs := append(append([]any{}, filter...), after[0], after[1], after[2], nilIfEmpty(f.Statuses), page.First+1)
	countArgs := append(append([]any{}, filter...), nil, nil, nil, nilIfEmpty(f.Statuses))

	conn := &hub.ValueConnection{}
	var values []*hub.DataValue
	err := s.db.read(ctx, func(b *pgx.Batch) {
		collect(b, &values, scanValue, pageValues, pageArgs...)
		if !page.SkipCount {
			b.Queue(countValues, countArgs...).QueryRow(func(row pgx.Row) error { return row.Scan(&conn.TotalCount) })
		}
	})
	if err != nil {
		return nil, fmt.Errorf("find values: %w", err)
	}
	if len(values) > page.First {
		values, conn.HasNextPage = values[:page.First], true
	}
	conn.Values = values
	return conn, nil
}
