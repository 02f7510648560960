package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

// SubmitService writes values as the principal: the policies decide who
// may insert and update; the service checks values and versions and
// reports every refusal by input index.
type SubmitService struct{ db *DB }

// NewSubmitService returns the submit service on db (the hub_app pool).
func NewSubmitService(db *DB) *SubmitService { return &SubmitService{db: db} }

var _ hub.SubmitService = (*SubmitService)(nil)

// errRollback ends a transaction that has conflicts or is a dry run.
var errRollback = errors.New("rollback")

const (
	findIndicator = `SELECT key, department_code, value_type, period_type, collection_level, formula FROM indicators WHERE key = $1`
	findRegion    = `SELECT code, name, level, path::text FROM regions WHERE code = $1`
	findHead      = `SELECT id, value, qualifier, comment, status, version FROM data_values
WHERE indicator_key = $1 AND period = $2 AND region_code = $3 AND is_head FOR UPDATE`
	maxVersion  = `SELECT coalesce(max(version), 0) FROM data_values WHERE indicator_key = $1 AND period = $2 AND region_code = $3`
	insertDraft = `INSERT INTO data_values (indicator_key, department_code, region_code, region_path, period, value, qualifier,
  comment, status, version, source, updated_by)
VALUES ($1, $2, $3, $4::ltree, $5, $6, $7, $8, 'DRAFT', $9, $10, current_setting('hub.user', true))
RETURNING id, indicator_key, region_code, period, value, qualifier, status, status_reason,
          version, comment, source, updated_at, updated_by`
	// Editing a RETURNED value makes it a DRAFT again.
	updateDraft = `UPDATE data_values SET value = $2, qualifier = $3, comment = $4, version = version + 1,
  status = CASE WHEN status = 'RETURNED' THEN 'DRAFT' ELSE status END,
  status_reason = CASE WHEN status = 'RETURNED' THEN NULL ELSE status_reason END,
  source = $5, updated_at = now(), updated_by = current_setting('hub.user', true)
WHERE id = $1
RETURNING id, indicator_key, region_code, period, value, qualifier, status, status_reason,
          version, comment, source, updated_at, updated_by`
	// A correction of a released head: the old row stays released, the new
	// version becomes the DRAFT head.
	retireHead = `UPDATE data_values SET is_head = false WHERE id = $1`
)

// SubmitValues writes in, all or nothing: with any conflict nothing is
// written and the result lists the conflicts by input index. The values
// are then checked against the validation rules that read them, in the
// same transaction: a BLOCK violation is a conflict (code VALIDATION),
// WARN violations come back as warnings, on dry runs too.
func (s *SubmitService) SubmitValues(ctx context.Context, in []hub.ValueInput, dryRun bool) (*hub.SubmitOutcome, error) {
	res := &hub.SubmitOutcome{}
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		for i, v := range in {
			if err := s.one(ctx, tx, i, v, res); err != nil {
				code := hub.ErrorCode(mapError(err))
				if code == hub.EINTERNAL {
					return err
				}
				res.Conflicts = append(res.Conflicts, hub.SubmitConflict{Index: i, Code: code, Message: hub.ErrorMessage(mapError(err))})
				// A failed statement aborts the transaction: stop here.
				var he *hub.Error
				if !errors.As(err, &he) {
					break
				}
			}
		}
		if len(res.Conflicts) == 0 {
			if err := validateSubmission(ctx, tx, in, res); err != nil {
				return err
			}
		}
		if len(res.Conflicts) > 0 || dryRun {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return nil, fmt.Errorf("submit values: %w", err)
	}
	if len(res.Conflicts) > 0 {
		res.Created, res.Updated, res.Values = 0, 0, nil
	}
	return res, nil
}

