package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// streamResultType is runtime.StreamResult as the checker sees it.
func streamResultType() types.Type {
	pkg := types.NewPackage(RuntimePath, "runtime")
	st := types.NewStruct([]*types.Var{
		types.NewField(token.NoPos, pkg, "Pages", types.Typ[types.Int], false),
		types.NewField(token.NoPos, pkg, "Items", types.Typ[types.Int], false),
	}, nil)
	return types.NewNamed(types.NewTypeName(token.NoPos, pkg, "StreamResult", nil), st, nil)
}

// stringField reports whether struct type t has a field name of type string.
func stringField(t types.Type, name string) bool {
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := 0; i < st.NumFields(); i++ {
		if f := st.Field(i); f.Name() == name {
			return types.Identical(f.Type(), types.Typ[types.String])
		}
	}
	return false
}

// sliceField reports whether struct type t has a slice field name.
func sliceField(t types.Type, name string) bool {
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := 0; i < st.NumFields(); i++ {
		if f := st.Field(i); f.Name() == name {
			_, ok := f.Type().Underlying().(*types.Slice)
			return ok
		}
	}
	return false
}

func (c *checker) checkStream(s *scope, st *spec.Step) ir.Step {
	x := &ir.Stream{Base: ir.Base{Spec: st}, Key: st.ID.Value, ReadAhead: 1}
	rateLimit := c.rateLimitRef(st)
	if st.ReadAhead.Set() {
		x.ReadAhead = int(st.ReadAhead.Value)
	}
	// The body re-runs as a unit when its page is fetched again after a
	// crash; what it cannot undo or replay is refused here.
	refuse := func(in *spec.Step) {
		switch {
		case in.Kind == spec.StepStream:
			c.errs.Add(in.KindPos, "a stream cannot run inside the body of stream %s (%s); streams do not nest: read the inner source with call", st.ID.Value, st.Pos)
		case in.Kind == spec.StepResetCursor:
			c.errs.Add(in.KindPos, "reset_cursor cannot run inside the body of stream %s (%s): a page's body is not replayed after a resume, so the reset would be forgotten; reset the cursor before the stream", st.ID.Value, st.Pos)
		case len(in.RollbackCursor) > 0:
			c.errs.Add(in.RollbackCursor[0].Pos, "rollback_cursor cannot be used inside the body of stream %s (%s): a page's body is not replayed after a resume, so the rollback would be forgotten", st.ID.Value, st.Pos)
		}
	}
	var walk func(steps []*spec.Step)
	walk = func(steps []*spec.Step) {
		for _, in := range steps {
			refuse(in)
			if in.Kind != spec.StepStream { // an inner stream's body is its own error
				walk(in.Then)
				walk(in.Else)
				walk(in.Do)
				walk(in.Branches)
			}
		}
	}
	walk(st.Do)
	var with []*spec.Field
	for _, w := range st.With {
		if w.Key != "PageToken" { // the spec reader reported it
			with = append(with, w)
		}
	}
	src := c.checkNodeCall(s, st.Stream, with, st.WithPos, exprEnv{scope: s})
	if src != nil {
		in, out := c.typeString(src.InType), c.typeString(src.OutType)
		switch {
		case !stringField(src.InType, "PageToken"):
			c.errs.Add(st.Stream.Pos, "%s is not a paged source: its input %s has no PageToken string field; a paged source takes the page token in In.PageToken and returns the next page's in Out.NextPageToken", st.Stream.Value, in)
			src = nil
		case !stringField(src.OutType, "NextPageToken"):
			c.errs.Add(st.Stream.Pos, "%s is not a paged source: its output %s has no NextPageToken string field; a paged source takes the page token in In.PageToken and returns the next page's in Out.NextPageToken", st.Stream.Value, out)
			src = nil
		}
	}
	inner := newScope(s)
	name, pos := "page", st.Pos
	if st.As.Set() {
		name, pos = st.As.Value, st.As.Pos
	}
	if prev := s.lookup(name); prev != nil && prev.Kind == ir.BindStep {
		c.errs.Add(pos, "as = %q hides step %s defined at %s; choose another name", name, name, prev.Pos)
	}
	x.Page = &ir.Binding{ID: name, GoName: c.localName(name, "(page)"), Pos: pos, Kind: ir.BindLoopVar, Broken: src == nil}
	if src != nil {
		x.Page.Type = src.OutType
	}
	inner.define(x.Page)
	body := newScope(inner)
	leave := c.enterConcurrent(body, "a stream's body runs once per page and a resumed run skips the pages already done")
	x.Body = c.checkBlock(body, st.Do, fmt.Sprintf("inside the stream at %s", st.Pos))
	leave()
	if src == nil {
		if st.Advance != nil {
			c.checkCursorName(st.Advance.Cursor)
		}
		c.bindBroken(s, st.ID)
		return nil
	}
	src.Base = ir.Base{Spec: st}
	src.Key = st.ID.Value
	src.Retry = checkRetry(st.Retry)
	src.RateLimit = rateLimit
	if st.Timeout.Set() {
		if d, err := time.ParseDuration(st.Timeout.Value); err == nil && d > 0 {
			src.Timeout = d
		}
	}
	x.Src = src
	x.Items = sliceField(src.OutType, "Items")
	x.TokenVar = c.newName("pageToken")
	if st.Advance != nil {
		// Evaluated on each page, inside the body: a now() there is the
		// page's own reading.
		tmp := &ir.Call{}
		x.Advance = c.checkAdvance(inner, st, tmp)
		x.AdvanceNow = tmp.NowVar
	}
	x.Out = c.bind(s, st.ID, streamResultType(), "stream")
	if x.Out == nil {
		return nil
	}
	return x
}

