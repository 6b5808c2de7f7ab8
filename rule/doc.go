// Package rule is hookline's single expression language: hook conditions,
// case `when`s and the `{{ expr }}` holes of templates all use it. It is
// github.com/expr-lang/expr compiled against an untyped environment and run
// under a budget.
//
// # Environment
//
// An expression sees one map[string]any. Its keys are plain identifiers:
// record, previous, event, data, request, auth, account, now, steps, secret
// and, for event conditions, every field of the event's data. Expressions are
// compiled without knowing the data, so any identifier compiles; a missing
// one evaluates to nil. The rest is expr's behaviour, kept on purpose:
//
//   - comparing nil with a number is a run-time error: `total >= 500` with no
//     total fails ("invalid operation: <nil> >= int"); write
//     `(total ?? 0) >= 500` to treat it as zero;
//   - reading a field of nil is a run-time error (`record.total` with no
//     record); `record?.total` yields nil instead;
//   - a missing key of a present map is nil (`record.missing == nil`);
//   - JSON numbers are floats and `%` wants integers: `int(qty) % 2`.
//
// A data field named like a function (`type`, `count`, `date`, `now`…)
// reads the data when used as a value; `count(items, .ok)` still calls
// the function.
//
// How a failed condition is handled (fire or skip) is the caller's choice.
//
// # Functions
//
// All of expr's builtins (upper, lower, trim, split, join, replace, len,
// filter, map, any, all, keys, now, date, duration, …) and operators (in,
// contains, startsWith, matches, ??, ?. …) are available. On top of them:
//
//	json(v)          compact JSON text of v (toJSON is indented)
//	default(v, d)    d when v is nil or "", else v
//	urlquery(s)      s escaped for a URL query (url.QueryEscape)
//
// There is no has(m, k): write `"k" in m`.
// string(v) and join(list, sep) turn values into text by the template rules
// below (expr itself would print maps as Go does and reject non-string list
// items).
//
// # Templates
//
// A template is a decoded JSON value whose strings may hold `{{ expr }}`
// holes; map keys are never templated. A string that is exactly one hole,
// with nothing outside the braces (`"{{ record.total }}"`), keeps the JSON
// type of its result: a number stays a number, a map a map. Any other string
// concatenates its text with each result turned into text: nil is "",
// strings are as is, numbers are in shortest form (600, 1.5), booleans are
// true/false, maps and lists are compact JSON and times are RFC 3339 UTC.
// `\{{` is a literal `{{` (the backslash is dropped); a `}}` outside a hole is
// literal text. A hole ends at the first `}}` outside string literals and
// braces, so `{{ {"a": 1} }}` works. An unclosed `{{` is a compile error.
//
// Results are JSON values: nil, bool, float64 (integers above 2^53 become
// json.Number), string, json.Number, map[string]any and []any; times become
// RFC 3339 UTC strings and durations Go duration strings. NaN and infinities
// are errors.
//
// # Budgets
//
// [Limits] bound every expression. At compile time: the source length
// (MaxSourceLen, per expression, i.e. per hole in a template) and the AST
// size (MaxNodes, expr's own node limit). At run time MemoryBudget is applied
// twice: as expr's own memory budget (ranges, list and map literals, sort,
// concat…) and as hookline's cost meter, in the same units, which charges
// one unit per loop iteration of filter/map/all/reduce/… and one unit per 32
// bytes of text or data an expression builds (`+` on strings, repeat,
// replace, join, string, json, toJSON, upper, split, fromJSON, keys, …, and
// the results a template renders). Copying or concatenating is checked
// before it happens, so `repeat("x", 1e8)` or a doubling `reduce` fails at
// once instead of allocating. A template render shares one meter across
// all its holes. MaxDuration is a wall-clock backstop for work the meter does
// not see (e.g. `x in list` inside a loop over a long list). Exceeding any
// budget is an ordinary *Error; nothing hangs.
//
// # Errors
//
// Every error returned by this package is an *Error with a short
// user-facing message, the byte offset in the expression when known (for a
// template: in the templated string, so it points into the hole), and the
// JSON path of that string relative to the template value (e.g.
// `headers.X-Id`, `items[2].name`, `["odd key"]`; "" for the root).
package rule
