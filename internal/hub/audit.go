package hub

import (
	"context"
	"time"
)

// AuditRecord is one line of the audit trail.
type AuditRecord struct {
	ID        int64
	At        time.Time
	Actor     string
	ActorRole string
	// Channel is API, IMPORT, CLI (or sql for direct database writes);
	// FileName is the imported file's name.
	Channel      string
	FileName     *string
	Action       string
	IndicatorKey *string
	RegionCode   *string
	Period       *string
	OldValue     *float64
	NewValue     *float64
	OldStatus    *Status
	NewStatus    *Status
	Detail       *string
}

// AuditFilter selects audit entries; empty fields do not filter.
type AuditFilter struct {
	Regions    []string
	Indicators []string
	Actors     []string
	Actions    []string
	From, To   *time.Time
}

// AuditPage is a page of the trail, newest first.
type AuditPage struct {
	Entries     []*AuditRecord
	HasNextPage bool
	TotalCount  int
}

// AuditService reads the audit trail; the policies show coordinators and
// admins the entries in their subtree, and nobody else anything.
type AuditService interface {
	// FindAudit returns at most first entries with ids below before (0: from the newest).
	FindAudit(ctx context.Context, f AuditFilter, first int, before int64) (*AuditPage, error)
}
