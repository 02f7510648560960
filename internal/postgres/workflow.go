package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/sixprot/hub/internal/access"
	"github.com/sixprot/hub/internal/hub"
)

// WorkflowService moves values through the workflow. Which status may
// follow which, for whom, is the table workflow_transitions; a trigger
// enforces it in PostgreSQL, and this service reads the same table to
// explain a refusal in words.
type WorkflowService struct{ db *DB }

// NewWorkflowService returns the workflow service on db (the hub_app pool).
func NewWorkflowService(db *DB) *WorkflowService { return &WorkflowService{db: db} }

var _ hub.WorkflowService = (*WorkflowService)(nil)

const (
	lockHead = `SELECT v.status, v.version, i.publicity OR v.releasable
FROM data_values v JOIN indicators i ON i.key = v.indicator_key
WHERE v.id = $1 AND v.is_head
FOR UPDATE OF v`
	// readHead finds a head the caller may read but not change: SELECT
	// FOR UPDATE also applies the update policy, so lockHead missed it.
	readHead    = `SELECT department_code, region_path::text FROM data_values WHERE id = $1 AND is_head`
	allowedFrom = `SELECT from_status, to_status, role, rule FROM workflow_transitions
WHERE from_status = $1 OR (to_status = $2 AND role = $3) ORDER BY to_status, role`
	moveHead = `UPDATE data_values
SET status = $2, status_reason = $3,
    is_released = $2 IN ('APPROVED', 'PUBLISHED'),
    publish_at = CASE WHEN $2 = 'PUBLISHED' THEN coalesce(publish_at, now()) ELSE publish_at END,
    updated_at = now(), updated_by = nullif(hub_user(), '')
WHERE id = $1
RETURNING id, indicator_key, region_code, period, value, qualifier, status, status_reason,
          version, comment, source, updated_at, updated_by`
	// sameHead is the head as it is, for a step to the status it has.
	sameHead = `SELECT id, indicator_key, region_code, period, value, qualifier, status, status_reason,
          version, comment, source, updated_at, updated_by
FROM data_values WHERE id = $1`
)

// Transition moves the head versions ids to status to, all or nothing,
// without expected versions (the API's first form). It still never
// approves a changed number: an edit of a SUBMITTED value makes it a
// DRAFT (the trigger, migration 00044), which cannot be approved.
func (s *WorkflowService) Transition(ctx context.Context, ids []int, to hub.Status, reason *string) ([]*hub.DataValue, error) {
	return s.TransitionSeen(ctx, hub.TransitionRequest{IDs: ids, To: to, Reason: reason})
}

