package gen

import (
	"fmt"
	"go/types"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

func (c *checker) checkIf(s *scope, st *spec.Step) ir.Step {
	x := &ir.If{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}}
	if st.ID.Set() {
		c.bindBlockID(s, st)
	}
	x.Cond = c.sourceExpr(s, st.Cond)
	if x.Cond != nil {
		c.isBool(x.Cond)
	}
	x.Then = c.checkBlock(newScope(s), st.Then, fmt.Sprintf("inside the then block of the if at %s", st.Pos))
	x.Else = c.checkBlock(newScope(s), st.Else, fmt.Sprintf("inside the else block of the if at %s", st.Pos))
	if x.Cond == nil {
		return nil
	}
	return x
}

func (c *checker) blockKey(st *spec.Step, kind string) string {
	if st.ID.Set() {
		return st.ID.Value
	}
	// Structural, not positional: the ordinal among the flow's unnamed
	// blocks of this kind, so that a comment line does not change the key.
	c.counter["#"+kind]++
	return fmt.Sprintf("%s#%d", kind, c.counter["#"+kind])
}

func (c *checker) checkWhile(s *scope, st *spec.Step) ir.Step {
	x := &ir.While{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}, Key: c.blockKey(st, "while"), Max: st.MaxIterations.Value}
	if st.ID.Set() {
		c.bindBlockID(s, st)
	}
	x.Cond = c.sourceExpr(s, st.Cond)
	if x.Cond != nil {
		c.isBool(x.Cond)
	}
	c.loop = &loopCtx{parent: c.loop, outer: s, rebound: map[string]spec.Pos{}}
	x.Body = c.checkBlock(newScope(s), st.Do, fmt.Sprintf("inside the while loop at %s", st.Pos))
	c.loop = c.loop.parent
	if x.Cond == nil {
		return nil
	}
	return x
}

// bindBlockID reserves the id of a step that has no value (while,
// parallel, if, do, reset_cursor) so it cannot be reused.
func (c *checker) bindBlockID(s *scope, st *spec.Step) {
	if prev, ok := c.defined[st.ID.Value]; ok {
		c.errs.Add(st.ID.Pos, "step id %s is already defined at %s", st.ID.Value, prev.Pos)
		return
	}
	c.defined[st.ID.Value] = &ir.Binding{ID: st.ID.Value, Pos: st.ID.Pos, Block: st.Kind.String()}
}

func (c *checker) checkParallel(s *scope, st *spec.Step) ir.Step {
	x := &ir.Parallel{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}, Key: c.blockKey(st, "parallel")}
	if st.ID.Set() {
		c.bindBlockID(s, st)
	}
	// Each branch checks in its own scope, blind to the other branches
	// (they run at the same time); the branches' top-level outputs are then
	// defined in s, where the steps after the block see them.
	var outs []*ir.Binding
	for _, br := range st.Branches {
		bs := newScope(s)
		leave := c.enterConcurrent(bs, "a parallel branch runs at the same time as the others")
		var body []ir.Step
		if br.Kind == spec.StepSequence {
			body = c.checkBlock(bs, br.Do, "")
		} else if y := c.checkStep(bs, br); y != nil {
			body = []ir.Step{y}
		}
		leave()
		for _, b := range bs.order {
			if b.Kind == ir.BindStep {
				b.Where = fmt.Sprintf("in another branch of the parallel block at %s, which runs at the same time", st.Pos)
				outs = append(outs, b)
			}
		}
		x.Branches = append(x.Branches, body)
	}
	for _, b := range outs {
		b.Where = ""
		if prev := s.lookup(b.ID); prev != nil && prev != b {
			continue // reported by bind
		}
		b.Predeclared = true
		s.define(b)
		x.Outs = append(x.Outs, b)
	}
	return x
}

func (c *checker) checkForEach(s *scope, st *spec.Step) ir.Step {
	x := &ir.ForEach{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}, Key: c.blockKey(st, "for_each"), Concurrency: 1}
	if st.Concurrency.Set() {
		x.Concurrency = st.Concurrency.Value
	}
	x.Src = c.sourceExpr(s, st.Source)
	if x.Src != nil {
		x.Elem = c.elemOf(x.Src, "for_each")
	}
	inner := newScope(s)
	if x.Elem == nil {
		// Check the body all the same, for its own mistakes; expressions
		// that use the loop variable are not checked.
		name := "it"
		if st.As.Set() {
			name = st.As.Value
		}
		inner.define(&ir.Binding{ID: name, Kind: ir.BindLoopVar, Broken: true})
		body := newScope(inner)
		leave := c.enterConcurrent(body, "a for_each body may run its items at the same time")
		c.checkBlock(body, st.Do, fmt.Sprintf("inside the for_each loop at %s", st.Pos))
		leave()
		c.bindBroken(s, st.ID)
		return nil
	}
	x.LoopVar = c.loopVar(inner, st, x.Elem)
	body := newScope(inner)
	leave := c.enterConcurrent(body, "a for_each body may run its items at the same time")
	x.Body = c.checkBlock(body, st.Do, "")
	leave()
	switch {
	case st.Collect.Set():
		x.Collect = c.sourceExpr(body, st.Collect)
		if x.Collect == nil {
			return nil
		}
		if !c.checkJSONType(x.Collect.Type, x.Collect.Pos, "collect "+x.Collect.Src, "cannot be collected", "the collected values are the step's output, which must be data that JSON can write") {
			return nil
		}
		if x.Collect.Now {
			c.errs.Add(x.Collect.Pos, "collect cannot call now(); record the time in a step of the loop instead")
			return nil
		}
		x.Result = x.Collect.Type
	case st.ID.Set():
		for i := len(body.order) - 1; i >= 0; i-- {
			if body.order[i].Kind == ir.BindStep {
				x.Last = body.order[i]
				break
			}
		}
		if x.Last == nil {
			c.errs.Add(st.ID.Pos, "for_each %s has an id but its do block defines no output to collect; add collect = \"expr\" or drop the id", st.ID.Value)
			return nil
		}
		x.Last.Used = true
		x.Result = x.Last.Type
	}
	for _, b := range body.order {
		b.Where = fmt.Sprintf("inside the for_each loop at %s", st.Pos)
	}
	if st.ID.Set() {
		x.Out = c.bind(s, st.ID, types.NewSlice(x.Result), "for_each")
	}
	return x
}
