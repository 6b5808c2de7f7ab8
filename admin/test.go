package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/hookline/hookline"
	"github.com/hookline/hookline/hook"
)

// dryRunView is a test's answer: the condition's verdict and what each
// action would do.
type dryRunView struct {
	Ran       bool
	Error     string
	Invalid   []fieldErr
	Condition string
	Verdict   bool
	CondError string
	Actions   []dryAction
}

type dryAction struct {
	N         int
	Name      string
	Type      string
	CaseLabel string
	Request   string
	Config    string
	Error     string
	Warnings  []string // template holes with no value in the sample data
}

// sampleFromForm reads the test panel's JSON data.
func sampleFromForm(raw string) (map[string]any, string) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return map[string]any{}, ""
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, "The sample data is not a JSON object: " + jsonErrMsg(err)
	}
	return m, ""
}

// dryRunResult turns the engine's test result into the view.
func dryRunResult(hk *hook.Hook, res *hookline.TestResult) dryRunView {
	v := dryRunView{Ran: true, Condition: hk.Condition, Verdict: res.Condition.Result}
	if res.Condition.Error != nil {
		v.CondError = *res.Condition.Error
	}
	for i, a := range res.Actions {
		d := dryAction{N: i + 1, Name: a.Name, Type: a.Type, Config: pretty(a.Config), Warnings: a.Warnings}
		if a.Error != nil {
			d.Error = *a.Error
		}
		switch {
		case a.Case != nil && i < len(hk.Actions) && *a.Case < len(hk.Actions[i].Cases):
			d.CaseLabel = fmt.Sprintf("Case %d: when %s", *a.Case+1, hk.Actions[i].Cases[*a.Case].When)
		case a.Case != nil:
			d.CaseLabel = fmt.Sprintf("Case %d", *a.Case+1)
		case i < len(hk.Actions) && len(hk.Actions[i].Cases) > 0:
			d.CaseLabel = "Else: no case holds, the action's own config"
		default:
			d.CaseLabel = "The action's own config (no cases)"
		}
		if a.Type == "send_webhook" && a.Config != nil {
			m, _ := a.Config["method"].(string)
			if m == "" {
				m = "POST"
			}
			u, _ := a.Config["url"].(string)
			d.Request = m + " " + u
		}
		v.Actions = append(v.Actions, d)
	}
	return v
}

// dryRun tests hk (saved or not) against data; hk's account must be in
// the session's subtree.
func (h *Handler) dryRun(ctx context.Context, s *session, hk *hook.Hook, data map[string]any) (dryRunView, error) {
	if hk.AccountID == "" {
		hk.AccountID = s.AccountID
	}
	res, err := h.e.DryRun(ctx, s.p, hk, data)
	if err != nil {
		return dryRunView{}, err
	}
	return dryRunResult(hk, res), nil
}

// editorDryRun tests the editor's unsaved hook and answers an HTML fragment.
func (h *Handler) editorDryRun(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	hk, errs := h.cat.parseHookForm(r.PostForm)
	var v dryRunView
	data, bad := sampleFromForm(r.PostForm.Get("test_data"))
	switch {
	case bad != "":
		v.Error = bad
	case len(errs) > 0:
		v.Invalid = errs
	default:
		var err error
		if v, err = h.dryRun(ctx, s, hk, data); err != nil {
			v = dryRunView{Error: msgOf(err)}
		} else if err := h.e.ValidateHook(ctx, s.p, hk); err != nil {
			if he, ok := err.(*hookline.Error); ok {
				v.Invalid = []fieldErr{{fieldOrForm(he.Field), he.Msg}}
			}
		}
	}
	html, err := h.fragment("dryrun", v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(html))
	return nil
}

type testView struct {
	Hook   *hookline.HookView
	Sample string
	Result dryRunView
}

func (h *Handler) testPage(w http.ResponseWriter, r *http.Request, s *session) error {
	hk, err := h.e.GetHook(r.Context(), s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := testView{Hook: h.e.View(hk), Sample: sampleData(h.cat.hookForm(hk))}
	h.render(w, r, s, http.StatusOK, "test", "Test “"+hk.Name+"”", "hooks", v)
	return nil
}

func (h *Handler) testRun(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	hk, err := h.e.GetHook(ctx, s.p, r.PathValue("id"))
	if err != nil {
		return err
	}
	v := testView{Hook: h.e.View(hk), Sample: r.PostForm.Get("test_data")}
	status := http.StatusOK
	data, bad := sampleFromForm(v.Sample)
	if bad != "" {
		v.Result.Error, status = bad, http.StatusUnprocessableEntity
	} else {
		res, err := h.e.TestHook(ctx, s.p, hk.ID, data)
		if err != nil {
			return err
		}
		v.Result = dryRunResult(hk, res)
	}
	h.render(w, r, s, status, "test", "Test “"+hk.Name+"”", "hooks", v)
	return nil
}

// testTrigger fires the hook for real with the sample data.
func (h *Handler) testTrigger(w http.ResponseWriter, r *http.Request, s *session) error {
	ctx := r.Context()
	id := r.PathValue("id")
	data, bad := sampleFromForm(r.PostForm.Get("test_data"))
	if bad != "" {
		h.redirect(w, r, "/admin/hooks/"+id+"/test", "error", bad)
		return nil
	}
	x, err := h.e.TriggerHook(ctx, s.p, id, data)
	if err != nil {
		h.redirect(w, r, "/admin/hooks/"+id+"/test", "error", "Could not trigger: "+msgOf(err))
		return nil
	}
	h.redirect(w, r, "/admin/executions/"+x.ID, "ok", "Triggered: the execution runs now.")
	return nil
}
