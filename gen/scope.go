package gen

import (
	"go/types"
	"sort"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// bind defines the output of a step in s. It handles re-binding inside a
// while loop: an id defined outside the innermost loop may be assigned again
// with a value of the same type. It returns nil if the id is unusable.
func (c *checker) bind(s *scope, id spec.String, typ types.Type, what string) *ir.Binding {
	if !id.Set() {
		return nil
	}
	if prev := s.lookup(id.Value); prev != nil && prev.Kind == ir.BindStep {
		if c.loop != nil && c.loop.outer.lookup(id.Value) == prev && definedBelow(c.loop.outer, c.floor, prev) {
			if prev.Broken {
				return nil // the first definition's error says enough
			}
			if first, twice := c.loop.rebound[id.Value]; twice {
				c.errs.Add(id.Pos, "%s is already re-bound in this loop at %s; re-bind it once per iteration", id.Value, first)
				return nil
			}
			if !types.Identical(prev.Type, typ) {
				c.errs.Add(id.Pos, "cannot re-bind %s to %s: it was defined at %s as %s; a loop may re-bind an id only with the same type",
					id.Value, c.typeString(typ), prev.Pos, c.typeString(prev.Type))
				return nil
			}
			c.loop.rebound[id.Value] = id.Pos
			prev.Predeclared = true
			return prev
		}
		switch {
		case c.floor != nil && !definedBelow(s, c.floor, prev):
			c.errs.Add(id.Pos, "step id %s is already defined at %s; %s, so it cannot re-bind an id defined outside it", id.Value, prev.Pos, c.floorWhy)
		default:
			c.errs.Add(id.Pos, "step id %s is already defined at %s; only a step inside a while loop may re-bind an id defined before the loop", id.Value, prev.Pos)
		}
		return nil
	}
	if prev, ok := c.defined[id.Value]; ok {
		c.errs.Add(id.Pos, "step id %s is already defined at %s", id.Value, prev.Pos)
		return nil
	}
	b := &ir.Binding{ID: id.Value, Type: typ, Pos: id.Pos, Kind: ir.BindStep}
	s.define(b)
	c.defined[id.Value] = b
	return b
}

// definedBelow reports whether b is defined in from or one of its parents
// up to floor (nil: the flow's top).
func definedBelow(from, floor *scope, b *ir.Binding) bool {
	for sc := from; sc != nil; sc = sc.parent {
		if sc.names[b.ID] == b {
			return true
		}
		if sc == floor {
			break
		}
	}
	return false
}

// enterConcurrent starts checking a block whose runs may overlap (a for_each
// body, a parallel branch): its steps must not re-bind ids from outside it.
// It returns the function that restores the outer state.
func (c *checker) enterConcurrent(floor *scope, why string) func() {
	loop, oldFloor, oldWhy := c.loop, c.floor, c.floorWhy
	c.loop, c.floor, c.floorWhy = nil, floor, why
	return func() { c.loop, c.floor, c.floorWhy = loop, oldFloor, oldWhy }
}

// bindBroken defines id for a step that failed to check, so that later
// expressions using it are not reported again.
func (c *checker) bindBroken(s *scope, id spec.String) {
	if !id.Set() || s.lookup(id.Value) != nil {
		return
	}
	b := &ir.Binding{ID: id.Value, Pos: id.Pos, Kind: ir.BindStep, Broken: true}
	s.define(b)
	if _, ok := c.defined[id.Value]; !ok {
		c.defined[id.Value] = b
	}
}

// requireID reports a step kind that needs an id to be useful.
func (c *checker) requireID(st *spec.Step) bool {
	if st.ID.Set() {
		return true
	}
	c.errs.Add(st.Pos, "%s step needs an id: later steps refer to its result by id", st.Kind)
	return false
}

// scope is one level of names: the flow, or a block.
type scope struct {
	parent *scope
	names  map[string]*ir.Binding
	order  []*ir.Binding
}

func newScope(parent *scope) *scope {
	return &scope{parent: parent, names: map[string]*ir.Binding{}}
}

func (s *scope) lookup(name string) *ir.Binding {
	for ; s != nil; s = s.parent {
		if b, ok := s.names[name]; ok {
			return b
		}
	}
	return nil
}

func (s *scope) define(b *ir.Binding) {
	s.names[b.ID] = b
	s.order = append(s.order, b)
}

// visible lists every visible name, for suggestions.
func (s *scope) visible() []string {
	var names []string
	seen := map[string]bool{}
	for ; s != nil; s = s.parent {
		for n := range s.names {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}
