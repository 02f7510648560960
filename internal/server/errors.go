package server

import (
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sixprot/hub/internal/hub"
)

// statuses is the one table from the hub's codes (hub.Codes) to HTTP
// statuses, for every answer the HTTP edge gives itself and every route
// that is not GraphQL's (exports, media, template, dashboard, login,
// metrics, pprof). GraphQL answers its errors in the body, through its own
// presenter (graph.ErrorPresenter), over the same codes. A code missing
// here is a bug: it answers 500 (TestStatuses_CoverEveryHubCode).
var statuses = map[string]int{
	hub.EUNAUTHENTICATED: http.StatusUnauthorized,
	hub.EFORBIDDEN:       http.StatusForbidden,
	hub.EINVALID:         http.StatusBadRequest,
	hub.ENOTFOUND:        http.StatusNotFound,
	hub.ECONFLICT:        http.StatusConflict,
	hub.EVALIDATION:      http.StatusUnprocessableEntity,
	hub.ETOOCOMPLEX:      http.StatusBadRequest,
	hub.EUNAVAILABLE:     http.StatusServiceUnavailable,
	hub.ERATELIMITED:     http.StatusTooManyRequests,
	hub.ETOOLARGE:        http.StatusRequestEntityTooLarge,
	hub.ERETIRED:         http.StatusConflict,
	hub.ENOTTRUSTED:      http.StatusForbidden,
	hub.EINTERNAL:        http.StatusInternalServerError,
}

// errorStatus sets the headers err's answer needs and returns its status:
// Retry-After in whole seconds for an error with hub.RetryAfter (and 1 s
// for an outage without one), WWW-Authenticate for a 401.
func errorStatus(w http.ResponseWriter, err error) int {
	code := hub.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	wait := hub.RetryAfter(err)
	if wait <= 0 && code == hub.EUNAVAILABLE {
		wait = time.Second
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hub"`)
	}
	return status
}

// presentError sets the headers err's answer needs and returns its status
// and what the client may read of it: its code and message, or for an
// internal error (or a code missing from statuses) only INTERNAL and the
// generic message. The cause of a 5xx goes to log (nil: the caller logged
// it), the one ERROR line of the request.
func presentError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) (status int, code, msg string) {
	status = errorStatus(w, err)
	code, msg = hub.ErrorCode(err), hub.ErrorMessage(err)
	if _, known := statuses[code]; !known || code == hub.EINTERNAL {
		code, msg = hub.EINTERNAL, hub.ErrorMessage(nil)
	}
	if status >= 500 && log != nil {
		log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	w.Header().Set("Cache-Control", "no-store")
	return status, code, msg
}

// writeError answers err in the hub's one error body, the shape of a
// GraphQL error response: {"errors":[{"message":…,"extensions":{"code":…}}]},
// as presentError presents it.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status, code, msg := presentError(w, r, log, err)
	// The body is a GraphQL response: in the media type the client accepts.
	w.Header().Set("Content-Type", hub.ResponseMediaType(r.Header.Get("Accept"))+"; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message": msg, "extensions": map[string]string{"code": code}}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// errorWriter hands writeError and errorStatus to the dashboard
// (dashboard.Errors), so that its routes answer from the same table.
type errorWriter struct{ log *slog.Logger }

func (e errorWriter) Write(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, e.log, err)
}

func (errorWriter) Status(w http.ResponseWriter, err error) int { return errorStatus(w, err) }

func (e errorWriter) Present(w http.ResponseWriter, r *http.Request, err error) (int, string, string) {
	return presentError(w, r, e.log, err)
}
