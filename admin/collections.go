package admin

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

type collectionsView struct {
	Collections []*store.Collection
	Scope       *scope
	Account     string
	Name        string
	Error       string
}

func (h *Handler) collectionsView(r *http.Request, s *session) (*collectionsView, error) {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return nil, err
	}
	v := &collectionsView{Scope: sc, Account: sc.pick(r, s.AccountID)}
	v.Collections, err = h.e.ListCollections(r.Context(), s.p, v.Account)
	return v, err
}

// collectionsPage lists an account's collections (modules).
func (h *Handler) collectionsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.collectionsView(r, s)
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "collections", "Collections", "collections", v)
	return nil
}

func accountQuery(account string) string { return "?account=" + url.QueryEscape(account) }

func (h *Handler) collectionCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.collectionsView(r, s)
	if err != nil {
		return err
	}
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if _, err := h.e.CreateCollection(r.Context(), s.p, v.Account, name, nil); err != nil {
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusNotFound {
			return err
		}
		v.Error, v.Name = msg, name
		h.render(w, r, s, st, "collections", "Collections", "collections", v)
		return nil
	}
	h.redirect(w, r, "/admin/collections/"+url.PathEscape(name)+accountQuery(v.Account), "ok", "Created collection "+name+".")
	return nil
}

func (h *Handler) collectionDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	account, name := sc.pick(r, s.AccountID), r.PathValue("name")
	if err := h.e.DeleteCollection(r.Context(), s.p, account, name); err != nil {
		h.redirect(w, r, "/admin/collections"+accountQuery(account), "error", "Could not delete: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, "/admin/collections"+accountQuery(account), "ok", "Deleted collection "+name+" and its records.")
	return nil
}

type recordRow struct {
	ID         string
	Fields     string
	JSON       string
	Created    any
	Updated    any
	FieldCount int
}

type recordsView struct {
	Collection *store.Collection
	Rows       []recordRow
	Account    string
	AccountNm  string
	NextURL    string
	Data       string
	Error      string
}

func (h *Handler) recordsView(r *http.Request, s *session) (*recordsView, error) {
	ctx := r.Context()
	sc, err := h.scope(ctx, s)
	if err != nil {
		return nil, err
	}
	account := sc.pick(r, s.AccountID)
	c, err := h.e.GetCollection(ctx, s.p, account, r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	v := &recordsView{Collection: c, Account: account, AccountNm: sc.Name(account), Data: "{\n  \"total\": 600\n}"}
	list, err := h.e.ListRecords(ctx, s.p, account, c.Name, store.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return nil, err
	}
	for _, rec := range list {
		keys := make([]string, 0, len(rec.Data))
		for k := range rec.Data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			b, _ := json.Marshal(rec.Data[k])
			parts = append(parts, k+": "+truncate(60, string(b)))
		}
		v.Rows = append(v.Rows, recordRow{
			ID: rec.ID, Fields: strings.Join(parts, ", "), JSON: pretty(rec.Data),
			Created: rec.CreatedAt, Updated: rec.UpdatedAt, FieldCount: len(keys),
		})
	}
	if len(list) == 50 {
		v.NextURL = "/admin/collections/" + url.PathEscape(c.Name) + accountQuery(account) + "&cursor=" + url.QueryEscape(list[len(list)-1].ID)
	}
	return v, nil
}

// recordsPage lists a collection's records; writing one here emits its
// records.* event like the API does.
func (h *Handler) recordsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.recordsView(r, s)
	if err != nil {
		return err
	}
	h.render(w, r, s, http.StatusOK, "records", "Collection "+v.Collection.Name, "collections", v)
	return nil
}

func (s *session) write() hookline.RecordWrite {
	return hookline.RecordWrite{Actor: &hook.Actor{KeyID: s.p.KeyID, Role: s.p.Role}}
}

func (h *Handler) recordCreate(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := h.recordsView(r, s)
	if err != nil {
		return err
	}
	raw := r.PostForm.Get("data")
	var errs []fieldErr
	data := parseObject(raw, "data", &errs)
	if len(errs) == 0 {
		if data == nil {
			data = map[string]any{}
		}
		_, err = h.e.CreateRecord(r.Context(), s.p, v.Account, v.Collection.Name, data, s.write())
		if err == nil {
			h.redirect(w, r, "/admin/collections/"+url.PathEscape(v.Collection.Name)+accountQuery(v.Account), "ok", "Created a record; its records.create event fired.")
			return nil
		}
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden {
			return err
		}
		errs = append(errs, fieldErr{"data", msg})
	}
	v.Data, v.Error = raw, "Data "+errs[0].Message
	h.render(w, r, s, http.StatusUnprocessableEntity, "records", "Collection "+v.Collection.Name, "collections", v)
	return nil
}

func (h *Handler) recordUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	account, name, id := sc.pick(r, s.AccountID), r.PathValue("name"), r.PathValue("id")
	back := "/admin/collections/" + url.PathEscape(name) + accountQuery(account)
	var errs []fieldErr
	data := parseObject(r.PostForm.Get("data"), "data", &errs)
	if len(errs) > 0 {
		h.redirect(w, r, back, "error", "Data "+errs[0].Message)
		return nil
	}
	if _, err := h.e.UpdateRecord(r.Context(), s.p, account, name, id, data, s.write()); err != nil {
		h.redirect(w, r, back, "error", "Could not update: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, back, "ok", "Updated "+id+"; its records.update event fired.")
	return nil
}

func (h *Handler) recordDelete(w http.ResponseWriter, r *http.Request, s *session) error {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	account, name, id := sc.pick(r, s.AccountID), r.PathValue("name"), r.PathValue("id")
	back := "/admin/collections/" + url.PathEscape(name) + accountQuery(account)
	if err := h.e.DeleteRecord(r.Context(), s.p, account, name, id, s.write()); err != nil {
		h.redirect(w, r, back, "error", "Could not delete: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, back, "ok", "Deleted "+id+"; its records.delete event fired.")
	return nil
}
