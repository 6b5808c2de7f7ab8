package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hookline/hookline/store"
)

type collectionsView struct {
	Collections []collectionRow
	Scope       *scope
	Account     string
	Name        string
	Schema      string
	Error       string
}

// collectionRow is a collection in the list, with its record count and
// how many fields its schema names (-1: no schema).
type collectionRow struct {
	*store.Collection
	Count  int
	Fields int
}

func (h *Handler) collectionsView(r *http.Request, s *session) (*collectionsView, error) {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return nil, err
	}
	v := &collectionsView{Scope: sc, Account: sc.pick(r, s.AccountID)}
	cols, err := h.e.ListCollections(r.Context(), s.p, v.Account)
	if err != nil {
		return nil, err
	}
	for _, c := range cols {
		row := collectionRow{Collection: c, Fields: -1}
		if props, ok := c.Schema["properties"].(map[string]any); ok {
			row.Fields = len(props)
		} else if c.Schema != nil {
			row.Fields = 0
		}
		if row.Count, err = h.e.CountRecords(r.Context(), s.p, v.Account, c.Name); err != nil {
			return nil, err
		}
		v.Collections = append(v.Collections, row)
	}
	return v, nil
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
	raw := r.PostForm.Get("schema")
	var errs []fieldErr
	schema := parseObject(raw, "schema", &errs)
	if len(errs) > 0 {
		v.Error, v.Name, v.Schema = "The JSON Schema "+errs[0].Message, name, raw
		h.render(w, r, s, http.StatusUnprocessableEntity, "collections", "Collections", "collections", v)
		return nil
	}
	if _, err := h.e.CreateCollection(r.Context(), s.p, v.Account, name, schema); err != nil {
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusNotFound {
			return err
		}
		v.Error, v.Name, v.Schema = msg, name, raw
		h.render(w, r, s, st, "collections", "Collections", "collections", v)
		return nil
	}
	h.redirect(w, r, "/admin/collections/"+url.PathEscape(name)+accountQuery(v.Account), "ok", "Created collection "+name+".")
	return nil
}

// collectionSchema replaces a collection's schema (empty: none).
func (h *Handler) collectionSchema(w http.ResponseWriter, r *http.Request, s *session) error {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	account, name := sc.pick(r, s.AccountID), r.PathValue("name")
	raw := r.PostForm.Get("schema")
	var errs []fieldErr
	schema := parseObject(raw, "schema", &errs)
	refuse := func(status int, msg string) error {
		v, err := h.recordsView(r, s)
		if err != nil {
			return err
		}
		v.SchemaDraft, v.SchemaError = raw, msg
		h.render(w, r, s, status, "records", v.Collection.Name, "collections", v)
		return nil
	}
	if len(errs) > 0 {
		return refuse(http.StatusUnprocessableEntity, "The JSON Schema "+errs[0].Message)
	}
	if _, err := h.e.UpdateCollection(r.Context(), s.p, account, name, schema); err != nil {
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusNotFound {
			return err
		}
		return refuse(st, msg)
	}
	h.redirect(w, r, "/admin/collections/"+url.PathEscape(name)+accountQuery(account), "ok",
		"Saved the schema of "+name+": records written from now on are checked against it.")
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
