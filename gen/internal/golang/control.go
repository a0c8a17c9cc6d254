package golang

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
)

type retFunc func(err jen.Code) jen.Code

// target is what differs between the two outputs, the standalone program
// (*emitter itself) and the Temporal worker (*temporalEmitter): the steps
// that run nodes or open Go functions of the target's runtime. The walker
// (block, nested, stmt, ifStep) and the pure steps are shared; it calls
// these hooks for the rest. Each hook returns the Go statements of its
// step; ret renders the return of an error from the enclosing function.
type target interface {
	// call emits a call step: the node call, its on_error and advance.
	call(s *ir.Call, ret retFunc) []jen.Code
	// while emits a bounded loop.
	while(s *ir.While, ret retFunc) []jen.Code
	// parallel emits branches that run at once.
	parallel(s *ir.Parallel, ret retFunc) []jen.Code
	// forEach emits a loop over a list, its items in a function.
	forEach(s *ir.ForEach, ret retFunc) []jen.Code
	// stream emits a paged source read page by page.
	stream(s *ir.Stream, ret retFunc) []jen.Code
	// lib is name in the target's runtime package: runtime.name or
	// tprt.name.
	lib(name string) *jen.Statement
	// stepFunc begins a function literal that the target's runtime calls
	// back, func(ctx, r, params...), with the target's context and run
	// types.
	stepFunc(params ...jen.Code) *jen.Statement
	// resetNote says, in a reset step's comment, when the reset takes
	// effect.
	resetNote() string
}

// lib: the standalone program calls package runtime.
func (e *emitter) lib(name string) *jen.Statement { return rt(name) }

// stepFunc: the standalone runtime passes a context.Context and a
// *runtime.Run.
func (e *emitter) stepFunc(params ...jen.Code) *jen.Statement {
	return jen.Func().Params(append([]jen.Code{jen.Id("ctx").Qual("context", "Context"), jen.Id("r").Op("*").Add(rt("Run"))}, params...)...)
}

// resetNote: a standalone run resets the cursor at once.
func (e *emitter) resetNote() string { return "the flow starts over from its initial value" }

func (e *emitter) push()     { e.errScopes = append(e.errScopes, new(bool)) }
func (e *emitter) pushFunc() { e.errScopes = append(e.errScopes, nil, new(bool)) }
func (e *emitter) pop() {
	e.errScopes = e.errScopes[:len(e.errScopes)-1]
	if n := len(e.errScopes); n > 0 && e.errScopes[n-1] == nil {
		e.errScopes = e.errScopes[:n-1]
	}
}

// errInScope reports whether err is declared in the current function's
// enclosing blocks.
func (e *emitter) errInScope() bool {
	for i := len(e.errScopes) - 1; i >= 0 && e.errScopes[i] != nil; i-- {
		if *e.errScopes[i] {
			return true
		}
	}
	return false
}

func (e *emitter) declareErr() { *e.errScopes[len(e.errScopes)-1] = true }

// block emits stmts, a blank line between steps.
func (e *emitter) block(stmts []ir.Step, ret retFunc) []jen.Code {
	var out []jen.Code
	for i, s := range stmts {
		if i > 0 {
			out = append(out, jen.Line())
		}
		out = append(out, e.stmt(s, ret)...)
	}
	return out
}

// nested emits stmts as the body of a Go block.
func (e *emitter) nested(stmts []ir.Step, ret retFunc) []jen.Code {
	e.push()
	defer e.pop()
	return e.block(stmts, ret)
}

// stmt emits one step, through the target for what the targets do their
// own way.
func (e *emitter) stmt(s ir.Step, ret retFunc) []jen.Code {
	switch s := s.(type) {
	case *ir.Call:
		return e.target.call(s, ret)
	case *ir.Map:
		return e.mapStep(s)
	case *ir.Filter:
		return e.filter(s)
	case *ir.Unique:
		return e.unique(s)
	case *ir.Merge:
		return e.merge(s)
	case *ir.If:
		return e.ifStep(s, ret)
	case *ir.While:
		return e.target.while(s, ret)
	case *ir.Parallel:
		return e.target.parallel(s, ret)
	case *ir.ForEach:
		return e.target.forEach(s, ret)
	case *ir.Seq:
		return e.block(s.Body, ret)
	case *ir.Stream:
		return e.target.stream(s, ret)
	case *ir.Reset:
		return []jen.Code{
			commentf("reset cursor %s (%s): %s", s.Cursor, e.where(s.Pos), e.target.resetNote()),
			jen.Id("r").Dot("ResetCursor").Call(jen.Lit(s.Cursor)),
		}
	}
	panic(fmt.Sprintf("unknown statement %T", s))
}

// assign writes `x, err := v`, `x, err = v` or, for an unused output, the
// caller uses the if-init form. It reports the operator.
func (e *emitter) assignOp(b *ir.Binding) string {
	if e.declared[b] {
		return "="
	}
	e.declared[b] = true
	return ":="
}

