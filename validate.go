package hookline

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookline/hookline/action"
	"github.com/hookline/hookline/action/chain"
	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/runner"
	"github.com/hookline/hookline/rule"
	"github.com/hookline/hookline/schedule"
	"github.com/hookline/hookline/store"
)

var (
	actionNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	collectionRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	// collectionRefRE is what a trigger or an event may name: a built-in
	// collection or a followed table (schema-qualified unless in public).
	collectionRefRE = regexp.MustCompile(`^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$`)
	inboundRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~/-]{0,199}$`)
	hookKeyRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,99}$`)
	httpMethods     = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	inboundKinds    = []string{"hmac-sha256", "github", "stripe", "standard-webhooks"}
)

func itoa(i int) string { return strconv.Itoa(i) }

// MaxDebounceWindow bounds a hook's debounce window.
const MaxDebounceWindow = 7 * 24 * time.Hour

// normalize fills defaults into a hook about to be validated.
func normalizeHook(h *hook.Hook) {
	h.Name = strings.TrimSpace(h.Name)
	h.Key = strings.TrimSpace(h.Key)
	if h.Category == "" {
		h.Category = "other"
	}
	if h.OnConditionError == "" {
		h.OnConditionError = "fire"
	}
	if h.Roles == nil {
		h.Roles = []string{}
	}
	if h.Ordering == "" {
		h.Ordering = hook.OrderingSequential
	}
	h.OrderingKey = strings.TrimSpace(h.OrderingKey)
	if h.Trigger.Type == hook.TriggerInbound {
		h.Trigger.Path = strings.Trim(h.Trigger.Path, "/")
		if len(h.Trigger.Methods) == 0 {
			h.Trigger.Methods = []string{"POST"}
		}
		for i, m := range h.Trigger.Methods {
			h.Trigger.Methods[i] = strings.ToUpper(m)
		}
		if h.Trigger.Respond == "" {
			h.Trigger.Respond = "accepted"
		}
	}
	if h.Trigger.Type == hook.TriggerSchedule && h.Trigger.Misfire == "" {
		h.Trigger.Misfire = "run_once"
	}
	for i := range h.Actions {
		if h.Actions[i].Config == nil {
			h.Actions[i].Config = map[string]any{}
		}
	}
}

// validateHook checks every field of h; the first problem is returned as a
// 422 naming its field (409 for the actions limit).
func (e *Engine) validateHook(ctx context.Context, h *hook.Hook) error {
	return e.validateHookWith(ctx, h, nil)
}

