package gen

import (
	"fmt"
	"go/types"
	"strings"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// shapeMismatch compares a generic field type with the type of its value
// at the top level: a []T field given a non-slice. It returns the expected
// shape as a format for the value's type ("[]%s"), or "" if they agree.
func shapeMismatch(param, arg types.Type) string {
	switch types.Unalias(param).(type) {
	case *types.Slice:
		if _, ok := arg.Underlying().(*types.Slice); !ok {
			return "[]%s"
		}
	case *types.Pointer:
		if _, ok := arg.Underlying().(*types.Pointer); !ok {
			return "*%s"
		}
	case *types.Map:
		if _, ok := arg.Underlying().(*types.Map); !ok {
			return "a map of %s"
		}
	}
	return ""
}

// article prefixes a type name with "a" or "an" for messages.
func article(s string) string {
	if s != "" && strings.ContainsRune("aeiouAEIOU", rune(s[0])) {
		return "an " + s
	}
	return "a " + s
}

// cannotInfer reports a type parameter of a generic node that no with
// value determines.
func (c *checker) cannotInfer(tp *types.TypeParam, nd *node, with []*spec.Field, call spec.String) {
	fn := nd.fn.Pkg().Name() + "." + nd.fn.Name()
	st := nd.in.Underlying().(*types.Struct)
	var fields []string
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		if !f.Exported() || !mentions(f.Type(), tp) {
			continue
		}
		for _, w := range with {
			if w.Key == f.Name() && w.Value.Kind != spec.KindString {
				c.errs.Add(w.Value.Pos, "field %s is %s, and a TOML literal cannot tell %s what %s is; set it from an expression, such as %s = \"${rows}\"",
					f.Name(), c.typeString(f.Type()), fn, tp.Obj().Name(), f.Name())
				return
			}
		}
		fields = append(fields, fmt.Sprintf("%s (%s)", f.Name(), c.typeString(f.Type())))
	}
	if len(fields) == 0 {
		c.errs.Add(call.Pos, "cannot infer type parameter %s of %s: no field of its input uses it", tp.Obj().Name(), fn)
		return
	}
	c.errs.Add(call.Pos, "cannot infer type parameter %s of %s: set %s from an expression, such as \"${rows}\"", tp.Obj().Name(), fn, joinOr(fields))
}

// mentions reports whether t refers to the type parameter tp.
func mentions(t types.Type, tp *types.TypeParam) bool {
	switch t := types.Unalias(t).(type) {
	case *types.TypeParam:
		return t == tp
	case *types.Slice:
		return mentions(t.Elem(), tp)
	case *types.Array:
		return mentions(t.Elem(), tp)
	case *types.Pointer:
		return mentions(t.Elem(), tp)
	case *types.Map:
		return mentions(t.Key(), tp) || mentions(t.Elem(), tp)
	case *types.Named:
		for i := 0; i < t.TypeArgs().Len(); i++ {
			if mentions(t.TypeArgs().At(i), tp) {
				return true
			}
		}
	}
	return false
}

// joinOr formats "a", "a or b", "a, b or c".
func joinOr(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// assignable checks that e can be assigned to t; what names the target.
func (c *checker) assignable(e *ir.Expr, t types.Type, what string) bool {
	v := e.TV.Type
	if v == nil {
		v = e.Type
	}
	if types.AssignableTo(v, t) {
		// An untyped constant must also fit: AssignableTo takes 0.1 for an
		// int, which the compiler then refuses.
		if b, ok := t.Underlying().(*types.Basic); ok && e.TV.Value != nil && isUntyped(v) && !representable(e.TV.Value, b) {
			c.errs.Add(e.Pos, "cannot use %s (a constant) as %s in %s: it does not fit", e.Src, c.typeString(t), what)
			return false
		}
		return true
	}
	hint := ""
	if p, ok := t.Underlying().(*types.Pointer); ok && types.AssignableTo(v, p.Elem()) {
		hint = fmt.Sprintf("; pass a pointer to a copy: ${new(%s)}", e.Src)
	} else if types.ConvertibleTo(v, t) {
		hint = fmt.Sprintf("; convert it: %s(%s)", c.typeString(t), e.Src)
	}
	c.errs.Add(e.Pos, "cannot use %s (%s) as %s in %s%s", e.Src, c.typeString(e.Type), c.typeString(t), what, hint)
	return false
}

// unify matches a parameterized type against a concrete one, recording the
// type arguments it implies.
func unify(param, arg types.Type, bound map[*types.TypeParam]types.Type) {
	switch p := types.Unalias(param).(type) {
	case *types.TypeParam:
		if _, ok := bound[p]; !ok {
			bound[p] = arg
		}
	case *types.Slice:
		if a, ok := arg.Underlying().(*types.Slice); ok {
			unify(p.Elem(), a.Elem(), bound)
		}
	case *types.Pointer:
		if a, ok := arg.Underlying().(*types.Pointer); ok {
			unify(p.Elem(), a.Elem(), bound)
		}
	case *types.Array:
		if a, ok := arg.Underlying().(*types.Array); ok {
			unify(p.Elem(), a.Elem(), bound)
		}
	case *types.Map:
		if a, ok := arg.Underlying().(*types.Map); ok {
			unify(p.Key(), a.Key(), bound)
			unify(p.Elem(), a.Elem(), bound)
		}
	case *types.Named:
		a, ok := types.Unalias(arg).(*types.Named)
		if !ok || a.Origin() != p.Origin() {
			return
		}
		for i := 0; i < p.TypeArgs().Len() && i < a.TypeArgs().Len(); i++ {
			unify(p.TypeArgs().At(i), a.TypeArgs().At(i), bound)
		}
	}
}
