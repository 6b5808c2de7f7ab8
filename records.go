package hookline

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/plain"
	"github.com/hookline/hookline/store"
)

// recordReserved are the fields a record has beside its data.
var recordReserved = []string{"id", "collection", "created_at", "updated_at"}

// RecordJSON is a record as the API shows it: its fields flat beside id,
// collection, created_at and updated_at.
func RecordJSON(r *store.Record) map[string]any {
	out := make(map[string]any, len(r.Data)+4)
	maps.Copy(out, r.Data)
	out["id"] = r.ID
	out["collection"] = r.Collection
	out["created_at"] = r.CreatedAt.UTC().Format(time.RFC3339Nano)
	out["updated_at"] = r.UpdatedAt.UTC().Format(time.RFC3339Nano)
	return out
}

// CreateCollection creates a collection of records.
func (e *Engine) CreateCollection(ctx context.Context, p Principal, accountID, name string, schema map[string]any) (*store.Collection, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, RoleManage); err != nil {
		return nil, err
	}
	if !collectionRE.MatchString(name) {
		return nil, invalid("name", "must be lower-case letters, digits and _, starting with a letter (at most 63)")
	}
	if len(schema) > 0 {
		if _, err := e.schemas.compile(schema); err != nil {
			return nil, invalid("schema", "is not a valid JSON Schema: %s", err.Error())
		}
	}
	c := &store.Collection{AccountID: accountID, Name: name, Schema: schema, CreatedAt: e.now().UTC()}
	if err := e.st.CollectionInsert(ctx, c); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Kind: KindConflict, Field: "name", Msg: "collection " + name + " exists already"}
		}
		return nil, err
	}
	return c, nil
}

// GetCollection returns a collection of p's account.
func (e *Engine) GetCollection(ctx context.Context, p Principal, accountID, name string) (*store.Collection, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, PermRead); err != nil {
		return nil, err
	}
	c, err := e.st.CollectionGet(ctx, accountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("collection")
	}
	return c, err
}

// ListCollections lists the collections of p's account.
func (e *Engine) ListCollections(ctx context.Context, p Principal, accountID string) ([]*store.Collection, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, PermRead); err != nil {
		return nil, err
	}
	return e.st.CollectionList(ctx, accountID)
}

// UpdateCollection replaces a collection's schema (empty: none). Records
// written from then on are checked against it; those stored before keep
// their data as it is.
func (e *Engine) UpdateCollection(ctx context.Context, p Principal, accountID, name string, schema map[string]any) (*store.Collection, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, RoleManage); err != nil {
		return nil, err
	}
	if len(schema) > 0 {
		if _, err := e.schemas.compile(schema); err != nil {
			return nil, invalid("schema", "is not a valid JSON Schema: %s", err.Error())
		}
	}
	err := e.cachedWrite(ctx, store.TopicCollections, func(q store.Querier) error {
		return q.CollectionSetSchema(ctx, accountID, name, schema)
	}, e.collections.invalidate)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("collection")
	}
	if err != nil {
		return nil, err
	}
	return e.st.CollectionGet(ctx, accountID, name)
}

// DeleteCollection deletes a collection and its records.
func (e *Engine) DeleteCollection(ctx context.Context, p Principal, accountID, name string) error {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, RoleManage); err != nil {
		return err
	}
	err := e.cachedWrite(ctx, store.TopicCollections, func(q store.Querier) error {
		return q.CollectionDelete(ctx, accountID, name)
	}, e.collections.invalidate)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("collection")
	}
	return err
}

// collectionCache keeps the collections records are written to, so that a
// record write does not read its collection. A change of a schema and a
// deletion (of a collection, or of its account, on any node) drop the
// entries; a miss is not kept, so a creation needs nothing.
type collectionCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]*store.Collection
}

func newCollectionCache() *collectionCache {
	return &collectionCache{m: map[string]*store.Collection{}}
}

