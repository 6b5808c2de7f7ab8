package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
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
	Count      int
	Windowed   bool // more records than the table sorts and filters
	Hooks      []*hook.Hook
	Cols       []recordCol
	Rows       []recordRow
	Account    string
	AccountNm  string

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
	if c.Schema != nil {
		v.SchemaJSON = pretty(c.Schema)
	}
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

func hasCol(cols []recordCol, name string) bool {
	for _, c := range cols {
		if c.Name == name {
			return true
		}
	}
	return false
}

func validOp(op string) bool {
	for _, o := range filterOps {
		if o[0] == op {
			return true
		}
	}
	return false
}

// recordColumns are the schema's properties (required ones first), else
// the fields of the records, the most common first.
func recordColumns(schema map[string]any, recs []*store.Record) []recordCol {
	var cols []recordCol
	if props, ok := schema["properties"].(map[string]any); ok {
		req := map[string]bool{}
		if rs, ok := schema["required"].([]any); ok {
			for _, x := range rs {
				if s, ok := x.(string); ok {
					req[s] = true
				}
			}
		}
		for name, p := range props {
			ps, _ := p.(map[string]any)
			col := recordCol{Name: name, Kind: schemaKind(ps), Required: req[name]}
			if en, ok := ps["enum"].([]any); ok && col.Kind == "string" {
				for _, x := range en {
					if s, ok := x.(string); ok {
						col.Enum = append(col.Enum, s)
					}
				}
			}
			cols = append(cols, col)
		}
		sort.Slice(cols, func(i, j int) bool {
			if cols[i].Required != cols[j].Required {
				return cols[i].Required
			}
			return cols[i].Name < cols[j].Name
		})
		return cols
	}
	count := map[string]int{}
	kinds := map[string]string{}
	for _, r := range recs {
		for k, x := range r.Data {
			count[k]++
			kd := valueKind(x)
			switch old, seen := kinds[k]; {
			case !seen || old == "":
				kinds[k] = kd
			case kd != "" && old != kd:
				kinds[k] = "json"
			}
		}
	}
	for k := range count {
		kd := kinds[k]
		if kd == "" {
			kd = "json"
		}
		cols = append(cols, recordCol{Name: k, Kind: kd})
	}
	sort.Slice(cols, func(i, j int) bool {
		a, b := count[cols[i].Name], count[cols[j].Name]
		if a != b {
			return a > b
		}
		return cols[i].Name < cols[j].Name
	})
	return cols
}

// schemaKind is the input kind of a JSON Schema property.
func schemaKind(p map[string]any) string {
	var t string
	switch ty := p["type"].(type) {
	case string:
		t = ty
	case []any:
		for _, x := range ty {
			if s, _ := x.(string); s != "" && s != "null" {
				t = s
				break
			}
		}
	}
	switch t {
	case "string", "number", "integer", "boolean":
		return t
	}
	return "json"
}

// valueKind is the input kind of a stored value ("" for null).
func valueKind(x any) string {
	switch k := jsonKind(x); k {
	case "string", "number", "boolean":
		return k
	case "null":
		return ""
	}
	return "json"
}

func cellText(x any) string {
	if s, ok := x.(string); ok {
		return s
	}
	b, _ := json.Marshal(x)
	return string(b)
}

// compareValues orders two values of a column: numbers as numbers, text
// without regard to case, false before true; a missing value sorts last
// either way (see sortRecords).
func compareValues(a, b any) int {
	af, aNum := a.(float64)
	bf, bNum := b.(float64)
	switch {
	case aNum && bNum:
		switch {
		case af < bf:
			return -1
		case af > bf:
			return 1
		}
		return 0
	case aNum != bNum: // numbers before text
		if aNum {
			return -1
		}
		return 1
	}
	return strings.Compare(strings.ToLower(cellText(a)), strings.ToLower(cellText(b)))
}

func sortRecords(list []*store.Record, field string, asc bool) {
	get := func(r *store.Record) (any, bool) {
		switch field {
		case "id":
			return r.ID, true
		case "updated_at":
			return float64(r.UpdatedAt.UnixMicro()), true
		}
		x, ok := r.Data[field]
		return x, ok && x != nil
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, aok := get(list[i])
		b, bok := get(list[j])
		if aok != bok {
			return aok // missing last
		}
		if !aok {
			return false
		}
		c := compareValues(a, b)
		if asc {
			return c < 0
		}
		return c > 0
	})
}

