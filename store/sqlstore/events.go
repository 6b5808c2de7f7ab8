package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

var eventCols = []string{"id", "account_id", "type", "collection", "data", "actor", "occurred_at",
	"idempotency_key", "depth"}

// EventInsert implements store.Querier. A repeated idempotency key is not an
// error, also inside a transaction: ON CONFLICT DO NOTHING keeps a
// PostgreSQL transaction usable.

// eventByKeySQL finds an account's event by idempotency key (written as
// the lookups of queue.go, for the partial index events_idempotency).
const eventByKeySQL = `SELECT id FROM events WHERE idempotency_key <> '' AND account_id = ? AND idempotency_key = (SELECT ?)`

func (q *Q) EventInsert(ctx context.Context, e *hook.Event) (id string, inserted bool, err error) {
	var enc jsonEnc
	var data string
	if e.DataJSON != nil {
		data = string(e.DataJSON)
	} else {
		data = enc.str("event data", e.Data)
	}
	var actor sql.NullString
	if e.Actor != nil {
		actor = sql.NullString{String: enc.str("event actor", e.Actor), Valid: true}
	}
	if enc.err != nil {
		return "", false, enc.err
	}
	args := []any{e.ID, e.AccountID, e.Type, e.Collection, data, actor, us(e.OccurredAt), e.IdempotencyKey, e.Depth}
	insert := `INSERT INTO events (` + cols("", eventCols) + `) VALUES (` + placeholders(len(eventCols)) + `)`
	err = q.write1(ctx, func(q *Q) error {
		id, inserted = "", false
		if e.IdempotencyKey == "" {
			if err := q.execLater(ctx, "insert event "+e.ID, insert, args...); err != nil {
				return err
			}
			id, inserted = e.ID, true
			return nil
		}
		// In a transaction whose writes go with its commit (PostgreSQL),
		// a key is assumed free: the event goes with the other writes, in
		// the same round trip, and the rare repeat fails the transaction
		// (nothing of it is stored); the driver runs it again with the key
		// looked up first (KeyAssumed, KeysFirst), below.
		if _, ok := q.db.(Deferrer); ok && q.inTx && !q.keysFirst {
			q.keyAssumed = true
			id, inserted = e.ID, true
			return q.execLater(ctx, "insert event "+e.ID, insert, args...)
		}
		err := q.queryRow(ctx, insert+` ON CONFLICT (account_id, idempotency_key) WHERE idempotency_key <> ''
			DO NOTHING RETURNING id`, args...).Scan(&id)
		if err == nil {
			inserted = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return q.fail("insert event "+e.ID, err)
		}
		err = q.queryRow(ctx, eventByKeySQL,
			e.AccountID, e.IdempotencyKey).Scan(&id)
		return q.fail("event by idempotency key", err)
	})
	if err != nil {
		return "", false, err
	}
	return id, inserted, nil
}

// EventGet implements store.Querier.
func (q *Q) EventGet(ctx context.Context, id string) (*hook.Event, error) {
	e, err := scanEvent(q.queryRow(ctx, `SELECT `+cols("", eventCols)+` FROM events WHERE id = ?`, id))
	if err != nil {
		return nil, q.fail("event "+id, err)
	}
	return e, nil
}

// latestEventSQL is an account's newest event of a type.
var latestEventSQL = `SELECT ` + cols("", eventCols) + ` FROM events WHERE account_id = ? AND type = ? ORDER BY id DESC LIMIT 1`

// EventLatest implements store.Querier: the newest event of the type of
// each account (events_account_type), then the newest of those.
func (q *Q) EventLatest(ctx context.Context, accountIDs []string, typ string) (*hook.Event, error) {
	var latest *hook.Event
	for _, a := range accountIDs {
		e, err := scanEvent(q.queryRow(ctx, latestEventSQL, a, typ))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, q.fail("latest event of "+typ, err)
		}
		if latest == nil || e.ID > latest.ID {
			latest = e
		}
	}
	if latest == nil {
		return nil, q.fail("latest event of "+typ, sql.ErrNoRows)
	}
	return latest, nil
}

func scanEvent(r rowScanner) (*hook.Event, error) {
	var (
		e        hook.Event
		data     string
		actor    sql.NullString
		occurred int64
	)
	if err := r.Scan(&e.ID, &e.AccountID, &e.Type, &e.Collection, &data, &actor, &occurred, &e.IdempotencyKey, &e.Depth); err != nil {
		return nil, err
	}
	var d jsonDec
	d.val("event data", data, &e.Data)
	if actor.Valid {
		e.Actor = new(hook.Actor)
		d.val("event actor", actor.String, e.Actor)
	}
	if d.err != nil {
		return nil, d.err
	}
	e.OccurredAt = fromUS(occurred)
	return &e, nil
}

// FieldClaim implements store.Querier. eventID must name a stored event
// (claims go with it when it is pruned); otherwise ErrNotFound.
func (q *Q) FieldClaim(ctx context.Context, eventID, recordID, field string, seq int, value any) (bool, error) {
	v, err := toJSON("claimed value", value)
	if err != nil {
		return false, err
	}
	var n int64
	err = q.write1(ctx, func(q *Q) error {
		var err error
		// The first claim wins: inserted, or the claim is the caller's own
		// (a retry or a replay of the same position): one row affected.
		n, err = q.execN(ctx, `INSERT INTO field_claims (event_id, record_id, field, seq, value) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (event_id, record_id, field) DO UPDATE SET value = excluded.value
			WHERE field_claims.seq = excluded.seq`, eventID, recordID, field, seq, v)
		return q.fail("claim field "+field, err)
	})
	return n > 0, err
}

// FieldClaimList implements store.Querier.
func (q *Q) FieldClaimList(ctx context.Context, eventID, recordID string) ([]store.FieldClaim, error) {
	return collect(ctx, q, "field claims", func(r rowScanner) (store.FieldClaim, error) {
		var (
			c store.FieldClaim
			v string
		)
		if err := r.Scan(&c.Field, &c.Seq, &v); err != nil {
			return c, err
		}
		var d jsonDec
		d.val("claimed value", v, &c.Value)
		return c, d.err
	}, `SELECT field, seq, value FROM field_claims WHERE event_id = ? AND record_id = ? ORDER BY field`, eventID, recordID)
}

// SlotClaim implements store.Querier.
func (q *Q) SlotClaim(ctx context.Context, hookID string, slot time.Time) (bool, error) {
	var n int64
	err := q.write1(ctx, func(q *Q) error {
		var err error
		n, err = q.execN(ctx, `INSERT INTO schedule_slots (hook_id, slot) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			hookID, us(slot))
		return q.fail("claim slot of hook "+hookID, err)
	})
	return n > 0, err
}
