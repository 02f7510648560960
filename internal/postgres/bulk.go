package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

var _ hub.BulkSubmitService = (*SubmitService)(nil)

// The bulk path does set-based what SubmitValues does row by row: one
// statement per batch for the heads, one for the inserts, one for the
// in-place updates, so that an import of 100,000 values costs about a
// hundred round trips instead of half a million.
const (
	bulkIndicators = `SELECT key, department_code, value_type, period_type, collection_level, formula FROM indicators`
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
  u.comment, 'DRAFT', u.version, $10, current_setting('hub.user', true)
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::text[], $9::int[])
  AS u(indicator_key, department_code, region_code, region_path, period, value, qualifier, comment, version)`
	// What an edit does to the status (a RETURNED or SUBMITTED value
	// becomes a DRAFT, the return reason stays) is the trigger's business:
	// table workflow_edits, migration 00044.
	bulkUpdate = `UPDATE data_values d SET value = u.value, qualifier = u.qualifier, comment = u.comment, version = d.version + 1,
  source = $5, updated_at = now(), updated_by = current_setting('hub.user', true)
FROM unnest($1::bigint[], $2::float8[], $3::text[], $4::text[]) AS u(id, value, qualifier, comment)
WHERE d.id = u.id`
	bulkRetire = `UPDATE data_values SET is_head = false WHERE id = ANY($1::bigint[])`

	// The same writes for SubmitValues, which answers with the values it
	// wrote and names the input a refusal by the policies is about.
	bulkRetireReturning = bulkRetire + ` RETURNING id`
	bulkUpdateReturning = bulkUpdate + `
RETURNING d.id, d.indicator_key, d.region_code, d.period, d.value, d.qualifier, d.status, d.status_reason,
          d.version, d.comment, d.source, d.updated_at, d.updated_by`
	bulkInsertReturning = bulkInsert + `
