package gen

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// exprEnv is what an expression is checked against.
type exprEnv struct {
	scope *scope
	// allowNil accepts an untyped nil: the value goes into a field whose
	// type is known (a with value).
	allowNil bool
}

// exprSrc is an expression's text and where it sits in a spec string.
type exprSrc struct {
	text string
	in   spec.String
	off  int // byte offset of text within in.Value
}

// pos is the spec position of byte i of the expression.
func (x exprSrc) pos(i int) spec.Pos { return x.in.PosAt(x.off + i) }

// splitInterp splits a string value on ${...}. "$${" stands for a literal
// "${". The returned parts carry the byte offset of each expression.
func splitInterp(v string) (parts []rawPart, errOff int, err string) {
	var text strings.Builder
	for i := 0; i < len(v); {
		if strings.HasPrefix(v[i:], "$${") {
			text.WriteString("${")
			i += 3
			continue
		}
		if !strings.HasPrefix(v[i:], "${") {
			text.WriteByte(v[i])
			i++
			continue
		}
		depth, j := 1, i+2
		for ; j < len(v) && depth > 0; j++ {
			switch v[j] {
			case '{':
				depth++
			case '}':
				depth--
			case '"', '`', '\'':
				// skip a Go literal so braces inside it do not count
				q := v[j]
				for j++; j < len(v) && v[j] != q; j++ {
					if v[j] == '\\' && q != '`' {
						j++
					}
				}
			}
		}
		if depth > 0 {
			return nil, i, "unterminated ${ in string; expected a closing }"
		}
		if text.Len() > 0 {
			parts = append(parts, rawPart{text: text.String()})
			text.Reset()
		}
		src := v[i+2 : j-1]
		if strings.TrimSpace(src) == "" {
			return nil, i, "empty ${} in string; expected an expression"
		}
		parts = append(parts, rawPart{expr: true, text: src, off: i + 2})
		if j < len(v) && v[j] == '}' && !openBrace(v[:i]) {
			what := "${" + src + "}"
			if strings.ContainsAny(src, "\n\r") || len(src) > 80 {
				what = "the ${...} of " + quoteShort(src) // one line, whatever the expression holds
			}
			return nil, j, "unmatched } after " + what + "; remove it, or write a { before the ${ if the text needs braces"
		}
		i = j
	}
	if text.Len() > 0 {
		parts = append(parts, rawPart{text: text.String()})
	}
	return parts, 0, ""
}

// openBrace reports whether text has a { that no } has closed.
func openBrace(text string) bool {
	return strings.Count(text, "{") > strings.Count(text, "}")
}

type rawPart struct {
	text string
	expr bool
	off  int
}

// bareExpr returns the expression of a value that must be one expression
// (if, while, map, to, ...): either plain Go, or exactly "${expr}".
func bareExpr(s spec.String) exprSrc {
	v := s.Value
	trimmed := strings.TrimSpace(v)
	if strings.HasPrefix(trimmed, "${") && strings.HasSuffix(trimmed, "}") {
		parts, _, err := splitInterp(trimmed)
		if err == "" && len(parts) == 1 && parts[0].expr {
			lead := strings.Index(v, "${")
			return exprSrc{text: parts[0].text, in: s, off: lead + 2}
		}
	}
	return exprSrc{text: v, in: s}
}

