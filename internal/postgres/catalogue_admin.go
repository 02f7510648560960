package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sixprot/hub/internal/catalogue"
	"github.com/sixprot/hub/internal/hub"
)

var _ hub.CatalogueAdmin = (*CatalogueService)(nil)

// catalogueLock serialises changes of the catalogue (a transaction-level
// advisory lock): the formula checks read the whole catalogue and must not
// interleave with another change. hub_app may not LOCK the table itself.
const catalogueLock = `SELECT pg_advisory_xact_lock(hashtext('hub.catalogue'))`

const (
	insertIndicator = `INSERT INTO indicators (key, name, name_en, protection, unit, department_code, value_type,
  aggregation, period_type, collection_level, publicity, sensitive, formula, description, lower_is_better, rag_amber, rag_green)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
RETURNING ` + indicatorColumns
	updateIndicator = `UPDATE indicators SET name = $2, name_en = $3, protection = $4, unit = $5, department_code = $6,
  value_type = $7, aggregation = $8, period_type = $9, collection_level = $10, publicity = $11, sensitive = $12,
  formula = $13, description = $14, lower_is_better = $15, rag_amber = $16, rag_green = $17
WHERE key = $1
RETURNING ` + indicatorColumns
	// keysWithValues: which of the keys have stored values (any version).
	keysWithValues = `SELECT k FROM unnest($1::text[]) k WHERE EXISTS (SELECT 1 FROM data_values WHERE indicator_key = k)`
)

// mayChange refuses a caller who may not change the catalogue, before any
// SQL runs; the operator (owner connection) always may.
func (s *CatalogueService) mayChange(ctx context.Context) error {
	if s.operator {
		return nil
	}
	return catalogue.MayChange(hub.PrincipalFrom(ctx))
}

// change runs fn as a change of the catalogue: the caller may change it,
// and fn gets, in one transaction as the principal, the catalogue read
// under the catalogue lock.
func (s *CatalogueService) change(ctx context.Context, fn func(tx pgx.Tx, sn *snapshot) error) error {
	if err := s.mayChange(ctx); err != nil {
		return err
	}
	return s.db.tx(ctx, func(tx pgx.Tx) error {
		sn, err := begin(ctx, tx)
		if err != nil {
			return err
		}
		return fn(tx, sn)
	})
}

// writeOne decides one definition (catalogue.Decide) and writes it unless
// unchanged; a refusal is its conflict's error.
func writeOne(ctx context.Context, tx pgx.Tx, sn *snapshot, def *hub.Indicator) (*hub.Indicator, error) {
	has, err := withValues(ctx, tx, []*hub.Indicator{def}, sn.indicators)
	if err != nil {
		return nil, err
	}
	pl := catalogue.Decide([]*hub.Indicator{def}, []int{0}, sn.indicators, sn.departments, has)
	if len(pl.Conflicts) > 0 {
		c := pl.Conflicts[0]
		return nil, hub.Errorf(c.Code, "%s", c.Message)
	}
	if pl.Unchanged > 0 {
		return sn.indicators[def.Key], nil
	}
	written, err := writeIndicators(ctx, tx, pl.Write, sn.indicators)
	if err != nil {
		return nil, err
	}
	return written[0], nil
}

// snapshot is what a catalogue decision reads: every indicator and
// department by key.
type snapshot struct {
	indicators  map[string]*hub.Indicator
	departments map[string]*hub.Department
}

// begin takes the catalogue lock and reads the catalogue, in tx.
func begin(ctx context.Context, tx pgx.Tx) (*snapshot, error) {
	if _, err := tx.Exec(ctx, catalogueLock); err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `SELECT `+indicatorColumns+` FROM indicators`)
	is, err := pgx.CollectRows(rows, scanIndicator)
	if err != nil {
		return nil, fmt.Errorf("read indicators: %w", err)
	}
	rows, _ = tx.Query(ctx, `SELECT `+departmentColumns+` FROM departments`)
	ds, err := pgx.CollectRows(rows, scanDepartment)
	if err != nil {
		return nil, fmt.Errorf("read departments: %w", err)
	}
	sn := &snapshot{indicators: make(map[string]*hub.Indicator, len(is)), departments: make(map[string]*hub.Department, len(ds))}
	for _, i := range is {
		sn.indicators[i.Key] = i
	}
	for _, d := range ds {
		sn.departments[d.Code] = d
	}
	return sn, nil
}

