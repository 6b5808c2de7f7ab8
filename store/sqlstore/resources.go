package sqlstore

import (
	"context"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// SecretPut implements store.Querier: insert or replace.
func (q *Q) SecretPut(ctx context.Context, s *hook.Secret) error {
	value := s.Value
	if value == nil {
		value = []byte{}
	}
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO secrets (account_id, name, value, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (account_id, name) DO UPDATE SET value = excluded.value, created_at = excluded.created_at`,
			s.AccountID, s.Name, value, us(s.CreatedAt))
		return q.fail("put secret "+s.Name, err)
	})
}

func scanSecret(r rowScanner) (*hook.Secret, error) {
	var (
		s       hook.Secret
		created int64
	)
	if err := r.Scan(&s.AccountID, &s.Name, &s.Value, &created); err != nil {
		return nil, err
	}
	s.CreatedAt = fromUS(created)
	return &s, nil
}

// SecretGet implements store.Querier.
func (q *Q) SecretGet(ctx context.Context, accountID, name string) (*hook.Secret, error) {
	s, err := scanSecret(q.queryRow(ctx, `SELECT account_id, name, value, created_at FROM secrets
		WHERE account_id = ? AND name = ?`, accountID, name))
	if err != nil {
		return nil, q.fail("secret "+name, err)
	}
	return s, nil
}

// SecretList implements store.Querier: by name.
func (q *Q) SecretList(ctx context.Context, accountID string) ([]*hook.Secret, error) {
	return collect(ctx, q, "list secrets", scanSecret, `SELECT account_id, name, value, created_at FROM secrets
		WHERE account_id = ? ORDER BY name`, accountID)
}

// SecretDelete implements store.Querier.
func (q *Q) SecretDelete(ctx context.Context, accountID, name string) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "delete secret "+name, `DELETE FROM secrets WHERE account_id = ? AND name = ?`,
			accountID, name)
	})
}

// EventTypeInsert implements store.Querier.
func (q *Q) EventTypeInsert(ctx context.Context, t *store.EventType) error {
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO event_types (account_id, id, label, created_at) VALUES (?, ?, ?, ?)`,
			t.AccountID, t.ID, t.Label, us(t.CreatedAt))
		return q.fail("insert event type "+t.ID, err)
	})
}

// EventTypeList implements store.Querier: by id, then account.
func (q *Q) EventTypeList(ctx context.Context, accountIDs []string) ([]*store.EventType, error) {
	var w where
	w.in("account_id", accountIDs)
	return collect(ctx, q, "list event types", func(r rowScanner) (*store.EventType, error) {
		var (
			t       store.EventType
			created int64
		)
		if err := r.Scan(&t.AccountID, &t.ID, &t.Label, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = fromUS(created)
		return &t, nil
	}, `SELECT account_id, id, label, created_at FROM event_types`+w.String()+` ORDER BY id, account_id`, w.args...)
}

// EventTypeDelete implements store.Querier.
func (q *Q) EventTypeDelete(ctx context.Context, accountID, id string) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "delete event type "+id, `DELETE FROM event_types WHERE account_id = ? AND id = ?`,
			accountID, id)
	})
}

func scanCollection(r rowScanner) (*store.Collection, error) {
	var (
		c       store.Collection
		schema  string
		created int64
	)
	if err := r.Scan(&c.AccountID, &c.Name, &schema, &created); err != nil {
		return nil, err
	}
	if err := fromJSON("collection schema", schema, &c.Schema); err != nil {
		return nil, err
	}
	c.CreatedAt = fromUS(created)
	return &c, nil
}

// CollectionInsert implements store.Querier.
func (q *Q) CollectionInsert(ctx context.Context, c *store.Collection) error {
	schema, err := toJSON("collection schema", c.Schema)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		_, err := q.exec(ctx, `INSERT INTO collections (account_id, name, schema_json, created_at) VALUES (?, ?, ?, ?)`,
			c.AccountID, c.Name, schema, us(c.CreatedAt))
		return q.fail("insert collection "+c.Name, err)
	})
}

// CollectionGet implements store.Querier.
func (q *Q) CollectionGet(ctx context.Context, accountID, name string) (*store.Collection, error) {
	c, err := scanCollection(q.queryRow(ctx, `SELECT account_id, name, schema_json, created_at FROM collections
		WHERE account_id = ? AND name = ?`, accountID, name))
	if err != nil {
		return nil, q.fail("collection "+name, err)
	}
	return c, nil
}