// checkExpr parses and type-checks an expression in env. Problems go
// to c.errs; the result is nil if the expression is unusable.
func (c *checker) checkExpr(env exprEnv, xs exprSrc) *ir.Expr {
	src, pos := xs.text, xs.pos(0)
	x, err := parser.ParseExprFrom(c.fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		off := 0
		msg := err.Error()
		if list, ok := err.(scanner.ErrorList); ok && len(list) > 0 {
			off = list[0].Pos.Offset
			msg = list[0].Msg
		}
		msg = strings.ReplaceAll(msg, "'EOF'", "the end of the expression")
		c.errs.Add(xs.pos(min(off, len(src))), "invalid Go expression %s: %s", quoteShort(src), msg)
		return nil
	}
	at := func(p token.Pos) spec.Pos {
		off := c.fset.Position(p).Offset
		if off < 0 || off > len(src) {
			off = 0
		}
		return xs.pos(off)
	}
	// src reads in messages and generated comments: one line.
	e := &ir.Expr{Src: strings.Join(strings.Fields(src), " "), Pos: pos, AST: x}

	// Resolve names ourselves first: go/types would say "undefined: x",
	// where a reader deserves to know that x is defined later, or inside a
	// closed block, or is a typo of y.
	used := map[*ir.Binding]bool{}
	ok := true
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			c.errs.Add(at(n.Pos()), "function literals are not allowed in spec expressions")
			ok = false
			return false
		case *ast.SelectorExpr:
			if id, isIdent := n.X.(*ast.Ident); isIdent {
				if b := env.scope.lookup(id.Name); b != nil && (b.Kind == ir.BindEnv || b.Kind == ir.BindCursor) {
					used[b] = true
					if !c.checkEnvCursor(b.Kind, n.Sel.Name, at(n.Sel.Pos())) {
						ok = false
					}
					return false
				}
			}
			ast.Inspect(n.X, visit) // the selected name is a field or method, not a scope name
			return false
		case *ast.Field:
			// The names of struct fields, interface methods and parameters
			// are not scope names.
			ast.Inspect(n.Type, visit)
			return false
		case *ast.KeyValueExpr:
			if _, isIdent := n.Key.(*ast.Ident); isIdent {
				ast.Inspect(n.Value, visit) // a struct literal's keys are field names
				return false
			}
		case *ast.Ident:
			c.resolveIdent(env, n, at, used, &ok)
		}
		return true
	}
	ast.Inspect(x, visit)
	for b := range used {
		if b.Broken {
			return nil
		}
	}
	if !ok {
		return nil
	}
	// Type-check in a package whose scope holds exactly the names used.
	pkg := types.NewPackage("main", "main")
	objs := map[types.Object]*ir.Binding{}
	for b := range used {
		obj := types.NewVar(token.NoPos, pkg, b.ID, c.bindingType(b, pkg))
		pkg.Scope().Insert(obj)
		objs[obj] = b
	}
	// The row types generated so far are types of the program: []Row{row}.
	for _, rt := range c.rowList {
		if pkg.Scope().Lookup(rt.Name) == nil {
			pkg.Scope().Insert(types.NewTypeName(token.NoPos, pkg, rt.Name, rt.Named))
		}
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	if err := types.CheckExpr(c.fset, pkg, token.NoPos, x, info); err != nil {
		if te, ok := err.(types.Error); ok {
			msg := c.missingMember(x, info, te.Pos)
			if msg == "" {
				msg = c.typeErrorMsg(te.Msg)
			}
			c.errs.Add(at(te.Pos), "%s", msg)
		} else {
			c.errs.Add(pos, "%v", err)
		}
		return nil
	}
	e.TV = info.Types[x]
	e.Type = e.TV.Type
	if msg := c.notAValue(e, env); msg != "" {
		c.errs.Add(pos, "%s", msg)
		return nil
	}
	c.exprItems[e] = scanItems(x, info)
	if b, isBasic := e.Type.(*types.Basic); isBasic && b.Info()&types.IsUntyped != 0 {
		e.Type = types.Default(e.Type)
		// An untyped constant takes its default type where nothing else
		// gives it one (text around ${...}, an any field): it must fit.
		if v := e.TV.Value; v != nil && !fitsDefault(v, e.Type) {
			c.errs.Add(pos, "the constant %s overflows %s, the type it takes here", quoteShort(e.Src), e.Type)
			return nil
		}
	}
	for b := range used {
		b.Used = true
		if b.Kind == ir.BindNow {
			e.Now = true
		}
	}
	e.Refs = map[*ast.Ident]*ir.Binding{}
	for id, obj := range info.Uses {
		if b := objs[obj]; b != nil {
			e.Refs[id] = b
		}
	}
	return e
}