func (c *collectionCache) get(ctx context.Context, q store.Querier, accountID, name string) (*store.Collection, error) {
	key := accountID + "/" + name
	c.mu.RLock()
	col, gen := c.m[key], c.gen
	c.mu.RUnlock()
	if col != nil {
		return col, nil
	}
	col, err := q.CollectionGet(ctx, accountID, name)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen == gen { // not deleted while it was read
		c.m[key] = col
	}
	c.mu.Unlock()
	return col, nil
}

func (c *collectionCache) invalidate() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// RecordWrite says who writes a record and why (for the event it emits).
type RecordWrite struct {
	Actor *hook.Actor
	Depth int
}

func cleanRecordData(data map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(data))
	for k, v := range data {
		if contains(recordReserved, k) {
			continue
		}
		if strings.TrimSpace(k) == "" {
			return nil, invalid("data", "field names must not be empty")
		}
		out[k] = v
	}
	return out, nil
}

// CreateRecord stores a record and emits records.create in one transaction.
func (e *Engine) CreateRecord(ctx context.Context, p Principal, accountID, collection string, data map[string]any, w RecordWrite) (*store.Record, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, PermEmit); err != nil {
		return nil, err
	}
	data, err := cleanRecordData(data)
	if err != nil {
		return nil, err
	}
	now := e.now().UTC().Truncate(time.Microsecond)
	r := &store.Record{ID: e.ids.next(prefixRecord, now), AccountID: accountID, Collection: collection, Data: data, CreatedAt: now, UpdatedAt: now}
	ev := &hook.Event{Type: hook.EventRecordCreate, AccountID: accountID, Collection: collection, Data: RecordJSON(r), Actor: w.Actor, Depth: w.Depth}
	if err := e.prepareEvent(ctx, ev); err != nil {
		return nil, err
	}
	// The collection, the schema check and the hooks are looked up before
	// the transaction, so the database's writer only writes. A schema
	// changed meanwhile applies from the next write (as a write that began
	// just before the change); a collection deleted meanwhile fails the
	// insert (its foreign key).
	col, err := e.collections.get(ctx, e.st, accountID, collection)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, notFound("collection")
		}
		return nil, err
	}
	if err := e.schemas.validateRecord(col.Schema, r.Data); err != nil {
		return nil, err
	}
	plan, err := e.dispatch.PlanEvent(ctx, e.st, ev)
	if err != nil {
		return nil, err
	}
	err = e.st.Tx(ctx, func(q store.Querier) error {
		if err := q.RecordInsert(ctx, r); err != nil {
			return err
		}
		_, err = e.storePlan(ctx, q, plan)
		return err
	})
	// The insert's error may come from the commit (PostgreSQL sends the
	// transaction's writes together): the record's account or collection
	// is gone.
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("collection")
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// GetRecord returns one record.
func (e *Engine) GetRecord(ctx context.Context, p Principal, accountID, collection, id string) (*store.Record, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, PermRead); err != nil {
		return nil, err
	}
	r, err := e.st.RecordGet(ctx, accountID, collection, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("record")
	}
	return r, err
}

// ListRecords lists records of a collection.
func (e *Engine) ListRecords(ctx context.Context, p Principal, accountID, collection string, page store.Page) ([]*store.Record, error) {
	if _, err := e.GetCollection(ctx, p, accountID, collection); err != nil {
		return nil, err
	}
	if accountID == "" {
		accountID = p.AccountID
	}
	return e.st.RecordList(ctx, store.RecordFilter{AccountID: accountID, Collection: collection, Page: page})
}

// RecentRecords lists records of a collection newest first (the page's
// cursor is the last id of the page before).
func (e *Engine) RecentRecords(ctx context.Context, p Principal, accountID, collection string, page store.Page) ([]*store.Record, error) {
	if _, err := e.GetCollection(ctx, p, accountID, collection); err != nil {
		return nil, err
	}
	if accountID == "" {
		accountID = p.AccountID
	}
	return e.st.RecordList(ctx, store.RecordFilter{AccountID: accountID, Collection: collection, Newest: true, Page: page})
}

