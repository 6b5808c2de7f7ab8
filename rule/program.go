package rule

import (
	"fmt"
	"maps"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Program is a compiled expression; safe for concurrent use.
type Program struct {
	src     string
	prog    *vm.Program
	lim     Limits
	metered bool // the program reads the meter from its environment
}

// baseOptions are the expr options every program is compiled with.
var baseOptions = append([]expr.Option{
	// Untyped environment: any identifier compiles, a missing one is nil.
	expr.Env(map[string]any{}),
	expr.AllowUndefinedVariables(),
}, funcOptions()...)

// Compile compiles one expression. Syntax and size errors are *Error.
func Compile(src string, lim Limits) (*Program, error) {
	lim = lim.WithDefaults()
	if len(src) > lim.MaxSourceLen {
		return nil, &Error{Pos: -1, Msg: fmt.Sprintf(
			"expression is too long (%d bytes, limit %d)", len(src), lim.MaxSourceLen)}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Pos: -1, Msg: "expression is empty"}
	}
	patch := newMeterPatch()
	opts := append(baseOptions[:len(baseOptions):len(baseOptions)],
		expr.MaxNodes(lim.MaxNodes), expr.Patch(scan{patch}), expr.Patch(patch))
	prog, err := safeCompile(src, opts)
	if err != nil {
		return nil, wrapErr(err, src, 0, lim)
	}
	return &Program{src: src, prog: prog, lim: lim, metered: patch.used}, nil
}

// safeCompile is expr.Compile, with a panic on odd input turned into an
// error: a user's expression must never take the process down.
func safeCompile(src string, opts []expr.Option) (prog *vm.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, &Error{Pos: -1, Msg: "invalid expression"}
		}
	}()
	return expr.Compile(src, opts...)
}

// Source returns the expression as written.
func (p *Program) Source() string { return p.src }

// Eval runs the program and returns its result as a JSON value (see the
// package doc). Run-time errors, budget errors included, are *Error.
func (p *Program) Eval(env map[string]any) (any, error) {
	m := newMeter(p.lim)
	v, err := p.run(env, m, 0)
	if err != nil {
		return nil, err
	}
	out, err := normalize(m, v)
	if err != nil {
		return nil, wrapErr(err, p.src, 0, p.lim)
	}
	return out, nil
}

// EvalBool runs the program as a condition: the result must be a boolean.
func (p *Program) EvalBool(env map[string]any) (bool, error) {
	v, err := p.run(env, newMeter(p.lim), 0)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, &Error{Pos: -1, Msg: "condition must be true or false, got " + typeName(v)}
	}
	return b, nil
}

// run evaluates with meter m; base is the offset of the source in the
// string the user edits, for error positions.
func (p *Program) run(env map[string]any, m *meter, base int) (out any, err error) {
	if p == nil || p.prog == nil {
		return nil, &Error{Pos: -1, Msg: "no expression"}
	}
	if p.metered {
		env = withMeter(env, m)
	} else if env == nil {
		env = map[string]any{}
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, &Error{Pos: -1, Msg: cleanMsg(fmt.Sprint(r))}
		}
	}()
	machine := vm.VM{MemoryBudget: p.lim.MemoryBudget}
	out, err = machine.Run(p.prog, env)
	if err != nil {
		return nil, wrapErr(err, p.src, base, p.lim)
	}
	return out, nil
}

// withMeter returns env with m under meterKey, copying env unless it
// already holds m (a template render prepares its environment once).
func withMeter(env map[string]any, m *meter) map[string]any {
	if cur, ok := env[meterKey].(*meter); ok && cur == m {
		return env
	}
	e := make(map[string]any, len(env)+1)
	maps.Copy(e, env)
	e[meterKey] = m
	return e
}
