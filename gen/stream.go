package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"time"

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
	x := &ir.Stream{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}, Key: st.ID.Value, ReadAhead: 1}
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
		case !ir.StringField(src.InType, "PageToken"):
			c.errs.Add(st.Stream.Pos, "%s is not a paged source: its input %s has no PageToken string field; a paged source takes the page token in In.PageToken and returns the next page's in Out.NextPageToken", st.Stream.Value, in)
			src = nil
		case !ir.StringField(src.OutType, "NextPageToken"):
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
	x.Page = &ir.Binding{ID: name, Pos: pos, Kind: ir.BindLoopVar, Broken: src == nil}
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
	src.Base = ir.Base{ID: st.ID.Value, Pos: st.Pos}
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
	if st.Advance != nil {
		// Evaluated on each page, inside the body: a now() there is the
		// page's own reading.
		x.Advance = c.checkAdvance(inner, st)
	}
	x.Out = c.bind(s, st.ID, streamResultType(), "stream")
	if x.Out == nil {
		return nil
	}
	return x
}
