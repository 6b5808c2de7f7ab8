package hookline

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// ApplyRequest makes an account's keyed hooks, hookable events and
// collections match documents (POST /api/v1/apply).
type ApplyRequest struct {
	// AccountID is the account to change; default the caller's.
	AccountID string            `json:"account_id"`
	Documents []json.RawMessage `json:"documents"`
	// Prune deletes the account's keyed hooks the documents do not name.
	Prune bool `json:"prune"`
	// DryRun answers the plan and changes nothing.
	DryRun bool `json:"dry_run"`
}

// Plan actions.
const (
	PlanCreate    = "create"
	PlanUpdate    = "update"
	PlanUnchanged = "unchanged"
	PlanDelete    = "delete"
)

// Plan is what an apply did, or (a dry run) would do.
type Plan struct {
	AccountID string `json:"account_id"`
	DryRun    bool   `json:"dry_run"`
	// Applied is true when changes were made (never for a dry run).
	Applied bool `json:"applied"`
	// Summary counts the items by action (create, update, unchanged, delete).
	Summary  map[string]int `json:"summary"`
	Items    []PlanItem     `json:"items"`
	Warnings []string       `json:"warnings"`
}

// Changes counts what the plan creates, updates or deletes.
func (p *Plan) Changes() int {
	return p.Summary[PlanCreate] + p.Summary[PlanUpdate] + p.Summary[PlanDelete]
}

// PlanItem is one hookable event, collection or hook of a plan.
type PlanItem struct {
	Kind   string `json:"kind"`   // event_type, collection, hook
	Key    string `json:"key"`    // the event type's id, the collection's name, the hook's key
	Action string `json:"action"` // create, update, unchanged, delete
	// ID and Version are the hook's (after the apply; no id for a hook a
	// dry run would create).
	ID      string        `json:"id,omitempty"`
	Version int           `json:"version,omitempty"`
	Diff    []hook.Change `json:"diff,omitempty"`
}

// applyWork is a plan with what carrying it out writes.
type applyWork struct {
	plan       *Plan
	etInsert   []*store.EventType
	etDelete   []*store.EventType // replaced (label changed): deleted, then inserted again
	colInsert  []*store.Collection
	colUpdate  []*store.Collection // a new schema
	hookInsert []*hook.Hook
	hookUpdate []*hook.Hook
	hookDelete []string
}

// Apply makes an account's keyed hooks, hookable events and collections
// match the documents, in one transaction, and answers the plan. Applying
// the same documents again changes nothing and makes no hook version. An
// invalid document refuses the whole apply with a 4xx naming the document,
// the hook and the field; nothing is changed then.
func (e *Engine) Apply(ctx context.Context, p Principal, req ApplyRequest) (*Plan, error) {
	acc := req.AccountID
	if acc == "" {
		acc = p.AccountID
	}
	if err := e.authorize(ctx, p, acc, RoleManage); err != nil {
		if ErrorKind(err) == KindNotFound {
			return nil, invalid("account_id", "no such account")
		}
		return nil, err
	}
	if req.Documents == nil {
		return nil, invalid("documents", "is required: a list of documents (an empty list with prune deletes every keyed hook)")
	}
	ds, err := parseDocuments(req.Documents)
	if err != nil {
		return nil, err
	}
	w, err := e.planApply(ctx, acc, ds, req.Prune)
	if err != nil {
		return nil, err
	}
	w.plan.DryRun = req.DryRun
	if req.DryRun || w.plan.Changes() == 0 {
		return w.plan, nil
	}
	if err := e.applyWork(ctx, p, acc, w); err != nil {
		return nil, err
	}
	w.plan.Applied = true
	return w.plan, nil
}

