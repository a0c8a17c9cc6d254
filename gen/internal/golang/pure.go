package golang

import (
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
)

func (e *emitter) pureAssign(b *ir.Binding, v jen.Code) jen.Code {
	if !b.Used {
		return jen.Id("_").Op("=").Add(v)
	}
	return jen.Id(e.varName(b)).Op(e.assignOp(b)).Add(v)
}

func (e *emitter) mapStep(s *ir.Map) []jen.Code {
	st := &s.Base
	out := []jen.Code{commentf("step %q (%s): map over %s", st.ID, e.where(st.Pos), s.Src.Src)}
	if e.nowVar(s) != "" {
		out = append(out, e.nowDecl(e.nowVar(s)))
	}
	name := e.varName(s.Out)
	src, bind := e.source(s.Src, name)
	out = append(out, bind...)
	out = append(out, jen.Id(name).Op(e.assignOp(s.Out)).Make(jen.Index().Id(s.Row.Name), jen.Lit(0), jen.Len(src)))
	var fields []jen.Code
	for i, f := range s.Row.Fields {
		fields = append(fields, field(f.GoName, e.exprCode(s.Fields[i])))
	}
	loop := jen.List(jen.Id("_"), jen.Id(e.varName(s.LoopVar))).Op(":=").Range()
	if !s.LoopVar.Used {
		loop = jen.Range() // no field reads the element: Go rejects an unused variable
	}
	out = append(out, jen.For(loop.Add(src)).Block(
		jen.Id(name).Op("=").Append(jen.Id(name), jen.Id(s.Row.Name).Add(multi(fields...))),
	))
	return out
}

// source returns the slice a map or filter step reads: the expression
// itself when it is a name or a field selection, else a local bound to it
// once (its declaration is returned to write first), so that nothing is
// built twice.
func (e *emitter) source(x *ir.Expr, out string) (jen.Code, []jen.Code) {
	if plainRef.MatchString(e.exprText(x)) {
		return e.exprCode(x), nil
	}
	name := e.freeName(out + "Source")
	return jen.Id(name), []jen.Code{jen.Id(name).Op(":=").Add(e.exprCode(x))}
}

func (e *emitter) filter(s *ir.Filter) []jen.Code {
	st := &s.Base
	out := []jen.Code{commentf("step %q (%s): filter %s where %s", st.ID, e.where(st.Pos), s.Src.Src, s.Where.Src)}
	if e.nowVar(s) != "" {
		out = append(out, e.nowDecl(e.nowVar(s)))
	}
	name := e.varName(s.Out)
	src, bind := e.source(s.Src, name)
	out = append(out, bind...)
	out = append(out, jen.Id(name).Op(e.assignOp(s.Out)).Make(jen.Index().Add(e.TypeCode(s.Elem)), jen.Lit(0), jen.Len(src)))
	out = append(out, jen.For(jen.List(jen.Id("_"), jen.Id(e.varName(s.LoopVar))).Op(":=").Range().Add(src)).Block(
		jen.If(e.exprCode(s.Where)).Block(
			jen.Id(name).Op("=").Append(jen.Id(name), jen.Id(e.varName(s.LoopVar))),
		),
	))
	return out
}

func (e *emitter) unique(s *ir.Unique) []jen.Code {
	st := &s.Base
	param := "item"
	return []jen.Code{
		commentf("step %q (%s): unique %s by %s, the last of each key wins", st.ID, e.where(st.Pos), s.Src.Src, s.By),
		e.pureAssign(s.Out, jen.Qual(TransformPath, "UniqueBy").Call(e.exprCode(s.Src),
			jen.Func().Params(jen.Id(param).Add(e.TypeCode(s.Elem))).Add(e.TypeCode(s.KeyType)).Block(
				jen.Return(jen.Id(param).Dot(s.KeyField)),
			))),
	}
}

func (e *emitter) merge(s *ir.Merge) []jen.Code {
	st := &s.Base
	var args []jen.Code
	var srcs []string
	for _, x := range s.Srcs {
		args = append(args, e.exprCode(x))
		srcs = append(srcs, x.Src)
	}
	return []jen.Code{
		commentf("step %q (%s): merge %s", st.ID, e.where(st.Pos), strings.Join(srcs, ", ")),
		e.pureAssign(s.Out, jen.Qual(TransformPath, "Concat").Call(args...)),
	}
}
