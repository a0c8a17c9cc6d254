package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"strings"
	"unicode"

	"github.com/resolute/resolute-gen/spec"
)

// elemOf checks that e is a slice and returns its element type.
func (c *checker) elemOf(e *expr, what string) types.Type {
	sl, ok := e.typ.Underlying().(*types.Slice)
	if !ok {
		c.errs.Add(e.pos, "%s needs a slice, but %s is %s", what, e.src, c.typeString(e.typ))
		return nil
	}
	if msg := c.unwritable(sl.Elem()); msg != "" {
		c.errs.Add(e.pos, "%s cannot loop over %s: %s", what, e.src, msg)
		return nil
	}
	return sl.Elem()
}

// storableElem is elemOf for steps whose output is a new slice of the
// elements (filter, unique, merge): they must be data the journal can hold.
func (c *checker) storableElem(e *expr, what string) types.Type {
	elem := c.elemOf(e, what)
	if elem == nil || !c.checkJSONType(elem, e.pos, "the elements of "+e.src, "cannot be the output of "+what, "a step's output must be data that JSON can write") {
		return nil
	}
	return elem
}

// loopVar defines the `as` variable of map, filter and for_each.
func (c *checker) loopVar(s *scope, st *spec.Step, elem types.Type) *binding {
	name, pos := "it", st.Pos
	if st.As.Set() {
		name, pos = st.As.Value, st.As.Pos
	}
	if prev := s.lookup(name); prev != nil && prev.kind == bindStep {
		c.errs.Add(pos, "as = %q hides step %s defined at %s; choose another name", name, name, prev.pos)
	}
	goName := name
	if c.reserved[goName] || c.rowNames[goName] || token.IsKeyword(goName) {
		goName += "Item"
	}
	b := &binding{id: name, goName: goName, typ: elem, pos: pos, kind: bindLoopVar}
	s.define(b)
	return b
}

func (c *checker) sourceExpr(s *scope, src spec.String, nowVar string) *expr {
	return c.checkExpr(exprEnv{scope: s, nowVar: nowVar}, bareExpr(src))
}

func (c *checker) checkMap(s *scope, st *spec.Step) stmt {
	if !c.requireID(st) {
		return nil
	}
	x := &mapStmt{base: base{st}}
	x.src = c.sourceExpr(s, st.Source, "")
	var elem types.Type
	if x.src != nil {
		elem = c.elemOf(x.src, "map")
	}
	if elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	inner := newScope(s)
	x.loopVar = c.loopVar(inner, st, elem)
	nowVar := c.peekName("now")
	usesNow := false
	var fields []rowField
	ok := true
	seen := map[string]*spec.Field{}
	for _, f := range st.Fields {
		goName := exportedName(f.Key)
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
		e := c.checkExpr(exprEnv{scope: inner, nowVar: nowVar}, bareExpr(f.Value.Str))
		if e == nil {
			ok = false
			continue
		}
		usesNow = usesNow || e.now
		if !c.checkJSONType(e.typ, e.pos, "field "+f.Key, "cannot be a column", "a row's fields must be data that JSON can write") {
			ok = false
			continue
		}
		x.fields = append(x.fields, e)
		fields = append(fields, rowField{column: f.Key, goName: goName, typ: e.typ})
	}
	x.nowVar = c.takeNow(usesNow)
	if !ok {
		c.bindBroken(s, st.ID)
		return nil
	}
	x.row = c.rowType(st, fields)
	if x.row == nil {
		return nil
	}
	x.out = c.bind(s, st.ID, types.NewSlice(x.row.named), "map")
	if x.out == nil {
		return nil
	}
	return x
}

