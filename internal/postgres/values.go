package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

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

// A valueQuery is one statement over data_values with only the
// predicates its filter needs, so that each shape of filter is one
// prepared statement with one plan: a catch-all statement ("$1 IS NULL OR
// ...") got a custom plan, planned anew on every request (0.7–1.4 ms of
// planning under the row policies against 0.4 ms of execution, issue 20),
// because its generic plan could use no index.
type valueQuery struct {
	where []string
	args  []any
}

func (q *valueQuery) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

func (q *valueQuery) and(cond string) { q.where = append(q.where, cond) }

// filter adds the predicates of f; an empty list of indicators, regions,
// periods, departments, protections or statuses filters nothing, an
// empty list of ids (IDs, Changed) matches nothing.
func (q *valueQuery) filter(f hub.ValueFilter) {
	if xs := nilIfEmpty(f.Indicators); xs != nil {
		q.and("v.indicator_key = ANY(" + q.arg(xs) + "::text[])")
	}
	if xs := nilIfEmpty(f.Regions); xs != nil {
		q.and("v.region_code = ANY(" + q.arg(xs) + "::text[])")
	}
	if xs := nilIfEmpty(f.Periods); xs != nil {
		q.and("v.period = ANY(" + q.arg(xs) + "::text[])")
	}
	if xs := nilIfEmpty(f.Departments); xs != nil {
		q.and("v.department_code = ANY(" + q.arg(xs) + "::text[])")
	}
	if xs := nilIfEmpty(f.Protections); xs != nil {
		q.and("v.indicator_key IN (SELECT key FROM indicators WHERE protection = ANY(" + q.arg(xs) + "::text[]))")
	}
	// The keys of changed rows the reader may read (live updates): the
	// subquery runs under the same policies.
	if f.Changed != nil {
		q.and(`(v.indicator_key, v.period, v.region_code) IN
       (SELECT c.indicator_key, c.period, c.region_code FROM data_values c WHERE c.id = ANY(` + q.arg(int64s(f.Changed)) + `::bigint[]))`)
	}
	if f.IDs != nil {
		q.and("v.id = ANY(" + q.arg(int64s(f.IDs)) + "::bigint[])")
	}
}

// status keeps the reader's versions of the given statuses.
func (q *valueQuery) status(statuses []hub.Status) string {
	if xs := nilIfEmpty(statuses); xs != nil {
		return "v.status = ANY(" + q.arg(xs) + "::text[])"
	}
	return "true"
}

// keyRange keeps the keys after after and before before.
func (q *valueQuery) keyRange(after, before *hub.ValueKey) {
	if after != nil {
		q.and("(v.indicator_key, v.period, v.region_code) > (" + q.arg(after.Indicator) + "::text, " + q.arg(after.Period) + "::text, " + q.arg(after.Region) + "::text)")
	}
	if before != nil {
		q.and("(v.indicator_key, v.period, v.region_code) < (" + q.arg(before.Indicator) + "::text, " + q.arg(before.Period) + "::text, " + q.arg(before.Region) + "::text)")
	}
}

func (q *valueQuery) whereClause() string {
	if len(q.where) == 0 {
		return ""
	}
	return "\nWHERE " + strings.Join(q.where, "\n  AND ")
}

// readerVersion picks, for every key, the newest version the principal
// may see. The policies let a reader see at most two versions of a key,
// the head (a department's working copy, or a released head) and the
// released version (unique indexes data_values_head and
// data_values_released); the newest visible one is the head when the
// reader may see it, else the released version. So a row is the reader's
// version of its key when it is the head, or when it is released and no
// head of its key is visible: the NOT EXISTS probe of the unique head
// index runs under the same policies, and only for released rows behind
// a newer head (a few). The rows come in key order from the key index and
// the page stops after first + 1 of them. OFFSET 0 keeps the probe a
// probe: without it the planner may turn the EXISTS into a hashed subplan
// that reads every head of the table under the policies before the first
// row (250-400 ms on the demo's ~30,000 rows, measured with bench/peer).
const readerVersion = `(v.is_head OR v.is_released AND NOT EXISTS (
        SELECT 1 FROM data_values h
        WHERE h.is_head AND h.indicator_key = v.indicator_key AND h.period = v.period AND h.region_code = v.region_code
        OFFSET 0))`

const valueColumns = `v.id, v.indicator_key, v.region_code, v.period, v.value, v.qualifier, v.status, v.status_reason,
       v.version, v.comment, v.source, v.updated_at, v.updated_by`

