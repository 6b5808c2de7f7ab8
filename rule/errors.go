package rule

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/file"
)

// Limits bounds what one expression may cost. Zero fields take defaults.
type Limits struct {
	MaxSourceLen int  // default 4096 bytes per expression source
	MaxNodes     uint // default 2000 AST nodes
	MemoryBudget uint // default 100000 (expr's memory budget units)
	// MaxDuration is a wall-clock backstop per evaluation (per render for a
	// template), for work the cost meter does not count. Default 250ms.
	MaxDuration time.Duration
}

// Defaults used by Limits.WithDefaults.
const (
	DefaultMaxSourceLen      = 4096
	DefaultMaxNodes     uint = 2000
	DefaultMemoryBudget uint = 100000
	DefaultMaxDuration       = 250 * time.Millisecond
)

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxSourceLen <= 0 {
		l.MaxSourceLen = DefaultMaxSourceLen
	}
	if l.MaxNodes == 0 {
		l.MaxNodes = DefaultMaxNodes
	}
	if l.MemoryBudget == 0 {
		l.MemoryBudget = DefaultMemoryBudget
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = DefaultMaxDuration
	}
	return l
}

// Error is the only error type this package returns.
type Error struct {
	Path string // JSON path inside a template value, "" for plain expressions
	Pos  int    // byte offset in the expression source, -1 if unknown
	Msg  string
}

// Error renders "path: message (at byte N)", leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	if e.Pos >= 0 {
		fmt.Fprintf(&b, " (at byte %d)", e.Pos)
	}
	return b.String()
}

var (
	errBudget  = errors.New("expression too costly: evaluation budget exceeded")
	errTimeout = errors.New("expression took too long to evaluate")
	errNoMeter = errors.New("internal error: evaluation meter missing")
)

const maxMsgLen = 200

var (
	reConversion = regexp.MustCompile(`^interface conversion: interface \{\} is ([^,]+), not (.+)$`)
	reNodes      = regexp.MustCompile(`exceeds maximum allowed nodes`)
)

// wrapErr turns any error from expr (compile or run time) into an *Error.
// src is the expression source, base the offset of src in the string the
// user edits (non-zero for template holes).
func wrapErr(err error, src string, base int, lim Limits) *Error {
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	out := &Error{Pos: -1}
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		out.Pos = base + byteOffset(src, fe.From)
	}
	switch {
	case errors.Is(err, errBudget) || strings.Contains(msg, "memory budget exceeded"):
		msg = errBudget.Error()
	case errors.Is(err, errTimeout):
		msg = errTimeout.Error()
	case reNodes.MatchString(msg):
		msg = fmt.Sprintf("expression is too complex (more than %d nodes)", lim.MaxNodes)
		out.Pos = -1
	}
	out.Msg = cleanMsg(msg)
	return out
}

func cleanMsg(msg string) string {
	msg = strings.TrimPrefix(msg, "runtime error: ")
	if m := reConversion.FindStringSubmatch(msg); m != nil {
		msg = fmt.Sprintf("wrong type: expected %s, got %s", m[2], m[1])
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	msg = strings.TrimSpace(msg)
	if utf8.RuneCountInString(msg) > maxMsgLen {
		r := []rune(msg)
		msg = string(r[:maxMsgLen]) + "…"
	}
	if msg == "" {
		msg = "invalid expression"
	}
	return msg
}

// byteOffset converts expr's rune offset into a byte offset of src.
func byteOffset(src string, runes int) int {
	if runes <= 0 {
		return 0
	}
	n := 0
	for i := range src {
		if n == runes {
			return i
		}
		n++
	}
	return len(src)
}

// typeName names a value's type the way a JSON user thinks of it.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case time.Time:
		return "time"
	case time.Duration:
		return "duration"
	}
	return fmt.Sprintf("%T", v)
}
