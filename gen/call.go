package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

func (c *checker) checkCall(s *scope, st *spec.Step) ir.Step {
	hasID := c.requireID(st)
	rateLimit := c.rateLimitRef(st)
	x := c.checkNodeCall(s, st.Call, st.With, st.WithPos, exprEnv{scope: s})
	if x == nil || !hasID {
		// Check the rest of the step all the same, for its own mistakes.
		if x == nil {
			x = &ir.Call{} // no input type: the handler's input is not checked
		}
		if st.OnError != nil {
			c.checkOnError(s, st, x)
		}
		for _, name := range st.RollbackCursor {
			c.checkCursorName(name)
		}
		if st.Advance != nil && st.Advance.Cursor.Value != "" {
			c.checkCursorName(st.Advance.Cursor) // a missing cursor key: the spec reader reported it
		}
		c.bindBroken(s, st.ID)
		return nil
	}
	x.Base = ir.Base{ID: st.ID.Value, Pos: st.Pos}
	x.Key = st.ID.Value
	x.Retry = checkRetry(st.Retry)
	x.RateLimit = rateLimit
	if st.Timeout.Set() {
		d, err := time.ParseDuration(st.Timeout.Value)
		if err != nil || d <= 0 {
			d = 0 // the spec reader reported it
		}
		x.Timeout = d
	}
	// The handler sees the scope before the step's own output exists.
	if st.OnError != nil {
		x.OnError = c.checkOnError(s, st, x)
	}
	for _, name := range st.RollbackCursor {
		if c.checkCursorName(name) {
			x.Rollback = append(x.Rollback, name.Value)
		}
	}
	x.Out = c.bind(s, st.ID, x.OutType, "step")
	if x.Out != nil && !x.Out.Predeclared {
		c.calls = append(c.calls, x)
	}
	c.warnPaged(st, x)
	if st.Advance != nil {
		x.Advance = c.checkAdvance(s, st)
	}
	return x
}

// resolveNode finds the node function a call names and checks its shape,
// reporting why it cannot be called; nd is nil then.
func (c *checker) resolveNode(call spec.String) (nd *node, pkgPath string, ref callRef) {
	ref, err := parseCall(call, filepath.Dir(c.file.Path))
	if err != nil {
		c.errs.Add(call.Pos, "%v", err)
		return nil, "", ref
	}
	p := c.pkgs.byPattern[ref.pattern]
	if msgs := c.pkgs.errors[ref.pattern]; len(msgs) > 0 || p == nil || p.Types == nil {
		// Reported once, at the first call of the package: the other
		// calls fail for the same reason.
		if !c.loadErrs[ref.pattern] {
			c.loadErrs[ref.pattern] = true
			c.errs.Add(call.Pos, "cannot load package %s: %s", ref.pkg, c.pkgs.loadError(ref, msgs))
		}
		return nil, "", ref
	}
	obj := p.Types.Scope().Lookup(ref.name)
	if obj == nil || !obj.Exported() {
		msg := fmt.Sprintf("package %s has no exported function %s", ref.pkg, ref.name)
		if s := spec.Suggest(ref.name, nodeNames(p.Types)); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else if !token.IsExported(ref.name) {
			msg += "; a node must be exported (start with an upper-case letter)"
		}
		c.errs.Add(call.PosAt(ref.nameOff), "%s", msg)
		return nil, "", ref
	}
	fn, ok := obj.(*types.Func)
	if !ok {
		c.errs.Add(call.PosAt(ref.nameOff), "%s.%s is %s, not a function; a node is func(context.Context, In) (Out, error)", p.Types.Name(), ref.name, objectKind(obj))
		return nil, "", ref
	}
	nd, bad := checkNode(fn, c.pkgs.context)
	if bad != "" {
		c.errs.Add(call.Pos, "%s.%s %s", p.Types.Name(), ref.name, bad)
		return nil, "", ref
	}
	return nd, p.PkgPath, ref
}

// checkNodeCall resolves a call and checks its with table against the
// node's input type.
func (c *checker) checkNodeCall(s *scope, call spec.String, with []*spec.Field, withPos spec.Pos, env exprEnv) *ir.Call {
	nd, pkgPath, ref := c.resolveNode(call)
	if nd == nil {
		c.checkWithExprs(env, with)
		return nil
	}
	pkgName := nd.fn.Pkg().Name()
	x := &ir.Call{Node: call.Value, PkgPath: pkgPath, FuncName: ref.name, InType: nd.in, OutType: nd.out}
	x.With = c.checkWith(env, with, nd, x, call)
	if x.InType == nil {
		return nil
	}
	if !c.checkJSONType(x.OutType, call.Pos, fmt.Sprintf("the output of %s.%s", pkgName, ref.name), "cannot be journaled", "step outputs are written as JSON so a resumed run can replay them") {
		return nil
	}
	return x
}

