package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/entry"
	"github.com/sixprot/hub/internal/hub"
)

var _ hub.BulkSubmitService = (*SubmitService)(nil)

// The write pipeline runs set-based: per batch one statement reads the
// heads, one the versions of keys without a head, one retires released
// heads, one updates working copies, one inserts, so that an import of
// 100,000 values costs about a hundred round trips instead of half a
// million, and submitValues' statements do not grow with its inputs. The
// writes return what they wrote: a row a policy filtered out is missing.
const (
	bulkIndicators = `SELECT key, department_code, value_type, period_type, collection_level, formula, retired_at FROM indicators`
	regionsByCode  = `SELECT code, name, level, path::text FROM regions WHERE code = ANY($1::text[])`
	// LATERAL makes one index lookup per key whatever the planner thinks
	// of unnest's row count; the table grows by every batch of an import.
	bulkHeads = `SELECT d.id, d.indicator_key, d.period, d.region_code, d.value, d.qualifier, d.comment, d.status, d.version
FROM unnest($1::text[], $2::text[], $3::text[]) AS k(indicator_key, period, region_code)
CROSS JOIN LATERAL (
  SELECT * FROM data_values h
  WHERE h.indicator_key = k.indicator_key AND h.period = k.period AND h.region_code = k.region_code AND h.is_head
  FOR UPDATE
) AS d`
	bulkMaxVersions = `SELECT k.indicator_key, k.period, k.region_code, m.version
FROM unnest($1::text[], $2::text[], $3::text[]) AS k(indicator_key, period, region_code)
CROSS JOIN LATERAL (
  SELECT max(d.version) AS version FROM data_values d
  WHERE d.indicator_key = k.indicator_key AND d.period = k.period AND d.region_code = k.region_code
) AS m
WHERE m.version IS NOT NULL`
	bulkInsert = `INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, qualifier,
  comment, status, version, source, updated_by)
SELECT u.indicator_key, u.department_code, u.region_code, u.region_path::ltree, u.period, u.value, u.qualifier,
  u.comment, 'DRAFT', u.version, $10, nullif(hub_user(), '')
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::int[])
  AS u(indicator_key, department_code, region_code, region_path, period, value, qualifier, comment, version)
RETURNING id, indicator_key, region_code, period, value, qualifier, status, status_reason,
          version, comment, source, updated_at, updated_by`
	// What an edit does to the status (a RETURNED or SUBMITTED value
	// becomes a DRAFT, the return reason stays) is the trigger's business:
	// table workflow_edits, migration 00044.
	bulkUpdate = `UPDATE data_values d SET value = u.value, qualifier = u.qualifier, comment = u.comment, version = d.version + 1,
  source = $5, updated_at = now(), updated_by = nullif(hub_user(), '')
FROM unnest($1::bigint[], $2::float8[], $3::text[], $4::text[]) AS u(id, value, qualifier, comment)
WHERE d.id = u.id
RETURNING d.id, d.indicator_key, d.region_code, d.period, d.value, d.qualifier, d.status, d.status_reason,
          d.version, d.comment, d.source, d.updated_at, d.updated_by`
	bulkRetire = `UPDATE data_values SET is_head = false WHERE id = ANY($1::bigint[]) RETURNING id`
)

// SubmitBulk runs fill in one transaction as the principal of ctx, with
// the writer of SubmitValues. After the first conflict later batches are
// still checked (so that every conflict is reported) but no longer
// written, and the transaction rolls back. A dry run writes every batch
// and rolls back, so that the database's own checks run too.
func (s *SubmitService) SubmitBulk(ctx context.Context, dryRun bool, fill func(w hub.BatchWriter) error) (bool, error) {
	committed, err := s.write(ctx, dryRun, func(w *writer) error { return fill(w) })
	if err != nil {
		return false, fmt.Errorf("submit bulk: %w", err)
	}
	return committed, nil
}

