package hookline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/hookline/hookline/store"
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
	// KindStorage (503 with Retry-After): the database cannot be reached or
	// takes no writes (down, disk full, read-only); nothing was stored.
	KindStorage = "storage_unavailable"
)

// StorageRetryAfter is the Retry-After (seconds) of a KindStorage answer.
const StorageRetryAfter = 5

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
	case KindUnavailable, KindStorage:
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
	// RetryAfter is set for KindRateLimit and KindStorage (seconds).
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

// JSONTypeError is the client error for a JSON value of the wrong type: it
// names the field and the JSON types involved, never a Go type name.
func JSONTypeError(te *json.UnmarshalTypeError) *Error {
	got := te.Value
	if i := strings.IndexByte(got, ' '); i > 0 { // "number -5": the kind only
		got = got[:i]
	}
	if got == "bool" {
		got = "boolean"
	}
	return invalid(te.Field, "has the wrong type: want %s, got %s", JSONTypeName(te.Type), got)
}

// JSONTypeName is how a JSON user names the values a Go type decodes from.
func JSONTypeName(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Map, reflect.Struct:
		if t.PkgPath() == "time" && t.Name() == "Time" {
			return "string (an RFC 3339 time)"
		}
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "a JSON value"
}

// PublicError is err as a client may see it: an engine *Error as it is;
// a storage error translated (store.ErrUnavailable is KindStorage,
// store.ErrNotFound KindNotFound, store.ErrConflict KindConflict); a
// cancelled or timed-out request KindUnavailable. It returns nil for an
// internal error, whose details belong in the log only. The REST API and
// the admin UI map errors through it, so neither needs to know the store.
func PublicError(err error) *Error {
	var e *Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrUnavailable):
		return &Error{Kind: KindStorage, Msg: "storage is unavailable (the database cannot be reached or takes no writes); nothing was stored, try again later", RetryAfter: StorageRetryAfter, Err: err}
	case errors.Is(err, store.ErrNotFound):
		return &Error{Kind: KindNotFound, Msg: "not found", Err: err}
	case errors.Is(err, store.ErrConflict):
		return &Error{Kind: KindConflict, Msg: "conflicts with an existing resource", Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &Error{Kind: KindUnavailable, Msg: "the request was cancelled or timed out", Err: err}
	}
	return nil
}
