package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"strings"
	"unicode"

	"github.com/resolute/resolute-gen/gen/internal/golang"
	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// elemOf checks that e is a slice and returns its element type.
func (c *checker) elemOf(e *ir.Expr, what string) types.Type {
	sl, ok := e.Type.Underlying().(*types.Slice)
	if !ok {
		c.errs.Add(e.Pos, "%s needs a slice, but %s is %s", what, e.Src, c.typeString(e.Type))
		return nil
	}
	if msg := c.unwritable(sl.Elem()); msg != "" {
		c.errs.Add(e.Pos, "%s cannot loop over %s: %s", what, e.Src, msg)
		return nil
	}
	return sl.Elem()
}

// storableElem is elemOf for steps whose output is a new slice of the
// elements (filter, unique, merge): they must be data the journal can hold.
func (c *checker) storableElem(e *ir.Expr, what string) types.Type {
	elem := c.elemOf(e, what)
	if elem == nil || !c.checkJSONType(elem, e.Pos, "the elements of "+e.Src, "cannot be the output of "+what, "a step's output must be data that JSON can write") {
		return nil
	}
	return elem
}

// loopVar defines the `as` variable of map, filter and for_each.
func (c *checker) loopVar(s *scope, st *spec.Step, elem types.Type) *ir.Binding {
	name, pos := "it", st.Pos
	if st.As.Set() {
		name, pos = st.As.Value, st.As.Pos
	}
	if prev := s.lookup(name); prev != nil && prev.Kind == ir.BindStep {
		c.errs.Add(pos, "as = %q hides step %s defined at %s; choose another name", name, name, prev.Pos)
	}
	b := &ir.Binding{ID: name, Type: elem, Pos: pos, Kind: ir.BindLoopVar}
	s.define(b)
	return b
}

func (c *checker) sourceExpr(s *scope, src spec.String) *ir.Expr {
	return c.checkExpr(exprEnv{scope: s}, bareExpr(src))
}

func (c *checker) checkMap(s *scope, st *spec.Step) ir.Step {
	if !c.requireID(st) {
		return nil
	}
	x := &ir.Map{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}}
	x.Src = c.sourceExpr(s, st.Source)
	var elem types.Type
	if x.Src != nil {
		elem = c.elemOf(x.Src, "map")
	}
	if elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	inner := newScope(s)
	x.LoopVar = c.loopVar(inner, st, elem)
	var fields []ir.RowField
	ok := true
	seen := map[string]*spec.Field{}
	for _, f := range st.Fields {
		goName := golang.ExportedName(f.Key)
		if goName == "" {
			c.errs.Add(f.KeyPos, "field name %q has no letters to make a Go name of", f.Key)
			ok = false
			continue
		}
		if prev, dup := seen[goName]; dup {
			c.errs.Add(f.KeyPos, "field %s would be Go field %s, like field %s at %s; rename one", f.Key, goName, prev.Key, prev.KeyPos)
			ok = false
			continue
		}
		seen[goName] = f
		if strings.ContainsAny(f.Key, "`\"\\") || strings.IndexFunc(f.Key, unicode.IsControl) >= 0 {
			c.errs.Add(f.KeyPos, "field name %q cannot be a column name: it holds a quote, backslash, backquote or control character; expected letters, digits and _", f.Key)
			ok = false
			continue
		}
		if f.Value.Kind != spec.KindString {
			// the spec reader reported it
			ok = false
			continue
		}
		e := c.checkExpr(exprEnv{scope: inner}, bareExpr(f.Value.Str))
		if e == nil {
			ok = false
			continue
		}
		if !c.checkJSONType(e.Type, e.Pos, "field "+f.Key, "cannot be a column", "a row's fields must be data that JSON can write") {
			ok = false
			continue
		}
		x.Fields = append(x.Fields, e)
		fields = append(fields, ir.RowField{Column: f.Key, GoName: goName, Type: e.Type})
	}
	if !ok {
		c.bindBroken(s, st.ID)
		return nil
	}
	x.Row = c.rowType(st, fields)
	if x.Row == nil {
		return nil
	}
	x.Out = c.bind(s, st.ID, types.NewSlice(x.Row.Named), "map")
	if x.Out == nil {
		return nil
	}
	return x
}