// write runs fn with a writer in one transaction as the principal of ctx
// and commits when fn returns nil, no write had a conflict and dryRun is
// false. A caller who may not enter values at all is refused before fn
// runs.
func (s *SubmitService) write(ctx context.Context, dryRun bool, fn func(w *writer) error) (committed bool, err error) {
	if err := access.EntryBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return false, err
	}
	err = s.db.tx(ctx, func(tx pgx.Tx) error {
		w := &writer{tx: tx, source: source(ctx), regions: map[string]*hub.Region{}}
		if err := w.loadIndicators(ctx); err != nil {
			return err
		}
		if err := fn(w); err != nil {
			return err
		}
		if w.failed || dryRun {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		return false, nil
	}
	return err == nil, err
}

// writer is the storage half of the write pipeline: it reads what
// entry.Check and entry.Decide need and writes their plan.
type writer struct {
	tx         pgx.Tx
	source     string
	indicators map[string]*hub.Indicator
	regions    map[string]*hub.Region
	// failed is set by the first conflict: nothing more is written.
	failed bool
	// aborted says a statement failed, so the transaction can run
	// nothing more: later batches are neither checked nor written.
	aborted bool
	// keys and at hold the key fields of the entries checked so far and
	// their callers' numbers, for Validate.
	keys []hub.ValueInput
	at   []int
}

var _ hub.BatchWriter = (*writer)(nil)

// writtenValue is a value written for the input numbered at.
type writtenValue struct {
	at int
	v  *hub.DataValue
}

func (w *writer) loadIndicators(ctx context.Context) error {
	rows, err := w.tx.Query(ctx, bulkIndicators)
	if err != nil {
		return fmt.Errorf("load indicators: %w", err)
	}
	w.indicators = map[string]*hub.Indicator{}
	var ind hub.Indicator
	_, err = pgx.ForEachRow(rows, []any{&ind.Key, &ind.DepartmentCode, &ind.ValueType, &ind.PeriodType, &ind.CollectionLevel, &ind.Formula, &ind.RetiredAt}, func() error {
		c := ind
		w.indicators[c.Key] = &c
		return nil
	})
	if err != nil {
		return fmt.Errorf("load indicators: %w", err)
	}
	return nil
}

func (w *writer) loadRegions(ctx context.Context, batch []hub.ValueInput) error {
	var missing []string
	for _, v := range batch {
		if _, ok := w.regions[v.Region]; !ok {
			w.regions[v.Region] = nil
			missing = append(missing, v.Region)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rows, err := w.tx.Query(ctx, regionsByCode, missing)
	if err != nil {
		return fmt.Errorf("load regions: %w", err)
	}
	var r hub.Region
	_, err = pgx.ForEachRow(rows, []any{&r.Code, &r.Name, &r.Level, &r.Path}, func() error {
		c := r
		w.regions[c.Code] = &c
		return nil
	})
	if err != nil {
		return fmt.Errorf("load regions: %w", err)
	}
	return nil
}

// Write implements hub.BatchWriter.
func (w *writer) Write(ctx context.Context, batch []hub.ValueInput, at []int) (*hub.SubmitResult, error) {
	res, _, err := w.write(ctx, batch, at)
	return res, err
}

// write runs batch through the pipeline: read the regions, check
// (entry.Check), read the heads, plan (entry.Decide) and, while no
// conflict has been seen in the transaction, write the plan.
func (w *writer) write(ctx context.Context, batch []hub.ValueInput, at []int) (*hub.SubmitResult, []writtenValue, error) {
	res := &hub.SubmitResult{}
	if w.aborted {
		return res, nil, nil
	}
	if err := w.loadRegions(ctx, batch); err != nil {
		return nil, nil, err
	}
	entries, conflicts := entry.Check(hub.PrincipalFrom(ctx), w.indicators, w.regions, batch, at)
	for _, e := range entries {
		w.keys = append(w.keys, hub.ValueInput{Indicator: e.Input.Indicator, Region: e.Input.Region, Period: e.Input.Period})
		w.at = append(w.at, e.At)
	}
	heads, versions, err := w.readHeads(ctx, entries)
	if err != nil {
		return nil, nil, err
	}
	plan := entry.Decide(entries, heads, versions)
	res.Created, res.Updated, res.Unchanged = plan.Created, plan.Updated, plan.Unchanged
	res.Conflicts = append(conflicts, plan.Conflicts...)
	if len(res.Conflicts) > 0 {
		w.failed = true
	}
	if w.failed {
		return res, nil, nil
	}
	written, err := w.apply(ctx, plan.Steps, res)
	return res, written, err
}

// readHeads reads, locking them, the heads of the entries' keys, and the
// highest version of each key without a head: keys without a head
// normally have no rows at all, but a new version follows any history.
func (w *writer) readHeads(ctx context.Context, entries []entry.Entry) (map[hub.ValueKey]entry.Head, map[hub.ValueKey]int, error) {
	heads := make(map[hub.ValueKey]entry.Head, len(entries))
	versions := map[hub.ValueKey]int{}
	if len(entries) == 0 {
		return heads, versions, nil
	}
	var ki, kp, kr []string
	for _, e := range entries {
		ki, kp, kr = append(ki, e.Input.Indicator), append(kp, e.Input.Period), append(kr, e.Input.Region)
	}
	rows, err := w.tx.Query(ctx, bulkHeads, ki, kp, kr)
	if err != nil {
		return nil, nil, fmt.Errorf("find heads: %w", err)
	}
	var k hub.ValueKey
	var h entry.Head
	_, err = pgx.ForEachRow(rows, []any{&h.ID, &k.Indicator, &k.Period, &k.Region, &h.Value, &h.Qualifier, &h.Comment, &h.Status, &h.Version}, func() error {
		heads[k] = h
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("find heads: %w", err)
	}
	ki, kp, kr = ki[:0], kp[:0], kr[:0]
	for _, e := range entries {
		if _, ok := heads[e.Key()]; !ok {
			ki, kp, kr = append(ki, e.Input.Indicator), append(kp, e.Input.Period), append(kr, e.Input.Region)
		}
	}
	if len(ki) == 0 {
		return heads, versions, nil
	}
	rows, err = w.tx.Query(ctx, bulkMaxVersions, ki, kp, kr)
	if err != nil {
		return nil, nil, fmt.Errorf("find versions: %w", err)
	}
	var m int
	_, err = pgx.ForEachRow(rows, []any{&k.Indicator, &k.Period, &k.Region, &m}, func() error {
		versions[k] = m
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("find versions: %w", err)
	}
	return heads, versions, nil
}

// apply writes steps, a statement per action: retire the released heads
// that Correct replaces, update, insert. A step whose row does not come
// back was refused by a policy: FORBIDDEN at its input. A failed statement
// aborts the transaction and is the conflict of its first step
// (entry.Failed).
func (w *writer) apply(ctx context.Context, steps []entry.Step, res *hub.SubmitResult) ([]writtenValue, error) {
	var retire, upd, ins []entry.Step
	for _, s := range steps {
		switch s.Action {
		case entry.Correct:
			retire, ins = append(retire, s), append(ins, s)
		case entry.Update:
			upd = append(upd, s)
		case entry.Create:
			ins = append(ins, s)
		}
	}
	fail := func(s entry.Step, err error) ([]writtenValue, error) {
		w.aborted, w.failed = true, true
		c, ok := entry.Failed(s, err)
		if !ok {
			return nil, err
		}
		res.Conflicts = append(res.Conflicts, c)
		return nil, nil
	}
	// refused adds a conflict for every step whose head did not come back.
	refused := func(steps []entry.Step, got map[int64]bool) bool {
		for _, s := range steps {
			if !got[s.Head] {
				res.Conflicts = append(res.Conflicts, entry.Refused(s))
				w.failed = true
			}
		}
		return w.failed
	}
	if len(retire) > 0 {
		ids := make([]int64, len(retire))
		for j, s := range retire {
			ids[j] = s.Head
		}
		rows, _ := w.tx.Query(ctx, bulkRetire, ids)
		back, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fail(retire[0], fmt.Errorf("retire released heads: %w", mapError(err)))
		}
		got := make(map[int64]bool, len(back))
		for _, id := range back {
			got[id] = true
		}
		if refused(retire, got) {
			return nil, nil
		}
	}
	var written []writtenValue
	if len(upd) > 0 {
		var u struct {
			id      []int64
			val     []*float64
			qual    []string
			comment []*string
		}
		for _, s := range upd {
			u.id, u.val = append(u.id, s.Head), append(u.val, s.Input.Value)
			u.qual, u.comment = append(u.qual, string(s.Input.Qualifier)), append(u.comment, s.Input.Comment)
		}
		rows, _ := w.tx.Query(ctx, bulkUpdate, u.id, u.val, u.qual, u.comment, w.source)
		vals, err := pgx.CollectRows(rows, scanValue)
		if err != nil {
			return fail(upd[0], fmt.Errorf("update values: %w", mapError(err)))
		}
		byID := make(map[int64]*hub.DataValue, len(vals))
		got := make(map[int64]bool, len(vals))
		for _, v := range vals {
			byID[int64(v.ID)], got[int64(v.ID)] = v, true
		}
		if refused(upd, got) {
			return nil, nil
		}
		for _, s := range upd {
			written = append(written, writtenValue{at: s.At, v: byID[s.Head]})
		}
	}
	if len(ins) > 0 {
		var n struct {
			ind, dept, reg, path, per, qual []string
			val                             []*float64
			comment                         []*string
			version                         []int32
		}
		// A batch holds a key once: the rows come back to their steps by key.
		at := make(map[hub.ValueKey]int, len(ins))
		for _, s := range ins {
			v := s.Input
			n.ind, n.dept, n.reg = append(n.ind, v.Indicator), append(n.dept, s.Indicator.DepartmentCode), append(n.reg, v.Region)
			n.path, n.per, n.qual = append(n.path, s.Region.Path), append(n.per, v.Period), append(n.qual, string(v.Qualifier))
			n.val, n.comment, n.version = append(n.val, v.Value), append(n.comment, v.Comment), append(n.version, int32(s.Version))
			at[s.Key()] = s.At
		}
		rows, _ := w.tx.Query(ctx, bulkInsert, n.ind, n.dept, n.reg, n.path, n.per, n.val, n.qual, n.comment, n.version, w.source)
		vals, err := pgx.CollectRows(rows, scanValue)
		if err != nil {
			return fail(ins[0], insertError(err))
		}
		for _, v := range vals {
			written = append(written, writtenValue{at: at[hub.ValueKey{Indicator: v.IndicatorKey, Period: v.Period, Region: v.RegionCode}], v: v})
		}
	}
	return written, nil
}

func insertError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		// Another transaction created one of these values since the heads were read.
		return hub.Errorf(hub.ECONFLICT, "另一个导入或提交同时写入了相同的数值，请重试 / another import or submission wrote the same values at the same time: try again")
	}
	return fmt.Errorf("insert values: %w", mapError(err))
}

// Validate applies the validation rules to every value checked through
// the writer, with validateSubmission, once all batches are in.
func (w *writer) Validate(ctx context.Context) (*hub.SubmitResult, error) {
	res := &hub.SubmitResult{}
	if w.failed || len(w.keys) == 0 {
		return res, nil
	}
	if err := validateSubmission(ctx, w.tx, w.keys, w.at, w.regions, res); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	if len(res.Conflicts) > 0 {
		w.failed = true
	}
	return res, nil
}
