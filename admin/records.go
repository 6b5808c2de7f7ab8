package admin

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/store"
)

// A collection's page: its schema, record count and the hooks that watch
// it, then its records as a table (columns from the JSON schema, else from
// the fields seen) with sorting, a filter and pages, newest first, and
// typed inputs to create and edit records.

const (
	// recordsWindow is how many of the newest records the table sorts and
	// filters (the page says so when a collection has more).
	recordsWindow  = 2000
	recordsPerPage = 25
)

// recordCol is a column: a data field and the kind of its input.
type recordCol struct {
	Name string
	// Kind: string, number, integer, boolean or json (objects, arrays,
	// fields of mixed or unknown type).
	Kind     string
	Enum     []string
	Required bool
}

// Hint is the column's kind as the form names it.
func (c recordCol) Hint() string {
	switch c.Kind {
	case "json":
		return "JSON"
	case "integer":
		return "whole number"
	}
	return c.Kind
}

type recordCell struct {
	Text    string
	Full    string // the whole value when Text is cut
	Missing bool
	Kind    string
}

type recordRow struct {
	ID      string
	Cells   []recordCell
	Created any
	Updated any
}

// recordInput is one typed input of the create or edit form.
type recordInput struct {
	recordCol
	Value string
}

type recordsView struct {
	Collection *store.Collection
	SchemaJSON string
	// SchemaDraft fills the schema form: the schema, or what was sent
	// when it was refused (SchemaError says why).
	SchemaDraft, SchemaError string
	Count                    int
	Windowed                 bool // more records than the table sorts and filters
	Hooks                    []*hook.Hook
	Cols                     []recordCol
	Rows                     []recordRow
	Account                  string
	AccountNm                string

	Sort, Dir          string
	Field, Op, Value   string
	Matched, From, To  int
	Page, Pages        int
	PrevURL, NextURL   string
	Inputs, EditInputs []recordInput
	Edit               *recordRow
	Extra, Error       string
	FilterOps          [][2]string
	BasePath, NotFound string
	FilterNote         string
}

var filterOps = [][2]string{{"contains", "contains"}, {"eq", "="}, {"ne", "≠"}, {"gt", ">"}, {"lt", "<"}, {"set", "is set"}, {"missing", "is missing"}}

// SortURL is the link of a column header: by it ascending, or descending
// when it is sorted ascending already.
func (v *recordsView) SortURL(col string) string {
	dir := "asc"
	if v.Sort == col && v.Dir == "asc" {
		dir = "desc"
	}
	q := v.query()
	q.Set("sort", col)
	q.Set("dir", dir)
	q.Del("page")
	return v.BasePath + "?" + q.Encode()
}

// SortState is a column's aria-sort.
func (v *recordsView) SortState(col string) string {
	if v.Sort != col {
		return "none"
	}
	if v.Dir == "asc" {
		return "ascending"
	}
	return "descending"
}

// EditURL opens the edit form of a record, keeping the table's state.
func (v *recordsView) EditURL(id string) string {
	q := v.query()
	q.Set("edit", id)
	return v.BasePath + "?" + q.Encode() + "#edit"
}

