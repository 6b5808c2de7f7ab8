package hookline

import (
	"errors"
	"fmt"
)

// Error kinds the engine returns; HTTPStatus maps each to one status code.
const (
	KindInvalid     = "invalid"            // 422: a value is wrong; Field names it
	KindMalformed   = "malformed"          // 400: the request cannot be read
	KindNotFound    = "not_found"          // 404
	KindConflict    = "conflict"           // 409
	KindLimit       = "limit_reached"      // 409: a configured limit
	KindTooLarge    = "too_large"          // 413
	KindRateLimit   = "rate_limited"       // 429
	KindForbidden   = "forbidden"          // 403
	KindUnauthed    = "unauthorized"       // 401
	KindUnavailable = "unavailable"        // 503
	KindMethod      = "method_not_allowed" // 405
)

// HTTPStatus is the HTTP status of an error kind (500 for an unknown one);
// the REST API and the admin UI both answer with it.
func HTTPStatus(kind string) int {
	switch kind {
	case KindInvalid:
		return 422
	case KindMalformed:
		return 400
	case KindNotFound:
		return 404
	case KindConflict, KindLimit:
		return 409
	case KindTooLarge:
		return 413
	case KindRateLimit:
		return 429
	case KindForbidden:
		return 403
	case KindUnauthed:
		return 401
	case KindUnavailable:
		return 503
	case KindMethod:
		return 405
	}
	return 500
}

// Error is an engine error safe to show to a client.
type Error struct {
	Kind  string
	Field string
	Msg   string
	// RetryAfter is set for KindRateLimit (seconds).
	RetryAfter int
	Err        error // wrapped cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

func invalid(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Msg: fmt.Sprintf(format, args...)}
}

func notFound(what string) *Error {
	return &Error{Kind: KindNotFound, Msg: what + " not found"}
}

func limitReached(format string, args ...any) *Error {
	return &Error{Kind: KindLimit, Msg: fmt.Sprintf(format, args...)}
}

func forbidden(format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Msg: fmt.Sprintf(format, args...)}
}

// ErrorKind returns the kind of err, or "" for internal errors.
func ErrorKind(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
