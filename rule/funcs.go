package rule

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"
)

// funcOptions registers hookline's functions and the metered replacements
// of expr builtins. Metered functions take the meter as a hidden first
// parameter (see meterPatch); their declared types include it.
func funcOptions() []expr.Option {
	return []expr.Option{
		expr.Function(fnTick, fnTickImpl, new(func(any) any)),
		expr.Function(fnAdd, fnAddImpl, new(func(any, any, any) any)),
		expr.Function(fnCharge, fnChargeImpl, new(func(any, any) any)),
		expr.Function(fnEnv, fnEnvImpl, new(func(any, any) any)),
		expr.Function("repeat", repeatImpl, new(func(any, string, int) string)),
		expr.Function("replace", replaceImpl,
			new(func(any, string, string, string) string),
			new(func(any, string, string, string, int) string)),
		expr.Function("join", joinImpl,
			new(func(any, any, string) string),
			new(func(any, any) string)),
		expr.Function("string", stringImpl, new(func(any, any) string)),
		expr.Function("toJSON", toJSONImpl, new(func(any, any) string)),
		expr.Function("json", jsonImpl, new(func(any, any) string)),
		expr.Function("urlquery", urlqueryImpl, new(func(any, any) string)),
		expr.Function("default", defaultImpl, new(func(any, any) any)),
	}
}

// funcNames are the names expressions can call: expr's builtins and ours.
var funcNames = func() map[string]bool {
	names := map[string]bool{"json": true, "default": true, "urlquery": true}
	for _, name := range builtin.Names {
		names[name] = true
	}
	return names
}()

func argCount(name string, args []any, min, max int) error {
	if n := len(args) - 1; n < min || n > max {
		return fmt.Errorf("%s: wrong number of arguments (%d)", name, n)
	}
	return nil
}

func strArg(name string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: expected a string, got %s", name, typeName(v))
	}
	return s, nil
}

// fnTickImpl books one loop iteration.
func fnTickImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	return nil, m.charge(unitBytes)
}

// fnAddImpl is `a + b`, with the size of a string result checked first.
func fnAddImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("+", args, 2, 2); err != nil {
		return nil, err
	}
	if a, ok := args[1].(string); ok {
		if b, ok := args[2].(string); ok {
			if err := m.charge(len(a) + len(b)); err != nil {
				return nil, err
			}
			return a + b, nil
		}
	}
	return runtime.Add(args[1], args[2]), nil
}

// fnChargeImpl books the size of a builtin's result and passes it through.
func fnChargeImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("builtin", args, 1, 1); err != nil {
		return nil, err
	}
	n, ok := sizeOf(args[1], m.limit-m.used)
	if !ok {
		return nil, errBudget
	}
	return args[1], m.charge(n)
}

// fnEnvImpl is $env without the meter.
func fnEnvImpl(args ...any) (any, error) {
	if err := argCount("$env", args, 1, 1); err != nil {
		return nil, err
	}
	env, ok := args[1].(map[string]any)
	if _, has := env[meterKey]; !ok || !has {
		return args[1], nil
	}
	out := make(map[string]any, len(env))
	for k, v := range env {
		if k != meterKey {
			out[k] = v
		}
	}
	return out, nil
}

func repeatImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("repeat", args, 2, 2); err != nil {
		return nil, err
	}
	s, err := strArg("repeat", args[1])
	if err != nil {
		return nil, err
	}
	n := runtime.ToInt(args[2])
	if n < 0 {
		return nil, errors.New("repeat: count must not be negative")
	}
	if len(s) > 0 && n > (m.limit-m.used)/len(s) {
		return nil, errBudget
	}
	if err := m.charge(len(s) * n); err != nil {
		return nil, err
	}
	return strings.Repeat(s, n), nil
}

func replaceImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("replace", args, 3, 4); err != nil {
		return nil, err
	}
	var str [3]string
	for i := range str {
		if str[i], err = strArg("replace", args[i+1]); err != nil {
			return nil, err
		}
	}
	s, old, repl := str[0], str[1], str[2]
	limit := -1
	if len(args) == 5 {
		limit = runtime.ToInt(args[4])
	}
	count := 0
	if old == "" {
		count = utf8.RuneCountInString(s) + 1
	} else {
		count = strings.Count(s, old)
	}
	if limit >= 0 && limit < count {
		count = limit
	}
	size := len(s)
	if grow := len(repl) - len(old); grow > 0 && count > 0 {
		if grow > (m.limit-m.used)/count {
			return nil, errBudget
		}
		size += grow * count
	}
	if err := m.charge(size); err != nil {
		return nil, err
	}
	return strings.Replace(s, old, repl, limit), nil
}

func joinImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("join", args, 1, 2); err != nil {
		return nil, err
	}
	sep := ""
	if len(args) == 3 {
		if sep, err = strArg("join", args[2]); err != nil {
			return nil, err
		}
	}
	if args[1] == nil {
		return "", nil
	}
	list := reflect.ValueOf(args[1])
	if k := list.Kind(); k != reflect.Slice && k != reflect.Array {
		return nil, fmt.Errorf("join: expected a list, got %s", typeName(args[1]))
	}
	n := list.Len()
	if err := m.charge(16 * n); err != nil {
		return nil, err
	}
	parts := make([]string, n)
	total := 0
	for i := range n {
		if parts[i], err = textOf(m, list.Index(i).Interface()); err != nil {
			return nil, err
		}
		total += len(parts[i])
		if i > 0 {
			total += len(sep)
		}
		if !m.fits(total) {
			return nil, errBudget
		}
	}
	if err := m.charge(total); err != nil {
		return nil, err
	}
	return strings.Join(parts, sep), nil
}

func stringImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("string", args, 1, 1); err != nil {
		return nil, err
	}
	return textOf(m, args[1])
}

func jsonImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("json", args, 1, 1); err != nil {
		return nil, err
	}
	v, err := normalize(m, args[1])
	if err != nil {
		return nil, err
	}
	return encodeJSON(v)
}

// toJSONImpl keeps expr's toJSON (indented by two spaces) but checks the
// size first: indentation grows with depth.
func toJSONImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("toJSON", args, 1, 1); err != nil {
		return nil, err
	}
	z := normalizer{m: m}
	v := z.value(args[1], 0)
	if z.err != nil {
		return nil, z.err
	}
	if z.nodes > 0 && z.maxDepth > (m.limit-m.used)/(2*z.nodes) {
		return nil, errBudget
	}
	if err := m.charge(2 * z.nodes * z.maxDepth); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("toJSON: %v", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func urlqueryImpl(args ...any) (any, error) {
	m, err := meterOf(args)
	if err != nil {
		return nil, err
	}
	if err := argCount("urlquery", args, 1, 1); err != nil {
		return nil, err
	}
	s, err := textOf(m, args[1])
	if err != nil {
		return nil, err
	}
	if len(s) > (m.limit-m.used)/3 {
		return nil, errBudget
	}
	if err := m.charge(3 * len(s)); err != nil {
		return nil, err
	}
	return url.QueryEscape(s), nil
}

func defaultImpl(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("default: wrong number of arguments (%d)", len(args))
	}
	if args[0] == nil || args[0] == "" {
		return args[1], nil
	}
	return args[0], nil
}