// CollectionList implements store.Querier: by name.
func (q *Q) CollectionList(ctx context.Context, accountID string) ([]*store.Collection, error) {
	return collect(ctx, q, "list collections", scanCollection, `SELECT account_id, name, schema_json, created_at
		FROM collections WHERE account_id = ? ORDER BY name`, accountID)
}

// CollectionSetSchema implements store.Querier.
func (q *Q) CollectionSetSchema(ctx context.Context, accountID, name string, schema map[string]any) error {
	js, err := toJSON("collection schema", schema)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "set the schema of collection "+name, `UPDATE collections SET schema_json = ? WHERE account_id = ? AND name = ?`,
			js, accountID, name)
	})
}

// CollectionDelete implements store.Querier; its records go by cascade.
func (q *Q) CollectionDelete(ctx context.Context, accountID, name string) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "delete collection "+name, `DELETE FROM collections WHERE account_id = ? AND name = ?`,
			accountID, name)
	})
}

const recordSelect = `SELECT id, account_id, collection, data, created_at, updated_at FROM records`

func scanRecord(r rowScanner) (*store.Record, error) {
	var (
		rec              store.Record
		data             string
		created, updated int64
	)
	if err := r.Scan(&rec.ID, &rec.AccountID, &rec.Collection, &data, &created, &updated); err != nil {
		return nil, err
	}
	if err := fromJSON("record data", data, &rec.Data); err != nil {
		return nil, err
	}
	rec.CreatedAt, rec.UpdatedAt = fromUS(created), fromUS(updated)
	return &rec, nil
}

// RecordInsert implements store.Querier. A missing collection is ErrNotFound.
func (q *Q) RecordInsert(ctx context.Context, r *store.Record) error {
	data, err := toJSON("record data", r.Data)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		return q.execLater(ctx, "insert record "+r.ID, `INSERT INTO records (id, account_id, collection, data, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.ID, r.AccountID, r.Collection, data, us(r.CreatedAt), us(r.UpdatedAt))
	})
}

// RecordGet implements store.Querier.
func (q *Q) RecordGet(ctx context.Context, accountID, collection, id string) (*store.Record, error) {
	query := recordSelect + ` WHERE account_id = ? AND collection = ? AND id = ?`
	if q.inTx && q.d.SkipLocked {
		// Inside a transaction the record is read to be changed: lock it so
		// concurrent read-modify-writes of one record queue up (no lost
		// update). SQLite's single writer serializes them already.
		query += " FOR UPDATE"
	}
	r, err := scanRecord(q.queryRow(ctx, query, accountID, collection, id))
	if err != nil {
		return nil, q.fail("record "+id, err)
	}
	return r, nil
}

// RecordList implements store.Querier.
func (q *Q) RecordList(ctx context.Context, f store.RecordFilter) ([]*store.Record, error) {
	var w where
	w.add("account_id = ?", f.AccountID)
	w.add("collection = ?", f.Collection)
	order := ` ORDER BY id LIMIT ?`
	switch {
	case f.Newest:
		order = ` ORDER BY id DESC LIMIT ?`
		if f.Cursor != "" {
			w.add("id < ?", f.Cursor)
		}
	case f.Cursor != "":
		w.add("id > ?", f.Cursor)
	}
	return collect(ctx, q, "list records", scanRecord, recordSelect+w.String()+order,
		append(w.args, limitOf(f.Page))...)
}

// RecordCount implements store.Querier.
func (q *Q) RecordCount(ctx context.Context, accountID, collection string) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM records WHERE account_id = ? AND collection = ?`, accountID, collection).Scan(&n)
	return n, q.fail("count records", err)
}

// RecordUpdate implements store.Querier: data and updated_at.
func (q *Q) RecordUpdate(ctx context.Context, r *store.Record) error {
	data, err := toJSON("record data", r.Data)
	if err != nil {
		return err
	}
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "update record "+r.ID, `UPDATE records SET data = ?, updated_at = ?
			WHERE account_id = ? AND collection = ? AND id = ?`, data, us(r.UpdatedAt), r.AccountID, r.Collection, r.ID)
	})
}

// RecordDelete implements store.Querier.
func (q *Q) RecordDelete(ctx context.Context, accountID, collection, id string) error {
	return q.write1(ctx, func(q *Q) error {
		return q.execOne(ctx, "delete record "+id, `DELETE FROM records WHERE account_id = ? AND collection = ? AND id = ?`,
			accountID, collection, id)
	})
}
