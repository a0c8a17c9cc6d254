package gen

import (
	"go/ast"
	"go/types"
	"slices"

	"github.com/resolute/resolute-gen/gen/ir"
)

// Fetching only what the flow reads (issue 7): a built-in source whose
// input has a Select field is asked for the fields of its items that the
// program's expressions select, when the checker can see all of them. An
// item value that goes anywhere whole (into a node's input, a collect, a
// string) makes the program read every field, and Select is left out.
//
// The analysis is per program, not per source: it collects every field
// selection on the item type anywhere in the program, which is exact for one
// source and conservative for several.

// selectable describes a built-in source item type and the input field that
// limits it.
type selectable struct {
	pkgPath  string
	itemType string   // the item's type name in pkgPath
	nodes    []string // the nodes whose input has the Select field
}

var selectables = []selectable{
	{pkgPath: ModulePath + "/runtime/jira", itemType: "Issue", nodes: []string{"FetchIssues", "FetchPage"}},
}

// inferSelect fills Select for the calls of prog that allow it.
// items is what scanItems found in each expression.
func inferSelect(prog *ir.Program, items map[*ir.Expr]map[string]itemScan) {
	for _, sel := range selectables {
		u := &itemUses{sel: sel, fields: map[string]bool{}, items: items}
		for _, fl := range prog.Flows {
			u.stmts(fl.Body)
		}
		if u.all || len(u.fields) == 0 {
			continue
		}
		names := make([]string, 0, len(u.fields))
		for f := range u.fields {
			names = append(names, f)
		}
		slices.Sort(names)
		for _, fl := range prog.Flows {
			forEachCallStmt(fl.Body, func(cs *ir.Call) {
				if cs.PkgPath != sel.pkgPath || !slices.Contains(sel.nodes, cs.FuncName) {
					return
				}
				for _, w := range cs.With {
					if w.Field == "Select" {
						return // the spec says what it wants
					}
				}
				cs.With = append(cs.With, &ir.WithValue{
					Field:  "Select",
					Select: names,
					Note:   "the fields this program reads",
				})
			})
		}
	}
}

// forEachCallStmt calls f for every call statement (and stream source) in
// stmts, nested blocks and on_error handlers included.
func forEachCallStmt(stmts []ir.Step, f func(*ir.Call)) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *ir.Call:
			f(s)
			if s.OnError != nil && s.OnError.Handler != nil {
				f(s.OnError.Handler)
			}
		case *ir.Stream:
			f(s.Src)
			forEachCallStmt(s.Body, f)
		case *ir.If:
			forEachCallStmt(s.Then, f)
			forEachCallStmt(s.Else, f)
		case *ir.While:
			forEachCallStmt(s.Body, f)
		case *ir.Parallel:
			for _, b := range s.Branches {
				forEachCallStmt(b, f)
			}
		case *ir.ForEach:
			forEachCallStmt(s.Body, f)
		case *ir.Seq:
			forEachCallStmt(s.Body, f)
		}
	}
}

// itemUses collects the fields of one item type that expressions select.
type itemUses struct {
	sel    selectable
	fields map[string]bool
	all    bool // an item value is used whole somewhere
	items  map[*ir.Expr]map[string]itemScan
}

func (u *itemUses) stmts(stmts []ir.Step) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *ir.Call:
			u.call(s)
		case *ir.Stream:
			u.call(s.Src)
			u.advance(s.Advance)
			u.stmts(s.Body)
		case *ir.Map:
			u.expr(s.Src, true)
			for _, f := range s.Fields {
				u.expr(f, false)
			}
		case *ir.Filter:
			u.expr(s.Src, true)
			u.expr(s.Where, false)
		case *ir.Unique:
			u.expr(s.Src, true)
			if u.isItem(s.Elem) {
				u.fields[s.KeyField] = true
			}
		case *ir.Merge:
			for _, x := range s.Srcs {
				u.expr(x, true)
			}
		case *ir.If:
			u.expr(s.Cond, false)
			u.stmts(s.Then)
			u.stmts(s.Else)
		case *ir.While:
			u.expr(s.Cond, false)
			u.stmts(s.Body)
		case *ir.Parallel:
			for _, b := range s.Branches {
				u.stmts(b)
			}
		case *ir.ForEach:
			u.expr(s.Src, true)
			u.stmts(s.Body)
			u.expr(s.Collect, false)
		case *ir.Seq:
			u.stmts(s.Body)
		}
	}
}

func (u *itemUses) call(s *ir.Call) {
	if s == nil {
		return
	}
	for _, w := range s.With {
		u.expr(w.Expr, false)
		for _, p := range w.Parts {
			u.expr(p.Expr, false)
		}
	}
	u.advance(s.Advance)
	if s.OnError != nil {
		u.call(s.OnError.Handler)
	}
}

