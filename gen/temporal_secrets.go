package gen

import (
	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// On Temporal a secret must not enter the workflow's history, so workflow
// code holds a marker in its place and the activity puts the worker's value
// into the input field the marker stands alone in (temporal/tprt: Node). A
// secret anywhere else in workflow code (inside a larger string, in a
// condition, a row, a cursor) would be the marker there, or would need the
// marker to be replaced inside data, where text from a source could forge
// it; temporalSecretErrors rejects those uses, positioned.
func temporalSecretErrors(p *ir.Program) error {
	secret := map[string]bool{}
	for _, v := range p.Env {
		if v.Secret {
			secret[v.Name] = true
		}
	}
	if len(secret) == 0 {
		return nil
	}
	var errs spec.ErrorList
	uses := func(x *ir.Expr) string {
		if x == nil {
			return ""
		}
		for _, name := range x.EnvNames() {
			if secret[name] {
				return name
			}
		}
		return ""
	}
	report := func(x *ir.Expr, name, where string) {
		errs.Add(x.Pos, "env.%s is a secret: on the Temporal target it may only be a with value of its own (Field = \"${env.%s}\"), "+
			"because workflow code and its history hold a placeholder for it, never the value; %s", name, name, where)
	}
	var walk func(stmts []ir.Step)
	call := func(cs *ir.Call) {
		if cs == nil {
			return
		}
		for _, w := range cs.With {
			if w.Expr != nil {
				if name := uses(w.Expr); name != "" && !w.Expr.EnvAlone() {
					report(w.Expr, name, "here it is part of a larger expression")
				}
			}
			for _, pt := range w.Parts {
				if name := uses(pt.Expr); name != "" {
					report(pt.Expr, name, "here it is interpolated into a larger string")
				}
			}
		}
		if cs.Advance != nil {
			if name := uses(cs.Advance.Expr); name != "" {
				report(cs.Advance.Expr, name, "here it would be a cursor's value")
			}
		}
	}
	other := func(x *ir.Expr) {
		if name := uses(x); name != "" {
			report(x, name, "here it is read by workflow code")
		}
	}
	walk = func(stmts []ir.Step) {
		for _, s := range stmts {
			switch s := s.(type) {
			case *ir.Call:
				call(s)
				if s.OnError != nil {
					call(s.OnError.Handler)
				}
			case *ir.Stream:
				call(s.Src)
				if s.Advance != nil {
					other(s.Advance.Expr)
				}
				walk(s.Body)
			case *ir.Map:
				other(s.Src)
				for _, f := range s.Fields {
					other(f)
				}
			case *ir.Filter:
				other(s.Src)
				other(s.Where)
			case *ir.Unique:
				other(s.Src)
			case *ir.Merge:
				for _, x := range s.Srcs {
					other(x)
				}
			case *ir.If:
				other(s.Cond)
				walk(s.Then)
				walk(s.Else)
			case *ir.While:
				other(s.Cond)
				walk(s.Body)
			case *ir.Parallel:
				for _, b := range s.Branches {
					walk(b)
				}
			case *ir.ForEach:
				other(s.Src)
				other(s.Collect)
				walk(s.Body)
			case *ir.Seq:
				walk(s.Body)
			}
		}
	}
	for _, fl := range p.Flows {
		walk(fl.Body)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs.Sort()
}