func (e *emitter) nowDecl(name string) jen.Code {
	if e.inPage > 0 {
		// A stream page is re-run whole after a crash, so its reading is
		// not journaled (runtime.Stream).
		return jen.Id(name).Op(":=").Id("r").Dot("Now").Call().Comment("read for this page")
	}
	return jen.Id(name).Op(":=").Id("r").Dot("Now").Call().Comment("recorded: a replay sees the same instant")
}

func (e *emitter) ifStep(s *ir.If, ret retFunc) []jen.Code {
	out := []jen.Code{commentf("if %s (%s)", s.Cond.Src, e.where(s.Pos))}
	if e.nowVar(s) != "" {
		out = append(out, e.nowDecl(e.nowVar(s)))
	}
	stmt := jen.If(e.exprCode(s.Cond)).Block(e.nested(s.Then, ret)...)
	if len(s.Else) > 0 {
		stmt = stmt.Else().Block(e.nested(s.Else, ret)...)
	}
	return append(out, stmt)
}

func (e *emitter) while(s *ir.While, ret retFunc) []jen.Code {
	where, comment := e.whileHead(s, fmt.Sprintf("while loop (%s)", e.where(s.Pos)), s.Cond.Src)
	out := []jen.Code{comment}
	i := e.names.iter[s]
	e.push()
	body, cond := e.whileCheck(s, ret, where)
	if e.usesRun(s.Body) {
		// The body runs with the iteration's handle: its journal keys are
		// the loop's key and i, so a resumed run finds each iteration.
		body = append(body, jen.Id("r").Op(":=").Id("r").Dot("Iteration").Call(jen.Lit(s.Key), jen.Id(i)).
			Comment(fmt.Sprintf("shadows r: journal keys below are scoped to iteration %s of %q", i, s.Key)))
	}
	// A paged source re-bound by the loop is guarded: a page token it hands
	// back twice (a loop that restarted at the first page) fails the run at
	// once instead of at max_iterations.
	guards := map[*ir.Call]string{}
	for _, st := range s.Body {
		if cs, ok := st.(*ir.Call); ok && e.declared[cs.Out] && ir.StringField(cs.InType, "PageToken") && ir.StringField(cs.OutType, "NextPageToken") {
			g := e.varName(cs.Out) + "Tokens"
			guards[cs] = g
			out = append(out, jen.Id(g).Op(":=").Add(rt("NewPageTokens")).Call(jen.Lit(cs.Out.ID), jen.Id(e.varName(cs.Out)).Dot("NextPageToken")))
		}
	}
	for n, st := range s.Body {
		if n > 0 {
			body = append(body, jen.Line())
		}
		body = append(body, e.stmt(st, ret)...)
		if cs, ok := st.(*ir.Call); ok && guards[cs] != "" {
			body = append(body, jen.If(jen.Err().Op(":=").Id(guards[cs]).Dot("Next").Call(jen.Id(e.varName(cs.Out)).Dot("NextPageToken")), jen.Err().Op("!=").Nil()).Block(ret(jen.Err())))
		}
	}
	e.pop()
	return append(out, e.whileFor(s, cond, body))
}

// whileHead is a while loop's comment and where, its name in the run's
// error when it exceeds its bound. A loop without an id is named
// unnamed, its comment showing the condition as cond.
func (e *emitter) whileHead(s *ir.While, unnamed, cond string) (where string, comment jen.Code) {
	if s.ID != "" {
		where = fmt.Sprintf("while loop %s (%s)", s.ID, e.where(s.Pos))
		return where, commentf("while %q (%s): %s, at most %d iterations", s.ID, e.where(s.Pos), s.Cond.Src, s.Max)
	}
	return unnamed, commentf("while %s (%s): at most %d iterations", cond, e.where(s.Pos), s.Max)
}

// whileCheck starts a while loop's body in both targets: the bound's
// check, where naming the loop in the error, and, when the condition
// reads the clock, the reading and the condition's check. cond is the for
// clause's condition, nil when the body checks it.
func (e *emitter) whileCheck(s *ir.While, ret retFunc, where string) (body []jen.Code, cond jen.Code) {
	i := e.names.iter[s]
	body = append(body, jen.If(jen.Id(i).Op("==").Lit(int(s.Max))).Block(
		ret(rt("MaxIterations").Call(jen.Lit(where), jen.Lit(int(s.Max)))),
	))
	cond = e.exprCode(s.Cond)
	if e.nowVar(s) != "" {
		// The condition reads the clock: record it once per iteration.
		body = append(body, e.nowDecl(e.nowVar(s)), jen.If(jen.Op("!").Parens(e.exprCode(s.Cond))).Block(jen.Break()))
		cond = nil
	}
	return body, cond
}

// whileFor is the loop's for statement, counting iterations in the loop's
// variable.
func (e *emitter) whileFor(s *ir.While, cond jen.Code, body []jen.Code) jen.Code {
	i := e.names.iter[s]
	head := jen.For(jen.Id(i).Op(":=").Lit(0), cond, jen.Id(i).Op("++"))
	if cond == nil {
		head = jen.For(jen.Id(i).Op(":=").Lit(0), jen.Empty(), jen.Id(i).Op("++"))
	}
	return head.Block(body...)
}