// checkWithExprs checks the expressions of a with table whose node could
// not be resolved, so that their own mistakes are reported in the same pass.
func (c *checker) checkWithExprs(env exprEnv, with []*spec.Field) {
	for _, w := range with {
		if w.Value.Kind != spec.KindString {
			continue
		}
		parts, off, msg := splitInterp(w.Value.Str.Value)
		if msg != "" {
			c.errs.Add(w.Value.Str.PosAt(off), "%s", msg)
			continue
		}
		for _, p := range parts {
			if p.expr {
				c.checkExpr(env, exprSrc{text: p.text, in: w.Value.Str, off: p.off})
			}
		}
	}
}

// checkWith checks each with key against the node's input struct. For a
// generic node it infers the type arguments from the values and sets
// x.inType and x.outType to the instantiated types (nil on failure).
func (c *checker) checkWith(env exprEnv, with []*spec.Field, nd *node, x *ir.Call, call spec.String) []*ir.WithValue {
	fields := ir.InputFields(nd.in)
	var names []string
	for _, f := range fields {
		names = append(names, f.Var.Name())
	}
	inName := c.typeString(nd.in)
	var out []*ir.WithValue
	lits := map[*ir.WithValue]*spec.Value{} // the TOML literals, checked below
	failed := false                         // a value did not check: its error (or its broken source's) is reported
	for _, w := range with {
		f, ok := ir.FieldByName(fields, w.Key)
		if !ok {
			c.errs.Add(w.KeyPos, "%s has no field %s%s", inName, w.Key, spec.DidYouMean(w.Key, names))
			continue
		}
		wv := &ir.WithValue{Field: w.Key, Type: f.Var.Type(), Path: f.Path}
		if w.Value.Kind == spec.KindString {
			parts, off, msg := splitInterp(w.Value.Str.Value)
			if msg != "" {
				c.errs.Add(w.Value.Str.PosAt(off), "%s", msg)
				continue
			}
			switch {
			case len(parts) == 1 && parts[0].expr:
				one := env
				one.allowNil = true
				wv.Expr = c.checkExpr(one, exprSrc{text: parts[0].text, in: w.Value.Str, off: parts[0].off})
				if wv.Expr == nil {
					failed = true
					continue
				}
			case hasExpr(parts):
				ok := true
				for _, p := range parts {
					if !p.expr {
						wv.Parts = append(wv.Parts, ir.Part{Text: p.text})
						continue
					}
					e := c.checkExpr(env, exprSrc{text: p.text, in: w.Value.Str, off: p.off})
					if e == nil {
						ok = false
						continue
					}
					c.warnSecretInText(e, w.Key)
					if _, can := ir.StringConv(e.Type); !can {
						c.errs.Add(e.Pos, "cannot interpolate %s (%s) into a string; expected a string, number, bool, time.Time or fmt.Stringer", e.Src, c.typeString(e.Type))
						ok = false
						continue
					}
					wv.Parts = append(wv.Parts, ir.Part{Expr: e})
				}
				if !ok {
					failed = true
					continue
				}
			default:
				lits[wv] = w.Value
			}
		} else {
			lits[wv] = w.Value
		}
		out = append(out, wv)
	}

	// Instantiate a generic node from the values given.
	if nd.generic {
		tparams := nd.sig.TypeParams()
		bound := map[*types.TypeParam]types.Type{}
		for _, wv := range out {
			var got types.Type
			switch {
			case wv.Expr != nil:
				got = wv.Expr.Type
			case wv.Parts != nil:
				got = types.Typ[types.String]
			default:
				continue
			}
			if wv.Expr != nil {
				if want := shapeMismatch(wv.Type, got); want != "" {
					c.errs.Add(wv.Expr.Pos, "field %s is %s: %s is %s where %s is expected", wv.Field, c.typeString(wv.Type), wv.Expr.Src, article(c.typeString(got)), fmt.Sprintf(want, c.typeString(got)))
					failed = true
					continue
				}
			}
			unify(wv.Type, got, bound)
		}
		targs := make([]types.Type, tparams.Len())
		for i := 0; i < tparams.Len(); i++ {
			t, ok := bound[tparams.At(i)]
			if !ok {
				if !failed {
					c.cannotInfer(tparams.At(i), nd, with, call)
				}
				x.InType = nil
				return nil
			}
			// The generated program writes the instantiated input type.
			if msg := c.unwritable(t); msg != "" {
				c.errs.Add(call.Pos, "cannot instantiate %s with %s = %s: %s", call.Value, tparams.At(i).Obj().Name(), c.typeString(t), msg)
				x.InType = nil
				return nil
			}
			targs[i] = t
		}
		inst, err := types.Instantiate(nil, nd.sig, targs, true)
		if err != nil {
			c.errs.Add(call.Pos, "cannot instantiate %s: %v", call.Value, err)
			x.InType = nil
			return nil
		}
		sig := inst.(*types.Signature)
		x.InType, x.OutType = sig.Params().At(1).Type(), sig.Results().At(0).Type()
		instFields := ir.InputFields(x.InType)
		for _, wv := range out {
			if f, ok := ir.FieldByName(instFields, wv.Field); ok {
				wv.Type = f.Var.Type()
			}
		}
	}

	// Now that field types are concrete, check assignability.
	var good []*ir.WithValue
	for _, wv := range out {
		switch {
		case wv.Expr != nil:
			if !c.assignable(wv.Expr, wv.Type, "field "+wv.Field) {
				continue
			}
		case wv.Parts != nil:
			if !types.AssignableTo(types.Typ[types.String], wv.Type) && !isStringKind(wv.Type) {
				c.errs.Add(withValuePos(with, wv.Field), "field %s is %s, but text around ${...} makes a string; write \"${expr}\" alone to pass a value of another type", wv.Field, c.typeString(wv.Type))
				continue
			}
		default:
			lit, ok := c.literal(lits[wv], wv.Type, "field "+wv.Field)
			if !ok {
				continue
			}
			wv.Lit = lit
		}
		good = append(good, wv)
	}
	return good
}