// TransitionSeen moves the head versions req.IDs to req.To, all or
// nothing. With expected versions, a value whose version differs from
// the one its reviewer saw is a CONFLICT and nothing moves.
// Approving a correction unreleases the previous version (the trigger does).
func (s *WorkflowService) TransitionSeen(ctx context.Context, req hub.TransitionRequest) ([]*hub.DataValue, error) {
	ids, to, reason := req.IDs, req.To, req.Reason
	p := hub.PrincipalFrom(ctx)
	if err := access.StatusChangeBlockedBy(p); err != nil {
		return nil, err
	}
	if !to.Valid() {
		return nil, hub.Errorf(hub.EINVALID, "未知状态 %q / unknown status %q", to, to)
	}
	if req.ExpectedVersions != nil && len(req.ExpectedVersions) != len(ids) {
		return nil, hub.Errorf(hub.EINVALID, "expectedVersions 须与 ids 一一对应（%d 个编号，%d 个版本）/ expectedVersions needs one version per id (%d ids, %d versions)",
			len(ids), len(req.ExpectedVersions), len(ids), len(req.ExpectedVersions))
	}
	if reason != nil && strings.TrimSpace(*reason) == "" {
		reason = nil
	}
	if to == hub.Returned && reason == nil {
		return nil, hub.Errorf(hub.EINVALID, "退回须说明理由 / RETURNED needs a reason")
	}
	role := string(p.Role)
	var out []*hub.DataValue
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		for n, id := range ids {
			var from hub.Status
			var version int
			// publishable: a publicity indicator, or a value marked releasable
			var publishable bool
			err := tx.QueryRow(ctx, lockHead, id).Scan(&from, &version, &publishable)
			if errors.Is(err, pgx.ErrNoRows) {
				// Whose value it is comes before its state: one the caller
				// reads but may not change is FORBIDDEN, naming the rule.
				var dept, path string
				if rerr := tx.QueryRow(ctx, readHead, id).Scan(&dept, &path); rerr == nil {
					if berr := access.ChangeBlockedBy(p, dept, path); berr != nil {
						return fmt.Errorf("数值 %d / value %d: %w", id, id, berr)
					}
					return hub.Errorf(hub.EFORBIDDEN, "无权变更数值 %d / not allowed to change value %d", id, id)
				} else if !errors.Is(rerr, pgx.ErrNoRows) {
					return fmt.Errorf("read value %d: %w", id, rerr)
				}
			}
			if errors.Is(err, pgx.ErrNoRows) && req.ExpectedVersions != nil {
				// The caller says it saw this value; it has left the caller's
				// view (an edit withdrew it) or never was there. One answer
				// for both, so that nothing about invisible values leaks.
				return hub.Errorf(hub.ECONFLICT, "数值 %d 已不是审核时的第 %d 版（已被修改撤回或不存在），请重新审核 / value %d is no longer version %d as reviewed (changed and withdrawn, or absent)",
					id, req.ExpectedVersions[n], id, req.ExpectedVersions[n])
			}
			if errors.Is(err, pgx.ErrNoRows) {
				return hub.Errorf(hub.ENOTFOUND, "数值 %d 不存在、不是当前版本或已被撤回 / value %d not found, not the head version, or withdrawn", id, id)
			}
			if err != nil {
				return fmt.Errorf("lock value %d: %w", id, err)
			}
			if req.ExpectedVersions != nil && req.ExpectedVersions[n] != version {
				return hub.Errorf(hub.ECONFLICT, "数值 %d 已变更（现为第 %d 版，审核的是第 %d 版），请重新审核 / value %d changed since it was reviewed: version %d, expected %d",
					id, version, req.ExpectedVersions[n], id, version, req.ExpectedVersions[n])
			}
			if err := s.explain(ctx, tx, id, from, to, role, publishable); err != nil {
				return err
			}
			if from == to {
				// No step at all: the value stays as it is, its reason, author
				// and time included (a repeated request is harmless).
				rows, _ := tx.Query(ctx, sameHead, id)
				v, err := pgx.CollectExactlyOneRow(rows, scanValue)
				if err != nil {
					return fmt.Errorf("read value %d: %w", id, err)
				}
				out = append(out, v)
				continue
			}
			var why *string
			if to == hub.Returned {
				why = reason
			}
			rows, err := tx.Query(ctx, moveHead, id, string(to), why)
			if err != nil {
				return fmt.Errorf("transition value %d: %w", id, err)
			}
			v, err := pgx.CollectExactlyOneRow(rows, scanValue)
			if errors.Is(err, pgx.ErrNoRows) {
				return hub.Errorf(hub.EFORBIDDEN, "无权变更数值 %d / not allowed to change value %d", id, id)
			}
			if err != nil {
				return fmt.Errorf("transition value %d: %w", id, mapError(err))
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// explain checks the step against workflow_transitions, as the trigger
// does, and says why it is refused: FORBIDDEN when the role never moves a
// value to that status, CONFLICT when it does but not from the value's
// current status (listing the steps allowed from there), BAD_USER_INPUT
// when the value cannot be published at all.
//
// A step to the status the value has is allowed (and changes nothing) only
// to a role that takes values to that status at all: an analyst asking
// for RETURNED or APPROVED is FORBIDDEN whatever the value's status.
func (s *WorkflowService) explain(ctx context.Context, tx pgx.Tx, id int, from, to hub.Status, role string, publishable bool) error {
	rows, err := tx.Query(ctx, allowedFrom, string(from), string(to), role)
	if err != nil {
		return fmt.Errorf("read workflow rules: %w", err)
	}
	type rule struct{ from, to, role, text string }
	rules, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rule, error) {
		var x rule
		return x, r.Scan(&x.from, &x.to, &x.role, &x.text)
	})
	if err != nil {
		return fmt.Errorf("read workflow rules: %w", err)
	}
	var allowed []string
	roleTakesStep := false
	for _, r := range rules {
		if r.to == string(to) && r.role == role {
			roleTakesStep = true
			if r.from == string(from) || from == to {
				if to == hub.Published && !publishable && from != to {
					return hub.Errorf(hub.EINVALID, "数值 %d：只有公开指标或已标记可发布的数值可以发布 / value %d: only values of publicity indicators or marked releasable may be PUBLISHED", id, id)
				}
				return nil
			}
		}
		if r.from == string(from) {
			allowed = append(allowed, fmt.Sprintf("%s→%s (%s: %s)", from, r.to, r.role, r.text))
		}
	}
	if !roleTakesStep {
		return hub.Errorf(hub.EFORBIDDEN, "数值 %d：%s 角色不能将数值转为 %s / value %d: %s users may not move values to %s",
			id, role, to, id, role, to)
	}
	if len(allowed) == 0 {
		return hub.Errorf(hub.ECONFLICT, "数值 %d：%s 状态不能再变更 / value %d: no transition leaves %s", id, from, id, from)
	}
	return hub.Errorf(hub.ECONFLICT, "数值 %d 当前为 %s（可能已被修改），%s 不能将其转为 %s；允许的转换 / value %d is %s now (it may have changed): %s may not move %s→%s; allowed: %s",
		id, from, role, to, id, from, role, from, to, strings.Join(allowed, "; "))
}