func (e *Engine) planApply(ctx context.Context, acc string, ds *docSet, prune bool) (*applyWork, error) {
	w := &applyWork{plan: &Plan{AccountID: acc, Items: []PlanItem{}, Warnings: []string{},
		Summary: map[string]int{PlanCreate: 0, PlanUpdate: 0, PlanUnchanged: 0, PlanDelete: 0}}}
	add := func(it PlanItem) {
		w.plan.Items = append(w.plan.Items, it)
		w.plan.Summary[it.Action]++
	}
	now := e.now().UTC()

	ets, err := e.st.EventTypeList(ctx, []string{acc})
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, d := range ds.eventTypes {
		et := d.v
		if msg := CheckEventTypeID(et.ID); msg != "" {
			return nil, invalid(d.path+".id", "%s", msg)
		}
		et.Label = strings.TrimSpace(et.Label)
		if et.Label == "" || len(et.Label) > 200 {
			return nil, invalid(d.path+".label", "is required (1 to 200 characters)")
		}
		known[et.ID] = true
		i := slices.IndexFunc(ets, func(x *store.EventType) bool { return x.ID == et.ID })
		switch {
		case i < 0:
			w.etInsert = append(w.etInsert, &store.EventType{ID: et.ID, AccountID: acc, Label: et.Label, CreatedAt: now})
			add(PlanItem{Kind: "event_type", Key: et.ID, Action: PlanCreate})
		case ets[i].Label != et.Label:
			w.etDelete = append(w.etDelete, ets[i])
			w.etInsert = append(w.etInsert, &store.EventType{ID: et.ID, AccountID: acc, Label: et.Label, CreatedAt: ets[i].CreatedAt})
			add(PlanItem{Kind: "event_type", Key: et.ID, Action: PlanUpdate, Diff: []hook.Change{{Field: "label", Old: ets[i].Label, New: et.Label}}})
		default:
			add(PlanItem{Kind: "event_type", Key: et.ID, Action: PlanUnchanged})
		}
	}

	cols, err := e.st.CollectionList(ctx, acc)
	if err != nil {
		return nil, err
	}
	for _, d := range ds.collections {
		c := d.v
		if !collectionRE.MatchString(c.Name) {
			return nil, invalid(d.path+".name", "must be lower-case letters, digits and _, starting with a letter (at most 63)")
		}
		if len(c.Schema) > 0 {
			if _, err := e.schemas.compile(c.Schema); err != nil {
				return nil, invalid(d.path+".schema", "is not a valid JSON Schema: %s", err.Error())
			}
		}
		i := slices.IndexFunc(cols, func(x *store.Collection) bool { return x.Name == c.Name })
		if i < 0 {
			w.colInsert = append(w.colInsert, &store.Collection{AccountID: acc, Name: c.Name, Schema: c.Schema, CreatedAt: now})
			add(PlanItem{Kind: "collection", Key: c.Name, Action: PlanCreate})
			continue
		}
		if !sameJSON(cols[i].Schema, c.Schema) {
			// Records written from then on are checked against it; those
			// stored before keep their data.
			w.colUpdate = append(w.colUpdate, &store.Collection{AccountID: acc, Name: c.Name, Schema: c.Schema})
			add(PlanItem{Kind: "collection", Key: c.Name, Action: PlanUpdate})
			continue
		}
		add(PlanItem{Kind: "collection", Key: c.Name, Action: PlanUnchanged})
	}

	if err := e.planHooks(ctx, acc, ds, known, prune, w, add); err != nil {
		return nil, err
	}
	warnings, err := e.secretWarnings(ctx, acc, ds)
	if err != nil {
		return nil, err
	}
	w.plan.Warnings = warnings
	return w, nil
}