// withValues returns which stored indicators among in have values.
func withValues(ctx context.Context, tx pgx.Tx, in []*hub.Indicator, stored map[string]*hub.Indicator) (map[string]bool, error) {
	var keys []string
	for _, i := range in {
		if stored[i.Key] != nil {
			keys = append(keys, i.Key)
		}
	}
	out := map[string]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, _ := tx.Query(ctx, keysWithValues, keys)
	ks, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read which indicators have values: %w", err)
	}
	for _, k := range ks {
		out[k] = true
	}
	return out, nil
}

// UpsertIndicators implements hub.CatalogueAdmin: catalogue.Decide plans
// the batch over the catalogue read under the lock; the plan is written as
// one insert or update per changed definition, all or nothing. Conflicts
// carry the input's index.
func (s *CatalogueService) UpsertIndicators(ctx context.Context, in []*hub.Indicator, dryRun bool) (*hub.CatalogueResult, error) {
	if err := s.mayChange(ctx); err != nil {
		return nil, err
	}
	if len(in) > hub.MaxListArgument && !s.operator {
		return nil, hub.Errorf(hub.EINVALID, "一次最多 %d 个指标 / at most %d indicators at once", hub.MaxListArgument, hub.MaxListArgument)
	}
	at := make([]int, len(in))
	for i := range in {
		at[i] = i
	}
	res := &hub.CatalogueResult{}
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		sn, err := begin(ctx, tx)
		if err != nil {
			return err
		}
		has, err := withValues(ctx, tx, in, sn.indicators)
		if err != nil {
			return err
		}
		pl := catalogue.Decide(in, at, sn.indicators, sn.departments, has)
		res.Created, res.Updated, res.Unchanged, res.Conflicts = pl.Created, pl.Updated, pl.Unchanged, pl.Conflicts
		if len(pl.Conflicts) > 0 || dryRun {
			return errRollback
		}
		written, err := writeIndicators(ctx, tx, pl.Write, sn.indicators)
		res.Indicators = written
		return err
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("upsert indicators: %w", mapError(err))
	}
	return res, nil
}

// writeIndicators inserts the new definitions and updates the stored
// ones, in one batch, and returns them as written.
func writeIndicators(ctx context.Context, tx pgx.Tx, defs []*hub.Indicator, stored map[string]*hub.Indicator) ([]*hub.Indicator, error) {
	b := &pgx.Batch{}
	out := make([]*hub.Indicator, len(defs))
	for n, i := range defs {
		q := insertIndicator
		if stored[i.Key] != nil {
			q = updateIndicator
		}
		b.Queue(q, i.Key, i.Name, i.NameEn, i.Protection, i.Unit, i.DepartmentCode, i.ValueType, i.Aggregation,
			i.PeriodType, i.CollectionLevel, i.Publicity, i.Sensitive, i.Formula, i.Description, i.LowerIsBetter, i.RAGAmber, i.RAGGreen).
			Query(func(rows pgx.Rows) error {
				got, err := pgx.CollectRows(rows, scanIndicator)
				if err != nil {
					return err
				}
				if len(got) == 0 {
					return errNotAdmin() // a row policy filtered the update out
				}
				out[n] = got[0]
				return nil
			})
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return nil, mapError(err)
	}
	return out, nil
}

// UpdateIndicator implements hub.CatalogueAdmin: the patch applied to the
// stored definition goes through the same decision as UpsertIndicators.
func (s *CatalogueService) UpdateIndicator(ctx context.Context, key string, p hub.IndicatorPatch) (*hub.Indicator, error) {
	var out *hub.Indicator
	err := s.change(ctx, func(tx pgx.Tx, sn *snapshot) (err error) {
		stored := sn.indicators[key]
		if stored == nil {
			return hub.Errorf(hub.ENOTFOUND, "指标 %q 不存在 / no indicator %q", key, key)
		}
		out, err = writeOne(ctx, tx, sn, catalogue.Apply(stored, p))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update indicator %s: %w", key, err)
	}
	return out, nil
}

// RetireIndicator implements hub.CatalogueAdmin (catalogue.RetireRefusal
// decides; the trigger indicators_guard is the last line).
func (s *CatalogueService) RetireIndicator(ctx context.Context, key string) (*hub.Indicator, error) {
	var out *hub.Indicator
	err := s.change(ctx, func(tx pgx.Tx, sn *snapshot) error {
		if err := catalogue.RetireRefusal(key, sn.indicators); err != nil {
			return err
		}
		if out = sn.indicators[key]; out.RetiredAt != nil {
			return nil
		}
		rows, _ := tx.Query(ctx, `UPDATE indicators SET retired_at = now() WHERE key = $1 RETURNING `+indicatorColumns, key)
		var err error
		out, err = collectOne(rows, scanIndicator)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("retire indicator %s: %w", key, err)
	}
	return out, nil
}

// CreateDepartment implements hub.CatalogueAdmin.
func (s *CatalogueService) CreateDepartment(ctx context.Context, d hub.Department) (*hub.Department, error) {
	if err := s.mayChange(ctx); err != nil {
		return nil, err
	}
	if err := catalogue.CheckDepartment(d); err != nil {
		return nil, err
	}
	var out *hub.Department
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `INSERT INTO departments (code, name, name_en) VALUES ($1, $2, $3) RETURNING `+departmentColumns,
			d.Code, d.Name, d.NameEn)
		got, err := pgx.CollectExactlyOneRow(rows, scanDepartment)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return hub.Errorf(hub.ECONFLICT, "部门 %s 已存在 / department %s exists already", d.Code, d.Code)
		}
		out = got
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create department %s: %w", d.Code, err)
	}
	return out, nil
}

