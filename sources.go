package hookline

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/cdc"
	"github.com/hookline/hookline/store"
)

const prefixSource = "src_"

// SourceInput creates a change-capture source.
type SourceInput struct {
	Name string `json:"name"`
	// Kind is "postgres" (the default; the only kind).
	Kind string `json:"kind"`
	// URL is a PostgreSQL connection URL; stored sealed, never shown again.
	URL string `json:"url"`
	// Tables to follow: "orders" (schema public) or "sales.orders".
	Tables    []string `json:"tables"`
	AccountID string   `json:"account_id"`
}

// holdFor is how long an API call holds a source it creates or deletes.
const holdFor = time.Minute

// CreateSource checks the database, stores the source and creates its
// publication and replication slot there. A database hookline cannot
// follow (wal_level, a role without REPLICATION, a missing table) is a 422
// naming the problem and the fix, and nothing is created.
func (e *Engine) CreateSource(ctx context.Context, p Principal, in SourceInput) (*hook.Source, error) {
	accountID := in.AccountID
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, PermAdmin); err != nil {
		return nil, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		return nil, invalid("name", "is required (at most 100 characters)")
	}
	if in.Kind == "" {
		in.Kind = hook.SourceKindPostgres
	}
	if in.Kind != hook.SourceKindPostgres {
		return nil, invalid("kind", "must be %q", hook.SourceKindPostgres)
	}
	if err := cdc.ParseURL(in.URL); err != nil {
		return nil, setupError(err)
	}
	if len(in.Tables) == 0 || len(in.Tables) > 100 {
		return nil, invalid("tables", "name 1 to 100 tables to follow, e.g. [\"public.orders\"]")
	}
	var tables []string
	for i, t := range in.Tables {
		q, ok := cdc.QualifyTable(t)
		if !ok {
			return nil, invalid("tables["+itoa(i)+"]", "%q is not a table name hookline can follow: lower-case letters, digits and _, as table or schema.table", t)
		}
		if slices.Contains(tables, q) {
			return nil, invalid("tables["+itoa(i)+"]", "%s is named twice", q)
		}
		tables = append(tables, q)
	}
	// Check before storing anything, so a bad database changes nothing.
	infos, err := cdc.Check(ctx, in.URL, tables)
	if err != nil {
		return nil, setupError(err)
	}
	now := e.now().UTC().Truncate(time.Microsecond)
	id := e.ids.next(prefixSource, now)
	slot := cdc.SlotName(id)
	hold := cdc.HoldNode(e.cfg.NodeID)
	until := now.Add(holdFor)
	s := &hook.Source{
		ID: id, AccountID: accountID, Name: in.Name, Kind: in.Kind,
		URL: e.seal([]byte(in.URL), sourceAAD(id)), Display: cdc.Redact(in.URL), Tables: tables,
		Slot: slot, Publication: slot,
		Status:    hook.SourceStatus{State: hook.SourceStarting, ReplicaIdentity: identities(infos)},
		LeaseNode: hold, LeaseUntil: &until, CreatedAt: now, UpdatedAt: now,
	}
	// The row comes first, held by this call: should hookline stop before
	// the slot exists, the node that follows the source creates it.
	if err := e.st.SourceInsert(ctx, s); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, &Error{Kind: KindConflict, Field: "name", Msg: "a source named " + in.Name + " exists already"}
		}
		return nil, err
	}
	if _, err := cdc.Ensure(ctx, in.URL, slot, tables); err != nil {
		bg := context.WithoutCancel(ctx)
		_ = cdc.Drop(bg, in.URL, slot)
		_ = e.st.SourceDelete(bg, id)
		return nil, setupError(err)
	}
	if err := e.st.SourceRelease(ctx, id, hold); err != nil {
		return nil, err
	}
	s.LeaseNode, s.LeaseUntil = "", nil
	_ = e.st.Notify(ctx, store.TopicSources, id)
	return s, nil
}