// ---- emit ----

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

func (e *emitter) stream(s *ir.Stream, ret retFunc) []jen.Code {
	st := s.Spec
	ahead := "no page read ahead"
	switch s.ReadAhead {
	case 0:
	case 1:
		ahead = "1 page read ahead"
	default:
		ahead = fmt.Sprintf("%d pages read ahead", s.ReadAhead)
	}
	out := []jen.Code{commentf("stream %q (%s): %s page by page, %s; one journal record per page", st.ID.Value, e.where(st), st.Stream.Value, ahead)}
	src := s.Src
	if src.NowVar != "" {
		out = append(out, e.nowDecl(src.NowVar))
	}

	opts := []jen.Code{field("Retry", retryCode(src.Retry))}
	if src.Timeout > 0 {
		opts = append(opts, field("Timeout", durationCode(src.Timeout)))
	}
	opts = append(opts, field("ReadAhead", jen.Lit(s.ReadAhead)))
	if src.RateLimit != "" {
		opts = append(opts, field("RateLimit", jen.Lit(src.RateLimit)))
	}

	outType := e.typeCode(src.OutType)
	fetch := jen.Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id(s.TokenVar).String()).Params(outType, jen.Error()).Block(
		jen.Return(jen.Qual(src.PkgPath, src.FuncName).Call(jen.Id("ctx"), e.inputLiteral(src.InType, src.With, field("PageToken", jen.Id(s.TokenVar))))),
	)

	page := s.Page.GoName
	var items jen.Code = jen.Lit(0)
	if s.Items {
		items = jen.Len(jen.Id(page).Dot("Items"))
	}
	next := jen.Func().Params(jen.Id(page).Add(e.typeCode(src.OutType))).Params(jen.String(), jen.Int()).Block(
		jen.Return(jen.Id(page).Dot("NextPageToken"), items),
	)

	e.pushFunc()
	e.inPage++
	body := e.block(s.Body, func(err jen.Code) jen.Code { return jen.Return(err) })
	if a := s.Advance; a != nil {
		if len(body) > 0 {
			body = append(body, jen.Line())
		}
		body = append(body, commentf("advance (%s): staged with the page's journal record", posOf(st.Advance.Pos)))
		if s.AdvanceNow != "" {
			body = append(body, e.nowDecl(s.AdvanceNow))
		}
		body = append(body, advanceCode(a))
	}
	body = append(body, jen.Return(jen.Nil()))
	e.inPage--
	e.pop()
	fn := jen.Func().Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("r").Op("*").Add(rt("Run")), jen.Id(page).Add(outType)).Error().Block(body...)

	call := rt("Stream").Call(jen.Id("ctx"), jen.Id("r"), jen.Lit(s.Key), e.namedOptions("StreamOptions", opts, s.Key, e.where(st)),
		jen.Line().Add(fetch), jen.Line().Add(next), jen.Line().Add(fn))
	if !s.Out.Used {
		return append(out, e.discard(call), jen.If(jen.Err().Op("!=").Nil()).Block(ret(jen.Err())))
	}
	op := e.assignOp(s.Out)
	if op == "=" && !e.errInScope() {
		out = append(out, jen.Var().Err().Error())
	}
	e.declareErr()
	return append(out,
		jen.List(jen.Id(s.Out.GoName), jen.Err()).Op(op).Add(call),
		jen.If(jen.Err().Op("!=").Nil()).Block(ret(jen.Err())),
	)
}