func withValuePos(with []*spec.Field, field string) spec.Pos {
	for _, w := range with {
		if w.Key == field {
			return w.Value.Pos
		}
	}
	return spec.Pos{}
}

func hasExpr(parts []rawPart) bool {
	for _, p := range parts {
		if p.expr {
			return true
		}
	}
	return false
}

func (c *checker) checkOnError(s *scope, st *spec.Step, x *ir.Call) *ir.OnError {
	oe := st.OnError
	out := &ir.OnError{Action: oe.Action.Value, Pos: oe.Pos}
	if out.Action == "" {
		out.Action = "fail"
	}
	if strings.TrimSpace(oe.Call.Value) == "" {
		return out // the plain form, or a handler the spec reader reported
	}
	hs := newScope(s)
	hs.define(&ir.Binding{ID: "error", Kind: ir.BindError, Type: types.Typ[types.String]})
	input := &ir.Binding{ID: "input", Kind: ir.BindInput, Type: x.InType, Broken: x.InType == nil}
	hs.define(input)
	env := exprEnv{scope: hs}
	h := c.checkNodeCall(hs, oe.Call, oe.With, oe.WithPos, env)
	if h == nil {
		return out
	}
	h.Base = ir.Base{ID: st.ID.Value, Pos: st.Pos}
	h.Key = st.ID.Value + ".on_error"
	x.ReadsInput = input.Used
	out.Handler = h
	return out
}

func (c *checker) checkAdvance(s *scope, st *spec.Step) *ir.Advance {
	a := st.Advance
	if a.Cursor.Value == "" || strings.TrimSpace(a.To.Value) == "" {
		return nil // the spec reader reported the missing key
	}
	declared := c.checkCursorName(a.Cursor)
	src := bareExpr(a.To)
	e := c.checkExpr(exprEnv{scope: s}, src)
	if e == nil {
		return nil
	}
	if !c.isCursorValue(e.Type) {
		c.errs.Add(e.Pos, "cannot advance cursor %s to %s (%s); expected a string, an integer or a time.Time", a.Cursor.Value, e.Src, c.typeString(e.Type))
		return nil
	}
	if !declared {
		return nil
	}
	layout := c.cursorByName[a.Cursor.Value].Format.Value
	if layout != "" && !types.Identical(e.Type, c.timeType) {
		c.errs.Add(e.Pos, "cursor %s has format %q, for time.Time values; %s is %s", a.Cursor.Value, layout, e.Src, c.typeString(e.Type))
		return nil
	}
	kind := "text"
	if types.Identical(e.Type, c.timeType) {
		kind = "time"
	} else if b, ok := e.Type.Underlying().(*types.Basic); ok && b.Info()&types.IsInteger != 0 {
		kind = "int"
	}
	if c.cursorKinds[a.Cursor.Value] == nil {
		c.cursorKinds[a.Cursor.Value] = map[string]bool{}
	}
	c.cursorKinds[a.Cursor.Value][kind] = true
	return &ir.Advance{Cursor: a.Cursor.Value, Expr: e, Kind: kind, Pos: a.Pos}
}

// cursorKind is the kind of the values a cursor is advanced to when every
// advance agrees on an integer or a time; "" lets the program infer it
// from the initial value (see runtime.CursorSpec.Kind).
func (c *checker) cursorKind(name string) string {
	if k := c.cursorKinds[name]; len(k) == 1 && (k["int"] || k["time"]) {
		if k["int"] {
			return "int"
		}
		return "time"
	}
	return ""
}

func (c *checker) isCursorValue(t types.Type) bool {
	if types.Identical(t, c.timeType) {
		return true
	}
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&(types.IsString|types.IsInteger) != 0
}

// checkRetry checks a step's retry table: its durations are parsed here,
// once, for every target. The spec reader reported malformed ones (and the
// program is then not emitted); nil means the runtime's default policy.
func checkRetry(r *spec.Retry) *ir.RetryPolicy {
	if r == nil {
		return nil
	}
	p := &ir.RetryPolicy{Attempts: int(r.Attempts.Value)}
	for _, d := range []struct {
		s   spec.String
		out *time.Duration
	}{{r.Backoff, &p.Backoff}, {r.MaxBackoff, &p.MaxBackoff}} {
		if !d.s.Set() {
			continue
		}
		if v, err := time.ParseDuration(d.s.Value); err == nil && v > 0 {
			*d.out = v
		} // else the spec reader reported it, and nothing is emitted
	}
	return p
}
