package golang

import (
	"fmt"
	"go/types"

	"github.com/dave/jennifer/jen"
)

// TypeWriter writes Go types and their zero values as jennifer code. Types of the
// program's own package (main) are written unqualified.
type TypeWriter struct {
	Main *types.Package
}

// TypeCode writes t with qualified package names; jennifer picks imports.
func (w TypeWriter) TypeCode(t types.Type) *jen.Statement {
	switch t := t.(type) {
	case *types.Alias:
		return w.TypeCode(types.Unalias(t))
	case *types.Basic:
		return jen.Id(t.Name())
	case *types.Named:
		obj := t.Obj()
		var s *jen.Statement
		switch {
		case obj.Pkg() == nil:
			s = jen.Id(obj.Name())
		case obj.Pkg() == w.Main || obj.Pkg().Path() == "main":
			s = jen.Id(obj.Name())
		default:
			s = jen.Qual(obj.Pkg().Path(), obj.Name())
		}
		if args := t.TypeArgs(); args.Len() > 0 {
			var codes []jen.Code
			for i := 0; i < args.Len(); i++ {
				codes = append(codes, w.TypeCode(args.At(i)))
			}
			s = s.Types(codes...)
		}
		return s
	case *types.Pointer:
		return jen.Op("*").Add(w.TypeCode(t.Elem()))
	case *types.Slice:
		return jen.Index().Add(w.TypeCode(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(w.TypeCode(t.Elem()))
	case *types.Map:
		return jen.Map(w.TypeCode(t.Key())).Add(w.TypeCode(t.Elem()))
	case *types.Struct:
		var fields []jen.Code
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			fc := jen.Id(f.Name()).Add(w.TypeCode(f.Type()))
			if f.Embedded() {
				fc = w.TypeCode(f.Type()) // struct{int}: the field's name is its type's
			}
			if tag := t.Tag(i); tag != "" {
				fc = fc.Op("`" + tag + "`")
			}
			fields = append(fields, fc)
		}
		return jen.Struct(fields...)
	case *types.Interface:
		if t.Empty() {
			return jen.Any()
		}
	}
	panic(fmt.Sprintf("resolute-gen cannot write the type %s", t))
}

// ZeroCode writes the zero value of t.
func (w TypeWriter) ZeroCode(t types.Type) jen.Code {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsString != 0:
			return jen.Lit("")
		case u.Info()&types.IsBoolean != 0:
			return jen.False()
		default:
			return jen.Lit(0)
		}
	case *types.Struct, *types.Array:
		return w.TypeCode(t).Values()
	}
	return jen.Nil()
}

// TypeString writes t as Go source, for comments and messages.
func (w TypeWriter) TypeString(t types.Type) string {
	return types.TypeString(t, Qualifier(w.Main))
}

// Qualifier writes package names, not paths, and nothing for main.
func Qualifier(main *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == nil || p == main || p.Path() == "main" {
			return ""
		}
		return p.Name()
	}
}
