package gen

import (
	"fmt"
	"go/types"

	"github.com/resolute/resolute-gen/spec"
)

func (c *checker) checkIf(s *scope, st *spec.Step) stmt {
	x := &ifStmt{base: base{st}}
	if st.ID.Set() {
		c.bindBlockID(s, st)
	}
	x.cond = c.sourceExpr(s, st.Cond, c.peekName("now"))
	if x.cond != nil {
		x.nowVar = c.takeNow(x.cond.now)
		c.isBool(x.cond)
	}
	x.then = c.checkBlock(newScope(s), st.Then, fmt.Sprintf("inside the then block of the if at %s", st.Pos))
	x.els = c.checkBlock(newScope(s), st.Else, fmt.Sprintf("inside the else block of the if at %s", st.Pos))
	if x.cond == nil {
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

func (c *checker) checkWhile(s *scope, st *spec.Step) stmt {
	x := &whileStmt{base: base{st}, key: c.blockKey(st, "while"), max: st.MaxIterations.Value}
	if st.ID.Set() {
		c.bindBlockID(s, st)
	}
	x.cond = c.sourceExpr(s, st.Cond, c.peekName("now"))
	if x.cond != nil {
		x.nowVar = c.takeNow(x.cond.now)
		c.isBool(x.cond)
	}
	c.loop = &loopCtx{parent: c.loop, outer: s, rebound: map[string]spec.Pos{}}
	x.body = c.checkBlock(newScope(s), st.Do, fmt.Sprintf("inside the while loop at %s", st.Pos))
	c.loop = c.loop.parent
	x.iterVar = c.newName("i")
	if x.cond == nil {
		return nil
	}
	return x
}

// bindBlockID reserves the id of a step that has no value (while,
// parallel, if, do, reset_cursor) so it cannot be reused.
func (c *checker) bindBlockID(s *scope, st *spec.Step) {
	if prev, ok := c.defined[st.ID.Value]; ok {
		c.errs.Add(st.ID.Pos, "step id %s is already defined at %s", st.ID.Value, prev.pos)
		return
	}
	c.defined[st.ID.Value] = &binding{id: st.ID.Value, pos: st.ID.Pos, block: st.Kind.String()}
}

func (c *checker) checkParallel(s *scope, st *spec.Step) stmt {
	x := &parallelStmt{base: base{st}, key: c.blockKey(st, "parallel")}
	if st.ID.Set() {
		c.bindBlockID(s, st)
	}
	// Each branch checks in its own scope, blind to the other branches
	// (they run at the same time); the branches' top-level outputs are then
	// defined in s, where the steps after the block see them.
	var outs []*binding
	for _, br := range st.Branches {
		bs := newScope(s)
		leave := c.enterConcurrent(bs, "a parallel branch runs at the same time as the others")
		var body []stmt
		if br.Kind == spec.StepSequence {
			body = c.checkBlock(bs, br.Do, "")
		} else if y := c.checkStep(bs, br); y != nil {
			body = []stmt{y}
		}
		leave()
		for _, b := range bs.order {
			if b.kind == bindStep {
				b.where = fmt.Sprintf("in another branch of the parallel block at %s, which runs at the same time", st.Pos)
				outs = append(outs, b)
			}
		}
		x.branches = append(x.branches, body)
	}
	for _, b := range outs {
		b.where = ""
		if prev := s.lookup(b.id); prev != nil && prev != b {
			continue // reported by bind
		}
		b.predeclared = true
		s.define(b)
		x.outs = append(x.outs, b)
	}
	return x
}

func (c *checker) checkForEach(s *scope, st *spec.Step) stmt {
	x := &forEachStmt{base: base{st}, key: c.blockKey(st, "for_each"), concurrency: 1}
	if st.Concurrency.Set() {
		x.concurrency = st.Concurrency.Value
	}
	x.src = c.sourceExpr(s, st.Source, "")
	if x.src != nil {
		x.elem = c.elemOf(x.src, "for_each")
	}
	inner := newScope(s)
	if x.elem == nil {
		// Check the body all the same, for its own mistakes; expressions
		// that use the loop variable are not checked.
		name := "it"
		if st.As.Set() {
			name = st.As.Value
		}
		inner.define(&binding{id: name, kind: bindLoopVar, broken: true})
		body := newScope(inner)
		leave := c.enterConcurrent(body, "a for_each body may run its items at the same time")
		c.checkBlock(body, st.Do, fmt.Sprintf("inside the for_each loop at %s", st.Pos))
		leave()
		c.bindBroken(s, st.ID)
		return nil
	}
	x.loopVar = c.loopVar(inner, st, x.elem)
	body := newScope(inner)
	leave := c.enterConcurrent(body, "a for_each body may run its items at the same time")
	x.body = c.checkBlock(body, st.Do, "")
	leave()
	switch {
	case st.Collect.Set():
		x.collect = c.sourceExpr(body, st.Collect, "")
		if x.collect == nil {
			return nil
		}
		if !c.checkJSONType(x.collect.typ, x.collect.pos, "collect "+x.collect.src, "cannot be collected", "the collected values are the step's output, which must be data that JSON can write") {
			return nil
		}
		if x.collect.now {
			c.errs.Add(x.collect.pos, "collect cannot call now(); record the time in a step of the loop instead")
			return nil
		}
		x.result = x.collect.typ
	case st.ID.Set():
		for i := len(body.order) - 1; i >= 0; i-- {
			if body.order[i].kind == bindStep {
				x.last = body.order[i]
				break
			}
		}
		if x.last == nil {
			c.errs.Add(st.ID.Pos, "for_each %s has an id but its do block defines no output to collect; add collect = \"expr\" or drop the id", st.ID.Value)
			return nil
		}
		x.last.used = true
		x.result = x.last.typ
	}
	for _, b := range body.order {
		b.where = fmt.Sprintf("inside the for_each loop at %s", st.Pos)
	}
	if st.ID.Set() {
		x.out = c.bind(s, st.ID, types.NewSlice(x.result), "for_each")
	}
	return x
}