func (c *checker) resolveIdent(env exprEnv, id *ast.Ident, at func(token.Pos) spec.Pos, used map[*ir.Binding]bool, ok *bool) {
	if id.Name == "_" {
		return
	}
	if b := env.scope.lookup(id.Name); b != nil {
		if b.Kind == ir.BindEnv || b.Kind == ir.BindCursor {
			c.errs.Add(at(id.Pos()), "%s alone is not a value; write %s.NAME", b.ID, b.ID)
			*ok = false
			return
		}
		used[b] = true
		return
	}
	if id.Name == "error" || id.Name == "input" {
		*ok = false
		c.errs.Add(at(id.Pos()), "%s is defined only in the with of an on_error handler, where it holds %s", id.Name, map[string]string{
			"error": "the failed step's error text",
			"input": "the failed step's input",
		}[id.Name])
		return
	}
	if types.Universe.Lookup(id.Name) != nil || c.rows[id.Name] != nil {
		return
	}
	*ok = false
	if def, known := c.defined[id.Name]; known {
		switch {
		case def.Block != "":
			c.errs.Add(at(id.Pos()), "%s is the id of the %s step at %s, which has no value", id.Name, def.Block, def.Pos)
		case def.Where != "":
			c.errs.Add(at(id.Pos()), "%s is defined at %s, %s, and is not visible here", id.Name, def.Pos, def.Where)
		default:
			c.errs.Add(at(id.Pos()), "%s is not defined yet: step %s is at %s, after this expression", id.Name, id.Name, def.Pos)
		}
		return
	}
	if c.step != nil && c.step.ID.Set() && c.step.ID.Value == id.Name {
		c.errs.Add(at(id.Pos()), "%s is this step's own output, which does not exist before the step has run", id.Name)
		return
	}
	if pos, later := c.ids[id.Name]; later {
		c.errs.Add(at(id.Pos()), "%s is not defined yet: step %s is at %s, after this expression", id.Name, id.Name, pos)
		return
	}
	if stdPackages[id.Name] {
		c.errs.Add(at(id.Pos()), "package %s is not available in spec expressions, which see step outputs, env, cursor, the loop variable, now() and Go's builtins; do this work in a node, or convert with a builtin such as string(x) or int64(x)", id.Name)
		return
	}
	c.errs.Add(at(id.Pos()), "undefined: %s%s", id.Name, c.suggestName(id.Name, env.scope))
}

// notAValue explains why a type-checked expression cannot be used as a
// value in generated code: a builtin or a type, untyped nil where the type
// comes from the value, a function not called; "" if it can.
func (c *checker) notAValue(e *ir.Expr, env exprEnv) string {
	switch {
	case e.TV.IsBuiltin():
		return fmt.Sprintf("%s is a built-in function, not a value; call it, such as %s(x)", e.Src, strings.TrimSpace(e.Src))
	case e.TV.IsType():
		return fmt.Sprintf("%s is a type, not a value; convert a value to it, such as %s(x)", e.Src, strings.TrimSpace(e.Src))
	case e.TV.IsNil():
		if env.allowNil {
			return ""
		}
		return "nil has no type here, and the type of this value is taken from the value; use a typed value, such as a step output"
	case e.Type == nil || e.Type == types.Typ[types.Invalid]:
		return fmt.Sprintf("%s has no value", e.Src)
	}
	if sig, isFunc := types.Unalias(e.Type).(*types.Signature); isFunc {
		args := "()"
		if sig.Params().Len() > 0 {
			args = "(...)"
		}
		return fmt.Sprintf("%s is a function (%s), not a value; call it: %s%s", e.Src, c.typeString(e.Type), strings.TrimSpace(e.Src), args)
	}
	if tup, isTuple := e.Type.(*types.Tuple); isTuple {
		return fmt.Sprintf("%s has %d values; expected one", e.Src, tup.Len())
	}
	return ""
}

