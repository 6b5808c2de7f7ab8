package rule

import (
	"slices"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"
)

// Paths lists the variables an expression reads, as dotted paths
// ("total", "record.status", "previous.status"), in order of first
// appearance: the longest member chain of each, without function names. An
// expression that does not parse has none.
func Paths(src string) []string {
	tree, err := safeParse(src)
	if err != nil || tree == nil {
		return nil
	}
	v := &pathVisitor{}
	ast.Walk(&tree.Node, v)
	// Keep the longest chains: "record" is dropped when "record.total" is read.
	var out []string
	for _, p := range v.paths {
		longer := slices.ContainsFunc(v.paths, func(q string) bool { return strings.HasPrefix(q, p+".") })
		if !longer && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func safeParse(src string) (tree *parser.Tree, err error) {
	defer func() {
		if r := recover(); r != nil {
			tree, err = nil, &Error{Pos: -1, Msg: "invalid expression"}
		}
	}()
	return parser.Parse(src)
}

type pathVisitor struct {
	paths []string
}

// Visit sees children before their parent: a call drops its callee's name,
// which was collected just before as an identifier.
func (v *pathVisitor) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.CallNode:
		if p, ok := pathOf(n.Callee); ok {
			v.paths = slices.DeleteFunc(v.paths, func(q string) bool { return q == p })
		}
	case *ast.MemberNode, *ast.IdentifierNode:
		if p, ok := pathOf(n); ok {
			v.paths = append(v.paths, p)
		}
	}
}

// pathOf is the dotted path of an identifier or a chain of constant member
// accesses on one.
func pathOf(n ast.Node) (string, bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x.Value, x.Value != ""
	case *ast.MemberNode:
		prop, ok := x.Property.(*ast.StringNode)
		if !ok {
			return "", false
		}
		base, ok := pathOf(x.Node)
		if !ok {
			return "", false
		}
		return base + "." + prop.Value, true
	}
	return "", false
}
