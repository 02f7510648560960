// Package graph is the GraphQL transport: gqlgen's generated executor and
// thin resolvers that translate between GraphQL and the hub's services.
package graph

//go:generate go run ./gen

import (
	"log/slog"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
)

// Resolver holds the services the resolvers call.
type Resolver struct {
	Catalogue  hub.CatalogueService
	Values     hub.ValueService
	Workflow   hub.WorkflowService
	Audit      hub.AuditService
	Submit     hub.SubmitService
	Access     hub.AccessService
	Media      hub.MediaService
	Validation hub.ValidationService
	Analytics  hub.AnalyticsService
	Accounts   hub.UserService
	Tokens     hub.TokenService
	// Import reads uploaded spreadsheets (importValues); nil disables it.
	Import *importer.Importer
	// Live serves subscriptions; nil: none (they answer UNAVAILABLE).
	Live *LiveConfig
	// Log receives what subscriptions report (nil: discarded).
	Log *slog.Logger
}