// CountRecords counts the records of a collection.
func (e *Engine) CountRecords(ctx context.Context, p Principal, accountID, collection string) (int, error) {
	if _, err := e.GetCollection(ctx, p, accountID, collection); err != nil {
		return 0, err
	}
	if accountID == "" {
		accountID = p.AccountID
	}
	return e.st.RecordCount(ctx, accountID, collection)
}

// LatestEvent is the newest event of type typ of the account or the
// accounts below it (the first twenty): sample data for the hook
// editor; nil when there is none.
func (e *Engine) LatestEvent(ctx context.Context, p Principal, accountID, typ string) (*hook.Event, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, PermRead); err != nil {
		return nil, err
	}
	sub, err := e.accts.Subtree(ctx, e.st, accountID)
	if err != nil {
		return nil, err
	}
	if len(sub) > 20 { // a sample, not a search: the account and the first below it
		sub = sub[:20]
	}
	ev, err := e.st.EventLatest(ctx, sub, typ)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return ev, err
}

// UpdateRecord merges data into a record and emits records.update (with
// previous) in one transaction. keep, when set, decides per field whether
// this write may set it (first-writer-wins for update_record actions).
func (e *Engine) UpdateRecord(ctx context.Context, p Principal, accountID, collection, id string, data map[string]any, w RecordWrite) (*store.Record, error) {
	return e.updateRecord(ctx, p, accountID, collection, id, data, w, nil)
}

func (e *Engine) updateRecord(ctx context.Context, p Principal, accountID, collection, id string, data map[string]any, w RecordWrite, may func(q store.Querier, field string, value any) (bool, error)) (*store.Record, error) {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, PermEmit); err != nil {
		return nil, err
	}
	data, err := cleanRecordData(data)
	if err != nil {
		return nil, err
	}
	data = plain.Own(data) // compared with the stored data below
	var r *store.Record
	err = e.st.Tx(ctx, func(q store.Querier) error {
		old, err := q.RecordGet(ctx, accountID, collection, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("record")
		}
		if err != nil {
			return err
		}
		prev, before := RecordJSON(old), old.Data
		r = old
		r.Data = maps.Clone(before)
		for k, v := range data {
			if may != nil {
				ok, err := may(q, k, v)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
			}
			if v == nil {
				delete(r.Data, k)
			} else {
				r.Data[k] = v
			}
		}
		if reflect.DeepEqual(r.Data, before) {
			// Nothing changes (the fields were set already, or an earlier
			// hook of the event owns them): no write, no records.update.
			return nil
		}
		r.UpdatedAt = e.now().UTC().Truncate(time.Microsecond)
		col, err := q.CollectionGet(ctx, accountID, collection)
		if err != nil {
			return err
		}
		if err := e.schemas.validateRecord(col.Schema, r.Data); err != nil {
			return err
		}
		if err := q.RecordUpdate(ctx, r); err != nil {
			return err
		}
		ev := &hook.Event{Type: hook.EventRecordUpdate, AccountID: accountID, Collection: collection, Data: RecordJSON(r), Previous: prev, Actor: w.Actor, Depth: w.Depth}
		if err := e.prepareEvent(ctx, ev); err != nil {
			return err
		}
		_, err = e.EmitTx(ctx, q, ev)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRecord deletes a record and emits records.delete in one transaction.
func (e *Engine) DeleteRecord(ctx context.Context, p Principal, accountID, collection, id string, w RecordWrite) error {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, PermEmit); err != nil {
		return err
	}
	return e.st.Tx(ctx, func(q store.Querier) error {
		old, err := q.RecordGet(ctx, accountID, collection, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("record")
		}
		if err != nil {
			return err
		}
		if err := q.RecordDelete(ctx, accountID, collection, id); err != nil {
			return err
		}
		ev := &hook.Event{Type: hook.EventRecordDelete, AccountID: accountID, Collection: collection, Data: RecordJSON(old), Actor: w.Actor, Depth: w.Depth}
		if err := e.prepareEvent(ctx, ev); err != nil {
			return err
		}
		_, err = e.EmitTx(ctx, q, ev)
		return err
	})
}
