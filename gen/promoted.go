package gen

import (
	"go/types"
	"sort"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
)

// inputField is a field a node's `with` can set: a field of the input
// struct, or one promoted from a struct it embeds.
type inputField struct {
	v    *types.Var
	path []int // indexes of the embedded fields leading to v, outermost first
}

// inputFields lists the exported fields of struct type t that `with` can
// set, by Go's selector rules: a field of an embedded struct is promoted
// unless a shallower field has its name, or another embedded struct at the
// same depth has it too (then it is ambiguous and not listed). Embedded
// pointers and embedded unexported types are not followed: the generated
// literal could not set their fields.
func inputFields(t types.Type) []inputField {
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	type cand struct {
		inputField
		depth int
	}
	byName := map[string][]cand{}
	var order []string
	seen := map[*types.Struct]bool{}
	var walk func(st *types.Struct, path []int)
	walk = func(st *types.Struct, path []int) {
		if seen[st] {
			return
		}
		seen[st] = true
		defer delete(seen, st)
		for i := 0; i < st.NumFields(); i++ {
			f := st.Field(i)
			if f.Exported() {
				if _, ok := byName[f.Name()]; !ok {
					order = append(order, f.Name())
				}
				byName[f.Name()] = append(byName[f.Name()], cand{inputField{f, append([]int(nil), path...)}, len(path)})
			}
			// An embedded struct of an unexported type cannot be named in
			// the literal that would set its fields.
			if f.Embedded() && f.Exported() {
				if inner, ok := f.Type().Underlying().(*types.Struct); ok {
					walk(inner, append(append([]int(nil), path...), i))
				}
			}
		}
	}
	walk(st, nil)
	var out []inputField
	for _, name := range order {
		cs := byName[name]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].depth < cs[j].depth })
		if len(cs) > 1 && cs[1].depth == cs[0].depth {
			continue // ambiguous
		}
		out = append(out, cs[0].inputField)
	}
	return out
}

// fieldByName finds the field `with` key name sets.
func fieldByName(fields []inputField, name string) (inputField, bool) {
	for _, f := range fields {
		if f.v.Name() == name {
			return f, true
		}
	}
	return inputField{}, false
}

// inputLiteral renders the literal of input type t setting the with
// values (and extra, top-level items): a promoted field is set inside the
// literal of the struct that declares it, as Go requires
// (jira.FetchInput{Auth: jira.Auth{Token: ...}}).
func (e *emitter) inputLiteral(t types.Type, with []*ir.WithValue, extra ...jen.Code) jen.Code {
	items := e.nestedItems(t, with, 0)
	items = append(items, extra...)
	if len(items) == 0 {
		return e.typeCode(t).Values()
	}
	return e.typeCode(t).Add(multi(items...))
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
		items = append(items, field(emb.Name(), e.typeCode(emb.Type()).Add(multi(inner...))))
	}
	return items
}