func (e *Engine) planHooks(ctx context.Context, acc string, ds *docSet, known map[string]bool, prune bool, w *applyWork, add func(PlanItem)) error {
	existing, err := e.accountHooks(ctx, acc)
	if err != nil {
		return err
	}
	byKey := map[string]*hook.Hook{}
	for _, h := range existing {
		if h.Key != "" {
			byKey[h.Key] = h
		}
	}
	named := map[string]bool{}
	adopted := map[string]bool{}
	inbound := map[string]string{} // "path METHOD" -> document path
	for _, d := range ds.hooks {
		named[d.v.Key] = true
		want := d.v.Clone()
		want.AccountID = acc
		old := byKey[want.Key]
		if old == nil {
			old = adoptable(existing, want, adopted)
		}
		var err error
		if old == nil {
			err = e.prepareNew(ctx, want, known)
		} else {
			want.ID, want.CreatedAt, want.RunCount, want.LastRunAt = old.ID, old.CreatedAt, old.RunCount, old.LastRunAt
			var changed bool
			changed, err = e.prepareChange(ctx, old, want, known)
			if err == nil && !changed {
				add(PlanItem{Kind: "hook", Key: want.Key, Action: PlanUnchanged, ID: old.ID, Version: old.Version})
				continue
			}
		}
		if err != nil {
			return inDocument(err, d.path, want.Key)
		}
		if err := inboundOnce(inbound, want, d.path); err != nil {
			return err
		}
		if old == nil {
			w.hookInsert = append(w.hookInsert, want)
			add(PlanItem{Kind: "hook", Key: want.Key, Action: PlanCreate, Version: 1})
			continue
		}
		w.hookUpdate = append(w.hookUpdate, want)
		add(PlanItem{Kind: "hook", Key: want.Key, Action: PlanUpdate, ID: want.ID, Version: want.Version,
			Diff: hook.Diff(hook.Definition(old), hook.Definition(want))})
	}
	if prune {
		for _, h := range existing {
			if h.Key != "" && !named[h.Key] {
				w.hookDelete = append(w.hookDelete, h.ID)
				add(PlanItem{Kind: "hook", Key: h.Key, Action: PlanDelete, ID: h.ID, Version: h.Version})
			}
		}
	}
	return nil
}

// adoptable finds a hook without a key that defines exactly what want
// does but for the key (a hook exported from this instance, whose key the
// export made up): apply gives it the key instead of making a copy.
func adoptable(existing []*hook.Hook, want *hook.Hook, adopted map[string]bool) *hook.Hook {
	w := want.Clone()
	w.Key = ""
	normalizeHook(w)
	for _, h := range existing {
		if h.Key == "" && !adopted[h.ID] && hook.SameDefinition(h, w) {
			adopted[h.ID] = true
			return h
		}
	}
	return nil
}

// inboundOnce refuses two hooks of the documents on one inbound route.
func inboundOnce(seen map[string]string, h *hook.Hook, path string) error {
	if h.Trigger.Type != hook.TriggerInbound || !h.Enabled {
		return nil
	}
	for _, m := range h.Trigger.Methods {
		k := m + " /" + h.Trigger.Path
		if prev, ok := seen[k]; ok {
			return &Error{Kind: KindConflict, Field: path + ".trigger.path", Msg: "hook " + strconv.Quote(h.Key) + ": " + prev + " serves " + k + " already"}
		}
		seen[k] = path
	}
	return nil
}

// inDocument names the document and the hook in an error about a hook.
func inDocument(err error, path, key string) error {
	var ee *Error
	if !errors.As(err, &ee) {
		return err
	}
	out := *ee
	out.Field = path
	if ee.Field != "" {
		out.Field += "." + ee.Field
	}
	out.Msg = "hook " + strconv.Quote(key) + ": " + ee.Msg
	if ee.Field != "" {
		out.Msg = "hook " + strconv.Quote(key) + ": " + ee.Field + " " + ee.Msg
	}
	return &out
}

// accountHooks lists every hook of an account, by id.
func (e *Engine) accountHooks(ctx context.Context, acc string) ([]*hook.Hook, error) {
	var out []*hook.Hook
	page := store.Page{Limit: 500}
	for {
		hs, err := e.st.HookList(ctx, store.HookFilter{AccountIDs: []string{acc}, Page: page})
		if err != nil {
			return nil, err
		}
		out = append(out, hs...)
		if len(hs) < page.Limit {
			return out, nil
		}
		page.Cursor = hs[len(hs)-1].ID
	}
}

