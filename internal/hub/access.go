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
	// Releasable marks a headline figure a coordinator released to the media office.
	Releasable bool
	// Shared reports that the indicator is shared with the principal's
	// department by an agreement whose region covers Region.
	Shared bool
	Now    time.Time
}

// Share is a sharing agreement: Owner lets Grantee's analysts read the
// APPROVED and PUBLISHED values of Indicator (all of Owner's when nil) in
// the subtree of Region.
type Share struct {
	Owner     string
	Grantee   string
	Indicator *string
	// Region is the code of the subtree the agreement opens; empty when
	// loading means the root of the tree.
	Region    string
	CreatedAt time.Time
	CreatedBy string
}

// ShareRequest asks to share (or revoke) indicators of From with To; nil
// Indicators means all of From's indicators. From defaults to the
// caller's department, Region to the caller's region. Sharing opens
// Region's subtree; revoking ends the agreements of regions within it.
type ShareRequest struct {
	From       *string
	To         string
	Indicators []string
	Region     *string
}

// AccessService explains the access rules and manages sharing agreements.
type AccessService interface {
	Explain(ctx context.Context, indicator, region, period string) (*AccessExplanation, error)
	Share(ctx context.Context, r ShareRequest) error
	Revoke(ctx context.Context, r ShareRequest) error
	Shares(ctx context.Context, department *string) ([]*Share, error)
}
