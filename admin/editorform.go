package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
)

// The editor's form field names follow the engine's error field paths
// (name, trigger.cron, actions[0].config.url, actions[0].cases[1].when …)
// so an engine error lands beside the field that caused it.

// fieldErr is a problem with one field of the editor.
type fieldErr struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

var (
	actionTypeRE = regexp.MustCompile(`^actions\[(\d+)\]\.type$`)
	caseWhenRE   = regexp.MustCompile(`^actions\[(\d+)\]\.cases\[(\d+)\]\.when$`)
)

// actionIndices are the action positions present in the form, in order.
func actionIndices(f url.Values) []int {
	var out []int
	for k := range f {
		if m := actionTypeRE.FindStringSubmatch(k); m != nil {
			n, _ := strconv.Atoi(m[1])
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

func caseIndices(f url.Values, action int) []int {
	var out []int
	for k := range f {
		if m := caseWhenRE.FindStringSubmatch(k); m != nil {
			if a, _ := strconv.Atoi(m[1]); a == action {
				n, _ := strconv.Atoi(m[2])
				out = append(out, n)
			}
		}
	}
	sort.Ints(out)
	return out
}

func nonEmpty(vs []string) []string {
	out := []string{}
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// parseJSONField reads a JSON textarea; "" is (nil, true).
func parseJSONField(raw, field string, errs *[]fieldErr) (any, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, true
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		*errs = append(*errs, fieldErr{field, "is not valid JSON: " + jsonErrMsg(err)})
		return nil, false
	}
	return v, true
}

func jsonErrMsg(err error) string {
	var se *json.SyntaxError
	if e, ok := err.(*json.SyntaxError); ok {
		se = e
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return err.Error()
}

func parseObject(raw, field string, errs *[]fieldErr) map[string]any {
	v, ok := parseJSONField(raw, field, errs)
	if !ok || v == nil {
		return nil
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		*errs = append(*errs, fieldErr{field, "must be a JSON object, like {\"key\": \"value\"}"})
		return nil
	}
	return m
}

func parseIntField(raw, field string, errs *[]fieldErr) int {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		*errs = append(*errs, fieldErr{field, "must be a whole number"})
	}
	return n
}

// parseHookForm turns the editor's fields into a hook. The errors are
// fields that could not even be read (bad JSON, not a number); everything
// else is left to the engine's validation.
func (c *catalog) parseHookForm(f url.Values) (*hook.Hook, []fieldErr) {
	var errs []fieldErr
	h := &hook.Hook{
		Name:             strings.TrimSpace(f.Get("name")),
		Key:              strings.TrimSpace(f.Get("key")),
		Description:      strings.TrimSpace(f.Get("description")),
		AccountID:        f.Get("account_id"),
		Category:         f.Get("category"),
		Debug:            f.Get("debug") == "on",
		Roles:            nonEmpty(f["roles"]),
		Condition:        strings.TrimSpace(f.Get("condition")),
		OnConditionError: f.Get("on_condition_error"),
		Ordering:         f.Get("ordering"),
		OrderingKey:      strings.TrimSpace(f.Get("ordering_key")),
		Enabled:          f.Get("enabled") == "true",
		Actions:          []hook.Action{},
	}
	h.Order = parseIntField(f.Get("order"), "order", &errs)
	if k, w := strings.TrimSpace(f.Get("debounce.key")), strings.TrimSpace(f.Get("debounce.window")); k != "" || w != "" {
		h.Debounce = &hook.Debounce{Key: k, Window: w}
	}
	t := &h.Trigger
	switch f.Get("trigger_kind") {
	case "lifecycle":
		t.Type, t.Event, t.Collection = hook.TriggerEvent, f.Get("trigger.event"), strings.TrimSpace(f.Get("trigger.collection"))
	case "hookable":
		t.Type, t.Event = hook.TriggerEvent, f.Get("trigger.event")
	case "schedule":
		t.Type = hook.TriggerSchedule
		t.Timezone = strings.TrimSpace(f.Get("trigger.timezone"))
		t.StartAt = strings.TrimSpace(f.Get("trigger.start_at"))
		t.EndAt = strings.TrimSpace(f.Get("trigger.end_at"))
		t.Misfire = f.Get("trigger.misfire")
		t.MaxRuns = parseIntField(f.Get("trigger.max_runs"), "trigger.max_runs", &errs)
		switch f.Get("schedule_kind") {
		case "cron":
			t.Cron = strings.TrimSpace(f.Get("trigger.cron"))
		case "every":
			t.Every = strings.TrimSpace(f.Get("trigger.every"))
		case "once":
			t.OnceAt = strings.TrimSpace(f.Get("trigger.once_at"))
		default:
			t.Weekdays = nonEmpty(f["trigger.weekdays"])
			t.Times = nonEmpty(f["trigger.times"])
		}
	case "inbound":
		t.Type = hook.TriggerInbound
		t.Path = strings.TrimSpace(f.Get("trigger.path"))
		t.Methods = nonEmpty(f["trigger.methods"])
		t.Respond = f.Get("trigger.respond")
		if k := f.Get("trigger.auth.kind"); k != "" {
			t.Auth = &hook.InboundAuth{Kind: k, Header: strings.TrimSpace(f.Get("trigger.auth.header")), SecretRef: strings.TrimSpace(f.Get("trigger.auth.secret_ref"))}
		}
	case "manual":
		t.Type = hook.TriggerManual
	}
	for pos, i := range actionIndices(f) {
		h.Actions = append(h.Actions, c.parseActionForm(f, i, pos, &errs))
	}
	return h, errs
}

// parseActionForm reads the action at form index i; errors name its
// position pos (indices are renumbered in the browser, but be safe).
func (c *catalog) parseActionForm(f url.Values, i, pos int, errs *[]fieldErr) hook.Action {
	p := fmt.Sprintf("actions[%d]", i)
	e := fmt.Sprintf("actions[%d]", pos)
	a := hook.Action{Type: f.Get(p + ".type"), Name: strings.TrimSpace(f.Get(p + ".name")), Config: map[string]any{}}
	t := c.get(a.Type)
	get := func(k string) (string, bool) { return f.Get(k), f.Has(k) }
	if f.Has(p + ".config_json") {
		if m := parseObject(f.Get(p+".config_json"), e+".config", errs); m != nil {
			a.Config = m
		}
	} else {
		a.Config = formConfig(t, get, p+".config", e+".config", errs)
	}
	for cpos, j := range caseIndices(f, i) {
		cp := fmt.Sprintf("%s.cases[%d]", p, j)
		ce := fmt.Sprintf("%s.cases[%d]", e, cpos)
		cs := hook.Case{When: strings.TrimSpace(f.Get(cp + ".when")), Config: map[string]any{}}
		if f.Has(cp + ".config_json") {
			if m := parseObject(f.Get(cp+".config_json"), ce+".config", errs); m != nil {
				cs.Config = m
			}
		} else {
			cs.Config = formConfig(t, get, cp+".config", ce+".config", errs)
		}
		a.Cases = append(a.Cases, cs)
	}
	rp := &hook.RetryPolicy{
		Backoff: f.Get(p + ".retry.backoff"), Initial: strings.TrimSpace(f.Get(p + ".retry.initial")),
		Max: strings.TrimSpace(f.Get(p + ".retry.max")),
	}
	rp.MaxAttempts = parseIntField(f.Get(p+".retry.max_attempts"), e+".retry.max_attempts", errs)
	if rp.MaxAttempts != 0 || rp.Backoff != "" || rp.Initial != "" || rp.Max != "" {
		a.Retry = rp
	}
	return a
}

// formFields are the hook's JSON fields the editor shows. Saving keeps the
// others as they were (read-only ones, and fields the form does not offer).
var formFields = []string{"name", "description", "account_id", "order", "roles", "category", "debug", "enabled",
	"trigger", "condition", "on_condition_error", "actions", "ordering", "ordering_key"}

// keepUnformed is hk (from the form) with old's values for every field the
// form does not show, so an edit never drops what it cannot see.
func keepUnformed(old, hk *hook.Hook) (*hook.Hook, error) {
	if old == nil {
		return hk, nil
	}
	om, nm := extraFields(old), extraFields(hk)
	if om == nil || nm == nil {
		return nil, errors.New("admin: cannot encode the hook")
	}
	for _, k := range formFields {
		om[k] = nm[k]
	}
	b, err := json.Marshal(om)
	if err != nil {
		return nil, err
	}
	out := &hook.Hook{}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, err
	}
	return out, nil
}

// hookForm renders a stored hook as the editor's fields.
func (c *catalog) hookForm(h *hook.Hook) url.Values {
	f := url.Values{}
	f.Set("name", h.Name)
	f.Set("key", h.Key)
	f.Set("description", h.Description)
	f.Set("account_id", h.AccountID)
	f.Set("order", strconv.Itoa(h.Order))
	f["roles"] = append([]string(nil), h.Roles...)
	f.Set("category", h.Category)
	if h.Debug {
		f.Set("debug", "on")
	}
	f.Set("enabled", strconv.FormatBool(h.Enabled))
	f.Set("condition", h.Condition)
	f.Set("on_condition_error", h.OnConditionError)
	f.Set("ordering", h.Ordering)
	f.Set("ordering_key", h.OrderingKey)
	if h.Debounce != nil {
		f.Set("debounce.key", h.Debounce.Key)
		f.Set("debounce.window", h.Debounce.Window)
	}
	t := h.Trigger
	f.Set("schedule_kind", "card")
	f.Set("trigger.timezone", "UTC")
	switch t.Type {
	case hook.TriggerEvent:
		if _, ok := lifecycleWords[t.Event]; ok {
			f.Set("trigger_kind", "lifecycle")
			f.Set("trigger.collection", t.Collection)
		} else {
			f.Set("trigger_kind", "hookable")
		}
		f.Set("trigger.event", t.Event)
	case hook.TriggerSchedule:
		f.Set("trigger_kind", "schedule")
		switch {
		case t.Cron != "":
			f.Set("schedule_kind", "cron")
		case t.Every != "":
			f.Set("schedule_kind", "every")
		case t.OnceAt != "":
			f.Set("schedule_kind", "once")
		}
		if t.Timezone != "" {
			f.Set("trigger.timezone", t.Timezone)
		}
		f.Set("trigger.cron", t.Cron)
		f.Set("trigger.every", t.Every)
		f.Set("trigger.once_at", localInput(t.OnceAt, t.Timezone))
		f["trigger.weekdays"] = append([]string(nil), t.Weekdays...)
		f["trigger.times"] = append([]string(nil), t.Times...)
		f.Set("trigger.start_at", localInput(t.StartAt, t.Timezone))
		f.Set("trigger.end_at", localInput(t.EndAt, t.Timezone))
		if t.MaxRuns > 0 {
			f.Set("trigger.max_runs", strconv.Itoa(t.MaxRuns))
		}
		f.Set("trigger.misfire", t.Misfire)
	case hook.TriggerInbound:
		f.Set("trigger_kind", "inbound")
		f.Set("trigger.path", t.Path)
		f["trigger.methods"] = append([]string(nil), t.Methods...)
		f.Set("trigger.respond", t.Respond)
		if t.Auth != nil {
			f.Set("trigger.auth.kind", t.Auth.Kind)
			f.Set("trigger.auth.header", t.Auth.Header)
			f.Set("trigger.auth.secret_ref", t.Auth.SecretRef)
		}
	default:
		f.Set("trigger_kind", "manual")
	}
	for i, a := range h.Actions {
		c.setActionForm(f, i, a)
	}
	return f
}

func (c *catalog) setActionForm(f url.Values, i int, a hook.Action) {
	p := fmt.Sprintf("actions[%d]", i)
	f.Set(p+".type", a.Type)
	f.Set(p+".name", a.Name)
	t := c.get(a.Type)
	texts, asForm := configTexts(t, a.Config)
	if asForm {
		for k, v := range texts {
			f.Set(p+".config."+k, v)
		}
	} else {
		f.Set(p+".config_json", pretty(a.Config))
	}
	for j, cs := range a.Cases {
		cp := fmt.Sprintf("%s.cases[%d]", p, j)
		f.Set(cp+".when", cs.When)
		ctexts, ok := configTexts(t, cs.Config)
		if !asForm || !ok {
			f.Set(cp+".config_json", pretty(cs.Config))
			continue
		}
		for k, v := range ctexts {
			f.Set(cp+".config."+k, v)
		}
	}
	if r := a.Retry; r != nil {
		if r.MaxAttempts > 0 {
			f.Set(p+".retry.max_attempts", strconv.Itoa(r.MaxAttempts))
		}
		f.Set(p+".retry.backoff", r.Backoff)
		f.Set(p+".retry.initial", r.Initial)
		f.Set(p+".retry.max", r.Max)
	}
}

// localInput shows a stored time as a datetime-local value (wall time in
// the schedule's zone), which the engine reads back the same way.
func localInput(v, tz string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return v
	}
	loc := time.UTC
	if tz != "" {
		if l, err := time.LoadLocation(tz); err == nil {
			loc = l
		}
	}
	return t.In(loc).Format("2006-01-02T15:04")
}
