// Package metrics holds the hub's Prometheus metrics: one registry per
// process, created by cmd/hub and handed to the packages that count.
// Every method is safe on a nil *Registry, so that code run outside the
// server (the CLI's import, tests) can count without a registry.
package metrics

import (
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxOperations bounds the distinct GraphQL operation names kept as
// labels: names come from clients, and a label per random name would grow
// the registry without end. Later names are counted as "other".
const maxOperations = 200

// Registry is the hub's metrics.
type Registry struct {
	reg *prometheus.Registry

	operations  *prometheus.CounterVec
	opDuration  *prometheus.HistogramVec
	gqlErrors   *prometheus.CounterVec
	httpReqs    *prometheus.CounterVec
	httpDur     *prometheus.HistogramVec
	rateLimited prometheus.Counter
	imports     *prometheus.CounterVec
	importRows  *prometheus.CounterVec

	mu  sync.Mutex
	ops map[string]bool
}

// durationBuckets are the latency buckets (seconds) of every duration
// histogram: GraphQL operations and HTTP requests.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}

func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
}

func durations(name, help string, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: durationBuckets}, labels)
}

// New returns a registry with the hub's metrics and the Go runtime and
// process collectors.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry(), ops: map[string]bool{}}
	r.operations = counter("hub_graphql_operations_total",
		"GraphQL operations executed, by operation name and type (query, mutation).", "operation", "type")
	r.opDuration = durations("hub_graphql_operation_duration_seconds",
		"Time to execute a GraphQL operation, by operation name and type.", "operation", "type")
	r.gqlErrors = counter("hub_graphql_errors_total",
		"GraphQL errors sent to clients, by extensions.code.", "code")
	r.httpReqs = counter("hub_http_requests_total",
		"HTTP requests, by route pattern and status code.", "route", "status")
	r.httpDur = durations("hub_http_request_duration_seconds",
		"HTTP request duration, by route pattern.", "route")
	r.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hub_http_rate_limited_total",
		Help: "Requests refused with 429 by the per-token rate limit.",
	})
	r.imports = counter("hub_imports_total",
		"File imports, by outcome (ok, rejected, failed, dry_run).", "outcome")
	r.importRows = counter("hub_import_rows_total",
		"Rows read by imports, by outcome (created, updated, unchanged, rejected).", "outcome")
	r.reg.MustRegister(r.operations, r.opDuration, r.gqlErrors, r.httpReqs, r.httpDur, r.rateLimited,
		r.imports, r.importRows,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Handler serves the metrics in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

// MustRegister adds collectors (for example a PoolCollector).
func (r *Registry) MustRegister(cs ...prometheus.Collector) {
	if r != nil {
		r.reg.MustRegister(cs...)
	}
}

var safeName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// opLabel keeps operation names bounded in length, alphabet and number.
func (r *Registry) opLabel(name string) string {
	if name == "" {
		return "anonymous"
	}
	if !safeName.MatchString(name) {
		return "other"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ops[name] {
		return name
	}
	if len(r.ops) >= maxOperations {
		return "other"
	}
	r.ops[name] = true
	return name
}

// Operation records one executed GraphQL operation.
func (r *Registry) Operation(name, typ string, d time.Duration) {
	if r == nil {
		return
	}
	l := r.opLabel(name)
	r.operations.WithLabelValues(l, typ).Inc()
	r.opDuration.WithLabelValues(l, typ).Observe(d.Seconds())
}

// GraphQLError records one error sent to a client with its extensions.code.
func (r *Registry) GraphQLError(code string) {
	if r == nil {
		return
	}
	if code == "" {
		code = "NONE"
	}
	r.gqlErrors.WithLabelValues(code).Inc()
}

// HTTPRequest records one HTTP request by its route pattern ("" when no
// route matched) and status.
func (r *Registry) HTTPRequest(route string, status int, d time.Duration) {
	if r == nil {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	r.httpReqs.WithLabelValues(route, strconv.Itoa(status)).Inc()
	r.httpDur.WithLabelValues(route).Observe(d.Seconds())
}

// RateLimited records one request refused by the rate limit.
func (r *Registry) RateLimited() {
	if r != nil {
		r.rateLimited.Inc()
	}
}

// Import outcomes for ImportFinished.
const (
	ImportOK       = "ok"
	ImportRejected = "rejected" // the file had conflicts; nothing written
	ImportFailed   = "failed"   // an internal or database error
	ImportDryRun   = "dry_run"
)

// ImportRows are the row counts of one import.
type ImportRows struct {
	Created, Updated, Unchanged, Rejected int
}

// ImportFinished records one import with its outcome (ImportOK, …) and
// row counts. The importer calls it once per file.
func (r *Registry) ImportFinished(outcome string, rows ImportRows) {
	if r == nil {
		return
	}
	r.imports.WithLabelValues(outcome).Inc()
	r.importRows.WithLabelValues("created").Add(float64(rows.Created))
	r.importRows.WithLabelValues("updated").Add(float64(rows.Updated))
	r.importRows.WithLabelValues("unchanged").Add(float64(rows.Unchanged))
	r.importRows.WithLabelValues("rejected").Add(float64(rows.Rejected))
}
