package hub

import (
	"errors"
	"fmt"
	"time"
)

// Application error codes. They are set where the cause is known and mapped
// to GraphQL extensions.code and HTTP statuses in one place each.
const (
	EUNAUTHENTICATED = "UNAUTHENTICATED"
	EFORBIDDEN       = "FORBIDDEN"
	EINVALID         = "BAD_USER_INPUT"
	ENOTFOUND        = "NOT_FOUND"
	ECONFLICT        = "CONFLICT"
	EVALIDATION      = "VALIDATION"
	ETOOCOMPLEX      = "QUERY_TOO_COMPLEX"
	EUNAVAILABLE     = "UNAVAILABLE"
	ERATELIMITED     = "RATE_LIMITED"
	ETOOLARGE        = "REQUEST_TOO_LARGE"
	EINTERNAL        = "INTERNAL"
)

// ERETIRED refuses a value of a retired indicator (or a new indicator of a
// retired department): the catalogue no longer takes it.
const ERETIRED = "RETIRED"

// ENOTTRUSTED refuses an operation that is not on the operator's list of
// trusted documents (hub serve --trusted-documents) to a caller who is not
// an admin. The name is the one Apollo's and GraphOS's routers use.
const ENOTTRUSTED = "PERSISTED_QUERY_NOT_ALLOWED"

// Codes lists every application code, for the transports' tables (the HTTP
// status table in internal/server, the GraphQL error presenter in graph)
// and the tests that check those tables cover each one.
var Codes = []string{EUNAUTHENTICATED, EFORBIDDEN, EINVALID, ENOTFOUND, ECONFLICT, EVALIDATION,
	ETOOCOMPLEX, EUNAVAILABLE, ERATELIMITED, ETOOLARGE, ERETIRED, ENOTTRUSTED, EINTERNAL}

// Error is an error a user may see: a code and a message meant for people.
// Anything else is internal and shown only as "internal error".
type Error struct {
	Code    string
	Message string
	// RetryAfter is how long to wait before trying again (RATE_LIMITED);
	// transports send it as Retry-After.
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or EINTERNAL.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the message of its
// *Error, or a generic text that reveals nothing internal.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "内部错误 / internal error"
}

// RetryAfter returns the RetryAfter of the first *Error in err's chain.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
