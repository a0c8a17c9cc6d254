package golang

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/printer"
	"go/token"
	"go/types"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
	"golang.org/x/tools/go/ast/astutil"
)

// durationCode writes d the way a person would: 2 * time.Second, time.Minute.
func durationCode(d time.Duration) jen.Code {
	units := []struct {
		d    time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}}
	for _, u := range units {
		if d%u.d == 0 {
			n := int64(d / u.d)
			if n == 1 {
				return jen.Qual("time", u.name)
			}
			return jen.Op(strconv.FormatInt(n, 10)).Op("*").Qual("time", u.name)
		}
	}
	return jen.Qual("time", "Duration").Call(jen.Op(strconv.FormatInt(int64(d), 10)))
}

// valuesFit renders {a, b, c} on one line when it is short, else with one
// element per line.
func valuesFit(items ...jen.Code) *jen.Statement {
	w := 2
	for _, it := range items {
		w += exprWidth(it) + 2
	}
	if w > 80 {
		return multi(items...)
	}
	return jen.Values(items...)
}

// exprWidth is how many columns the Go expression x takes on one line.
func exprWidth(x jen.Code) int {
	const prefix = "var _ = "
	return len(strings.TrimSpace(fmt.Sprintf("%#v", jen.Var().Id("_").Op("=").Add(x)))) - len(prefix)
}

// CursorStorePackages maps cursor_store to the package whose Open the
// program hands the runtime; the file store needs none.

// multi renders {a, b, c} with one element per line.
func multi(items ...jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, items...)
}

func field(name string, v jen.Code) jen.Code { return jen.Id(name).Op(":").Add(v) }

// exprCode is a checked expression as Go, its references written for the
// generated program (see exprText).
func (e *emitter) exprCode(x *ir.Expr) *jen.Statement { return jen.Id(e.exprText(x)) }

// exprText writes a checked expression with its references to the flow
// written as the generated program reads them: env.NAME as r.Env("NAME"),
// cursor.NAME as r.Cursor("NAME"), now() as the step's recorded reading,
// error as err.Error(), input as the failed step's input, step outputs and
// loop variables by their Go names. The IR's tree is left as it is.
func (e *emitter) exprText(x *ir.Expr) string {
	refs := map[*ast.Ident]*ir.Binding{}
	tree := cloneExpr(x.AST, x.Refs, refs)
	call := func(recv, method, arg string) ast.Expr {
		return &ast.CallExpr{
			Fun:  &ast.SelectorExpr{X: ast.NewIdent(recv), Sel: ast.NewIdent(method)},
			Args: []ast.Expr{&ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(arg)}},
		}
	}
	out := astutil.Apply(tree, func(cur *astutil.Cursor) bool {
		switch n := cur.Node().(type) {
		case *ast.SelectorExpr:
			if id, ok := n.X.(*ast.Ident); ok {
				if b := refs[id]; b != nil {
					switch b.Kind {
					case ir.BindEnv:
						cur.Replace(call("r", "Env", n.Sel.Name))
						return false
					case ir.BindCursor:
						cur.Replace(call("r", "Cursor", n.Sel.Name))
						return false
					}
				}
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && len(n.Args) == 0 {
				if b := refs[id]; b != nil && b.Kind == ir.BindNow {
					cur.Replace(ast.NewIdent(e.names.exprNow[x]))
					return false
				}
			}
		case *ast.Ident:
			b := refs[n]
			if b == nil {
				return true
			}
			switch b.Kind {
			case ir.BindError:
				cur.Replace(&ast.CallExpr{Fun: &ast.SelectorExpr{X: ast.NewIdent(errVar), Sel: ast.NewIdent("Error")}})
			case ir.BindInput:
				cur.Replace(ast.NewIdent(e.names.exprIn[x]))
			default:
				cur.Replace(ast.NewIdent(e.varName(b)))
			}
		}
		return true
	}, nil)
	var buf bytes.Buffer
	if err := printer.Fprint(&buf, token.NewFileSet(), out); err != nil {
		panic(fmt.Sprintf("printing a checked expression: %v", err))
	}
	return buf.String()
}

// cloneExpr copies an expression tree (astutil.Apply rewrites in place),
// carrying the references of its identifiers over to the copy's.
func cloneExpr(x ast.Expr, refs, out map[*ast.Ident]*ir.Binding) ast.Expr {
	var clone func(v reflect.Value) reflect.Value
	clone = func(v reflect.Value) reflect.Value {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				return v
			}
			if _, isObj := v.Interface().(*ast.Object); isObj {
				return reflect.Zero(v.Type()) // resolver data, not printed
			}
			c := reflect.New(v.Type().Elem())
			c.Elem().Set(clone(v.Elem()))
			if id, ok := v.Interface().(*ast.Ident); ok && refs[id] != nil {
				out[c.Interface().(*ast.Ident)] = refs[id]
			}
			return c
		case reflect.Interface:
			if v.IsNil() {
				return v
			}
			c := reflect.New(v.Type()).Elem()
			c.Set(clone(v.Elem()))
			return c
		case reflect.Struct:
			c := reflect.New(v.Type()).Elem()
			for i := 0; i < v.NumField(); i++ {
				if c.Field(i).CanSet() {
					c.Field(i).Set(clone(v.Field(i)))
				}
			}
			return c
		case reflect.Slice:
			if v.IsNil() {
				return v
			}
			c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			for i := 0; i < v.Len(); i++ {
				c.Index(i).Set(clone(v.Index(i)))
			}
			return c
		}
		return v
	}
	return clone(reflect.ValueOf(x)).Interface().(ast.Expr)
}