func (v *recordsView) query() url.Values {
	q := url.Values{"account": {v.Account}}
	if v.Sort != "" {
		q.Set("sort", v.Sort)
		q.Set("dir", v.Dir)
	}
	if v.Op != "" {
		q.Set("field", v.Field)
		q.Set("op", v.Op)
		q.Set("value", v.Value)
	}
	if v.Page > 1 {
		q.Set("page", strconv.Itoa(v.Page))
	}
	return q
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
	v := &recordsView{Collection: c, Account: account, AccountNm: sc.Name(account), FilterOps: filterOps,
		BasePath: "/admin/collections/" + url.PathEscape(c.Name)}
	if len(c.Schema) > 0 {
		v.SchemaJSON = pretty(c.Schema)
	}
	v.SchemaDraft = v.SchemaJSON
	if v.Count, err = h.e.CountRecords(ctx, s.p, account, c.Name); err != nil {
		return nil, err
	}
	var recs []*store.Record
	cursor := ""
	for len(recs) < recordsWindow {
		page, err := h.e.RecentRecords(ctx, s.p, account, c.Name, store.Page{Limit: 500, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		recs = append(recs, page...)
		if len(page) < 500 {
			break
		}
		cursor = page[len(page)-1].ID
	}
	v.Windowed = v.Count > len(recs)
	v.Cols = recordColumns(c.Schema, recs)
	v.Hooks = h.watchers(r, s, sc, account, c.Name)

	q := r.URL.Query()
	v.Sort, v.Dir = q.Get("sort"), q.Get("dir")
	if v.Sort != "" && v.Sort != "id" && v.Sort != "updated_at" && !hasCol(v.Cols, v.Sort) {
		v.Sort = ""
	}
	if v.Dir != "asc" {
		v.Dir = "desc"
	}
	v.Field, v.Op, v.Value = q.Get("field"), q.Get("op"), q.Get("value")
	if !validOp(v.Op) || (v.Field != "" && v.Field != "id" && !hasCol(v.Cols, v.Field)) {
		v.Op = ""
	}
	if v.Op != "" && v.Field == "" && v.Op != "contains" && v.Op != "eq" {
		v.FilterNote = "Choose a field for “" + opLabel(v.Op) + "”; any field can only contain or equal a value."
		v.Op = ""
	}
	if v.Op == "" {
		v.Field, v.Value = "", ""
	}
	list := recs
	if v.Op != "" {
		list = nil
		for _, rec := range recs {
			if matchRecord(rec, v.Field, v.Op, v.Value) {
				list = append(list, rec)
			}
		}
	}
	if v.Sort != "" {
		sortRecords(list, v.Sort, v.Dir == "asc")
	}
	v.Matched = len(list)
	v.Pages = max(1, (len(list)+recordsPerPage-1)/recordsPerPage)
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = min(max(v.Page, 1), v.Pages)
	lo := (v.Page - 1) * recordsPerPage
	hi := min(lo+recordsPerPage, len(list))
	if lo < hi {
		v.From, v.To = lo+1, hi
	}
	for _, rec := range list[lo:hi] {
		v.Rows = append(v.Rows, v.row(rec))
	}
	if v.Page > 1 {
		pq := v.query()
		pq.Set("page", strconv.Itoa(v.Page-1))
		v.PrevURL = v.BasePath + "?" + pq.Encode()
	}
	if v.Page < v.Pages {
		nq := v.query()
		nq.Set("page", strconv.Itoa(v.Page+1))
		v.NextURL = v.BasePath + "?" + nq.Encode()
	}
	v.Inputs = inputsFor(v.Cols, nil)
	if id := q.Get("edit"); id != "" {
		rec, err := h.e.GetRecord(ctx, s.p, account, c.Name, id)
		if err != nil {
			v.NotFound = "There is no record " + id + " in " + c.Name + "."
		} else {
			row := v.row(rec)
			v.Edit = &row
			v.EditInputs = inputsFor(v.Cols, rec.Data)
		}
	}
	return v, nil
}

func (v *recordsView) row(rec *store.Record) recordRow {
	row := recordRow{ID: rec.ID, Created: rec.CreatedAt, Updated: rec.UpdatedAt}
	for _, col := range v.Cols {
		x, ok := rec.Data[col.Name]
		if !ok {
			row.Cells = append(row.Cells, recordCell{Missing: true})
			continue
		}
		full := cellText(x)
		row.Cells = append(row.Cells, recordCell{Text: truncate(60, full), Full: full, Kind: jsonKind(x)})
	}
	return row
}

// watchers are the hooks whose record trigger fires for the collection:
// of the account or an account above it, on this collection or on all.
func (h *Handler) watchers(r *http.Request, s *session, sc *scope, account, name string) []*hook.Hook {
	hooks, err := h.e.ListHooks(r.Context(), s.p, hookline.HookQuery{TriggerType: hook.TriggerEvent, Page: store.Page{Limit: 500}})
	if err != nil {
		return nil
	}
	above := map[string]bool{}
	for id := account; id != "" && !above[id]; {
		above[id] = true
		parent := ""
		for _, a := range sc.List {
			if a.ID == id {
				parent = a.ParentID
			}
		}
		id = parent
	}
	var out []*hook.Hook
	for _, hk := range hooks {
		t := hk.Trigger
		if above[hk.AccountID] && strings.HasPrefix(t.Event, "records.") && (t.Collection == name || t.Collection == "") {
			out = append(out, hk)
		}
	}
	return out
}

// recordsPage shows a collection and its records; writing one here emits
// its records.* event like the API does.
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
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	account, name := sc.pick(r, s.AccountID), r.PathValue("name")
	data, inputs, extra, perr := typedData(r.PostForm, false)
	if perr == nil {
		_, err = h.e.CreateRecord(r.Context(), s.p, account, name, data, s.write())
		if err == nil {
			h.redirect(w, r, "/admin/collections/"+url.PathEscape(name)+accountQuery(account), "ok", "Created a record; its records.create event fired.")
			return nil
		}
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden || st == http.StatusNotFound {
			return err
		}
		perr = fmt.Errorf("%s", msg)
	}
	v, err := h.recordsView(r, s)
	if err != nil {
		return err
	}
	v.Error, v.Extra = "Not created: "+perr.Error(), extra
	refill(v.Inputs, inputs)
	h.render(w, r, s, http.StatusUnprocessableEntity, "records", "Collection "+v.Collection.Name, "collections", v)
	return nil
}

// refill puts what was typed back into the inputs.
func refill(into, typed []recordInput) {
	for i := range into {
		for _, t := range typed {
			if t.Name == into[i].Name {
				into[i].Value = t.Value
			}
		}
	}
}

func (h *Handler) recordUpdate(w http.ResponseWriter, r *http.Request, s *session) error {
	sc, err := h.scope(r.Context(), s)
	if err != nil {
		return err
	}
	account, name, id := sc.pick(r, s.AccountID), r.PathValue("name"), r.PathValue("id")
	back := "/admin/collections/" + url.PathEscape(name) + accountQuery(account)
	if ret, err := url.Parse(safeNext(r.PostForm.Get("return"))); err == nil && strings.HasPrefix(ret.Path, "/admin/collections/") {
		q := ret.Query()
		q.Del("edit") // back to the table, the edit form closed
		ret.RawQuery = q.Encode()
		back = ret.String()
	}
	data, _, _, perr := typedData(r.PostForm, true)
	if perr != nil {
		h.redirect(w, r, back, "error", "Not updated: "+perr.Error())
		return nil
	}
	if _, err := h.e.UpdateRecord(r.Context(), s.p, account, name, id, data, s.write()); err != nil {
		h.redirect(w, r, back, "error", "Could not update: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, back, "ok", "Updated "+id+"; its records.update event fired (when something changed).")
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
