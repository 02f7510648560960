package hub

import "context"

// WorkflowService moves values through the workflow
// (DRAFT → SUBMITTED → APPROVED → PUBLISHED, RETURNED with a reason).
type WorkflowService interface {
	// Transition moves the head versions with the given ids to status to,
	// all or nothing; an illegal step is EINVALID naming the rule.
	Transition(ctx context.Context, ids []int, to Status, reason *string) ([]*DataValue, error)
}
