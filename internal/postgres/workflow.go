package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

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
	lockHead = `SELECT v.status, v.indicator_key, v.period, v.region_code, i.publicity OR v.releasable
FROM data_values v JOIN indicators i ON i.key = v.indicator_key
WHERE v.id = $1 AND v.is_head
FOR UPDATE OF v`
	allowedFrom = `SELECT to_status, role, rule FROM workflow_transitions WHERE from_status = $1 ORDER BY to_status, role`
	moveHead    = `UPDATE data_values
SET status = $2, status_reason = $3,
    is_released = $2 IN ('APPROVED', 'PUBLISHED'),
    publish_at = CASE WHEN $2 = 'PUBLISHED' THEN coalesce(publish_at, now()) ELSE publish_at END,
    updated_at = now(), updated_by = current_setting('hub.user', true)
WHERE id = $1
RETURNING id, indicator_key, region_code, period, value, qualifier, status, status_reason,
          version, comment, source, updated_at, updated_by`
)

// Transition moves the head versions ids to status to, all or nothing.
// Approving a correction unreleases the previous version (the trigger does).
func (s *WorkflowService) Transition(ctx context.Context, ids []int, to hub.Status, reason *string) ([]*hub.DataValue, error) {
	if !to.Valid() {
		return nil, hub.Errorf(hub.EINVALID, "未知状态 %q / unknown status %q", to, to)
	}
	if reason != nil && strings.TrimSpace(*reason) == "" {
		reason = nil
	}
	if to == hub.Returned && reason == nil {
		return nil, hub.Errorf(hub.EINVALID, "退回须说明理由 / RETURNED needs a reason")
	}
	role := ""
	if p := hub.PrincipalFrom(ctx); p != nil {
		role = string(p.Role)
	}
	var out []*hub.DataValue
	err := s.db.tx(ctx, func(tx pgx.Tx) error {
		for _, id := range ids {
			var from hub.Status
			var ind, period, region string
			// publishable: a publicity indicator, or a value marked releasable
			var publishable bool
			err := tx.QueryRow(ctx, lockHead, id).Scan(&from, &ind, &period, &region, &publishable)
			if errors.Is(err, pgx.ErrNoRows) {
				return hub.Errorf(hub.ENOTFOUND, "数值 %d 不存在或不是当前版本 / value %d not found or not the head version", id, id)
			}
			if err != nil {
				return fmt.Errorf("lock value %d: %w", id, err)
			}
			if err := s.explain(ctx, tx, id, from, to, role, publishable); err != nil {
				return err
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
				return fmt.Errorf("transition value %d: %w", id, err)
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

// explain checks the step against workflow_transitions and, when it is
// illegal, says which steps the rules allow from the current status.
func (s *WorkflowService) explain(ctx context.Context, tx pgx.Tx, id int, from, to hub.Status, role string, publishable bool) error {
	if from == to {
		return nil
	}
	rows, err := tx.Query(ctx, allowedFrom, string(from))
	if err != nil {
		return fmt.Errorf("read workflow rules: %w", err)
	}
	type rule struct{ to, role, text string }
	rules, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rule, error) {
		var x rule
		return x, r.Scan(&x.to, &x.role, &x.text)
	})
	if err != nil {
		return fmt.Errorf("read workflow rules: %w", err)
	}
	var allowed []string
	for _, r := range rules {
		if r.to == string(to) && r.role == role {
			if to == hub.Published && !publishable {
				return hub.Errorf(hub.EINVALID, "数值 %d：只有公开指标或已标记可发布的数值可以发布 / value %d: only values of publicity indicators or marked releasable may be PUBLISHED", id, id)
			}
			return nil
		}
		allowed = append(allowed, fmt.Sprintf("%s→%s (%s: %s)", from, r.to, r.role, r.text))
	}
	if len(allowed) == 0 {
		return hub.Errorf(hub.EINVALID, "数值 %d：%s 状态不能再变更 / value %d: no transition leaves %s", id, from, id, from)
	}
	return hub.Errorf(hub.EINVALID, "数值 %d：%s 不能由 %s 转为 %s；允许的转换 / value %d: %s may not move %s→%s; allowed: %s",
		id, role, from, to, id, role, from, to, strings.Join(allowed, "; "))
}
