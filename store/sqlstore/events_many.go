package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hookline/hookline/hook"
)

// eventChunk bounds the rows of one multi-row event INSERT.
const eventChunk = 100

// EventInsertMany implements store.Querier: one multi-row INSERT … ON
// CONFLICT DO NOTHING RETURNING id per chunk; the events it did not insert
// (a repeated idempotency key) are then looked up one by one.
func (q *Q) EventInsertMany(ctx context.Context, evs []*hook.Event) ([]string, []bool, error) {
	n := len(evs)
	ids, inserted := make([]string, n), make([]bool, n)
	if n == 0 {
		return ids, inserted, nil
	}
	args := make([]any, 0, n*len(eventCols))
	for _, e := range evs {
		var enc jsonEnc
		data := string(e.DataJSON)
		if e.DataJSON == nil {
			data = enc.str("event data", e.Data)
		}
		var actor sql.NullString
		if e.Actor != nil {
			actor = sql.NullString{String: enc.str("event actor", e.Actor), Valid: true}
		}
		if enc.err != nil {
			return nil, nil, enc.err
		}
		args = append(args, e.ID, e.AccountID, e.Type, e.Collection, data, actor, us(e.OccurredAt), e.IdempotencyKey, e.Depth)
	}
	row := "(" + placeholders(len(eventCols)) + ")"
	err := q.write(ctx, func(q *Q) error {
		clear(ids)
		clear(inserted)
		for start := 0; start < n; start += eventChunk {
			end := min(start+eventChunk, n)
			query := "INSERT INTO events (" + cols("", eventCols) + ") VALUES " + row
			for range end - start - 1 {
				query += ", " + row
			}
			query += ` ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key <> '' DO NOTHING RETURNING id`
			w := len(eventCols)
			got, err := collect(ctx, q, fmt.Sprintf("insert events from %s", evs[start].ID), func(r rowScanner) (string, error) {
				var id string
				return id, r.Scan(&id)
			}, query, args[start*w:end*w]...)
			if err != nil {
				return err
			}
			in := make(map[string]bool, len(got))
			for _, id := range got {
				in[id] = true
			}
			for i := start; i < end; i++ {
				if in[evs[i].ID] {
					ids[i], inserted[i] = evs[i].ID, true
				}
			}
		}
		for i, e := range evs {
			if inserted[i] {
				continue
			}
			err := q.queryRow(ctx, eventByKeySQL,
				e.AccountID, e.IdempotencyKey).Scan(&ids[i])
			if err != nil {
				return q.fail("event by idempotency key", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return ids, inserted, nil
}