func identities(infos []cdc.TableInfo) map[string]string {
	m := make(map[string]string, len(infos))
	for _, t := range infos {
		m[t.Name] = t.ReplicaIdentity
	}
	return m
}

func sourceAAD(id string) string { return "source/" + id }

// setupError turns a cdc.SetupError into a 422 naming its field.
func setupError(err error) error {
	var se *cdc.SetupError
	if errors.As(err, &se) {
		return &Error{Kind: KindInvalid, Field: se.Field, Msg: se.Msg, Err: err}
	}
	return err
}

// GetSource returns a source with its status (state, lag, last error).
func (e *Engine) GetSource(ctx context.Context, p Principal, id string) (*hook.Source, error) {
	s, err := e.st.SourceGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("source")
	}
	if err != nil {
		return nil, err
	}
	if err := e.authorize(ctx, p, s.AccountID, PermAdmin); err != nil {
		if ErrorKind(err) == KindNotFound {
			return nil, notFound("source")
		}
		return nil, err
	}
	return s, nil
}

// ListSources lists the sources of an account (default: every account p sees).
func (e *Engine) ListSources(ctx context.Context, p Principal, accountID string) ([]*hook.Source, error) {
	var ids []string
	if accountID != "" {
		if err := e.authorize(ctx, p, accountID, PermAdmin); err != nil {
			return nil, err
		}
		ids = []string{accountID}
	} else {
		if !Can(p.Role, PermAdmin) {
			return nil, forbidden("the %s role may not do this", p.Role)
		}
		var err error
		if ids, err = e.Scope(ctx, p); err != nil {
			return nil, err
		}
	}
	return e.st.SourceList(ctx, ids)
}