// usesRun reports whether stmts refer to r: then a loop body needs its own
// journal scope.
func (e *emitter) usesRun(stmts []ir.Step) bool {
	for _, s := range stmts {
		switch s := s.(type) {
		case *ir.Call, *ir.Parallel, *ir.ForEach, *ir.Reset, *ir.Stream:
			return true
		case *ir.Map:
			if e.nowVar(s) != "" {
				return true
			}
		case *ir.Filter:
			if e.nowVar(s) != "" {
				return true
			}
		case *ir.If:
			if e.nowVar(s) != "" || e.usesRun(s.Then) || e.usesRun(s.Else) {
				return true
			}
		case *ir.While:
			if e.nowVar(s) != "" || e.usesRun(s.Body) {
				return true
			}
		case *ir.Seq:
			if e.usesRun(s.Body) {
				return true
			}
		}
	}
	return false
}

// parallel runs the branches through runtime.Parallel.
func (e *emitter) parallel(s *ir.Parallel, ret retFunc) []jen.Code {
	return e.parallelStep(s, ret, "")
}

// parallelStep is the parallel step of both targets: how says, in its
// comment, how the branches run, after "N branches".
func (e *emitter) parallelStep(s *ir.Parallel, ret retFunc, how string) []jen.Code {
	name := "parallel"
	if s.ID != "" {
		name = fmt.Sprintf("parallel %q", s.ID)
	}
	out := []jen.Code{commentf("%s (%s): %d branches%s; the first failure cancels the others", name, e.where(s.Pos), len(s.Branches), how)}
	var decls []jen.Code
	for _, b := range s.Outs {
		if b.Used {
			decls = append(decls, jen.Id(e.varName(b)).Add(e.TypeCode(b.Type)))
			e.declared[b] = true
		}
	}
	switch len(decls) {
	case 0:
	case 1:
		out = append(out, jen.Var().Add(decls[0]))
	default:
		out = append(out, jen.Var().Defs(decls...))
	}
	args := []jen.Code{jen.Id("ctx"), jen.Id("r"), jen.Lit(s.Key)}
	for _, br := range s.Branches {
		e.pushFunc()
		body := e.block(br, func(err jen.Code) jen.Code { return jen.Return(err) })
		e.pop()
		body = append(body, jen.Return(jen.Nil()))
		args = append(args, jen.Line().Add(e.target.stepFunc().Error().Block(body...)))
	}
	args = append(args, jen.Line())
	return append(out, jen.If(jen.Err().Op(":=").Add(e.target.lib("Parallel")).Call(args...), jen.Err().Op("!=").Nil()).Block(ret(jen.Err())))
}

// forEachHead is what both targets' for_each share: the step's comment
// (how says how items run at once, after "N at a time") and the item
// function, func(ctx, r, item) (result, error), its body the step's.
func (e *emitter) forEachHead(s *ir.ForEach, how string) (comment, fn jen.Code) {
	st := &s.Base
	desc := fmt.Sprintf("for_each %q (%s): over %s", st.ID, e.where(st.Pos), s.Src.Src)
	if st.ID == "" {
		desc = fmt.Sprintf("for_each over %s (%s)", s.Src.Src, e.where(st.Pos))
	}
	if s.Concurrency > 1 {
		if st.ID != "" {
			desc += ","
		} else {
			desc += ":"
		}
		desc += fmt.Sprintf(" %d at a time%s", s.Concurrency, how)
	}
	var result, zero, value jen.Code = jen.Struct(), jen.Struct().Values(), jen.Struct().Values()
	if s.Result != nil {
		result = e.TypeCode(s.Result)
		zero = e.ZeroCode(s.Result)
		switch {
		case s.Collect != nil:
			value = e.exprCode(s.Collect)
		case s.Last != nil:
			value = jen.Id(e.varName(s.Last))
		}
	}
	e.pushFunc()
	body := e.block(s.Body, func(err jen.Code) jen.Code { return jen.Return(zero, err) })
	e.pop()
	body = append(body, jen.Return(value, jen.Nil()))
	fn = e.target.stepFunc(jen.Id(e.varName(s.LoopVar)).Add(e.TypeCode(s.Elem))).Params(result, jen.Error()).Block(body...)
	return commentf("%s", desc), fn
}

// forEach runs the items through runtime.ForEach.
func (e *emitter) forEach(s *ir.ForEach, ret retFunc) []jen.Code {
	comment, fn := e.forEachHead(s, "")
	out := []jen.Code{comment}
	call := rt("ForEach").Call(jen.Id("ctx"), jen.Id("r"), jen.Lit(s.Key), e.exprCode(s.Src), jen.Lit(int(s.Concurrency)), jen.Line().Add(fn))
	if s.Out == nil || !s.Out.Used {
		return append(out, e.discard(call), jen.If(jen.Err().Op("!=").Nil()).Block(ret(jen.Err())))
	}
	return append(out, e.assignChecked(s.Out, call, ret)...)
}
