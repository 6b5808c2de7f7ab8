package rule

import (
	"math"
	"reflect"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker/nature"
)

// unitBytes is how many bytes of built text or data cost one budget unit;
// one loop iteration also costs one unit.
const unitBytes = 32

// meterKey is the environment key under which an evaluation's meter is
// passed to the functions the patcher inserts. It is not a valid identifier,
// so expressions cannot name it.
const meterKey = "hookline.meter"

// Names of the internal functions the patcher inserts.
const (
	fnTick   = "hookline.tick"
	fnAdd    = "hookline.add"
	fnCharge = "hookline.charge"
	fnEnv    = "hookline.env"
)

// meter is the cost meter of one evaluation (or one template render).
// It is used by one goroutine at a time.
type meter struct {
	used, limit int // bytes
	deadline    time.Time
	calls       int
	// empties, when set, collects the holes that rendered nil (RenderReport).
	empties *[]EmptyHole
}

func newMeter(lim Limits) *meter {
	limit := math.MaxInt / 2
	if lim.MemoryBudget < uint(limit/unitBytes) {
		limit = int(lim.MemoryBudget) * unitBytes
	}
	return &meter{limit: limit, deadline: time.Now().Add(lim.MaxDuration)}
}

// charge books n bytes, failing before the work is done when they do not fit.
func (m *meter) charge(n int) error {
	if n < 0 || n > m.limit-m.used {
		m.used = m.limit
		return errBudget
	}
	m.used += n
	m.calls++
	if m.calls&3 == 0 && time.Now().After(m.deadline) {
		return errTimeout
	}
	return nil
}

// fits reports whether n more bytes fit, without booking them.
func (m *meter) fits(n int) bool { return n >= 0 && n <= m.limit-m.used }

func meterOf(args []any) (*meter, error) {
	if len(args) > 0 {
		if m, ok := args[0].(*meter); ok {
			return m, nil
		}
	}
	return nil, errNoMeter
}

// meteredFuncs are the functions whose calls get the meter as a hidden
// first argument.
var meteredFuncs = map[string]bool{
	"repeat": true, "replace": true, "join": true, "string": true,
	"toJSON": true, "json": true, "urlquery": true,
}

// chargedBuiltins are expr builtins (no loop of their own) whose results
// are fresh text or data; the patcher wraps them in fnCharge.
var chargedBuiltins = map[string]bool{
	"upper": true, "lower": true, "split": true, "splitAfter": true,
	"toBase64": true, "fromBase64": true, "fromJSON": true,
	"keys": true, "values": true, "toPairs": true, "fromPairs": true,
	"uniq": true, "take": true, "concat": true, "flatten": true,
	"sort": true, "reverse": true,
}

// meterPatch is an expr AST visitor (expr.Patch) that makes evaluation
// cost visible to the meter:
//   - every predicate body (one loop iteration) starts with fnTick;
//   - `a + b` that may join strings becomes fnAdd, which checks the size;
//   - calls of meteredFuncs get the meter as first argument;
//   - chargedBuiltins are wrapped in fnCharge, which books their result.
//   - $env is passed through fnEnv, which hides the meter;
//   - an identifier that names a builtin or function but is not called
//     (`type == "order"`, `now`) reads the environment, as users expect
//     of data fields: it becomes $env["name"].
type meterPatch struct {
	used   bool                         // the program needs a meter in its environment
	callee map[*ast.IdentifierNode]bool // identifiers in call position
	lets   map[string]bool              // names declared with let
}

// scan is a visitor run before meterPatch, collecting what it needs to know
// about parents: identifiers that are called and let-declared names.
type scan struct{ p *meterPatch }

// Visit implements ast.Visitor.
func (s scan) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			s.p.callee[id] = true
		}
	case *ast.VariableDeclaratorNode:
		s.p.lets[n.Name] = true
	}
}

func newMeterPatch() *meterPatch {
	return &meterPatch{callee: map[*ast.IdentifierNode]bool{}, lets: map[string]bool{}}
}

func (p *meterPatch) meterNode() ast.Node {
	p.used = true
	return &ast.IdentifierNode{Value: meterKey}
}

func (p *meterPatch) call(name string, loc ast.Node, args ...ast.Node) ast.Node {
	n := &ast.CallNode{
		Callee:    &ast.IdentifierNode{Value: name},
		Arguments: append([]ast.Node{p.meterNode()}, args...),
	}
	n.SetLocation(loc.Location())
	n.Callee.SetLocation(loc.Location())
	return n
}

// Visit implements ast.Visitor.
func (p *meterPatch) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if n.Value == "$env" && !p.callee[n] {
			// Hide the meter from $env.
			*node = p.call(fnEnv, n, &ast.IdentifierNode{Value: "$env"})
			return
		}
		if p.callee[n] || p.lets[n.Value] || !funcNames[n.Value] {
			return
		}
		m := &ast.MemberNode{Node: &ast.IdentifierNode{Value: "$env"}, Property: &ast.StringNode{Value: n.Value}}
		ast.Patch(node, m)
		m.Node.SetLocation(m.Location())
		m.Property.SetLocation(m.Location())
	case *ast.PredicateNode:
		if n.Node == nil {
			return
		}
		seq := &ast.SequenceNode{Nodes: []ast.Node{p.call(fnTick, n.Node), n.Node}}
		seq.SetLocation(n.Node.Location())
		n.Node = seq
	case *ast.BinaryNode:
		if n.Operator != "+" || !maybeString(n.Left) || !maybeString(n.Right) {
			return
		}
		_, l := n.Left.(*ast.StringNode)
		_, r := n.Right.(*ast.StringNode)
		if l && r {
			return // two literals: folded at compile time, bounded by the source
		}
		*node = p.call(fnAdd, n, n.Left, n.Right)
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || !meteredFuncs[id.Value] {
			return
		}
		n.Arguments = append([]ast.Node{p.meterNode()}, n.Arguments...)
		n.SetNature(nature.Nature{}) // argument list changed: check it again
	case *ast.BuiltinNode:
		if chargedBuiltins[n.Name] {
			*node = p.call(fnCharge, n, n)
		}
	}
}

func maybeString(n ast.Node) bool {
	t := n.Type()
	return t == nil || t.Kind() == reflect.Interface || t.Kind() == reflect.String
}
