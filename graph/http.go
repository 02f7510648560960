package graph

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/sixprot/hub/internal/hub"
	"github.com/sixprot/hub/internal/importer"
	"github.com/sixprot/hub/internal/loader"
	"github.com/sixprot/hub/internal/metrics"
	"github.com/sixprot/hub/internal/trusted"
)

// HTTPConfig configures the GraphQL endpoint NewHTTPHandler returns.
type HTTPConfig struct {
	Log *slog.Logger
	// Limits bound each request (zero: DefaultLimits).
	Limits Limits
	// Metrics, when set, counts operations and errors.
	Metrics *metrics.Registry
	// ImportLimits bound the files of importValues (zero fields:
	// importer.DefaultLimits).
	ImportLimits importer.Limits
	// LoaderWait is how long dataloaders collect keys (zero:
	// loader.DefaultWait).
	LoaderWait time.Duration
	// Live, when set, serves subscriptions over WebSocket and SSE
	// (subscriptions.go).
	Live *LiveConfig
	// TrustedDocuments, when set, is the only documents callers other
	// than admins may run (hub serve --trusted-documents; trustedDocuments).
	TrustedDocuments *trusted.Documents
}

// NewHTTPHandler returns the /graphql endpoint over the services: the
// resolvers, NewHandler's transports and limits, the metrics of
// Instrument, and per-request dataloaders. It expects the principal in the
// request's context (the HTTP edge, internal/server, puts it there) and
// knows nothing of tokens.
func NewHTTPHandler(svc hub.Services, cfg HTTPConfig) http.Handler {
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits
	}
	if cfg.LoaderWait == 0 {
		cfg.LoaderWait = loader.DefaultWait
	}
	if cfg.Live != nil && cfg.Live.Auth == nil {
		lc := *cfg.Live
		lc.Auth = svc.Auth
		cfg.Live = &lc
	}
	res := &Resolver{Catalogue: svc.Catalogue, Values: svc.Values, Workflow: svc.Workflow, Audit: svc.Audit, Submit: svc.Submit,
		Access: svc.Access, Media: svc.Media, Validation: svc.Validation, Analytics: svc.Analytics,
		Accounts: svc.Users, Tokens: svc.Tokens, Live: cfg.Live, Log: cfg.Log}
	// Imports use the submit service's bulk path when it has one (postgres does).
	if bulk, ok := svc.Submit.(hub.BulkSubmitService); ok {
		res.Import = &importer.Importer{Submit: bulk, Limits: cfg.ImportLimits}
	}
	srv := newHandler(res, cfg.Log, cfg.Limits, cfg.TrustedDocuments)
	Instrument(srv, cfg.Log, cfg.Metrics)
	h := loader.Middleware(svc.Catalogue, cfg.LoaderWait, srv)
	if cfg.Live != nil {
		h = liveHandler(cfg.Live.Broker, h)
	}
	return h
}
