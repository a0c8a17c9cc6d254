package golang

import (
	"go/types"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
)

// inputLiteral renders the literal of input type t setting the with
// values (and extra, top-level items): a promoted field is set inside the
// literal of the struct that declares it, as Go requires
// (jira.FetchInput{Auth: jira.Auth{Token: ...}}).
func (e *emitter) inputLiteral(t types.Type, with []*ir.WithValue, extra ...jen.Code) jen.Code {
	items := e.nestedItems(t, with, 0)
	items = append(items, extra...)
	if len(items) == 0 {
		return e.TypeCode(t).Values()
	}
	return e.TypeCode(t).Add(multi(items...))
}

// nestedItems renders the items of the literal of t at embedding depth
// depth, in the order the with keys first reach them.
func (e *emitter) nestedItems(t types.Type, with []*ir.WithValue, depth int) []jen.Code {
	st, _ := t.Underlying().(*types.Struct)
	var items []jen.Code
	done := map[int]bool{}
	for i, w := range with {
		if len(w.Path) == depth {
			items = append(items, field(w.Field, e.withCode(w)))
			continue
		}
		idx := w.Path[depth]
		if done[idx] || st == nil {
			continue
		}
		done[idx] = true
		var group []*ir.WithValue
		for _, o := range with[i:] {
			if len(o.Path) > depth && o.Path[depth] == idx {
				group = append(group, o)
			}
		}
		emb := st.Field(idx)
		inner := e.nestedItems(emb.Type(), group, depth+1)
		items = append(items, field(emb.Name(), e.TypeCode(emb.Type()).Add(multi(inner...))))
	}
	return items
}

// retryCode writes a checked retry policy as a runtime.Retry.
func retryCode(r *ir.RetryPolicy) jen.Code {
	if r == nil {
		return rt("DefaultRetry")
	}
	var items []jen.Code
	if r.Attempts != 0 {
		items = append(items, field("Attempts", jen.Lit(r.Attempts)))
	}
	if r.Backoff != 0 {
		items = append(items, field("Backoff", durationCode(r.Backoff)))
	}
	if r.MaxBackoff != 0 {
		items = append(items, field("MaxBackoff", durationCode(r.MaxBackoff)))
	}
	return rt("Retry").Values(items...)
}

func (e *emitter) options(s *ir.Call, recover bool) jen.Code {
	var items []jen.Code
	items = append(items, field("Retry", retryCode(s.Retry)))
	if s.Timeout > 0 {
		items = append(items, field("Timeout", durationCode(s.Timeout)))
	}
	if recover {
		items = append(items, field("Recover", jen.True()))
	}
	if s.RateLimit != "" {
		items = append(items, field("RateLimit", jen.Lit(s.RateLimit)))
	}
	return e.namedOptions("Options", items, s.Key, e.where(s.Pos))
}

// input renders the node's input struct literal.
func (e *emitter) input(s *ir.Call) jen.Code {
	return e.inputLiteral(s.InType, s.With)
}

func (e *emitter) withCode(w *ir.WithValue) jen.Code {
	switch {
	case w.Select != nil:
		lits := make([]jen.Code, len(w.Select))
		for i, n := range w.Select {
			lits[i] = jen.Lit(n)
		}
		return jen.Index().String().Add(valuesFit(lits...))
	case w.Lit != nil:
		return e.literal(w.Lit)
	case w.Expr != nil:
		return e.exprCode(w.Expr)
	case w.Parts != nil:
		return e.interpCode(w.Parts)
	}
	panic("unreachable: a with value without a value")
}

// callValue renders runtime.Call(ctx, r, key, opts, func...).
func (e *emitter) callValue(s *ir.Call, recover bool) jen.Code {
	var arg jen.Code = e.input(s)
	if e.inVar(s) != "" {
		arg = jen.Id(e.inVar(s))
	}
	fn := jen.Func().Params(jen.Id("ctx").Qual("context", "Context")).Params(e.TypeCode(s.OutType), jen.Error()).Block(
		jen.Return(jen.Qual(s.PkgPath, s.FuncName).Call(jen.Id("ctx"), arg)),
	)
	return rt("Call").Call(jen.Id("ctx"), jen.Id("r"), jen.Lit(s.Key), e.options(s, recover), jen.Line().Add(fn))
}

func (e *emitter) call(s *ir.Call, ret retFunc) []jen.Code {
	st := &s.Base
	var out []jen.Code
	out = append(out, commentf("step %q (%s): %s", st.ID, e.where(st.Pos), s.Node))
	out = append(out, e.callPrelude(s)...)
	recover := s.OnError != nil && s.OnError.Action == "continue"
	call := e.callValue(s, recover)
	handle := e.onError(s, ret)
	var success []jen.Code
	if s.Advance != nil {
		success = append(success, e.advanceCode(s.Advance))
	}

	used := s.Out != nil && s.Out.Used
	if !used {
		out = append(out, e.discard(call))
	} else {
		out = append(out, e.assignErr(s.Out, call)...)
	}
	return append(out, checked(jen.If(jen.Err().Op("!=").Nil()).Block(handle...), success, recover)...)
}

