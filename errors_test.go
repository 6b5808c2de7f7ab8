package hookline

import "testing"

func TestHTTPStatus(t *testing.T) {
	for kind, want := range map[string]int{
		KindInvalid: 422, KindMalformed: 400, KindNotFound: 404, KindConflict: 409, KindLimit: 409,
		KindTooLarge: 413, KindRateLimit: 429, KindForbidden: 403, KindUnauthed: 401,
		KindUnavailable: 503, KindMethod: 405, "": 500, "no_such_kind": 500,
	} {
		if got := HTTPStatus(kind); got != want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", kind, got, want)
		}
	}
}
