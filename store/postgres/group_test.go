package postgres

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookline/hookline/internal/testdb"
)

// TestGroupFailureIsEachOwn: when a unit's statement fails, that unit gets
// the error and the others of its group are sent again and commit; a unit
// is all or nothing.
func TestGroupFailureIsEachOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := Open(ctx, testdb.PostgresURL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.pool.Exec(ctx, `CREATE TABLE g (id INT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	ins := func(id int) later {
		return later{query: `INSERT INTO g (id) VALUES ($1)`, args: []any{id}, fail: func(err error) error { return err }}
	}
	units := []*unit{
		{stmts: []later{ins(1), ins(2)}},
		{stmts: []later{ins(3), ins(3)}}, // fails: 3 twice
		{stmts: []later{ins(4)}},
	}
	for _, u := range units {
		u.done = make(chan error, 1)
	}
	s.group.send(units)
	var pe *pgconn.PgError
	for i, u := range units {
		err := <-u.done
		if fails := i == 1; fails != (err != nil) || fails && !(errors.As(err, &pe) && pe.Code == "23505") {
			t.Fatalf("unit %d: %v", i, err)
		}
	}
	var ids []int
	r, err := s.pool.Query(ctx, `SELECT id FROM g ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var id int
		if err := r.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if r.Err() != nil || len(ids) != 3 || ids[0] != 1 || ids[1] != 2 || ids[2] != 4 {
		t.Fatalf("stored %v (%v), want [1 2 4]", ids, r.Err())
	}
}
