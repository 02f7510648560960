package postgres

import "github.com/sixprot/hub/internal/hub"

// ServicesConfig are the settings of the services that have any.
type ServicesConfig struct {
	// SuppressBelow is the media office's small-cell threshold
	// (NewMediaService; 0: the default).
	SuppressBelow float64
	// LoginBackoff bounds password guessing (zero: DefaultLoginBackoff).
	LoginBackoff LoginBackoff
}

// NewServices returns every service of the hub over db: the one place
// that wires them, for hub serve, the test harness and the load script.
func NewServices(db *DB, cfg ServicesConfig) hub.Services {
	sessions := NewSessionService(db)
	sessions.Backoff = cfg.LoginBackoff // zero: DefaultLoginBackoff, when used
	return hub.Services{
		Auth:       NewAuthService(db),
		Sessions:   sessions,
		Catalogue:  NewCatalogueService(db),
		Values:     NewValueService(db),
		Workflow:   NewWorkflowService(db),
		Audit:      NewAuditService(db),
		Submit:     NewSubmitService(db),
		Validation: NewValidationService(db),
		Access:     NewAccessService(db),
		Media:      NewMediaService(db, cfg.SuppressBelow),
		Analytics:  NewAnalyticsService(db),
		Users:      NewUserService(db),
		Tokens:     NewAuthService(db),
	}
}
