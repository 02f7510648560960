package hub

import "context"

// WorkflowService moves values through the workflow
// (DRAFT → SUBMITTED → APPROVED → PUBLISHED, RETURNED with a reason).
type WorkflowService interface {
	// Transition moves the head versions with the given ids to status to,
	// all or nothing, whatever their version: TransitionSeen without
	// expected versions.
	Transition(ctx context.Context, ids []int, to Status, reason *string) ([]*DataValue, error)
	// TransitionSeen moves the head versions req.IDs to req.To, all or
	// nothing. A role that never takes the step is EFORBIDDEN, a step the
	// value's current status does not allow is ECONFLICT, and so is a
	// value whose version is not the one in req.ExpectedVersions.
	TransitionSeen(ctx context.Context, req TransitionRequest) ([]*DataValue, error)
}

// TransitionRequest asks to move values to a status.
type TransitionRequest struct {
	IDs []int
	// ExpectedVersions, when not nil, holds one version per id, in the
	// same order: the version each value had when the caller reviewed it.
	ExpectedVersions []int
	To               Status
	// Reason is required for RETURNED and stored with the value.
	Reason *string
}