// validateHookWith is validateHook where the hookable events in known count
// as registered (an apply registers them in the same transaction).
func (e *Engine) validateHookWith(ctx context.Context, h *hook.Hook, known map[string]bool) error {
	if h.Name == "" || len(h.Name) > 200 {
		return invalid("name", "is required (1 to 200 characters)")
	}
	if h.Key != "" && !hookKeyRE.MatchString(h.Key) {
		return invalid("key", "must be a slug of at most 100 characters: lower-case letters, digits, '-', '_' and '.', starting with a letter or digit")
	}
	if len(h.Description) > 5000 {
		return invalid("description", "must be at most 5000 characters")
	}
	if !slices.Contains(hook.Categories, h.Category) {
		return invalid("category", "must be one of %s", strings.Join(hook.Categories, ", "))
	}
	for i, r := range h.Roles {
		if !slices.Contains(hook.Roles, r) {
			return invalid(fmt.Sprintf("roles[%d]", i), "must be one of %s", strings.Join(hook.Roles, ", "))
		}
	}
	if err := e.validateTrigger(ctx, h, known); err != nil {
		return err
	}
	if h.Condition != "" {
		if _, err := rule.Compile(h.Condition, e.cfg.Expr); err != nil {
			return invalid("condition", "%s", ruleMsg(err))
		}
	}
	if h.OnConditionError != "fire" && h.OnConditionError != "skip" {
		return invalid("on_condition_error", `must be "fire" or "skip"`)
	}
	if h.Ordering != hook.OrderingSequential && h.Ordering != hook.OrderingParallel {
		return invalid("ordering", `must be "sequential" or "parallel"`)
	}
	if db := h.Debounce; db != nil {
		db.Key, db.Window = strings.TrimSpace(db.Key), strings.TrimSpace(db.Window)
		if db.Key == "" {
			return invalid("debounce.key", "is required: a template such as {{record.id}} naming what repeats")
		}
		if len(db.Key) > 1000 {
			return invalid("debounce.key", "must be at most 1000 characters")
		}
		if _, err := rule.CompileTemplate(db.Key, e.cfg.Expr); err != nil {
			return invalid("debounce.key", "%s", ruleMsg(err))
		}
		w, err := time.ParseDuration(db.Window)
		if err != nil || w < time.Second || w > MaxDebounceWindow {
			return invalid("debounce.window", "must be a duration from 1s to %s, such as 30s or 5m", MaxDebounceWindow)
		}
	}
	if h.OrderingKey != "" {
		if len(h.OrderingKey) > 1000 {
			return invalid("ordering_key", "must be at most 1000 characters")
		}
		if _, err := rule.CompileTemplate(h.OrderingKey, e.cfg.Expr); err != nil {
			return invalid("ordering_key", "%s", ruleMsg(err))
		}
	}
	if len(h.Actions) == 0 {
		return invalid("actions", "at least one action is required")
	}
	if len(h.Actions) > e.cfg.MaxActionsPerHook {
		return limitReached("a hook may have at most %d actions (HOOKLINE_MAX_ACTIONS_PER_HOOK)", e.cfg.MaxActionsPerHook)
	}
	names := map[string]bool{}
	for i, a := range h.Actions {
		if err := e.validateAction(i, a, names); err != nil {
			return err
		}
	}
	return e.checkChainCycles(ctx, h)
}