RETURNING id, indicator_key, region_code, period, value, qualifier, status, status_reason,
          version, comment, source, updated_at, updated_by`
)

// SubmitBulk runs fill in one transaction as the principal of ctx. Each
// batch gets the checks of SubmitValues; after the first conflict later
// batches are still checked (so that every conflict is reported) but no
// longer written, and the transaction rolls back. A dry run writes every
// batch and rolls back, so that the database's own checks run too.
func (s *SubmitService) SubmitBulk(ctx context.Context, dryRun bool, fill func(w hub.BatchWriter) error) (bool, error) {
	if err := access.EntryBlockedBy(hub.PrincipalFrom(ctx)); err != nil {
		return false, err
	}
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		w := &batchWriter{tx: tx, source: source(ctx), regions: map[string]*hub.Region{}}
		if err := w.loadIndicators(ctx); err != nil {
			return err
		}
		if err := fill(w); err != nil {
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
	if err != nil {
		return false, fmt.Errorf("submit bulk: %w", err)
	}
	return true, nil
}

type batchWriter struct {
	tx         pgx.Tx
	source     string
	indicators map[string]*hub.Indicator
	regions    map[string]*hub.Region
	// failed is set by the first conflict: nothing more is written.
	failed bool
	// seen counts the inputs of all batches; keys and index hold the
	// key fields of the accepted ones and their input numbers, for Validate.
	seen  int
	keys  []hub.ValueInput
	index []int
	// rowwise (SubmitValues) makes the writes return the values written,
	// kept in written by batch index, and turns a refusal by the policies
	// into a conflict at its input. aborted says a statement failed, so
	// the transaction can run nothing more.
	rowwise bool
	written []writtenValue
	aborted bool
}

// writtenValue is a value written for input i of its batch.
type writtenValue struct {
	i int
	v *hub.DataValue
}

func (w *batchWriter) loadIndicators(ctx context.Context) error {
	rows, err := w.tx.Query(ctx, bulkIndicators)
	if err != nil {
		return fmt.Errorf("load indicators: %w", err)
	}
	w.indicators = map[string]*hub.Indicator{}
	var ind hub.Indicator
	_, err = pgx.ForEachRow(rows, []any{&ind.Key, &ind.DepartmentCode, &ind.ValueType, &ind.PeriodType, &ind.CollectionLevel, &ind.Formula}, func() error {
		c := ind
		w.indicators[c.Key] = &c
		return nil
	})
	if err != nil {
		return fmt.Errorf("load indicators: %w", err)
	}
	return nil
}

func (w *batchWriter) loadRegions(ctx context.Context, batch []hub.ValueInput) error {
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

type head struct {
	id      int64
	value   *float64
	qual    hub.Qualifier
	comment *string
	status  hub.Status
	version int
}

// WriteBatch checks batch and, while no conflict has been seen in the
// transaction, writes it.
func (w *batchWriter) WriteBatch(ctx context.Context, batch []hub.ValueInput) (*hub.BatchResult, error) {
	res := &hub.BatchResult{}
	defer func() { w.seen += len(batch) }()
	if err := w.loadRegions(ctx, batch); err != nil {
		return nil, err
	}
	p := hub.PrincipalFrom(ctx)
	type planned struct {
		i   int
		ind *hub.Indicator
		reg *hub.Region
		q   hub.Qualifier
	}
	plan := make([]planned, 0, len(batch))
	seen := make(map[hub.ValueKey]int, len(batch))
	var ki, kp, kr []string
	for i, v := range batch {
		ind := w.indicators[v.Indicator]
		if ind == nil {
			addConflict(res, i, hub.FieldIndicator, hub.Errorf(hub.ENOTFOUND, "指标 %q 不存在 / no indicator %q", v.Indicator, v.Indicator))
			continue
		}
		if w.rowwise && ind.Formula != nil {
			// SubmitValues has always refused derived indicators first, with its own message.
			addConflict(res, i, hub.FieldIndicator, hub.Errorf(hub.EINVALID, "%s 是计算指标，不能填报 / %s is derived and cannot be submitted", ind.Key, ind.Key))
			continue
		}
		reg := w.regions[v.Region]
		if reg == nil {
			addConflict(res, i, hub.FieldRegion, hub.Errorf(hub.ENOTFOUND, "地区 %q 不存在 / no region %q", v.Region, v.Region))
			continue
		}
		if f, err := checkInput(p, ind, reg, v); err != nil {
			addConflict(res, i, f, err)
			continue
		}
		k := hub.ValueKey{Indicator: v.Indicator, Period: v.Period, Region: v.Region}
		if j, dup := seen[k]; dup {
			addConflict(res, i, hub.FieldIndicator, hub.Errorf(hub.EINVALID, "与第 %d 条重复（同一指标、地区、期间）/ duplicates input %d (same indicator, region and period)", j, j))
			continue
		}
		seen[k] = i
		q := v.Qualifier
		if q == "" {
			q = hub.Exact
		}
		plan = append(plan, planned{i: i, ind: ind, reg: reg, q: q})
		w.keys = append(w.keys, hub.ValueInput{Indicator: v.Indicator, Region: v.Region, Period: v.Period})
		w.index = append(w.index, w.seen+i)
		ki, kp, kr = append(ki, v.Indicator), append(kp, v.Period), append(kr, v.Region)
	}
	heads := make(map[hub.ValueKey]head, len(plan))
	if len(plan) > 0 {
		rows, err := w.tx.Query(ctx, bulkHeads, ki, kp, kr)
		if err != nil {
			return nil, fmt.Errorf("find heads: %w", err)
		}
		var k hub.ValueKey
		var h head
		_, err = pgx.ForEachRow(rows, []any{&h.id, &k.Indicator, &k.Period, &k.Region, &h.value, &h.qual, &h.comment, &h.status, &h.version}, func() error {
			heads[k] = h
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find heads: %w", err)
		}
	}
	// Keys without a head normally have no rows at all; their new version
	// still follows any history there is.
	maxVersions := map[hub.ValueKey]int{}
	var mi, mp, mr []string
	for _, pl := range plan {
		v := batch[pl.i]
		if _, ok := heads[hub.ValueKey{Indicator: v.Indicator, Period: v.Period, Region: v.Region}]; !ok {
			mi, mp, mr = append(mi, v.Indicator), append(mp, v.Period), append(mr, v.Region)
		}
	}
	if len(mi) > 0 {
		rows, err := w.tx.Query(ctx, bulkMaxVersions, mi, mp, mr)
		if err != nil {
			return nil, fmt.Errorf("find versions: %w", err)
		}
		var k hub.ValueKey
		var m int
		_, err = pgx.ForEachRow(rows, []any{&k.Indicator, &k.Period, &k.Region, &m}, func() error {
			maxVersions[k] = m
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find versions: %w", err)
		}
	}

	var ins struct {
		ind, dept, reg, path, per, qual []string
		val                             []*float64
		comment                         []*string
		version                         []int32
	}
	var upd struct {
		id      []int64
		val     []*float64
		qual    []string
		comment []*string
	}
	var retire []int64
	// batch indexes of the retired heads, updates and inserts
	var retIdx, updIdx, insIdx []int
	insert := func(v hub.ValueInput, pl planned, version int) {
		ins.ind, ins.dept, ins.reg = append(ins.ind, v.Indicator), append(ins.dept, pl.ind.DepartmentCode), append(ins.reg, v.Region)
		ins.path, ins.per, ins.qual = append(ins.path, pl.reg.Path), append(ins.per, v.Period), append(ins.qual, string(pl.q))
		ins.val, ins.comment, ins.version = append(ins.val, v.Value), append(ins.comment, v.Comment), append(ins.version, int32(version))
		insIdx = append(insIdx, pl.i)
	}
	for _, pl := range plan {
		v := batch[pl.i]
		k := hub.ValueKey{Indicator: v.Indicator, Period: v.Period, Region: v.Region}
		h, exists := heads[k]
		if v.ExpectedVersion != nil && (!exists && *v.ExpectedVersion != 0 || exists && h.version != *v.ExpectedVersion) {
			addConflict(res, pl.i, hub.FieldVersion, hub.Errorf(hub.ECONFLICT, "版本已变更（现为 %d，预期 %d）/ the value changed: version %d, expected %d",
				h.version, *v.ExpectedVersion, h.version, *v.ExpectedVersion))
			continue
		}
		switch {
		case exists && eqFloat(h.value, v.Value) && h.qual == pl.q && eqString(h.comment, v.Comment):
			res.Unchanged++
		case exists && (h.status == hub.Approved || h.status == hub.Published):
			retire, retIdx = append(retire, h.id), append(retIdx, pl.i)
			insert(v, pl, h.version+1)
			res.Updated++
		case exists:
			upd.id, upd.val = append(upd.id, h.id), append(upd.val, v.Value)
			upd.qual, upd.comment = append(upd.qual, string(pl.q)), append(upd.comment, v.Comment)
			updIdx = append(updIdx, pl.i)
			res.Updated++
		default:
			insert(v, pl, maxVersions[k]+1)
			res.Created++
		}
	}
	if len(res.Conflicts) > 0 {
		w.failed = true
	}
	if w.failed {
		return res, nil
	}
	if w.rowwise {
		return w.writeRowwise(ctx, res, retire, retIdx, upd.id, upd.val, upd.qual, upd.comment, updIdx,
			[]any{ins.ind, ins.dept, ins.reg, ins.path, ins.per, ins.val, ins.qual, ins.comment, ins.version, w.source}, insIdx)
	}
	if len(retire) > 0 {
		tag, err := w.tx.Exec(ctx, bulkRetire, retire)
		if err != nil {
			return nil, fmt.Errorf("retire released heads: %w", mapError(err))
		}
		if tag.RowsAffected() != int64(len(retire)) {
			return nil, errNotAllowed()
		}
	}
	if len(upd.id) > 0 {
		tag, err := w.tx.Exec(ctx, bulkUpdate, upd.id, upd.val, upd.qual, upd.comment, w.source)
		if err != nil {
			return nil, fmt.Errorf("update values: %w", mapError(err))
		}
		if tag.RowsAffected() != int64(len(upd.id)) {
			return nil, errNotAllowed()
		}
	}
	if len(ins.ind) > 0 {
		if _, err := w.tx.Exec(ctx, bulkInsert, ins.ind, ins.dept, ins.reg, ins.path, ins.per, ins.val, ins.qual,
			ins.comment, ins.version, w.source); err != nil {
			return nil, insertError(err)
		}
	}
	return res, nil
}

func errNotAllowed() error {
	return hub.Errorf(hub.EFORBIDDEN, "无权修改 / not allowed to change these values")
}

func insertError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		// Another transaction created one of these values since the heads were read.
		return hub.Errorf(hub.ECONFLICT, "另一个导入或提交同时写入了相同的数值，请重试 / another import or submission wrote the same values at the same time: try again")
	}
	return fmt.Errorf("insert values: %w", mapError(err))
}

// writeRowwise runs the writes of WriteBatch for SubmitValues: the same
// statements with RETURNING, so that the values written come back and a
// row the policies refused is a conflict at its input.
func (w *batchWriter) writeRowwise(ctx context.Context, res *hub.BatchResult, retire []int64, retIdx []int,
	updID []int64, updVal []*float64, updQual []string, updComment []*string, updIdx []int, insArgs []any, insIdx []int) (*hub.BatchResult, error) {
	// refused adds a FORBIDDEN conflict for every id not returned.
	refused := func(ids []int64, idx []int, got map[int64]bool) bool {
		for j, id := range ids {
			if !got[id] {
				addConflict(res, idx[j], hub.FieldValue, hub.Errorf(hub.EFORBIDDEN, "无权修改 / not allowed to change this value"))
			}
		}
		if len(res.Conflicts) > 0 {
			w.failed = true
		}
		return w.failed
	}
	// failedStatement makes a failed write the conflict of its first
	// input unless it is not the input's fault.
	failedStatement := func(err error, i int) (*hub.BatchResult, error) {
		w.aborted, w.failed = true, true
		if code := hub.ErrorCode(err); code == hub.EINTERNAL || code == hub.EUNAVAILABLE {
			return nil, err
		}
		addConflict(res, i, hub.FieldValue, err)
		return res, nil
	}
	if len(retire) > 0 {
		rows, _ := w.tx.Query(ctx, bulkRetireReturning, retire)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return failedStatement(fmt.Errorf("retire released heads: %w", mapError(err)), retIdx[0])
		}
		got := make(map[int64]bool, len(ids))
		for _, id := range ids {
			got[id] = true
		}
		if refused(retire, retIdx, got) {
			return res, nil
		}
	}
	if len(updID) > 0 {
		rows, _ := w.tx.Query(ctx, bulkUpdateReturning, updID, updVal, updQual, updComment, w.source)
		vals, err := pgx.CollectRows(rows, scanValue)
		if err != nil {
			return failedStatement(fmt.Errorf("update values: %w", mapError(err)), updIdx[0])
		}
		byID := make(map[int64]*hub.DataValue, len(vals))
		got := make(map[int64]bool, len(vals))
		for _, v := range vals {
			byID[int64(v.ID)], got[int64(v.ID)] = v, true
		}
		if refused(updID, updIdx, got) {
			return res, nil
		}
		for j, id := range updID {
			w.written = append(w.written, writtenValue{i: updIdx[j], v: byID[id]})
		}
	}
	if len(insIdx) > 0 {
		rows, _ := w.tx.Query(ctx, bulkInsertReturning, insArgs...)
		vals, err := pgx.CollectRows(rows, scanValue)
		if err != nil {
			return failedStatement(insertError(err), insIdx[0])
		}
		// Keys are unique within a batch: match the rows to their inputs by key.
		at := make(map[hub.ValueKey]int, len(insIdx))
		for j, i := range insIdx {
			at[hub.ValueKey{Indicator: insArgs[0].([]string)[j], Period: insArgs[4].([]string)[j], Region: insArgs[2].([]string)[j]}] = i
		}
		for _, v := range vals {
			w.written = append(w.written, writtenValue{i: at[hub.ValueKey{Indicator: v.IndicatorKey, Period: v.Period, Region: v.RegionCode}], v: v})
		}
	}
	return res, nil
}

// Validate applies the validation rules to every value written, with
// validateSubmission, the code SubmitValues runs.
func (w *batchWriter) Validate(ctx context.Context) (*hub.BatchResult, error) {
	res := &hub.BatchResult{}
	if w.failed || len(w.keys) == 0 {
		return res, nil
	}
	out := &hub.SubmitOutcome{}
	if err := validateSubmission(ctx, w.tx, w.keys, w.regions, out); err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	for _, c := range out.Conflicts {
		res.Conflicts = append(res.Conflicts, hub.BatchConflict{Index: w.index[c.Index], Field: hub.FieldValue, Code: c.Code, Message: c.Message})
	}
	res.Warnings = out.Warnings
	if len(res.Conflicts) > 0 {
		w.failed = true
	}
	return res, nil
}

func addConflict(res *hub.BatchResult, i int, f hub.ValueField, err error) {
	res.Conflicts = append(res.Conflicts, hub.BatchConflict{Index: i, Field: f, Code: hub.ErrorCode(err), Message: hub.ErrorMessage(err)})
}

// checkInput applies the rules a value must meet before it is written
// (access in words, collection level, period type, value type, qualifier)
// and names the field a refusal is about. RLS still enforces access.
func checkInput(p *hub.Principal, ind *hub.Indicator, reg *hub.Region, v hub.ValueInput) (hub.ValueField, error) {
	if err := access.WriteBlockedBy(p, ind, reg); err != nil {
		if p != nil && p.Role == hub.Analyst && p.Department != nil && *p.Department == ind.DepartmentCode && ind.Formula == nil {
			return hub.FieldRegion, err
		}
		return hub.FieldIndicator, err
	}
	if reg.Level != ind.CollectionLevel {
		return hub.FieldRegion, hub.Errorf(hub.EINVALID, "%s 按 %s 级采集，%s 是 %s 级 / %s is collected per %s, %s is a %s",
			ind.Key, ind.CollectionLevel, v.Region, reg.Level, ind.Key, ind.CollectionLevel, v.Region, reg.Level)
	}
	if err := hub.CheckPeriod(ind, v.Period); err != nil {
		return hub.FieldPeriod, err
	}
	if err := hub.CheckValue(ind, v.Value); err != nil {
		return hub.FieldValue, err
	}
	switch v.Qualifier {
	case "", hub.Exact, hub.AtLeast, hub.Approx:
	default:
		return hub.FieldQualifier, hub.Errorf(hub.EINVALID, "无效的限定词 %q（应为 EXACT、AT_LEAST 或 APPROX）/ invalid qualifier %q: EXACT, AT_LEAST or APPROX", v.Qualifier, v.Qualifier)
	}
	return "", nil
}
