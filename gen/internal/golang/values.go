package golang

import (
	"fmt"
	"go/types"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
)

// durationCode writes d the way a person would: 2 * time.Second, time.Minute.
func DurationCode(d time.Duration) jen.Code {
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
func ValuesFit(items ...jen.Code) *jen.Statement {
	w := 2
	for _, it := range items {
		w += exprWidth(it) + 2
	}
	if w > 80 {
		return Multi(items...)
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
func Multi(items ...jen.Code) *jen.Statement {
	return jen.Custom(jen.Options{Open: "{", Close: "}", Separator: ",", Multi: true}, items...)
}

func Field(name string, v jen.Code) jen.Code { return jen.Id(name).Op(":").Add(v) }

func exprCode(x *ir.Expr) *jen.Statement { return jen.Id(x.Code) }

// interpWidth is how wide a line of a string concatenation grows before
// the emitter breaks it.
const interpWidth = 72

// interpCode writes a string with ${...} parts as a concatenation.
func interpCode(parts []ir.Part) jen.Code {
	var s *jen.Statement
	width := 0
	for _, p := range parts {
		var code jen.Code
		if p.Expr == nil {
			code = jen.Lit(p.Text)
		} else {
			code = stringCode(p.Expr)
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
func stringCode(x *ir.Expr) jen.Code {
	k, _ := ir.StringConv(x.Type)
	return convCode(x, k)
}

// convCode converts an expression to text the way k says.
func convCode(x *ir.Expr, k ir.ConvKind) jen.Code {
	operand := exprCode(x)
	if x.NeedsParens() {
		operand = jen.Parens(jen.Id(x.Code))
	}
	switch k {
	case ir.ConvString:
		if x.NeedsParens() {
			return operand
		}
		return exprCode(x)
	case ir.ConvNamedString:
		return jen.String().Call(exprCode(x))
	case ir.ConvInt:
		if b, ok := x.Type.(*types.Basic); ok && b.Kind() == types.Int {
			return jen.Qual("strconv", "Itoa").Call(exprCode(x))
		}
		if b, ok := x.Type.(*types.Basic); ok && b.Kind() == types.Int64 {
			return jen.Qual("strconv", "FormatInt").Call(exprCode(x), jen.Lit(10))
		}
		return jen.Qual("strconv", "FormatInt").Call(jen.Int64().Call(exprCode(x)), jen.Lit(10))
	case ir.ConvFloat:
		arg := exprCode(x)
		if b, ok := x.Type.(*types.Basic); !ok || b.Kind() != types.Float64 {
			arg = jen.Float64().Call(arg)
		}
		return jen.Qual("strconv", "FormatFloat").Call(arg, jen.LitRune('g'), jen.Lit(-1), jen.Lit(64))
	case ir.ConvBool:
		return jen.Qual("strconv", "FormatBool").Call(exprCode(x))
	case ir.ConvTime:
		return operand.Dot("UTC").Call().Dot("Format").Call(jen.Qual("time", "RFC3339Nano"))
	case ir.ConvStringer:
		return operand.Dot("String").Call()
	}
	panic("unreachable: interpolation of " + x.Src)
}
