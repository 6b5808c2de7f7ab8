package hookline

import (
	"strings"
	"time"

	"github.com/hookline/hookline/hook"
	"github.com/hookline/hookline/internal/runner"
	"github.com/hookline/hookline/rule"
)

// ConditionValue is one variable a condition read, with the value it had in
// an execution's context.
type ConditionValue struct {
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// ConditionValues evaluates the variables condition reads against what
// execution x saw (its recorded context), for the log's "why did it
// (not) run". Secrets are not shown. The caller has read x already.
func (e *Engine) ConditionValues(x *hook.Execution, condition string) []ConditionValue {
	paths := rule.Paths(condition)
	if len(paths) == 0 {
		return nil
	}
	now := x.CreatedAt
	if x.ExecutedAt != nil {
		now = *x.ExecutedAt
	}
	env := runner.Env(x.Context, nil, nil, now.UTC().Truncate(time.Second))
	out := make([]ConditionValue, 0, len(paths))
	for _, p := range paths {
		cv := ConditionValue{Path: p}
		if p == "secret" || strings.HasPrefix(p, "secret.") {
			cv.Value = "[redacted]"
		} else if prog, err := rule.Compile(p, e.cfg.Expr); err == nil {
			cv.Value, _ = prog.Eval(env)
		}
		out = append(out, cv)
	}
	return out
}