// pageQuery is a page of the reader's versions in key order (backward:
// the last ones, read from the end; FindValues reverses them).
func pageQuery(f hub.ValueFilter, page hub.ValuePage, limit int) (string, []any) {
	q := &valueQuery{}
	q.filter(f)
	q.keyRange(page.After, page.Before)
	q.and(readerVersion)
	q.and(q.status(f.Statuses))
	order := "v.indicator_key, v.period, v.region_code"
	if page.Last > 0 {
		order = "v.indicator_key DESC, v.period DESC, v.region_code DESC"
	}
	return "SELECT " + valueColumns + "\nFROM data_values v" + q.whereClause() + "\nORDER BY " + order + "\nLIMIT " + q.arg(limit), q.args
}

// countQuery counts the reader's versions of the keys the filter selects:
// every visible row of those statuses, less the released rows behind a
// visible head (a key whose head and released version are both visible
// counts once, for its head). A leader or the media office never sees
// both, so the second term reads nothing for them; its probe runs only
// for released rows that are not heads. This replaced a DISTINCT ON (key)
// sort of every visible row (44 ms against 10–14 ms for a city year).
func countQuery(f hub.ValueFilter) (string, []any) {
	q := &valueQuery{}
	q.filter(f)
	st := q.status(f.Statuses)
	return `SELECT count(*) FILTER (WHERE ` + st + `) - count(*) FILTER (WHERE NOT v.is_head AND v.is_released AND ` + st + ` AND EXISTS (
        SELECT 1 FROM data_values h
        WHERE h.is_head AND h.indicator_key = v.indicator_key AND h.period = v.period AND h.region_code = v.region_code))
FROM data_values v` + q.whereClause(), q.args
}

// genericPlan reports whether the page's statement may keep one generic
// plan: when it names indicators, periods or ids the key-ordered index
// scan (or the id index) is right whatever the values; a page by region
// or department alone is left to custom plans, which can sort the few
// rows of a region rather than walk the key index for them.
func genericPlan(f hub.ValueFilter) bool {
	return len(f.Indicators) > 0 || len(f.Periods) > 0 || f.IDs != nil || f.Changed != nil
}

func scanValue(row pgx.CollectableRow) (*hub.DataValue, error) {
	var v hub.DataValue
	err := row.Scan(&v.ID, &v.IndicatorKey, &v.RegionCode, &v.Period, &v.Value, &v.Qualifier, &v.Status,
		&v.StatusReason, &v.Version, &v.Comment, &v.Source, &v.UpdatedAt, &v.UpdatedBy)
	return &v, err
}

// int64s is an id list for SQL: nil (no filter) stays nil, an empty list
// stays empty (matches nothing).
func int64s(ids []int) []int64 {
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
	if page.First < 0 || page.First > MaxPageSize || page.Last < 0 || page.Last > MaxPageSize {
		return nil, hub.Errorf(hub.EINVALID, "first、last 应在 0–%d 之间 / first and last must be between 0 and %d", MaxPageSize, MaxPageSize)
	}
	if page.First > 0 && page.Last > 0 {
		return nil, hub.Errorf(hub.EINVALID, "first 与 last 不能同时使用 / first and last cannot be used together")
	}
	n := page.First
	if page.Last > 0 {
		n = page.Last
	}
	pageSQL, pageArgs := pageQuery(f, page, n+1)
	conn := &hub.ValueConnection{}
	count, countGen, counted := -1, uint64(0), false
	key, cacheable := countKeyOf(ctx, f)
	if c := s.db.caches; c != nil && cacheable && !page.SkipCount {
		count, countGen, counted = c.counts.get(key)
	}
	var values []*hub.DataValue
	err := s.db.read(ctx, func(b *pgx.Batch) {
		if genericPlan(f) {
			b.Queue(genericPlans)
		}
		collect(b, &values, scanValue, pageSQL, pageArgs...)
		if !page.SkipCount && !counted {
			sql, args := countQuery(f)
			b.Queue(sql, args...).QueryRow(func(row pgx.Row) error { return row.Scan(&count) })
		}
	})
	if err != nil {
		return nil, fmt.Errorf("find values: %w", err)
	}
	if !page.SkipCount {
		conn.TotalCount = count
		if c := s.db.caches; c != nil && cacheable && !counted {
			c.counts.put(key, countGen, count)
		}
	}
	more := len(values) > n
	if more {
		values = values[:n]
	}
	if page.Last > 0 {
		slices.Reverse(values)
		conn.HasPreviousPage = more
	} else {
		conn.HasNextPage = more
	}
	conn.Values = values
	return conn, nil
}