// UpdateDepartment implements hub.CatalogueAdmin: names only (the code is
// the department's identity). An empty NameEn removes it.
func (s *CatalogueService) UpdateDepartment(ctx context.Context, code string, p hub.DepartmentPatch) (*hub.Department, error) {
	if err := s.mayChange(ctx); err != nil {
		return nil, err
	}
	var out *hub.Department
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, `SELECT `+departmentColumns+` FROM departments WHERE code = $1`, code)
		d, err := pgx.CollectExactlyOneRow(rows, scanDepartment)
		if errors.Is(err, pgx.ErrNoRows) {
			return hub.Errorf(hub.ENOTFOUND, "部门 %q 不存在 / no department %q", code, code)
		}
		if err != nil {
			return err
		}
		if p.Name != nil {
			d.Name = *p.Name
		}
		if p.NameEn != nil {
			d.NameEn = p.NameEn
			if *p.NameEn == "" {
				d.NameEn = nil
			}
		}
		if err := catalogue.CheckDepartment(*d); err != nil {
			return err
		}
		rows, _ = tx.Query(ctx, `UPDATE departments SET name = $2, name_en = $3 WHERE code = $1 RETURNING `+departmentColumns,
			code, d.Name, d.NameEn)
		out, err = collectOne(rows, scanDepartment)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update department %s: %w", code, err)
	}
	return out, nil
}

// RetireDepartment implements hub.CatalogueAdmin.
func (s *CatalogueService) RetireDepartment(ctx context.Context, code string) (*hub.Department, error) {
	var out *hub.Department
	err := s.change(ctx, func(tx pgx.Tx, sn *snapshot) error {
		if out = sn.departments[code]; out == nil {
			return hub.Errorf(hub.ENOTFOUND, "部门 %q 不存在 / no department %q", code, code)
		}
		if out.RetiredAt != nil {
			return nil
		}
		var active []string
		for k, i := range sn.indicators {
			if i.DepartmentCode == code && i.RetiredAt == nil {
				active = append(active, k)
			}
		}
		slices.Sort(active)
		if err := catalogue.RetireDepartmentRefusal(code, active); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `UPDATE departments SET retired_at = now() WHERE code = $1 RETURNING `+departmentColumns, code)
		var err error
		out, err = collectOne(rows, scanDepartment)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("retire department %s: %w", code, err)
	}
	return out, nil
}

// collectOne returns the one row an UPDATE returned; none means a row
// policy filtered it out (not an admin of the whole tree).
func collectOne[T any](rows pgx.Rows, scan pgx.RowToFunc[T]) (T, error) {
	got, err := pgx.CollectRows(rows, scan)
	if err == nil && len(got) == 0 {
		err = errNotAdmin()
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return got[0], nil
}

// errNotAdmin is the refusal of a write the row policies filtered out.
func errNotAdmin() error {
	return hub.Errorf(hub.EFORBIDDEN, "只有管理员可以修改指标目录 / only admins change the catalogue")
}

// CreateIndicator implements hub.CatalogueAdmin: UpsertIndicators of one
// new definition.
func (s *CatalogueService) CreateIndicator(ctx context.Context, in *hub.Indicator) (*hub.Indicator, error) {
	var out *hub.Indicator
	err := s.change(ctx, func(tx pgx.Tx, sn *snapshot) (err error) {
		if sn.indicators[in.Key] != nil {
			return hub.Errorf(hub.ECONFLICT, "指标 %s 已存在（修改请用 updateIndicator）/ indicator %s exists already (change it with updateIndicator)", in.Key, in.Key)
		}
		out, err = writeOne(ctx, tx, sn, in)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create indicator %s: %w", in.Key, err)
	}
	return out, nil
}
