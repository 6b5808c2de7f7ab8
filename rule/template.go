package rule

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Template is a compiled JSON value whose strings may contain {{ expr }}
// holes; safe for concurrent use.
type Template struct {
	root *tnode
	lim  Limits
}

type tkind uint8

const (
	kLiteral tkind = iota // a scalar or a string without holes
	kWhole                // a string that is exactly one hole: keeps the result's type
	kText                 // literal text and holes, rendered as text
	kObject
	kArray
)

type tnode struct {
	kind  tkind
	path  string
	lit   any       // kLiteral
	segs  []segment // kWhole (one), kText
	keys  []string  // kObject, sorted
	kids  []*tnode  // kObject (by keys), kArray
	lits  int       // kText: bytes of literal text
	holes int       // holes in this subtree
}

// segment is literal text (prog == nil) or one hole.
type segment struct {
	text string
	prog *Program
	off  int // byte offset of the hole's expression in the string
}

// CompileTemplate compiles a decoded JSON value (string, map[string]any,
// []any, float64, bool, nil, json.Number; other Go numbers, map[string]string
// and []string are accepted too).
// Errors carry the JSON path of the offending string in Error.Path.
func CompileTemplate(v any, lim Limits) (*Template, error) {
	lim = lim.WithDefaults()
	root, err := compileNode(v, "", lim, 0)
	if err != nil {
		return nil, err
	}
	return &Template{root: root, lim: lim}, nil
}

func compileNode(v any, path string, lim Limits, depth int) (*tnode, error) {
	if depth > maxNesting {
		return nil, &Error{Path: path, Pos: -1, Msg: errDeep.Error()}
	}
	switch x := v.(type) {
	case string:
		return compileString(x, path, lim)
	case map[string]any:
		n := &tnode{kind: kObject, path: path, keys: make([]string, 0, len(x))}
		for k := range x {
			n.keys = append(n.keys, k)
		}
		slices.Sort(n.keys)
		for _, k := range n.keys {
			kid, err := compileNode(x[k], joinKey(path, k), lim, depth+1)
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, kid)
			n.holes += kid.holes
		}
		return n, nil
	case []any:
		n := &tnode{kind: kArray, path: path, kids: make([]*tnode, len(x))}
		for i, e := range x {
			kid, err := compileNode(e, path+"["+strconv.Itoa(i)+"]", lim, depth+1)
			if err != nil {
				return nil, err
			}
			n.kids[i] = kid
			n.holes += kid.holes
		}
		return n, nil
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = e
		}
		return compileNode(m, path, lim, depth)
	case []string:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = e
		}
		return compileNode(a, path, lim, depth)
	case nil, bool, float64, float32, json.Number,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return &tnode{kind: kLiteral, path: path, lit: x}, nil
	}
	return nil, &Error{Path: path, Pos: -1, Msg: fmt.Sprintf("unsupported template value of type %T", v)}
}

// joinKey appends an object key to a path: a.b, or a["x y"] for keys that
// are not plain names.
func joinKey(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

func compileString(s, path string, lim Limits) (*tnode, error) {
	segs, err := parseHoles(s)
	if err != nil {
		err.Path = path
		return nil, err
	}
	n := &tnode{kind: kText, path: path}
	for i := range segs {
		if segs[i].off < 0 {
			n.lits += len(segs[i].text)
			continue
		}
		p, err := Compile(segs[i].text, lim)
		if err != nil {
			e := err.(*Error)
			if e.Pos >= 0 {
				e.Pos += segs[i].off
			} else {
				e.Pos = segs[i].off
			}
			e.Path = path
			return nil, e
		}
		segs[i].prog = p
		segs[i].text = ""
		n.holes++
	}
	switch {
	case n.holes == 0:
		return &tnode{kind: kLiteral, path: path, lit: unescapeOnly(segs)}, nil
	case len(segs) == 1 && strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}"):
		n.kind = kWhole
	}
	n.segs = segs
	return n, nil
}

func unescapeOnly(segs []segment) string {
	if len(segs) == 1 {
		return segs[0].text
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.text)
	}
	return b.String()
}

// parseHoles splits s into literal text and hole sources. Hole segments have
// off >= 0 (the offset of their source in s), literal ones off == -1.
func parseHoles(s string) ([]segment, *Error) {
	var segs []segment
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{text: lit.String(), off: -1})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "{{")
		if j < 0 {
			lit.WriteString(s[i:])
			break
		}
		j += i
		if j > i && s[j-1] == '\\' { // \{{ is a literal {{
			lit.WriteString(s[i : j-1])
			lit.WriteString("{{")
			i = j + 2
			continue
		}
		lit.WriteString(s[i:j])
		end := closeOf(s, j+2)
		if end < 0 {
			return nil, &Error{Pos: j, Msg: `unclosed "{{" (missing "}}")`}
		}
		src := s[j+2 : end]
		if strings.TrimSpace(src) == "" {
			return nil, &Error{Pos: j, Msg: `empty "{{ }}"`}
		}
		flush()
		segs = append(segs, segment{text: src, off: j + 2})
		i = end + 2
	}
	flush()
	return segs, nil
}

