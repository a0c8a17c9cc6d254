package gen

import (
	"strconv"
	"strings"

	"github.com/resolute/resolute-gen/spec"
)

// On Temporal a secret must not enter the workflow's history, so workflow
// code holds a marker in its place and the activity puts the worker's value
// into the input field the marker stands alone in (temporal/tprt: Node). A
// secret anywhere else in workflow code (inside a larger string, in a
// condition, a row, a cursor) would be the marker there, or would need the
// marker to be replaced inside data, where text from a source could forge
// it; temporalSecretErrors rejects those uses, positioned.
func temporalSecretErrors(p *Program) error {
	secret := map[string]bool{}
	for _, v := range p.Env {
		if v.Secret.Value {
			secret[v.Name] = true
		}
	}
	if len(secret) == 0 {
		return nil
	}
	var errs spec.ErrorList
	uses := func(x *expr) string {
		if x == nil {
			return ""
		}
		for name := range secret {
			if strings.Contains(x.code, "r.Env("+strconv.Quote(name)+")") {
				return name
			}
		}
		return ""
	}
	report := func(x *expr, name, where string) {
		errs.Add(x.pos, "env.%s is a secret: on the Temporal target it may only be a with value of its own (Field = \"${env.%s}\"), "+
			"because workflow code and its history hold a placeholder for it, never the value; %s", name, name, where)
	}
	var walk func(stmts []stmt)
	call := func(cs *callStmt) {
		if cs == nil {
			return
		}
		for _, w := range cs.with {
			if w.e != nil {
				if name := uses(w.e); name != "" && w.e.code != "r.Env("+strconv.Quote(name)+")" {
					report(w.e, name, "here it is part of a larger expression")
				}
			}
			for _, pt := range w.parts {
				if name := uses(pt.e); name != "" {
					report(pt.e, name, "here it is interpolated into a larger string")
				}
			}
		}
		if cs.advance != nil {
			if name := uses(cs.advance.e); name != "" {
				report(cs.advance.e, name, "here it would be a cursor's value")
			}
		}
	}
	other := func(x *expr) {
		if name := uses(x); name != "" {
			report(x, name, "here it is read by workflow code")
		}
	}
	walk = func(stmts []stmt) {
		for _, s := range stmts {
			switch s := s.(type) {
			case *callStmt:
				call(s)
				if s.onError != nil {
					call(s.onError.handler)
				}
			case *streamStmt:
				call(s.src)
				if s.advance != nil {
					other(s.advance.e)
				}
				walk(s.body)
			case *mapStmt:
				other(s.src)
				for _, f := range s.fields {
					other(f)
				}
			case *filterStmt:
				other(s.src)
				other(s.where)
			case *uniqueStmt:
				other(s.src)
			case *mergeStmt:
				for _, x := range s.srcs {
					other(x)
				}
			case *ifStmt:
				other(s.cond)
				walk(s.then)
				walk(s.els)
			case *whileStmt:
				other(s.cond)
				walk(s.body)
			case *parallelStmt:
				for _, b := range s.branches {
					walk(b)
				}
			case *forEachStmt:
				other(s.src)
				other(s.collect)
				walk(s.body)
			case *seqStmt:
				walk(s.body)
			}
		}
	}
	for _, fl := range p.Flows {
		walk(fl.body)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs.Sort()
}
