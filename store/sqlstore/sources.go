package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

var sourceCols = []string{"id", "account_id", "name", "kind", "url", "display", "tables", "slot",
	"publication", "status", "lease_node", "lease_until", "created_at", "updated_at"}

var sourceSelect = "SELECT " + cols("", sourceCols) + " FROM sources"

func scanSource(r rowScanner) (*hook.Source, error) {
	var (
		s                hook.Source
		tables, status   string
		leaseUntil       sql.NullInt64
		created, updated int64
	)
	if err := r.Scan(&s.ID, &s.AccountID, &s.Name, &s.Kind, &s.URL, &s.Display, &tables, &s.Slot,
		&s.Publication, &status, &s.LeaseNode, &leaseUntil, &created, &updated); err != nil {
		return nil, err
	}
	var d jsonDec
	d.val("source tables", tables, &s.Tables)
	d.val("source status", status, &s.Status)
	if d.err != nil {
		return nil, d.err
	}
	s.LeaseUntil = fromNullUS(leaseUntil)
	s.CreatedAt, s.UpdatedAt = fromUS(created), fromUS(updated)
	return &s, nil
}

// SourceInsert implements store.Querier.
func (q *Q) SourceInsert(ctx context.Context, s *hook.Source) error {
	var enc jsonEnc
	tables, status := enc.str("source tables", s.Tables), enc.str("source status", s.Status)
	if enc.err != nil {
		return enc.err
	}
	url := s.URL
	if url == nil {
		url = []byte{}
	}
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO sources (`+cols("", sourceCols)+`) VALUES (`+placeholders(len(sourceCols))+`)`,
			s.ID, s.AccountID, s.Name, s.Kind, url, s.Display, tables, s.Slot, s.Publication, status,
			s.LeaseNode, usPtr(s.LeaseUntil), us(s.CreatedAt), us(s.UpdatedAt))
		return q.fail("insert source "+s.ID, err)
	})
}

// SourceGet implements store.Querier.
func (q *Q) SourceGet(ctx context.Context, id string) (*hook.Source, error) {
	s, err := scanSource(q.queryRow(ctx, sourceSelect+` WHERE id = ?`, id))
	if err != nil {
		return nil, q.fail("source "+id, err)
	}
	return s, nil
}

// SourceList implements store.Querier: by id.
func (q *Q) SourceList(ctx context.Context, accountIDs []string) ([]*hook.Source, error) {
	var w where
	w.in("account_id", accountIDs)
	return collect(ctx, q, "list sources", scanSource, sourceSelect+w.String()+` ORDER BY id`, w.args...)
}

// SourceDelete implements store.Querier.
func (q *Q) SourceDelete(ctx context.Context, id string) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "delete source "+id, `DELETE FROM sources WHERE id = ?`, id)
	})
}

// SourceSetStatus implements store.Querier.
func (q *Q) SourceSetStatus(ctx context.Context, id, node string, st hook.SourceStatus) error {
	status, err := toJSON("source status", st)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		n, err := q.execN(ctx, `UPDATE sources SET status = ? WHERE id = ? AND lease_node = ?`, status, id, node)
		if err != nil {
			return q.fail("set status of source "+id, err)
		}
		if n > 0 {
			return nil
		}
		var one int
		if err := q.queryRow(ctx, `SELECT 1 FROM sources WHERE id = ?`, id).Scan(&one); err != nil {
			return q.fail("source "+id, err)
		}
		return fmt.Errorf("source %s: %w", id, store.ErrLeaseLost)
	})
}

// SourceLease implements store.Querier: one conditional UPDATE, so two
// nodes racing for a free source cannot both win.
func (q *Q) SourceLease(ctx context.Context, id, node string, now, until time.Time, force bool) (bool, error) {
	var n int64
	err := q.write1(ctx, func(q *Q) error {
		var err error
		if force {
			n, err = q.execN(ctx, `UPDATE sources SET lease_node = ?, lease_until = ? WHERE id = ?`, node, us(until), id)
		} else {
			n, err = q.execN(ctx, `UPDATE sources SET lease_node = ?, lease_until = ? WHERE id = ?
				AND (lease_node = ? OR lease_node = '' OR lease_until IS NULL OR lease_until < ?)`,
				node, us(until), id, node, us(now))
		}
		return q.fail("lease source "+id, err)
	})
	return n > 0, err
}

// SourceRelease implements store.Querier.
func (q *Q) SourceRelease(ctx context.Context, id, node string) error {
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `UPDATE sources SET lease_node = '', lease_until = NULL WHERE id = ? AND lease_node = ?`, id, node)
		return q.fail("release source "+id, err)
	})
}