// quoteShort quotes an expression for a message, shortened if long.
func quoteShort(src string) string {
	const max = 80
	if len(src) <= max {
		return strconv.Quote(src)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(src[cut]) {
		cut--
	}
	return strconv.Quote(src[:cut]) + fmt.Sprintf(" (%d more bytes)", len(src)-cut)
}

// suggestName suggests the visible name nearest to name: a step output or
// loop variable first, then env, cursor and now, which a one-letter typo of
// a step id (row for rows) must not win over.
func (c *checker) suggestName(name string, s *scope) string {
	var own, builtin []string
	for _, n := range s.visible() {
		if b := s.lookup(n); b != nil && (b.Kind == ir.BindStep || b.Kind == ir.BindLoopVar) {
			own = append(own, n)
		} else {
			builtin = append(builtin, n)
		}
	}
	if m := spec.DidYouMean(name, own); m != "" {
		return m
	}
	return spec.DidYouMean(name, builtin)
}

// stdPackages are package names a Go programmer may reach for in an
// expression; naming them gets an explanation instead of "undefined".
var stdPackages = map[string]bool{
	"strings": true, "strconv": true, "time": true, "fmt": true, "math": true,
	"bytes": true, "json": true, "sort": true, "slices": true, "maps": true, "regexp": true,
}

// checkEnvCursor checks env.NAME and cursor.NAME against the declarations.
func (c *checker) checkEnvCursor(kind ir.BindKind, name string, pos spec.Pos) bool {
	if kind == ir.BindEnv {
		if _, ok := c.envByName[name]; ok {
			if c.flowEnv != nil {
				c.flowEnv[name] = true
			}
			return true
		}
		c.errs.Add(pos, "%s", c.undeclared("env", name))
		return false
	}
	if _, ok := c.cursorByName[name]; ok {
		return true
	}
	c.errs.Add(pos, "%s", c.undeclared("cursor", name))
	return false
}

// bindingType is the Go type a binding has inside expressions.
func (c *checker) bindingType(b *ir.Binding, pkg *types.Package) types.Type {
	switch b.Kind {
	case ir.BindEnv:
		return namesStruct(pkg, sortedKeys(c.envByName))
	case ir.BindCursor:
		return namesStruct(pkg, sortedKeys(c.cursorByName))
	case ir.BindNow:
		return types.NewSignatureType(nil, nil, nil, nil, types.NewTuple(types.NewVar(token.NoPos, nil, "", c.timeType)), false)
	}
	return b.Type
}

// namesStruct is the type of env and cursor inside expressions: a struct
// with a string field per declared name. The fields belong to the checking
// package, so lower-case cursor names are accessible.
func namesStruct(pkg *types.Package, names []string) *types.Struct {
	fields := make([]*types.Var, len(names))
	for i, n := range names {
		fields[i] = types.NewField(token.NoPos, pkg, n, types.Typ[types.String], false)
	}
	return types.NewStruct(fields, nil)
}

// missingMember explains a selector x.Name whose Name go/types could not
// find at pos, suggesting the nearest field or method; "" if the error at
// pos is another one.
func (c *checker) missingMember(x ast.Expr, info *types.Info, pos token.Pos) string {
	var sel *ast.SelectorExpr
	ast.Inspect(x, func(n ast.Node) bool {
		if s, ok := n.(*ast.SelectorExpr); ok && s.Sel.Pos() == pos {
			sel = s
		}
		return sel == nil
	})
	if sel == nil {
		return ""
	}
	tv, ok := info.Types[sel.X]
	if !ok || tv.Type == nil {
		return ""
	}
	t := tv.Type
	name := sel.Sel.Name
	if obj, _, _ := types.LookupFieldOrMethod(t, true, c.mainPkg, name); obj != nil {
		return "" // it exists: the error is about something else
	}
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	base := t
	if p, ok := t.Underlying().(*types.Pointer); ok {
		base = p.Elem()
	}
	if st, ok := base.Underlying().(*types.Struct); ok {
		for i := 0; i < st.NumFields(); i++ {
			if f := st.Field(i); f.Exported() || f.Pkg() == c.mainPkg {
				add(f.Name())
			}
		}
	}
	ms := types.NewMethodSet(types.NewPointer(base))
	for i := 0; i < ms.Len(); i++ {
		if m := ms.At(i).Obj(); m.Exported() {
			add(m.Name())
		}
	}
	what := "field or method"
	if len(names) == 0 {
		return fmt.Sprintf("%s (%s) has no fields or methods; %s.%s is not valid", types.ExprString(sel.X), c.typeString(t), types.ExprString(sel.X), name)
	}
	msg := fmt.Sprintf("%s (%s) has no %s %s", types.ExprString(sel.X), c.typeString(t), what, name)
	if s := spec.Suggest(name, names); s != "" {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	if len(names) <= 8 {
		return msg + "; it has " + joinAnd(names)
	}
	return msg
}

// typeErrorMsg makes go/types' messages read well in a spec: the synthetic
// package is called main.
func (c *checker) typeErrorMsg(msg string) string {
	msg = strings.ReplaceAll(msg, "main.", "")
	// go/types writes some messages on several lines ("too many arguments
	// in call to now\n\thave (...)\n\twant ()"): one error, one line.
	lines := strings.Split(msg, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// rewrite renders x as Go for the generated program: step names become their
// Go variables, env.X becomes r.Env("X"), cursor.x becomes r.Cursor("x"),
// now() becomes the step's recorded instant.

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// fitsDefault reports whether the untyped constant v can be a value of its
// default type t (int and rune are 64 and 32 bits in generated programs).
func fitsDefault(v constant.Value, t types.Type) bool {
	b, ok := t.(*types.Basic)
	if !ok {
		return true
	}
	switch b.Kind() {
	case types.Int, types.Int32:
		n, exact := constant.Int64Val(constant.ToInt(v))
		if b.Kind() == types.Int32 {
			return exact && n >= math.MinInt32 && n <= math.MaxInt32
		}
		return exact
	case types.Float64:
		f, _ := constant.Float64Val(v)
		return !math.IsInf(f, 0)
	case types.Complex128:
		re, _ := constant.Float64Val(constant.Real(v))
		im, _ := constant.Float64Val(constant.Imag(v))
		return !math.IsInf(re, 0) && !math.IsInf(im, 0)
	}
	return true
}