// interpWidth is how wide a line of a string concatenation grows before
// the emitter breaks it.
const interpWidth = 72

// interpCode writes a string with ${...} parts as a concatenation.
func (e *emitter) interpCode(parts []ir.Part) jen.Code {
	var s *jen.Statement
	width := 0
	for _, p := range parts {
		var code jen.Code
		if p.Expr == nil {
			code = jen.Lit(p.Text)
		} else {
			code = e.stringCode(p.Expr)
		}
		// A long concatenation breaks after a + (gofmt indents the rest):
		// no line of the output grows past the spec text's own literals.
		w := exprWidth(code)
		switch {
		case s == nil:
			s = jen.Add(code)
		case width+w+3 > interpWidth:
			s = s.Op("+").Line().Add(code)
			width = 0
		default:
			s = s.Op("+").Add(code)
		}
		width += w + 3
	}
	return s
}

// stringCode converts an expression to text for interpolation.
func (e *emitter) stringCode(x *ir.Expr) jen.Code {
	k, _ := ir.StringConv(x.Type)
	return e.convCode(x, k)
}

// convCode converts an expression to text the way k says.
func (e *emitter) convCode(x *ir.Expr, k ir.ConvKind) jen.Code {
	operand := e.exprCode(x)
	if x.NeedsParens() {
		operand = jen.Parens(e.exprCode(x))
	}
	switch k {
	case ir.ConvString:
		if x.NeedsParens() {
			return operand
		}
		return e.exprCode(x)
	case ir.ConvNamedString:
		return jen.String().Call(e.exprCode(x))
	case ir.ConvInt:
		if b, ok := x.Type.(*types.Basic); ok && b.Kind() == types.Int {
			return jen.Qual("strconv", "Itoa").Call(e.exprCode(x))
		}
		if b, ok := x.Type.(*types.Basic); ok && b.Kind() == types.Int64 {
			return jen.Qual("strconv", "FormatInt").Call(e.exprCode(x), jen.Lit(10))
		}
		return jen.Qual("strconv", "FormatInt").Call(jen.Int64().Call(e.exprCode(x)), jen.Lit(10))
	case ir.ConvFloat:
		arg := e.exprCode(x)
		if b, ok := x.Type.(*types.Basic); !ok || b.Kind() != types.Float64 {
			arg = jen.Float64().Call(arg)
		}
		return jen.Qual("strconv", "FormatFloat").Call(arg, jen.LitRune('g'), jen.Lit(-1), jen.Lit(64))
	case ir.ConvBool:
		return jen.Qual("strconv", "FormatBool").Call(e.exprCode(x))
	case ir.ConvTime:
		return operand.Dot("UTC").Call().Dot("Format").Call(jen.Qual("time", "RFC3339Nano"))
	case ir.ConvStringer:
		return operand.Dot("String").Call()
	}
	panic("unreachable: interpolation of " + x.Src)
}

// literal writes a checked TOML literal as Go.
func (e *emitter) literal(l *ir.Literal) jen.Code {
	switch l.Kind {
	case ir.LitString:
		return jen.Lit(l.Str)
	case ir.LitInt:
		return jen.Op(strconv.FormatInt(l.Int, 10))
	case ir.LitFloat:
		return jen.Op(strconv.FormatFloat(l.Float, 'g', -1, 64))
	case ir.LitBool:
		return jen.Lit(l.Bool)
	case ir.LitTime:
		tm := l.Time
		return jen.Qual("time", "Date").Call(jen.Lit(tm.Year()), jen.Qual("time", tm.Month().String()), jen.Lit(tm.Day()),
			jen.Lit(tm.Hour()), jen.Lit(tm.Minute()), jen.Lit(tm.Second()), jen.Lit(tm.Nanosecond()), jen.Qual("time", "UTC"))
	case ir.LitDuration:
		return durationCode(l.Duration)
	case ir.LitPointer:
		// Go 1.26: new(expr) allocates a copy of expr's value.
		elem := l.Type.Underlying().(*types.Pointer).Elem()
		return jen.New(e.TypeCode(elem).Call(e.literal(l.Elems[0])))
	case ir.LitSlice:
		var elems []jen.Code
		for _, el := range l.Elems {
			elems = append(elems, e.literal(el))
		}
		return e.TypeCode(l.Type).Values(elems...)
	case ir.LitMap:
		var items []jen.Code
		for _, f := range l.Fields {
			items = append(items, jen.Lit(f.Key).Op(":").Add(e.literal(f.Value)))
		}
		return e.TypeCode(l.Type).Add(multi(items...))
	case ir.LitStruct:
		var items []jen.Code
		for _, f := range l.Fields {
			items = append(items, field(f.Key, e.literal(f.Value)))
		}
		return e.TypeCode(l.Type).Add(multi(items...))
	case ir.LitAnyInt:
		return jen.Int64().Call(jen.Op(strconv.FormatInt(l.Int, 10)))
	case ir.LitAnyFloat:
		return jen.Float64().Call(jen.Op(strconv.FormatFloat(l.Float, 'g', -1, 64)))
	case ir.LitAnySlice:
		var elems []jen.Code
		for _, el := range l.Elems {
			elems = append(elems, e.literal(el))
		}
		return jen.Index().Any().Values(elems...)
	case ir.LitAnyMap:
		var items []jen.Code
		for _, f := range l.Fields {
			items = append(items, jen.Lit(f.Key).Op(":").Add(e.literal(f.Value)))
		}
		return jen.Map(jen.String()).Any().Values(items...)
	case ir.LitRaw:
		return jen.Lit(l.Str)
	}
	panic(fmt.Sprintf("unreachable: literal kind %d", l.Kind))
}
