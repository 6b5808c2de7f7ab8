package hookline

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hookline/hookline/store"
)

func TestHTTPStatus(t *testing.T) {
	for kind, want := range map[string]int{
		KindInvalid: 422, KindMalformed: 400, KindNotFound: 404, KindConflict: 409, KindLimit: 409,
		KindTooLarge: 413, KindRateLimit: 429, KindForbidden: 403, KindUnauthed: 401,
		KindUnavailable: 503, KindMethod: 405, KindStorage: 503, "": 500, "no_such_kind": 500,
	} {
		if got := HTTPStatus(kind); got != want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", kind, got, want)
		}
	}
}

// PublicError translates store errors at the engine's edge: the HTTP layer
// and the admin UI map only kinds.
func TestPublicError(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("insert event: %w", err) }
	for _, c := range []struct {
		err        error
		kind       string
		retryAfter int
	}{
		{wrap(fmt.Errorf("%w: dial tcp: connection refused", store.ErrUnavailable)), KindStorage, StorageRetryAfter},
		{wrap(store.ErrNotFound), KindNotFound, 0},
		{wrap(store.ErrConflict), KindConflict, 0},
		{wrap(context.DeadlineExceeded), KindUnavailable, 0},
		{invalid("name", "is required"), KindInvalid, 0},
		{&Error{Kind: KindStorage, Msg: "x", Err: store.ErrUnavailable}, KindStorage, 0},
	} {
		pe := PublicError(c.err)
		if pe == nil || pe.Kind != c.kind || pe.RetryAfter != c.retryAfter {
			t.Errorf("PublicError(%v) = %+v, want kind %s, Retry-After %d", c.err, pe, c.kind, c.retryAfter)
		}
	}
	if pe := PublicError(errors.New("disk on fire")); pe != nil {
		t.Errorf("an internal error became public: %+v", pe)
	}
	if PublicError(nil) != nil {
		t.Error("PublicError(nil) is not nil")
	}
}
