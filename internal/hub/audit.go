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
	// RegionCode is the value's region, or the region of the rule, share,
	// publication, user or token the entry is about.
	RegionCode *string
	Period     *string
	OldValue   *float64
	NewValue   *float64
	OldStatus  *Status
	NewStatus  *Status
	Detail     *string
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
	Entries []*AuditRecord
	// HasNextPage: older entries follow the page (reading from the
	// newest); HasPreviousPage: newer entries come before it (reading from
	// the oldest, AuditRange.FromOldest).
	HasNextPage     bool
	HasPreviousPage bool
	TotalCount      int
}

// AuditService reads the audit trail under the read rules of what each
// entry describes: a value's entries as the value itself (status,
// department, sharing, region; the number of a side the caller may not
// read is absent), rules and shares to those who see them, accounts and
// tokens to admins of their region, nothing to the media office.
type AuditService interface {
	// FindAudit returns at most first entries with ids below before (0: from the newest).
	FindAudit(ctx context.Context, f AuditFilter, first int, before int64) (*AuditPage, error)
	// FindAuditRange returns at most r.N entries with ids between r.Above
	// and r.Below (exclusive; 0: unbounded): the newest of them, or the
	// oldest with r.FromOldest (Relay's last/before); newest first either way.
	FindAuditRange(ctx context.Context, f AuditFilter, r AuditRange) (*AuditPage, error)
}

// AuditRange is a page of the trail between two entries' ids.
type AuditRange struct {
	N            int
	Below, Above int64
	FromOldest   bool
}