var secretRefRE = regexp.MustCompile(`secret\.([A-Za-z_][A-Za-z0-9_]*)`)

// secretWarnings names the secrets the documents' hooks use that the
// account does not have: documents name secrets, they never hold them.
func (e *Engine) secretWarnings(ctx context.Context, acc string, ds *docSet) ([]string, error) {
	secrets, err := e.st.SecretList(ctx, acc)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, s := range secrets {
		have[s.Name] = true
	}
	out := []string{}
	for _, d := range ds.hooks {
		b, _ := json.Marshal(d.v)
		var names []string
		for _, m := range secretRefRE.FindAllStringSubmatch(string(b), -1) {
			names = append(names, m[1])
		}
		if a := d.v.Trigger.Auth; a != nil && a.SecretRef != "" {
			names = append(names, a.SecretRef)
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			if !have[n] {
				out = append(out, "hook "+strconv.Quote(d.v.Key)+" uses the secret "+n+", which account "+acc+" does not have yet (POST /api/v1/secrets)")
			}
		}
	}
	return out, nil
}

// applyWork carries out a plan in one transaction.
func (e *Engine) applyWork(ctx context.Context, p Principal, acc string, w *applyWork) error {
	etChanged := len(w.etInsert) > 0
	return e.cachedWrite(ctx, store.TopicHooks, func(q store.Querier) error {
		for _, t := range w.etDelete {
			if err := q.EventTypeDelete(ctx, acc, t.ID); err != nil {
				return err
			}
		}
		for _, t := range w.etInsert {
			if err := q.EventTypeInsert(ctx, t); err != nil {
				return changedMeanwhile(err)
			}
		}
		for _, c := range w.colInsert {
			if err := q.CollectionInsert(ctx, c); err != nil {
				return changedMeanwhile(err)
			}
		}
		for _, c := range w.colUpdate {
			if err := q.CollectionSetSchema(ctx, acc, c.Name, c.Schema); err != nil {
				return changedMeanwhile(err)
			}
		}
		if len(w.colUpdate) > 0 {
			if err := q.Notify(ctx, store.TopicCollections, ""); err != nil {
				return err
			}
		}
		for _, id := range w.hookDelete {
			if err := q.HookDelete(ctx, id); err != nil {
				return changedMeanwhile(err)
			}
		}
		for _, h := range w.hookUpdate {
			if err := e.updateHook(ctx, q, p, h, "hookline apply"); err != nil {
				return err
			}
		}
		if len(w.hookInsert) > 0 {
			n, err := q.HookCount(ctx, acc)
			if err != nil {
				return err
			}
			if n+len(w.hookInsert) > e.cfg.MaxHooksPerAccount {
				return limitReached("an account may have at most %d hooks (HOOKLINE_MAX_HOOKS_PER_ACCOUNT); this apply would make %d", e.cfg.MaxHooksPerAccount, n+len(w.hookInsert))
			}
		}
		for _, h := range w.hookInsert {
			if err := e.insertHook(ctx, q, p, h, "hookline apply"); err != nil {
				return err
			}
		}
		n := 0
		for i := range w.plan.Items {
			if it := &w.plan.Items[i]; it.Kind == "hook" && it.Action == PlanCreate {
				it.ID = w.hookInsert[n].ID
				n++
			}
		}
		if etChanged {
			return q.Notify(ctx, store.TopicEventTypes, "")
		}
		return nil
	}, e.hooks.Invalidate, e.eventTypes.Invalidate, e.collections.invalidate)
}

// changedMeanwhile reports a write that found the account changed since
// the plan was made.
func changedMeanwhile(err error) error {
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return &Error{Kind: KindConflict, Msg: "the account changed while the apply ran; apply again", Err: err}
	}
	return err
}

func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	var xv, yv any
	_ = json.Unmarshal(x, &xv)
	_ = json.Unmarshal(y, &yv)
	return reflect.DeepEqual(xv, yv)
}
