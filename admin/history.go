package admin

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/hookdoc"
	"github.com/hookline/hookline/store"
)

// historyView is a hook's History tab: its versions and a side-by-side
// comparison of two of them (A older, B newer; one version alone when A is B).
type historyView struct {
	Hook      *hook.Hook
	Versions  []versionRow
	A, B      *hook.Version
	Rows      []diffRow
	Changes   []hook.Change
	YAML      string // version A, when shown alone
	CanManage bool
}

type versionRow struct {
	N       int
	At      time.Time
	By      string
	Note    string
	Current bool
}

// Same reports whether one version is shown alone.
func (v *historyView) Same() bool { return v.A.Version == v.B.Version }

// Show is a value of a field-level change, compact.
func (v *historyView) Show(x any) string {
	if x == nil {
		return "(none)"
	}
	b, _ := json.Marshal(x)
	return truncate(120, string(b))
}

// By names who saved a version.
func (v *historyView) By(a *hook.Actor) string { return actorLabel(a) }

func actorLabel(a *hook.Actor) string {
	switch {
	case a == nil:
		return "hookline"
	case a.KeyID != "":
		return a.Role + " key " + a.KeyID
	}
	return a.Role
}

func (h *Handler) historyPage(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	hk, err := h.e.GetHook(ctx, s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	vs, err := h.e.ListHookVersions(ctx, s.p, hk.ID, store.Page{Limit: 500})
	if err != nil {
		return err
	}
	v := &historyView{Hook: hk, CanManage: hookline.Can(s.p.Role, hookline.RoleManage)}
	for _, x := range vs {
		v.Versions = append(v.Versions, versionRow{N: x.Version, At: x.CreatedAt, By: actorLabel(x.Actor), Note: x.Note, Current: x.Version == hk.Version})
	}
	num := func(name string, def int) int {
		if n, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil {
			return n
		}
		return def
	}
	b := num("b", hk.Version)
	a := num("a", max(b-1, 1))
	if a > b {
		a, b = b, a
	}
	if v.A, err = h.e.GetHookVersion(ctx, s.p, hk.ID, a); err != nil {
		return err
	}
	if v.B, err = h.e.GetHookVersion(ctx, s.p, hk.ID, b); err != nil {
		return err
	}
	left, err := hookdoc.HookYAML(v.A.Hook)
	if err != nil {
		return err
	}
	right, err := hookdoc.HookYAML(v.B.Hook)
	if err != nil {
		return err
	}
	v.YAML = string(left)
	v.Rows = lineDiff(lines(left), lines(right))
	v.Changes = hook.Diff(hook.Definition(v.A.Hook), hook.Definition(v.B.Hook))
	h.render(w, r, s, http.StatusOK, "history", "History of “"+hk.Name+"”", "hooks", v)
	return nil
}

func lines(b []byte) []string {
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func (h *Handler) historyRestore(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return &hookline.Error{Kind: hookline.KindNotFound, Msg: "no such version"}
	}
	before, err := h.e.GetHook(r.Context(), s.p, id)
	if err != nil {
		return err
	}
	after, err := h.e.RestoreHookVersion(r.Context(), s.p, id, n)
	if err != nil {
		h.redirect(w, r, "/admin/hooks/"+id+"/history", "error", "Could not restore version "+strconv.Itoa(n)+": "+msgOf(err))
		return nil
	}
	msg := "Restored version " + strconv.Itoa(n) + " as version " + strconv.Itoa(after.Version) + "."
	if after.Version == before.Version {
		msg = "The hook is version " + strconv.Itoa(n) + " already; nothing changed."
	}
	target := "/admin/hooks/" + id + "/history?a=" + strconv.Itoa(before.Version) + "&b=" + strconv.Itoa(after.Version)
	h.redirect(w, r, target, "ok", msg)
	return nil
}

// hookExport downloads a hook as a hooks-as-code document.
func (h *Handler) hookExport(w http.ResponseWriter, r *http.Request, s *session) error {
	doc, err := h.e.Export(r.Context(), s.p, hookline.ExportQuery{HookID: r.PathValue("id")})
	if err != nil {
		return err
	}
	b, err := hookdoc.YAML(doc, h.baseURL(r)+hookdoc.SchemaPath)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+doc.Hooks[0].Key+`.yaml"`)
	_, _ = w.Write(b)
	return nil
}
