package sqlstore

import (
	"testing"

	"github.com/hookline/hookline/store"
)

func TestRebind(t *testing.T) {
	pg := &Dialect{Dollar: true}
	lite := &Dialect{}
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?) LIMIT ?`
	if got, want := pg.rebind(q), `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3) LIMIT $4`; got != want {
		t.Errorf("postgres: %s, want %s", got, want)
	}
	if got := lite.rebind(q); got != q {
		t.Errorf("sqlite: %s", got)
	}
}

func TestLimit(t *testing.T) {
	for _, c := range []struct{ in, want int }{{0, 50}, {-1, 50}, {1, 1}, {500, 500}, {501, 500}} {
		if got := limitOf(store.Page{Limit: c.in}); got != c.want {
			t.Errorf("limit %d: %d, want %d", c.in, got, c.want)
		}
	}
}

func TestLikeEscape(t *testing.T) {
	if got, want := likeEscape(`100%_a\b`), `100\%\_a\\b`; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}