// checkChainCycles refuses a hook whose trigger_hook actions lead back to
// itself through other hooks' trigger_hook actions (literal hook ids).
func (e *Engine) checkChainCycles(ctx context.Context, h *hook.Hook) error {
	for i, a := range h.Actions {
		if a.Type != "trigger_hook" {
			continue
		}
		seen := map[string]bool{}
		stack := chain.Targets(a.Config)
		for len(stack) > 0 && len(seen) < 1000 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if id == h.ID {
				return invalid(fmt.Sprintf("actions[%d].config.hook_id", i), "this chain of trigger_hook actions leads back to the hook itself (a cycle)")
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			next, err := e.st.HookGet(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			for _, na := range next.Actions {
				if na.Type == "trigger_hook" {
					stack = append(stack, chain.Targets(na.Config)...)
				}
			}
		}
	}
	return nil
}

func (e *Engine) validateTrigger(ctx context.Context, h *hook.Hook, known map[string]bool) error {
	t := &h.Trigger
	switch t.Type {
	case hook.TriggerEvent:
		if t.Event == "" {
			return invalid("trigger.event", "is required for an event trigger")
		}
		if !hook.IsBuiltinEvent(t.Event) && !known[t.Event] {
			ok, err := e.eventTypeKnown(ctx, h.AccountID, t.Event)
			if err != nil {
				return err
			}
			if !ok {
				return invalid("trigger.event", "%q is neither a built-in event (%s) nor a registered hookable event", t.Event, strings.Join(hook.BuiltinEvents, ", "))
			}
		}
		if t.Collection != "" {
			if !strings.HasPrefix(t.Event, "records.") {
				return invalid("trigger.collection", "only record events (records.*) have a collection")
			}
			if !collectionRefRE.MatchString(t.Collection) {
				return invalid("trigger.collection", "must be lower-case letters, digits and _ (a collection), or schema.table (a followed table outside public)")
			}
		}
	case hook.TriggerSchedule:
		if _, err := schedule.Parse(scheduleInput(t)); err != nil {
			var se *schedule.Error
			if errors.As(err, &se) {
				return invalid("trigger."+se.Field, "%s", se.Msg)
			}
			return invalid("trigger", "%s", err.Error())
		}
	case hook.TriggerInbound:
		if !inboundRE.MatchString(t.Path) || strings.Contains(t.Path, "..") {
			return invalid("trigger.path", "must be 1 to 200 characters of letters, digits and ._~/-")
		}
		for i, m := range t.Methods {
			if !slices.Contains(httpMethods, m) {
				return invalid(fmt.Sprintf("trigger.methods[%d]", i), "must be one of %s", strings.Join(httpMethods, ", "))
			}
		}
		if t.Respond != "accepted" && t.Respond != "sync" {
			return invalid("trigger.respond", `must be "accepted" or "sync"`)
		}
		if t.Auth != nil {
			if !slices.Contains(inboundKinds, t.Auth.Kind) {
				return invalid("trigger.auth.kind", "must be one of %s", strings.Join(inboundKinds, ", "))
			}
			if !secretNameRE.MatchString(t.Auth.SecretRef) {
				return invalid("trigger.auth.secret_ref", "must name a secret (letters, digits, _)")
			}
		}
	case hook.TriggerManual:
	case "":
		return invalid("trigger.type", "is required: event, schedule, inbound or manual")
	default:
		return invalid("trigger.type", "must be event, schedule, inbound or manual")
	}
	return nil
}

func scheduleInput(t *hook.Trigger) schedule.Input {
	return schedule.Input{
		Cron: t.Cron, Every: t.Every, OnceAt: t.OnceAt, Timezone: t.Timezone,
		StartAt: t.StartAt, EndAt: t.EndAt, Misfire: t.Misfire,
		Weekdays: t.Weekdays, Times: t.Times, MaxRuns: t.MaxRuns,
	}
}

func (e *Engine) validateAction(i int, a hook.Action, names map[string]bool) error {
	f := func(s string) string { return fmt.Sprintf("actions[%d]%s", i, s) }
	ex, ok := e.actions.Get(a.Type)
	if !ok {
		return invalid(f(".type"), "must be one of %s", strings.Join(e.actions.Types(), ", "))
	}
	if a.Name != "" {
		if !actionNameRE.MatchString(a.Name) {
			return invalid(f(".name"), "must be letters, digits and _ (it is used as steps.<name>)")
		}
		if names[a.Name] {
			return invalid(f(".name"), "%q is used by an earlier action", a.Name)
		}
		names[a.Name] = true
	}
	if err := e.validateConfig(f(".config"), ex, a.Config); err != nil {
		return err
	}
	for j, c := range a.Cases {
		cf := f(fmt.Sprintf(".cases[%d]", j))
		if strings.TrimSpace(c.When) == "" {
			return invalid(cf+".when", "is required")
		}
		if _, err := rule.Compile(c.When, e.cfg.Expr); err != nil {
			return invalid(cf+".when", "%s", ruleMsg(err))
		}
		if err := e.validateConfig(cf+".config", ex, runner.Merge(a.Config, c.Config)); err != nil {
			return err
		}
	}
	if field, msg := a.Retry.CheckRetry(); field != "" {
		return invalid(f(".retry."+field), "%s", msg)
	}
	return nil
}

func (e *Engine) validateConfig(prefix string, ex action.Executor, cfg map[string]any) error {
	if _, err := rule.CompileTemplate(cfg, e.cfg.Expr); err != nil {
		var re *rule.Error
		if errors.As(err, &re) && re.Path != "" {
			return invalid(prefix+"."+re.Path, "%s", re.Msg)
		}
		return invalid(prefix, "%s", ruleMsg(err))
	}
	if err := ex.Validate(cfg); err != nil {
		var fe *action.FieldError
		if errors.As(err, &fe) {
			return invalid(prefix+"."+fe.Field, "%s", fe.Msg)
		}
		return invalid(prefix, "%s", err.Error())
	}
	return nil
}

func ruleMsg(err error) string {
	var re *rule.Error
	if errors.As(err, &re) {
		return re.Msg
	}
	return err.Error()
}
