package gen

import (
	"go/ast"
	"go/types"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// warnPaged warns of a paged node (In has PageToken, Out NextPageToken)
// called inside a while loop without its termination field (Done) set:
// after the last page the loop starts again at the first.
func (c *checker) warnPaged(st *spec.Step, x *ir.Call) {
	if c.loop == nil || x.InType == nil {
		return
	}
	in, ok1 := x.InType.Underlying().(*types.Struct)
	out, ok2 := x.OutType.Underlying().(*types.Struct)
	if !ok1 || !ok2 || !hasField(in, "PageToken") || !hasField(out, "NextPageToken") {
		return
	}
	set := map[string]bool{}
	for _, w := range st.With {
		set[w.Key] = true
	}
	switch {
	case !set["PageToken"]:
		c.warns.Add(st.Call.Pos, "paged node %s in a while loop without PageToken: every iteration fetches the first page again; set PageToken = \"${%s.NextPageToken}\"", st.Call.Value, st.ID.Value)
	case hasField(in, "Done") && !set["Done"]:
		c.warns.Add(st.Call.Pos, "paged node %s in a while loop without Done: after the last page it starts again at the first; set Done from the previous page, such as Done = \"${!%s.HasMore}\"", st.Call.Value, st.ID.Value)
	}
}

func hasField(st *types.Struct, name string) bool {
	for i := 0; i < st.NumFields(); i++ {
		if st.Field(i).Name() == name {
			return true
		}
	}
	return false
}

// warnSecretInText warns of a secret env var interpolated into a larger
// string (a JQL, a URL): the whole text is a step input, logged in errors
// and compared on resume, and the secret goes wherever the text goes.
func (c *checker) warnSecretInText(e *ir.Expr, field string) {
	ast.Inspect(e.AST, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == "env" {
			if ev := c.envByName[sel.Sel.Name]; ev != nil && ev.Secret.Value {
				c.warns.Add(e.Pos, "secret env %s is interpolated into the text of field %s: the secret goes wherever the text goes (logs, error messages, the server's records); pass it alone to a field meant for it, such as Token = \"${env.%s}\"", sel.Sel.Name, field, sel.Sel.Name)
			}
		}
		return true
	})
}

// warnUnread warns of call outputs that hold data (a slice or a map) that
// the journal records on every run but no expression reads.
func (c *checker) warnUnread() {
	for _, x := range c.calls {
		if x.Out == nil || x.Out.Used || !holdsData(x.OutType) {
			continue
		}
		c.warns.Add(x.Out.Pos, "the output of step %s (%s) holds data that is journaled on every run but never read; use it, or drop the step", x.Out.ID, c.typeString(x.OutType))
	}
}

// holdsData reports whether a struct type has a field that holds records:
// a slice or map of structs (a sink's []string of error texts is not).
func holdsData(t types.Type) bool {
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := 0; i < st.NumFields(); i++ {
		var elem types.Type
		switch u := st.Field(i).Type().Underlying().(type) {
		case *types.Slice:
			elem = u.Elem()
		case *types.Map:
			elem = u.Elem()
		default:
			continue
		}
		if p, ok := elem.Underlying().(*types.Pointer); ok {
			elem = p.Elem()
		}
		if _, ok := elem.Underlying().(*types.Struct); ok {
			return true
		}
	}
	return false
}