// SourceCollections lists the collections that the tables followed for an
// account and the accounts below it make (for the hook editor's picker).
func (e *Engine) SourceCollections(ctx context.Context, p Principal, accountID string) ([]string, error) {
	if err := e.authorize(ctx, p, accountID, PermRead); err != nil {
		return nil, err
	}
	ids, err := e.accts.Subtree(ctx, e.st, accountID)
	if err != nil {
		return nil, err
	}
	list, err := e.st.SourceList(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range list {
		for _, t := range s.Tables {
			if c := cdc.Collection(t); !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// DeleteSource stops following a source and drops its replication slot and
// publication. When the database cannot be reached nothing is deleted,
// unless force: then hookline forgets the source and the error says what
// to drop by hand.
func (e *Engine) DeleteSource(ctx context.Context, p Principal, id string, force bool) error {
	s, err := e.GetSource(ctx, p, id)
	if err != nil {
		return err
	}
	return e.dropSource(ctx, s, force)
}

// dropSource is DeleteSource once authorized.
func (e *Engine) dropSource(ctx context.Context, s *hook.Source, force bool) error {
	id := s.ID
	hold := cdc.HoldNode(e.cfg.NodeID)
	now := e.now()
	// Take the source from whichever node follows it; it stops at the
	// notification (or at its next renewal) and no node starts again.
	if _, err := e.st.SourceLease(ctx, id, hold, now, now.Add(holdFor), true); err != nil {
		return err
	}
	_ = e.st.Notify(ctx, store.TopicSources, id)
	e.cdc.StopFollowing(id)
	raw, err := e.sourceURL(s)
	if err == nil {
		err = cdc.Drop(ctx, raw, s.Slot)
	}
	if err != nil && !force {
		bg := context.WithoutCancel(ctx)
		_ = e.st.SourceRelease(bg, id, hold)
		_ = e.st.Notify(bg, store.TopicSources, id)
		msg := err.Error()
		var se *cdc.SetupError
		if errors.As(err, &se) {
			msg = se.Msg
		}
		return &Error{Kind: KindUnavailable, Err: err, Msg: "could not drop the replication slot " + s.Slot +
			" and publication " + s.Publication + " (" + msg + "): nothing was deleted. Try again, or delete with ?force=true and run " +
			"SELECT pg_drop_replication_slot('" + s.Slot + "'); DROP PUBLICATION " + s.Publication + "; in that database yourself"}
	}
	if err != nil {
		e.log.Warn("source deleted with force; its slot and publication remain in the database", "source", id, "slot", s.Slot, "err", err)
	}
	if err := e.st.SourceDelete(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_ = e.st.Notify(ctx, store.TopicSources, id)
	return nil
}

// dropAccountSources drops the slots and publications of the sources of an
// account and the accounts below it, before the account is deleted (its
// rows go with it; a slot left behind would hold WAL forever). A database
// that cannot be reached is logged, not fatal.
func (e *Engine) dropAccountSources(ctx context.Context, accountID string) error {
	ids, err := e.accts.Subtree(ctx, e.st, accountID)
	if err != nil {
		return err
	}
	list, err := e.st.SourceList(ctx, ids)
	if err != nil {
		return err
	}
	for _, s := range list {
		if err := e.dropSource(ctx, s, true); err != nil {
			return err
		}
	}
	return nil
}

// sourceURL opens a source's sealed URL.
func (e *Engine) sourceURL(s *hook.Source) (string, error) {
	b, err := e.open(s.URL, sourceAAD(s.ID))
	if err != nil {
		return "", errors.New("cannot decrypt the source URL (HOOKLINE_SECRET_KEY changed?)")
	}
	return string(b), nil
}

// emitChanges turns a batch of committed row changes into records.* events
// of the source's account, through the normal emit path (hooks, ordering,
// executions) in one transaction, which commits after the batch before it
// (turn). Their idempotency keys derive from the
// changes' commit positions, so a batch delivered again after a crash adds
// nothing. Change capture is not rate-limited: when hookline is slower
// than the database, the replication slot holds the backlog.
func (e *Engine) emitChanges(ctx context.Context, s *hook.Source, changes []cdc.Change, turn cdc.Turn) error {
	evs := make([]*hook.Event, len(changes))
	for i, c := range changes {
		evs[i] = changeEvent(s, c)
	}
	_, err := e.emitAfter(ctx, evs, false, turn)
	if ErrorKind(err) == KindTooLarge {
		// A row larger than MaxEventBytes: its largest values give way.
		for i, c := range changes {
			evs[i] = changeEvent(s, c)
			shrinkEvent(evs[i], e.cfg.MaxEventBytes)
		}
		_, err = e.emitAfter(ctx, evs, false, turn)
	}
	if err != nil {
		return err
	}
	e.Metrics.sourceChanges.WithLabelValues(s.ID).Add(float64(len(changes)))
	return nil
}

func changeEvent(s *hook.Source, c cdc.Change) *hook.Event {
	typ := hook.EventRecordCreate
	switch c.Op {
	case cdc.OpUpdate:
		typ = hook.EventRecordUpdate
	case cdc.OpDelete:
		typ = hook.EventRecordDelete
	}
	return &hook.Event{
		Type: typ, AccountID: s.AccountID, Collection: c.Collection, Data: c.Row, Previous: c.Old,
		OccurredAt:     c.CommitTime,
		IdempotencyKey: "cdc:" + s.ID + ":" + c.CommitLSN + ":" + itoa(c.Seq),
	}
}

// shrinkEvent makes an event fit max bytes by replacing its largest values
// with null, largest first, and naming them in "_hookline_omitted".
func shrinkEvent(ev *hook.Event, max int) {
	for _, m := range []map[string]any{ev.Previous, ev.Data} {
		if m == nil {
			continue
		}
		type col struct {
			name string
			size int
		}
		var cols []col
		total := 0
		for k, v := range m {
			b, _ := json.Marshal(v)
			cols = append(cols, col{k, len(b)})
			total += len(b) + len(k) + 4
		}
		slices.SortFunc(cols, func(a, b col) int { return b.size - a.size })
		var omitted []any
		for _, c := range cols {
			if total <= max*3/4 {
				break
			}
			m[c.name] = nil
			total -= c.size - 4
			omitted = append(omitted, c.name)
		}
		if len(omitted) > 0 {
			m["_hookline_omitted"] = omitted
		}
	}
}