func (s *SubmitService) one(ctx context.Context, tx pgx.Tx, i int, v hub.ValueInput, res *hub.SubmitOutcome) error {
	var ind hub.Indicator
	err := tx.QueryRow(ctx, findIndicator, v.Indicator).Scan(&ind.Key, &ind.DepartmentCode, &ind.ValueType,
		&ind.PeriodType, &ind.CollectionLevel, &ind.Formula)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.Errorf(hub.ENOTFOUND, "指标 %q 不存在 / no indicator %q", v.Indicator, v.Indicator)
	} else if err != nil {
		return err
	}
	if ind.Formula != nil {
		return hub.Errorf(hub.EINVALID, "%s 是计算指标，不能填报 / %s is derived and cannot be submitted", ind.Key, ind.Key)
	}
	var reg hub.Region
	err = tx.QueryRow(ctx, findRegion, v.Region).Scan(&reg.Code, &reg.Name, &reg.Level, &reg.Path)
	level, path := reg.Level, reg.Path
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.Errorf(hub.ENOTFOUND, "地区 %q 不存在 / no region %q", v.Region, v.Region)
	} else if err != nil {
		return err
	}
	// The rule in words before RLS refuses the write (RLS stays the enforcement).
	if err := access.WriteBlockedBy(hub.PrincipalFrom(ctx), &ind, &reg); err != nil {
		return err
	}
	if level != ind.CollectionLevel {
		return hub.Errorf(hub.EINVALID, "%s 按 %s 级采集，%s 是 %s 级 / %s is collected per %s, %s is a %s",
			ind.Key, ind.CollectionLevel, v.Region, level, ind.Key, ind.CollectionLevel, v.Region, level)
	}
	if err := hub.CheckPeriod(&ind, v.Period); err != nil {
		return err
	}
	if err := hub.CheckValue(&ind, v.Value); err != nil {
		return err
	}
	q := v.Qualifier
	if q == "" {
		q = hub.Exact
	}
	var head struct {
		id      int
		value   *float64
		qual    hub.Qualifier
		comment *string
		status  hub.Status
		version int
	}
	err = tx.QueryRow(ctx, findHead, v.Indicator, v.Period, v.Region).Scan(&head.id, &head.value, &head.qual,
		&head.comment, &head.status, &head.version)
	exists := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if v.ExpectedVersion != nil && (!exists && *v.ExpectedVersion != 0 || exists && head.version != *v.ExpectedVersion) {
		return hub.Errorf(hub.ECONFLICT, "版本已变更（现为 %d，预期 %d）/ the value changed: version %d, expected %d",
			head.version, *v.ExpectedVersion, head.version, *v.ExpectedVersion)
	}
	if exists && eqFloat(head.value, v.Value) && head.qual == q && eqString(head.comment, v.Comment) {
		res.Unchanged++
		return nil
	}
	var rows pgx.Rows
	switch {
	case exists && (head.status == hub.Approved || head.status == hub.Published):
		if _, err := tx.Exec(ctx, retireHead, head.id); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, insertDraft, v.Indicator, ind.DepartmentCode, v.Region, path, v.Period, v.Value, string(q), v.Comment, head.version+1, source(ctx))
		res.Updated++
	case exists:
		rows, err = tx.Query(ctx, updateDraft, head.id, v.Value, string(q), v.Comment, source(ctx))
		res.Updated++
	default:
		var max int
		if err := tx.QueryRow(ctx, maxVersion, v.Indicator, v.Period, v.Region).Scan(&max); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, insertDraft, v.Indicator, ind.DepartmentCode, v.Region, path, v.Period, v.Value, string(q), v.Comment, max+1, source(ctx))
		res.Created++
	}
	if err != nil {
		return err
	}
	dv, err := pgx.CollectExactlyOneRow(rows, scanValue)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.Errorf(hub.EFORBIDDEN, "无权修改 / not allowed to change this value")
	} else if err != nil {
		return err
	}
	res.Values = append(res.Values, dv)
	return nil
}

func eqFloat(a, b *float64) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func eqString(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// source is data_values.source for a write through the channel of ctx:
// "import" for imports, "api" otherwise.
func source(ctx context.Context) string {
	if kind, _ := hub.SplitChannel(hub.ChannelFrom(ctx)); kind == hub.ChannelImport {
		return "import"
	}
	return "api"
}