// matchRecord applies the table's filter; field "" is any field.
func matchRecord(r *store.Record, field, op, value string) bool {
	if field == "" {
		if op != "contains" {
			return false
		}
		needle := strings.ToLower(value)
		if strings.Contains(strings.ToLower(r.ID), needle) {
			return true
		}
		for _, x := range r.Data {
			if strings.Contains(strings.ToLower(cellText(x)), needle) {
				return true
			}
		}
		return false
	}
	x, ok := r.Data[field]
	if field == "id" {
		x, ok = r.ID, true
	}
	ok = ok && x != nil
	switch op {
	case "set":
		return ok
	case "missing":
		return !ok
	}
	if !ok {
		return op == "ne"
	}
	var want any = value
	if f, err := strconv.ParseFloat(strings.TrimSpace(value), 64); err == nil {
		if _, isNum := x.(float64); isNum {
			want = f
		}
	}
	if _, isBool := x.(bool); isBool && (value == "true" || value == "false") {
		want = value == "true"
	}
	switch op {
	case "contains":
		return strings.Contains(strings.ToLower(cellText(x)), strings.ToLower(value))
	case "eq":
		return compareValues(x, want) == 0
	case "ne":
		return compareValues(x, want) != 0
	case "gt":
		return compareValues(x, want) > 0
	case "lt":
		return compareValues(x, want) < 0
	}
	return false
}

func inputsFor(cols []recordCol, data map[string]any) []recordInput {
	out := make([]recordInput, len(cols))
	for i, c := range cols {
		out[i] = recordInput{recordCol: c}
		if x, ok := data[c.Name]; ok && x != nil {
			if c.Kind == "json" {
				out[i].Value = pretty(x)
			} else {
				out[i].Value = cellText(x)
			}
		}
	}
	return out
}

// typedData reads the typed inputs (f.<field>, their kinds in k.<field>)
// and the extra JSON object. An empty input is left out, or with clear set
// (an edit) becomes null, which removes the field.
func typedData(form url.Values, clear bool) (map[string]any, []recordInput, string, error) {
	data := map[string]any{}
	var inputs []recordInput
	for key, vals := range form {
		name, ok := strings.CutPrefix(key, "f.")
		if !ok || name == "" {
			continue
		}
		kind := form.Get("k." + name)
		raw := vals[0]
		inputs = append(inputs, recordInput{recordCol: recordCol{Name: name, Kind: kind}, Value: raw})
		if strings.TrimSpace(raw) == "" {
			if clear {
				data[name] = nil
			}
			continue
		}
		switch kind {
		case "number", "integer":
			n, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
			if err != nil || (kind == "integer" && n != float64(int64(n))) {
				return nil, inputs, "", fmt.Errorf("%s must be a %s", name, recordCol{Kind: kind}.Hint())
			}
			data[name] = n
		case "boolean":
			data[name] = raw == "true"
		case "string":
			data[name] = raw
		default:
			var x any
			if err := json.Unmarshal([]byte(raw), &x); err != nil {
				return nil, inputs, "", fmt.Errorf("%s is not valid JSON: %s", name, jsonErrMsg(err))
			}
			data[name] = x
		}
	}
	extra := form.Get("data")
	if strings.TrimSpace(extra) != "" {
		var errs []fieldErr
		more := parseObject(extra, "data", &errs)
		if len(errs) > 0 {
			return nil, inputs, extra, fmt.Errorf("other fields %s", errs[0].Message)
		}
		for k, x := range more {
			data[k] = x
		}
	}
	return data, inputs, extra, nil
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
	v, err := h.recordsView(r, s)
	if err != nil {
		return err
	}
	data, inputs, extra, perr := typedData(r.PostForm, false)
	if perr == nil {
		_, err = h.e.CreateRecord(r.Context(), s.p, v.Account, v.Collection.Name, data, s.write())
		if err == nil {
			h.redirect(w, r, v.BasePath+accountQuery(v.Account), "ok", "Created a record; its records.create event fired.")
			return nil
		}
		st, msg := errMessage(err)
		if st >= 500 || st == http.StatusForbidden {
			return err
		}
		perr = fmt.Errorf("%s", msg)
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
	if ret := r.PostForm.Get("return"); strings.HasPrefix(ret, "/admin/collections/") {
		back = safeNext(ret)
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