func (u *itemUses) advance(a *ir.Advance) {
	if a != nil {
		u.expr(a.Expr, false)
	}
}

// expr adds what x's scan found: its field selections, and whether it
// uses an item value whole. A source expression (of a map, filter, unique,
// merge or for_each) may be a slice of items: its elements are bound to a
// variable whose own uses are scanned.
func (u *itemUses) expr(x *ir.Expr, source bool) {
	if x == nil || u.all {
		return
	}
	items, ok := u.items[x]
	if !ok {
		u.all = true // not scanned: assume the worst
		return
	}
	sc := items[u.sel.pkgPath+"."+u.sel.itemType]
	for _, f := range sc.fields {
		u.fields[f] = true
	}
	if sc.whole || (!source && sc.wholeTop) {
		u.all = true
	}
}

// itemScan is what scanItems found in one expression for one item type.
type itemScan struct {
	fields   []string // fields of the item selected
	whole    bool     // an item value is used whole inside the expression
	wholeTop bool     // the expression's own value holds items
}

// scanItems scans a type-checked expression, before it is rewritten for
// the generated program, for each selectable item type.
func scanItems(x ast.Expr, info *types.Info) map[string]itemScan {
	out := make(map[string]itemScan, len(selectables))
	for _, sel := range selectables {
		u := &itemUses{sel: sel, fields: map[string]bool{}}
		var sc itemScan
		var walk func(n ast.Expr, whole bool)
		walk = func(n ast.Expr, whole bool) {
			if sc.whole || n == nil {
				return
			}
			t := info.TypeOf(n)
			holds := t != nil && u.holdsItem(t, map[types.Type]bool{})
			switch n := n.(type) {
			case *ast.ParenExpr:
				walk(n.X, whole)
				return
			case *ast.SelectorExpr:
				if xt := info.TypeOf(n.X); xt != nil && u.isItem(xt) {
					u.fields[n.Sel.Name] = true
					sc.whole = sc.whole || (holds && whole)
					return
				}
				if holds && whole {
					sc.whole = true
					return
				}
				walk(n.X, false)
				return
			case *ast.IndexExpr:
				if holds && whole {
					sc.whole = true
					return
				}
				walk(n.X, false)
				walk(n.Index, true)
				return
			case *ast.CallExpr:
				if id, ok := ast.Unparen(n.Fun).(*ast.Ident); ok && (id.Name == "len" || id.Name == "cap") && len(n.Args) == 1 {
					if _, builtin := info.Uses[id].(*types.Builtin); builtin {
						walk(n.Args[0], false)
						return
					}
				}
				if holds && whole {
					sc.whole = true
					return
				}
				walk(n.Fun, true)
				for _, a := range n.Args {
					walk(a, true)
				}
				return
			case *ast.Ident:
				sc.whole = sc.whole || (holds && whole)
				return
			}
			if holds && whole {
				sc.whole = true
				return
			}
			ast.Inspect(n, func(c ast.Node) bool {
				if c == n {
					return true
				}
				if ce, ok := c.(ast.Expr); ok {
					walk(ce, true)
					return false
				}
				return true
			})
		}
		// The top: a value holding items is a whole use unless the
		// expression is a source (see itemUses.expr), so scan it as a part.
		if t := info.TypeOf(x); t != nil && u.holdsItem(t, map[types.Type]bool{}) {
			if _, ok := ast.Unparen(x).(*ast.SelectorExpr); !ok || !u.isItem(info.TypeOf(ast.Unparen(x).(*ast.SelectorExpr).X)) {
				sc.wholeTop = true
			}
		}
		walk(x, false)
		for f := range u.fields {
			sc.fields = append(sc.fields, f)
		}
		slices.Sort(sc.fields)
		out[sel.pkgPath+"."+sel.itemType] = sc
	}
	return out
}

// isItem reports whether t is the item type or a pointer to it.
func (u *itemUses) isItem(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == u.sel.pkgPath && n.Obj().Name() == u.sel.itemType
}

// holdsItem reports whether a value of type t carries item values (the item
// itself, a slice or pointer of them, or a struct with such a field).
func (u *itemUses) holdsItem(t types.Type, seen map[types.Type]bool) bool {
	if u.isItem(t) {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t := t.Underlying().(type) {
	case *types.Pointer:
		return u.holdsItem(t.Elem(), seen)
	case *types.Slice:
		return u.holdsItem(t.Elem(), seen)
	case *types.Array:
		return u.holdsItem(t.Elem(), seen)
	case *types.Map:
		return u.holdsItem(t.Elem(), seen)
	case *types.Struct:
		for i := range t.NumFields() {
			if u.holdsItem(t.Field(i).Type(), seen) {
				return true
			}
		}
	}
	return false
}