// rowType returns the generated struct for a map step: its own, or the
// shared one named by `type`, whose fields must then match exactly.
func (c *checker) rowType(st *spec.Step, fields []ir.RowField) *ir.RowType {
	name := st.Type.Value
	pos := st.Type.Pos
	if name == "" {
		name = rowTypeName(st.ID.Value)
		pos = st.ID.Pos
	}
	if prev, ok := c.rows[name]; ok {
		if !st.Type.Set() {
			c.errs.Add(st.ID.Pos, "the row type of step %s would be %s, already generated for step %s at %s; set type = \"...\" to share it on purpose, or rename the step", st.ID.Value, name, prev.StepID, prev.Pos)
			return nil
		}
		if msg := sameFields(prev.Fields, fields, c); msg != "" {
			c.errs.Add(st.Type.Pos, "type %s is already defined at %s with other fields: %s", name, prev.Pos, msg)
			return nil
		}
		return prev
	}
	if !token.IsExported(name) {
		if st.Type.Set() {
			return nil // the spec reader reported it
		}
		c.errs.Add(pos, "type name %q must be an exported Go name (start with an upper-case letter)", name)
		return nil
	}
	rt := &ir.RowType{Name: name, Pos: pos, StepID: st.ID.Value, StepPos: st.Pos, File: c.specFile(), Fields: fields}
	var vars []*types.Var
	for _, f := range fields {
		vars = append(vars, types.NewField(token.NoPos, c.mainPkg, f.GoName, f.Type, false))
	}
	tn := types.NewTypeName(token.NoPos, c.mainPkg, name, nil)
	rt.Named = types.NewNamed(tn, types.NewStruct(vars, nil), nil)
	c.rows[name] = rt
	c.rowList = append(c.rowList, rt)
	return rt
}

func sameFields(a, b []ir.RowField, c *checker) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return fmt.Sprintf("extra field %s", b[i].Column)
		case i >= len(b):
			return fmt.Sprintf("missing field %s", a[i].Column)
		case a[i].Column != b[i].Column:
			return fmt.Sprintf("field %d is %s here, %s there", i+1, b[i].Column, a[i].Column)
		case !types.Identical(a[i].Type, b[i].Type):
			return fmt.Sprintf("field %s is %s here, %s there", a[i].Column, c.typeString(b[i].Type), c.typeString(a[i].Type))
		}
	}
	return ""
}

func (c *checker) checkFilter(s *scope, st *spec.Step) ir.Step {
	if !c.requireID(st) {
		return nil
	}
	x := &ir.Filter{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}}
	x.Src = c.sourceExpr(s, st.Source)
	if x.Src != nil {
		x.Elem = c.storableElem(x.Src, "filter")
	}
	if x.Elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	inner := newScope(s)
	x.LoopVar = c.loopVar(inner, st, x.Elem)
	x.Where = c.sourceExpr(inner, st.Where)
	if x.Where == nil {
		return nil
	}
	if !c.isBool(x.Where) {
		return nil
	}
	x.Out = c.bind(s, st.ID, types.NewSlice(x.Elem), "filter")
	return x
}

func (c *checker) isBool(e *ir.Expr) bool {
	if b, ok := e.Type.Underlying().(*types.Basic); ok && b.Info()&types.IsBoolean != 0 {
		return true
	}
	c.errs.Add(e.Pos, "condition %s is %s; expected a bool", e.Src, c.typeString(e.Type))
	return false
}

