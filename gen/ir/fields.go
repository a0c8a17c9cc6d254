package ir

import (
	"go/types"
	"sort"
)

// InputField is a field a node's `with` can set: a field of the input
// struct, or one promoted from a struct it embeds.
type InputField struct {
	Var  *types.Var
	Path []int // indexes of the embedded fields leading to v, outermost first
}

// InputFields lists the exported fields of struct type t that `with` can
// set, by Go's selector rules: a field of an embedded struct is promoted
// unless a shallower field has its name, or another embedded struct at the
// same depth has it too (then it is ambiguous and not listed). Embedded
// pointers and embedded unexported types are not followed: the generated
// literal could not set their fields.
func InputFields(t types.Type) []InputField {
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return nil
	}
	type cand struct {
		InputField
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
				byName[f.Name()] = append(byName[f.Name()], cand{InputField{f, append([]int(nil), path...)}, len(path)})
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
	var out []InputField
	for _, name := range order {
		cs := byName[name]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].depth < cs[j].depth })
		if len(cs) > 1 && cs[1].depth == cs[0].depth {
			continue // ambiguous
		}
		out = append(out, cs[0].InputField)
	}
	return out
}

// FieldByName finds the field `with` key name sets.
func FieldByName(fields []InputField, name string) (InputField, bool) {
	for _, f := range fields {
		if f.Var.Name() == name {
			return f, true
		}
	}
	return InputField{}, false
}

// StringField reports whether struct type t has a field name of type string.
func StringField(t types.Type, name string) bool {
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
