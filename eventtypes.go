package hookline

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/hookline/hookline/store"
)

// Hookable event id rules (SPEC §4): a source prefix and two digits 01–99.
var eventSources = map[string]string{
	"305": "JavaScript SDK events",
	"702": "integration apps without UI",
	"703": "external apps with UI",
}

// CheckEventTypeID says which rule a hookable event id breaks, or "" when it
// is valid.
func CheckEventTypeID(id string) string {
	if len(id) != 5 {
		return "must be 5 digits: a source prefix (305, 702 or 703) and two digits 01-99"
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return "must be digits only: a source prefix (305, 702 or 703) and two digits 01-99"
		}
	}
	if _, ok := eventSources[id[:3]]; !ok {
		return "prefix " + id[:3] + " is not a source: use 305 (JavaScript SDK), 702 (integration apps without UI) or 703 (external apps with UI)"
	}
	if id[3:] == "00" {
		return "the last two digits must be 01-99, not 00"
	}
	return ""
}

// EventTypeInput registers a hookable event.
type EventTypeInput struct {
	ID        string `json:"id"`
	Label     string `json:"label"`
	AccountID string `json:"account_id"`
}

// CreateEventTypes registers one or more hookable events (all or none).
func (e *Engine) CreateEventTypes(ctx context.Context, p Principal, ins []EventTypeInput) ([]*store.EventType, error) {
	now := e.now().UTC()
	var out []*store.EventType
	for i, in := range ins {
		pre := ""
		if len(ins) > 1 {
			pre = "[" + itoa(i) + "]."
		}
		if in.AccountID == "" {
			in.AccountID = p.AccountID
		}
		if err := e.authorize(ctx, p, in.AccountID, RoleManage); err != nil {
			return nil, err
		}
		if msg := CheckEventTypeID(in.ID); msg != "" {
			return nil, invalid(pre+"id", "%s", msg)
		}
		in.Label = strings.TrimSpace(in.Label)
		if in.Label == "" || len(in.Label) > 200 {
			return nil, invalid(pre+"label", "is required (1 to 200 characters)")
		}
		out = append(out, &store.EventType{ID: in.ID, AccountID: in.AccountID, Label: in.Label, CreatedAt: now})
	}
	err := e.eventTypeWrite(ctx, func(q store.Querier) error {
		for i, t := range out {
			if err := q.EventTypeInsert(ctx, t); err != nil {
				if errors.Is(err, store.ErrConflict) {
					return &Error{Kind: KindConflict, Field: "[" + itoa(i) + "].id", Msg: "event type " + t.ID + " is registered already"}
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListEventTypes lists the hookable events visible to p: those of its
// subtree, and those its ancestors registered (a shop may send and hook its
// organization's events), ordered by id, then account.
func (e *Engine) ListEventTypes(ctx context.Context, p Principal) ([]*store.EventType, error) {
	if !Can(p.Role, PermRead) {
		return nil, forbidden("the %s role may not do this", p.Role)
	}
	ids, err := e.Scope(ctx, p)
	if err != nil {
		return nil, err
	}
	up, err := e.accts.Ancestors(ctx, e.st, p.AccountID)
	if err != nil {
		return nil, err
	}
	for _, a := range up {
		if !slices.Contains(ids, a) {
			ids = append(ids, a)
		}
	}
	return e.st.EventTypeList(ctx, ids)
}

// DeleteEventType removes a hookable event of p's account.
func (e *Engine) DeleteEventType(ctx context.Context, p Principal, accountID, id string) error {
	if accountID == "" {
		accountID = p.AccountID
	}
	if err := e.authorize(ctx, p, accountID, RoleManage); err != nil {
		return err
	}
	err := e.eventTypeWrite(ctx, func(q store.Querier) error { return q.EventTypeDelete(ctx, accountID, id) })
	if errors.Is(err, store.ErrNotFound) {
		return notFound("event type")
	}
	return err
}

// eventTypeWrite changes the registry and marks every node's copy stale.
func (e *Engine) eventTypeWrite(ctx context.Context, fn func(q store.Querier) error) error {
	return e.cachedWrite(ctx, store.TopicEventTypes, fn, e.eventTypes.Invalidate)
}

// eventTypeSet is every registered hookable event: account -> ids.
type eventTypeSet map[string]map[string]bool

func loadEventTypeSet(ctx context.Context, q store.Querier) (eventTypeSet, error) {
	list, err := q.EventTypeList(ctx, nil)
	if err != nil {
		return nil, err
	}
	set := eventTypeSet{}
	for _, t := range list {
		if set[t.AccountID] == nil {
			set[t.AccountID] = map[string]bool{}
		}
		set[t.AccountID][t.ID] = true
	}
	return set, nil
}

// eventTypeKnown reports whether typ is registered by the account or one of
// its ancestors (an organization's events apply to its shops).
func (e *Engine) eventTypeKnown(ctx context.Context, accountID, typ string) (bool, error) {
	owners, err := e.accts.Ancestors(ctx, e.st, accountID)
	if err != nil {
		return false, err
	}
	set, err := e.eventTypes.Get(ctx, e.st)
	if err != nil {
		return false, err
	}
	for _, acc := range owners {
		if set[acc][typ] {
			return true, nil
		}
	}
	return false, nil
}
