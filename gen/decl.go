package gen

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/robfig/cron/v3"

	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// checkDescription rejects characters that cannot be written into the
// generated program's doc comment.
func (c *checker) checkDescription(d spec.String) {
	for i, r := range d.Value {
		if r == '\t' || r == '\n' {
			continue
		}
		if r < 0x20 || r == 0x7f || r == 0xFEFF || r == utf8.RuneError || r == 0x2028 || r == 0x2029 {
			c.errs.Add(d.PosAt(i), "description contains the control character %U; expected printable text (it becomes the generated program's doc comment)", r)
			return
		}
	}
}

// forEachCall visits every call (steps and on_error handlers) of files.
func forEachCall(files []*spec.File, fn func(*spec.File, spec.String)) {
	var walk func(f *spec.File, steps []*spec.Step)
	walk = func(f *spec.File, steps []*spec.Step) {
		for _, s := range steps {
			if s.Kind == spec.StepCall && s.Call.Set() {
				fn(f, s.Call)
			}
			if s.Kind == spec.StepStream && s.Stream.Set() {
				fn(f, s.Stream)
			}
			if s.OnError != nil && s.OnError.Call.Set() {
				fn(f, s.OnError.Call)
			}
			walk(f, s.Then)
			walk(f, s.Else)
			walk(f, s.Do)
			walk(f, s.Branches)
		}
	}
	for _, f := range files {
		walk(f, f.Steps)
	}
}

// forEachStep visits steps and every step nested in them, in source order.
func forEachStep(steps []*spec.Step, fn func(*spec.Step)) {
	for _, s := range steps {
		fn(s)
		forEachStep(s.Then, fn)
		forEachStep(s.Else, fn)
		forEachStep(s.Do, fn)
		forEachStep(s.Branches, fn)
	}
}

// checkProgramDecls merges [env] and [cursor.*] across files: the files of
// one program share them, and must agree where they both declare a name.
func (c *checker) checkProgramDecls(prog *ir.Program) {
	for _, f := range c.files {
		if f.Schedule.Set() && f.Schedule.Value != "" {
			parser := cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)
			if _, err := parser.Parse(f.Schedule.Value); err != nil {
				c.errs.Add(f.Schedule.Pos, "invalid schedule %q: %v; expected 5 cron fields (minute hour day-of-month month day-of-week), @hourly, @daily or @every 15m", f.Schedule.Value, err)
			}
		}
		if cs := f.CursorStore; cs.Set() {
			switch prev := c.cursorStore; {
			case !prev.Set():
				c.cursorStore = cs
				prog.CursorStore = cs.Value
			case prev.Value != cs.Value:
				c.errs.Add(cs.Pos, "cursor_store is %q here but %q at %s; files of one program keep their cursors in one store", cs.Value, prev.Value, prev.Pos)
			}
		}
		for _, e := range f.Env {
			if e.Secret.Value && e.Default.Set() {
				c.errs.Add(e.Default.Pos, "env %s is secret, so it cannot have a default: a default is compiled into the generated program and its binary, where anyone with the file can read it; drop the default and set %s in the environment (or drop secret = true if the value is not secret)", e.Name, e.Name)
			}
			if prev, ok := c.envByName[e.Name]; ok {
				if a, b := envDecl(e), envDecl(prev); a != b {
					c.errs.Add(e.Pos, "env %s is %s here but %s at %s; the files of one program must declare it alike", e.Name, a, b, prev.Pos)
				}
				continue
			}
			c.envByName[e.Name] = e
			c.envDecls = append(c.envDecls, e)
			prog.Env = append(prog.Env, &ir.EnvVar{Name: e.Name, Required: e.Required.Value, Secret: e.Secret.Value, Default: e.Default.Value, HasDefault: e.Default.Set()})
		}
		for _, cur := range f.Cursors {
			if prev, ok := c.cursorByName[cur.Name]; ok {
				if prev.Initial.Value != cur.Initial.Value {
					pos := cur.Pos
					if cur.Initial.Set() {
						pos = cur.Initial.Pos
					}
					c.errs.Add(pos, "cursor %s starts at %q here but at %q at %s; the files of one program must declare it alike", cur.Name, cur.Initial.Value, prev.Initial.Value, prev.Pos)
				} else if prev.Format.Value != cur.Format.Value {
					pos := cur.Pos
					if cur.Format.Set() {
						pos = cur.Format.Pos
					}
					c.errs.Add(pos, "cursor %s has format %q here but %q at %s; the files of one program must declare it alike", cur.Name, cur.Format.Value, prev.Format.Value, prev.Pos)
				}
				continue
			}
			c.cursorByName[cur.Name] = cur
			c.cursorDecls = append(c.cursorDecls, cur)
			prog.Cursors = append(prog.Cursors, &ir.Cursor{Name: cur.Name, Initial: cur.Initial.Value, Format: cur.Format.Value})
		}
	}
}

// envDecl writes an env declaration back as TOML, for messages.
func envDecl(e *spec.EnvVar) string {
	var kv []string
	if e.Required.Value {
		kv = append(kv, "required = true")
	}
	if e.Secret.Value {
		kv = append(kv, "secret = true")
	}
	if e.Default.Set() {
		kv = append(kv, fmt.Sprintf("default = %q", e.Default.Value))
	}
	if len(kv) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(kv, ", ") + " }"
}

func (c *checker) checkCursorName(name spec.String) bool {
	if _, ok := c.cursorByName[name.Value]; ok {
		return true
	}
	c.errs.Add(name.Pos, "%s", c.undeclared("cursor", name.Value))
	return false
}

// undeclared says that env var or cursor name is not declared, suggesting
// the nearest declared one, or how to declare it.
func (c *checker) undeclared(kind, name string) string {
	var declared []string
	var how string
	if kind == "env" {
		declared = sortedKeys(c.envByName)
		how = fmt.Sprintf("declare it in [env], such as %s = { required = true }", name)
	} else {
		declared = sortedKeys(c.cursorByName)
		how = fmt.Sprintf("declare it with a [cursor.%s] table", name)
	}
	msg := fmt.Sprintf("%s %s is not declared", kind, name)
	if s := spec.Suggest(name, declared); s != "" {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	msg += "; " + how
	if len(declared) > 0 && len(declared) <= 8 {
		msg += fmt.Sprintf(" (declared: %s)", strings.Join(declared, ", "))
	}
	return msg
}
