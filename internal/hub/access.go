package hub

import (
	"context"
	"time"
)

// AccessExplanation says whether the principal may read and write one
// value, and which rule stands in the way.
type AccessExplanation struct {
	CanRead        bool
	CanWrite       bool
	ReadBlockedBy  *string
	WriteBlockedBy *string
	// Rules lists every rule that applies, in words.
	Rules []string
}

// ValueFacts is what the access rules look at for one (indicator, region,
// period): gathered regardless of the caller's visibility, so that an
// explanation can name the rule. Only the workflow stage is exposed, never
// the value.
type ValueFacts struct {
	Principal *Principal
	Indicator *Indicator
	Region    *Region
	Period    string
	// Exists is false when nobody has entered the value yet.
	Exists bool
	// HeadStatus is the status of the department's working copy.
	HeadStatus Status
	// Released reports an APPROVED or PUBLISHED version, ReleasedStatus its status.
	Released       bool
	ReleasedStatus Status
	PublishAt      *time.Time
	// Shared reports that the indicator is shared with the principal's department.
	Shared bool
	Now    time.Time
}

// Share is a sharing agreement: Owner lets Grantee's analysts read the
// APPROVED and PUBLISHED values of Indicator (all of Owner's when nil).
type Share struct {
	Owner     string
	Grantee   string
	Indicator *string
	CreatedAt time.Time
	CreatedBy string
}

// ShareRequest asks to share (or revoke) indicators of From with To; nil
// Indicators means all of From's indicators. From defaults to the
// caller's department.
type ShareRequest struct {
	From       *string
	To         string
	Indicators []string
}

// AccessService explains the access rules and manages sharing agreements.
type AccessService interface {
	Explain(ctx context.Context, indicator, region, period string) (*AccessExplanation, error)
	Share(ctx context.Context, r ShareRequest) error
	Revoke(ctx context.Context, r ShareRequest) error
	Shares(ctx context.Context, department *string) ([]*Share, error)
}