// closeOf returns the index of the "}}" that closes a hole whose source
// starts at from, skipping string literals and balanced braces, or -1.
func closeOf(s string, from int) int {
	depth := 0
	for k := from; k < len(s); k++ {
		switch c := s[k]; c {
		case '"', '\'', '`':
			for k++; k < len(s) && s[k] != c; k++ {
				if s[k] == '\\' && c != '`' {
					k++
				}
			}
			if k >= len(s) {
				return -1
			}
		case '{':
			depth++
		case '}':
			if depth > 0 {
				depth--
			} else if k+1 < len(s) && s[k+1] == '}' {
				return k
			}
		}
	}
	return -1
}

// Render evaluates every hole against env and returns a fresh JSON value.
// All holes of one render share one budget (see Limits).
func (t *Template) Render(env map[string]any) (any, error) {
	if t == nil || t.root == nil {
		return nil, &Error{Pos: -1, Msg: "no template"}
	}
	m := newMeter(t.lim)
	if t.root.holes > 0 {
		env = withMeter(env, m)
	}
	return t.root.render(env, m)
}

// EmptyHole is a hole that rendered no value (null, or "" inside text):
// most often a field missing from the data.
type EmptyHole struct {
	Path string // JSON path of the string within the template ("" for the root)
	Expr string // the hole's expression
}

// RenderReport is Render that also lists the holes that had no value (for
// dry runs: a missing field renders as empty without an error).
func (t *Template) RenderReport(env map[string]any) (any, []EmptyHole, error) {
	if t == nil || t.root == nil {
		return nil, nil, &Error{Pos: -1, Msg: "no template"}
	}
	m := newMeter(t.lim)
	empties := []EmptyHole{}
	m.empties = &empties
	if t.root.holes > 0 {
		env = withMeter(env, m)
	}
	v, err := t.root.render(env, m)
	return v, empties, err
}

// noteEmpty records a hole that rendered nil when the caller asked.
func (n *tnode) noteEmpty(m *meter, seg segment, v any) {
	if v == nil && m.empties != nil {
		*m.empties = append(*m.empties, EmptyHole{Path: n.path, Expr: strings.TrimSpace(seg.prog.src)})
	}
}

func (n *tnode) render(env map[string]any, m *meter) (any, error) {
	switch n.kind {
	case kLiteral:
		return n.lit, nil
	case kObject:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			v, err := n.kids[i].render(env, m)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
		return out, nil
	case kArray:
		out := make([]any, len(n.kids))
		for i, kid := range n.kids {
			v, err := kid.render(env, m)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case kWhole:
		v, err := n.eval(n.segs[0], env, m)
		if err != nil {
			return nil, err
		}
		n.noteEmpty(m, n.segs[0], v)
		v, err = normalize(m, v)
		if err != nil {
			return nil, n.fail(err, n.segs[0])
		}
		return v, nil
	}
	var b strings.Builder
	b.Grow(n.lits)
	for _, seg := range n.segs {
		if seg.prog == nil {
			b.WriteString(seg.text)
			continue
		}
		v, err := n.eval(seg, env, m)
		if err != nil {
			return nil, err
		}
		n.noteEmpty(m, seg, v)
		s, err := textOf(m, v)
		if err == nil {
			err = m.charge(len(s))
		}
		if err != nil {
			return nil, n.fail(err, seg)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

func (n *tnode) eval(seg segment, env map[string]any, m *meter) (any, error) {
	v, err := seg.prog.run(env, m, seg.off)
	if err != nil {
		e := err.(*Error)
		e.Path = n.path
		return nil, e
	}
	return v, nil
}

func (n *tnode) fail(err error, seg segment) *Error {
	e := wrapErr(err, seg.prog.src, seg.off, seg.prog.lim)
	e.Path = n.path
	if e.Pos < 0 {
		e.Pos = seg.off
	}
	return e
}

// RenderString compiles and renders one string template and returns the
// result as text. Use a Cache for templates rendered more than once.
func RenderString(src string, env map[string]any, lim Limits) (string, error) {
	t, err := CompileTemplate(src, lim)
	if err != nil {
		return "", err
	}
	v, err := t.Render(env)
	if err != nil {
		return "", err
	}
	// v is already normalized and charged: printing it cannot blow up.
	return scalarText(v), nil
}
