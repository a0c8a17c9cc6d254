package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/spec"
)

func (c *checker) checkCall(s *scope, st *spec.Step) stmt {
	hasID := c.requireID(st)
	rateLimit := c.rateLimitRef(st)
	x := c.checkNodeCall(s, st.Call, st.With, st.WithPos, exprEnv{scope: s})
	if x == nil || !hasID {
		// Check the rest of the step all the same, for its own mistakes.
		if x == nil {
			x = &callStmt{} // no input type: the handler's input is not checked
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
	x.base = base{st}
	x.key = st.ID.Value
	x.retry = checkRetry(st.Retry)
	x.rateLimit = rateLimit
	if st.Timeout.Set() {
		d, err := time.ParseDuration(st.Timeout.Value)
		if err != nil || d <= 0 {
			d = 0 // the spec reader reported it
		}
		x.timeout = d
	}
	// The handler sees the scope before the step's own output exists.
	if st.OnError != nil {
		x.onError = c.checkOnError(s, st, x)
	}
	for _, name := range st.RollbackCursor {
		if c.checkCursorName(name) {
			x.rollback = append(x.rollback, name.Value)
		}
	}
	x.out = c.bind(s, st.ID, x.outType, "step")
	if x.out != nil && !x.out.predeclared {
		c.calls = append(c.calls, x)
	}
	c.warnPaged(st, x)
	if st.Advance != nil {
		x.advance = c.checkAdvance(s, st, x)
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
func (c *checker) checkNodeCall(s *scope, call spec.String, with []*spec.Field, withPos spec.Pos, env exprEnv) *callStmt {
	nd, pkgPath, ref := c.resolveNode(call)
	if nd == nil {
		c.checkWithExprs(env, with)
		return nil
	}
	pkgName := nd.fn.Pkg().Name()
	x := &callStmt{pkgPath: pkgPath, fnName: ref.name, inType: nd.in, outType: nd.out}
	if env.nowVar == "" {
		env.nowVar = c.peekName("now")
	}
	x.with = c.checkWith(env, with, nd, x, call)
	if x.inType == nil {
		return nil
	}
	if !c.checkJSONType(x.outType, call.Pos, fmt.Sprintf("the output of %s.%s", pkgName, ref.name), "cannot be journaled", "step outputs are written as JSON so a resumed run can replay them") {
		return nil
	}
	usesNow := false
	for _, w := range x.with {
		if w.e != nil && w.e.now || anyNow(w.parts) {
			usesNow = true
		}
	}
	x.nowVar = c.takeNow(usesNow)
	return x
}

func anyNow(parts []part) bool {
	for _, p := range parts {
		if p.e != nil && p.e.now {
			return true
		}
	}
	return false
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
func (c *checker) checkWith(env exprEnv, with []*spec.Field, nd *node, x *callStmt, call spec.String) []*withValue {
	fields := inputFields(nd.in)
	var names []string
	for _, f := range fields {
		names = append(names, f.v.Name())
	}
	inName := c.typeString(nd.in)
	var out []*withValue
	failed := false // a value did not check: its error (or its broken source's) is reported
	for _, w := range with {
		f, ok := fieldByName(fields, w.Key)
		if !ok {
			c.errs.Add(w.KeyPos, "%s has no field %s%s", inName, w.Key, spec.DidYouMean(w.Key, names))
			continue
		}
		wv := &withValue{field: w.Key, typ: f.v.Type(), path: f.path}
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
				wv.e = c.checkExpr(one, exprSrc{text: parts[0].text, in: w.Value.Str, off: parts[0].off})
				if wv.e == nil {
					failed = true
					continue
				}
			case hasExpr(parts):
				ok := true
				for _, p := range parts {
					if !p.expr {
						wv.parts = append(wv.parts, part{text: p.text})
						continue
					}
					e := c.checkExpr(env, exprSrc{text: p.text, in: w.Value.Str, off: p.off})
					if e == nil {
						ok = false
						continue
					}
					c.warnSecretInText(e, w.Key)
					if _, can := stringConv(e.typ); !can {
						c.errs.Add(e.pos, "cannot interpolate %s (%s) into a string; expected a string, number, bool, time.Time or fmt.Stringer", e.src, c.typeString(e.typ))
						ok = false
						continue
					}
					wv.parts = append(wv.parts, part{e: e})
				}
				if !ok {
					failed = true
					continue
				}
			default:
				wv.lit = w.Value
			}
		} else {
			wv.lit = w.Value
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
			case wv.e != nil:
				got = wv.e.typ
			case wv.parts != nil:
				got = types.Typ[types.String]
			default:
				continue
			}
			if wv.e != nil {
				if want := shapeMismatch(wv.typ, got); want != "" {
					c.errs.Add(wv.e.pos, "field %s is %s: %s is %s where %s is expected", wv.field, c.typeString(wv.typ), wv.e.src, article(c.typeString(got)), fmt.Sprintf(want, c.typeString(got)))
					failed = true
					continue
				}
			}
			unify(wv.typ, got, bound)
		}
		targs := make([]types.Type, tparams.Len())
		for i := 0; i < tparams.Len(); i++ {
			t, ok := bound[tparams.At(i)]
			if !ok {
				if !failed {
					c.cannotInfer(tparams.At(i), nd, with, call)
				}
				x.inType = nil
				return nil
			}
			// The generated program writes the instantiated input type.
			if msg := c.unwritable(t); msg != "" {
				c.errs.Add(call.Pos, "cannot instantiate %s with %s = %s: %s", call.Value, tparams.At(i).Obj().Name(), c.typeString(t), msg)
				x.inType = nil
				return nil
			}
			targs[i] = t
		}
		inst, err := types.Instantiate(nil, nd.sig, targs, true)
		if err != nil {
			c.errs.Add(call.Pos, "cannot instantiate %s: %v", call.Value, err)
			x.inType = nil
			return nil
		}
		sig := inst.(*types.Signature)
		x.inType, x.outType = sig.Params().At(1).Type(), sig.Results().At(0).Type()
		instFields := inputFields(x.inType)
		for _, wv := range out {
			if f, ok := fieldByName(instFields, wv.field); ok {
				wv.typ = f.v.Type()
			}
		}
	}

	// Now that field types are concrete, check assignability.
	var good []*withValue
	for _, wv := range out {
		switch {
		case wv.e != nil:
			if !c.assignable(wv.e, wv.typ, "field "+wv.field) {
				continue
			}
		case wv.parts != nil:
			if !types.AssignableTo(types.Typ[types.String], wv.typ) && !isStringKind(wv.typ) {
				c.errs.Add(withValuePos(with, wv.field), "field %s is %s, but text around ${...} makes a string; write \"${expr}\" alone to pass a value of another type", wv.field, c.typeString(wv.typ))
				continue
			}
		default:
			code, ok := c.literal(wv.lit, wv.typ, "field "+wv.field)
			if !ok {
				continue
			}
			wv.code = code
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

func (c *checker) checkOnError(s *scope, st *spec.Step, x *callStmt) *onErrorIR {
	oe := st.OnError
	ir := &onErrorIR{action: oe.Action.Value}
	if ir.action == "" {
		ir.action = "fail"
	}
	if strings.TrimSpace(oe.Call.Value) == "" {
		return ir // the plain form, or a handler the spec reader reported
	}
	hs := newScope(s)
	hs.define(&binding{id: "error", kind: bindError, typ: types.Typ[types.String]})
	input := &binding{id: "input", kind: bindInput, typ: x.inType, broken: x.inType == nil}
	hs.define(input)
	env := exprEnv{scope: hs, errVar: "err", inVar: c.localName(c.goName(st.ID.Value)+"In", st.ID.Value+".input")}
	h := c.checkNodeCall(hs, oe.Call, oe.With, oe.WithPos, env)
	if h == nil {
		return ir
	}
	h.base = base{st}
	h.key = st.ID.Value + ".on_error"
	if input.used {
		x.inVar = env.inVar
	}
	ir.handler = h
	return ir
}

func (c *checker) checkAdvance(s *scope, st *spec.Step, x *callStmt) *advanceIR {
	a := st.Advance
	if a.Cursor.Value == "" || strings.TrimSpace(a.To.Value) == "" {
		return nil // the spec reader reported the missing key
	}
	declared := c.checkCursorName(a.Cursor)
	src := bareExpr(a.To)
	nowVar := x.nowVar
	if nowVar == "" {
		nowVar = c.peekName("now")
	}
	e := c.checkExpr(exprEnv{scope: s, nowVar: nowVar}, src)
	if e == nil {
		return nil
	}
	if e.now && x.nowVar == "" {
		x.nowVar = c.takeNow(true)
	}
	if !c.isCursorValue(e.typ) {
		c.errs.Add(e.pos, "cannot advance cursor %s to %s (%s); expected a string, an integer or a time.Time", a.Cursor.Value, e.src, c.typeString(e.typ))
		return nil
	}
	if !declared {
		return nil
	}
	layout := c.cursorByName[a.Cursor.Value].Format.Value
	if layout != "" && !types.Identical(e.typ, c.timeType) {
		c.errs.Add(e.pos, "cursor %s has format %q, for time.Time values; %s is %s", a.Cursor.Value, layout, e.src, c.typeString(e.typ))
		return nil
	}
	kind := "text"
	if types.Identical(e.typ, c.timeType) {
		kind = "time"
	} else if b, ok := e.typ.Underlying().(*types.Basic); ok && b.Info()&types.IsInteger != 0 {
		kind = "int"
	}
	if c.cursorKinds[a.Cursor.Value] == nil {
		c.cursorKinds[a.Cursor.Value] = map[string]bool{}
	}
	c.cursorKinds[a.Cursor.Value][kind] = true
	return &advanceIR{cursor: a.Cursor.Value, e: e, kind: kind}
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
func checkRetry(r *spec.Retry) *retryPolicy {
	if r == nil {
		return nil
	}
	p := &retryPolicy{attempts: int(r.Attempts.Value)}
	for _, d := range []struct {
		s   spec.String
		out *time.Duration
	}{{r.Backoff, &p.backoff}, {r.MaxBackoff, &p.maxBackoff}} {
		if !d.s.Set() {
			continue
		}
		if v, err := time.ParseDuration(d.s.Value); err == nil && v > 0 {
			*d.out = v
		} // else the spec reader reported it, and nothing is emitted
	}
	return p
}