// rowType returns the generated struct for a map step: its own, or the
// shared one named by `type`, whose fields must then match exactly.
func (c *checker) rowType(st *spec.Step, fields []rowField) *rowType {
	name := st.Type.Value
	pos := st.Type.Pos
	if name == "" {
		name = rowTypeName(st.ID.Value)
		pos = st.ID.Pos
	}
	if prev, ok := c.rows[name]; ok {
		if !st.Type.Set() {
			c.errs.Add(st.ID.Pos, "the row type of step %s would be %s, already generated for step %s at %s; set type = \"...\" to share it on purpose, or rename the step", st.ID.Value, name, prev.step.ID.Value, prev.pos)
			return nil
		}
		if msg := sameFields(prev.fields, fields, c); msg != "" {
			c.errs.Add(st.Type.Pos, "type %s is already defined at %s with other fields: %s", name, prev.pos, msg)
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
	rt := &rowType{name: name, pos: pos, step: st, file: c.specFile(), fields: fields}
	var vars []*types.Var
	for _, f := range fields {
		vars = append(vars, types.NewField(token.NoPos, c.mainPkg, f.goName, f.typ, false))
	}
	tn := types.NewTypeName(token.NoPos, c.mainPkg, name, nil)
	rt.named = types.NewNamed(tn, types.NewStruct(vars, nil), nil)
	c.rows[name] = rt
	c.rowList = append(c.rowList, rt)
	return rt
}

func sameFields(a, b []rowField, c *checker) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return fmt.Sprintf("extra field %s", b[i].column)
		case i >= len(b):
			return fmt.Sprintf("missing field %s", a[i].column)
		case a[i].column != b[i].column:
			return fmt.Sprintf("field %d is %s here, %s there", i+1, b[i].column, a[i].column)
		case !types.Identical(a[i].typ, b[i].typ):
			return fmt.Sprintf("field %s is %s here, %s there", a[i].column, c.typeString(b[i].typ), c.typeString(a[i].typ))
		}
	}
	return ""
}

func (c *checker) checkFilter(s *scope, st *spec.Step) stmt {
	if !c.requireID(st) {
		return nil
	}
	x := &filterStmt{base: base{st}}
	x.src = c.sourceExpr(s, st.Source, "")
	if x.src != nil {
		x.elem = c.storableElem(x.src, "filter")
	}
	if x.elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	inner := newScope(s)
	x.loopVar = c.loopVar(inner, st, x.elem)
	x.where = c.sourceExpr(inner, st.Where, c.peekName("now"))
	if x.where == nil {
		return nil
	}
	x.nowVar = c.takeNow(x.where.now)
	if !c.isBool(x.where) {
		return nil
	}
	x.out = c.bind(s, st.ID, types.NewSlice(x.elem), "filter")
	return x
}

func (c *checker) isBool(e *expr) bool {
	if b, ok := e.typ.Underlying().(*types.Basic); ok && b.Info()&types.IsBoolean != 0 {
		return true
	}
	c.errs.Add(e.pos, "condition %s is %s; expected a bool", e.src, c.typeString(e.typ))
	return false
}

func (c *checker) checkUnique(s *scope, st *spec.Step) stmt {
	if !c.requireID(st) {
		return nil
	}
	x := &uniqueStmt{base: base{st}}
	x.src = c.sourceExpr(s, st.Source, "")
	if x.src != nil {
		x.elem = c.storableElem(x.src, "unique")
	}
	if x.elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	stc, ok := x.elem.Underlying().(*types.Struct)
	if !ok {
		c.errs.Add(x.src.pos, "unique needs a slice of structs, but %s has elements of type %s", x.src.src, c.typeString(x.elem))
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
		col := columnOf(x.elem, f.Name(), c)
		if f.Name() == st.Key.Value || col == st.Key.Value {
			x.keyField, x.keyType = f.Name(), f.Type()
		}
		if col != "" && col != f.Name() {
			names = append(names, col)
		}
	}
	if x.keyField == "" {
		c.errs.Add(st.Key.Pos, "%s has no field %s%s", c.typeString(x.elem), st.Key.Value, spec.DidYouMean(st.Key.Value, names))
		return nil
	}
	if !types.Comparable(x.keyType) {
		c.errs.Add(st.Key.Pos, "key field %s is %s, which cannot be compared; expected a string, number or other comparable type", st.Key.Value, c.typeString(x.keyType))
		return nil
	}
	x.out = c.bind(s, st.ID, uniqueType(c, x.elem), "unique")
	return x
}

// columnOf returns the spec column name of a generated row type's field.
func columnOf(t types.Type, field string, c *checker) string {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return ""
	}
	if rt := c.rows[n.Obj().Name()]; rt != nil && rt.named == n {
		for _, f := range rt.fields {
			if f.goName == field {
				return f.column
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

func (c *checker) checkMerge(s *scope, st *spec.Step) stmt {
	if !c.requireID(st) {
		return nil
	}
	x := &mergeStmt{base: base{st}}
	var elem types.Type
	ok := true
	for _, m := range st.Merge {
		e := c.sourceExpr(s, m, "")
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
			c.errs.Add(e.pos, "cannot merge %s (elements of %s) with %s (elements of %s); map them to one row type first (type = \"...\" on each map step)",
				e.src, c.typeString(el), x.srcs[0].src, c.typeString(elem))
			ok = false
			continue
		}
		x.srcs = append(x.srcs, e)
	}
	if !ok || elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	x.out = c.bind(s, st.ID, types.NewSlice(elem), "merge")
	return x
}