func (c *checker) checkUnique(s *scope, st *spec.Step) ir.Step {
	if !c.requireID(st) {
		return nil
	}
	x := &ir.Unique{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}, By: st.Key.Value}
	x.Src = c.sourceExpr(s, st.Source)
	if x.Src != nil {
		x.Elem = c.storableElem(x.Src, "unique")
	}
	if x.Elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	stc, ok := x.Elem.Underlying().(*types.Struct)
	if !ok {
		c.errs.Add(x.Src.Pos, "unique needs a slice of structs, but %s has elements of type %s", x.Src.Src, c.typeString(x.Elem))
		return nil
	}
	// The key names a field: a map step's column (issue_key) or a Go field (Key).
	var names []string
	for i := 0; i < stc.NumFields(); i++ {
		f := stc.Field(i)
		if !f.Exported() && f.Pkg() != c.mainPkg {
			continue
		}
		names = append(names, f.Name())
		col := columnOf(x.Elem, f.Name(), c)
		if f.Name() == st.Key.Value || col == st.Key.Value {
			x.KeyField, x.KeyType = f.Name(), f.Type()
		}
		if col != "" && col != f.Name() {
			names = append(names, col)
		}
	}
	if x.KeyField == "" {
		c.errs.Add(st.Key.Pos, "%s has no field %s%s", c.typeString(x.Elem), st.Key.Value, spec.DidYouMean(st.Key.Value, names))
		return nil
	}
	if !types.Comparable(x.KeyType) {
		c.errs.Add(st.Key.Pos, "key field %s is %s, which cannot be compared; expected a string, number or other comparable type", st.Key.Value, c.typeString(x.KeyType))
		return nil
	}
	x.Out = c.bind(s, st.ID, uniqueType(c, x.Elem), "unique")
	return x
}

// columnOf returns the spec column name of a generated row type's field.
func columnOf(t types.Type, field string, c *checker) string {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return ""
	}
	if rt := c.rows[n.Obj().Name()]; rt != nil && rt.Named == n {
		for _, f := range rt.Fields {
			if f.GoName == field {
				return f.Column
			}
		}
	}
	return ""
}

// uniqueType is transform.Unique[elem]; the checker builds it as a
// struct{Rows []elem; Duplicates int} named from the transform package.
func uniqueType(c *checker, elem types.Type) types.Type {
	tp := c.pkgs.transform
	if tp == nil {
		return types.NewStruct([]*types.Var{
			types.NewField(token.NoPos, nil, "Rows", types.NewSlice(elem), false),
			types.NewField(token.NoPos, nil, "Duplicates", types.Typ[types.Int], false),
		}, nil)
	}
	gen := tp.Scope().Lookup("Unique").Type()
	inst, err := types.Instantiate(nil, gen, []types.Type{elem}, false)
	if err != nil {
		panic(err)
	}
	return inst
}

func (c *checker) checkMerge(s *scope, st *spec.Step) ir.Step {
	if !c.requireID(st) {
		return nil
	}
	x := &ir.Merge{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}}
	var elem types.Type
	ok := true
	for _, m := range st.Merge {
		e := c.sourceExpr(s, m)
		if e == nil {
			ok = false
			continue
		}
		el := c.storableElem(e, "merge")
		if el == nil {
			ok = false
			continue
		}
		if elem == nil {
			elem = el
		} else if !types.Identical(elem, el) {
			c.errs.Add(e.Pos, "cannot merge %s (elements of %s) with %s (elements of %s); map them to one row type first (type = \"...\" on each map step)",
				e.Src, c.typeString(el), x.Srcs[0].Src, c.typeString(elem))
			ok = false
			continue
		}
		x.Srcs = append(x.Srcs, e)
	}
	if !ok || elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	x.Out = c.bind(s, st.ID, types.NewSlice(elem), "merge")
	return x
}

// rowTypeName derives a type name from a step id: rows -> Row,
// issues -> Issue, transformed -> TransformedRow.
func rowTypeName(id string) string {
	n := golang.ExportedName(id)
	switch {
	case strings.HasSuffix(n, "ies") && len(n) > 3:
		return n[:len(n)-3] + "y"
	case strings.HasSuffix(n, "ss"):
		return n + "Row"
	case strings.HasSuffix(n, "s") && len(n) > 1:
		return n[:len(n)-1]
	}
	return n + "Row"
}