// callPrelude is what precedes a call step's call in both targets: the
// clock readings its input and on_error handler's input use, and its
// input when it is bound to a variable.
func (e *emitter) callPrelude(s *ir.Call) []jen.Code {
	var out []jen.Code
	if e.nowVar(s) != "" {
		out = append(out, e.nowDecl(e.nowVar(s)))
	}
	if s.OnError != nil && s.OnError.Handler != nil && e.nowVar(s.OnError.Handler) != "" {
		out = append(out, e.nowDecl(e.nowVar(s.OnError.Handler)))
	}
	if e.inVar(s) != "" {
		out = append(out, jen.Id(e.inVar(s)).Op(":=").Add(e.input(s)))
	}
	return out
}

// checked follows cond, the check of a call's err that runs the on_error
// handling, with success, the statements run once the call succeeded: in
// cond's else branch where the step continues past a failure (recover).
func checked(cond *jen.Statement, success []jen.Code, recover bool) []jen.Code {
	if len(success) == 0 {
		return []jen.Code{cond}
	}
	if recover {
		return []jen.Code{cond.Else().Block(success...)}
	}
	return append([]jen.Code{cond}, success...)
}

// assignErr writes `x, err := call`, or `x, err = call` when x is declared
// already (after `var err error` if err is not): the call's output kept,
// its error checked by the statement that follows.
func (e *emitter) assignErr(b *ir.Binding, call jen.Code) []jen.Code {
	var out []jen.Code
	op := e.assignOp(b)
	if op == "=" && !e.errInScope() {
		out = append(out, jen.Var().Err().Error())
	}
	e.declareErr()
	return append(out, jen.List(jen.Id(e.varName(b)), jen.Err()).Op(op).Add(call))
}

// assignChecked is assignErr followed by the check: a failed call returns
// its error through ret.
func (e *emitter) assignChecked(b *ir.Binding, call jen.Code, ret retFunc) []jen.Code {
	return append(e.assignErr(b, call), jen.If(jen.Err().Op("!=").Nil()).Block(ret(jen.Err())))
}

// discard writes `_, err := call`, or `_, err = call` when err is already
// declared in the function: an output nobody reads, its error checked by
// the statement that follows.
func (e *emitter) discard(call jen.Code) jen.Code {
	op := ":="
	if e.errInScope() {
		op = "="
	}
	e.declareErr()
	return jen.List(jen.Id("_"), jen.Err()).Op(op).Add(call)
}

// onError renders what happens when the step's call fails for good.
func (e *emitter) onError(s *ir.Call, ret retFunc) []jen.Code {
	var out []jen.Code
	for _, name := range s.Rollback {
		out = append(out, jen.Id("r").Dot("Rollback").Call(jen.Lit(name)))
	}
	var handler []jen.Code
	if oe := s.OnError; oe != nil && oe.Handler != nil {
		h := oe.Handler
		handler = append(handler, commentf("on_error (%s): %s, then %s", posOf(oe.Pos), h.Node, oe.Action),
			runHandler(e.callValue(h, false), ret))
	}
	return append(out, failed(s, ret, handler)...)
}

// runHandler runs an on_error handler by call: its own failure returns
// its error through ret.
func runHandler(call jen.Code, ret retFunc) jen.Code {
	return jen.If(jen.List(jen.Id("_"), jen.Id("herr")).Op(":=").Add(call), jen.Id("herr").Op("!=").Nil()).Block(
		ret(jen.Id("herr")),
	)
}

// failed is what both targets do when a call step fails for good, after
// the rollback: handler (the statements that run its on_error handler,
// if it has one) or a comment naming the on_error action, then, with
// on_error = "continue", the step's failure recorded; else the error
// returned through ret.
func failed(s *ir.Call, ret retFunc, handler []jen.Code) []jen.Code {
	oe := s.OnError
	if oe == nil {
		return []jen.Code{ret(jen.Err())}
	}
	out := handler
	if oe.Handler == nil {
		out = append(out, commentf("on_error = %q (%s)", oe.Action, posOf(oe.Pos)))
	}
	if oe.Action == "continue" {
		return append(out, jen.Id("r").Dot("Failed").Call(jen.Lit(s.ID), jen.Err()))
	}
	return append(out, ret(jen.Err()))
}

// advanceCode stages the advance's value for its cursor with the runtime's
// typed method: an integer with AdvanceInt (even if it has a String method:
// a cursor is compared and stored, not read), a time.Time with AdvanceTime
// (which writes it in the cursor's layout), text with Advance.
func (e *emitter) advanceCode(a *ir.Advance) jen.Code {
	x := a.Expr
	switch a.Kind {
	case "int":
		v := e.exprCode(x)
		if b, ok := x.Type.(*types.Basic); !ok || b.Kind() != types.Int64 {
			v = jen.Int64().Call(v)
		}
		return jen.Id("r").Dot("AdvanceInt").Call(jen.Lit(a.Cursor), v)
	case "time":
		return jen.Id("r").Dot("AdvanceTime").Call(jen.Lit(a.Cursor), e.exprCode(x))
	}
	return jen.Id("r").Dot("Advance").Call(jen.Lit(a.Cursor), e.stringCode(x))
}
