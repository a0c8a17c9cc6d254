package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
	"github.com/robfig/cron/v3"

	"github.com/resolute/resolute-gen/spec"
)

// checker turns parsed spec files into a typed Program, collecting every
// problem with its position.
type checker struct {
	fset  *token.FileSet
	errs  spec.ErrorList
	warns spec.ErrorList // what checks but is probably wrong (Program.Warnings)
	files []*spec.File
	pkgs  *loaded

	timeType types.Type

	cursorStore  spec.String // the first file's cursor_store
	envByName    map[string]*spec.EnvVar
	cursorByName map[string]*spec.Cursor
	// rateLimitByName are the [rate_limit] entries of all the files.
	rateLimitByName map[string]*spec.RateLimit
	// cursorKinds are the kinds ("int", "time", "text") of the values each
	// cursor is advanced to, for `cursor set` to check values against.
	cursorKinds map[string]map[string]bool

	rows     map[string]*rowType
	rowList  []*rowType
	litCode  map[*spec.Value]jen.Code
	mainPkg  *types.Package
	reserved map[string]bool // Go names locals must not take: package names, keywords, r, ctx, err
	rowNames map[string]bool // the names of every generated row type: locals must not shadow them
	depth    int             // nesting depth of the block being checked
	loadErrs map[string]bool // packages whose load error is already reported
	calls    []*callStmt     // the calls of the flow, for the unread-output warning

	// per flow
	file    *spec.File
	flowEnv map[string]bool     // env vars the flow's expressions read
	defined map[string]*binding // every id of the flow, for "not visible here" messages
	ids     map[string]spec.Pos // every step id of the flow, first place, for "not defined yet" messages
	counter map[string]int      // per-function counters for generated local names
	goNames map[string]string   // Go local name -> the step id that took it
	loop    *loopCtx            // innermost while loop, for re-binding
	step    *spec.Step          // the step being checked
	// floor is the scope of the innermost block whose runs may overlap (a
	// for_each body, a parallel branch); floorWhy says why, for messages.
	floor    *scope
	floorWhy string
	// everyLocal holds the local names of every flow (goNames is reset per
	// flow): the emitter's package-level names must avoid them all.
	everyLocal map[string]bool
}

// loopCtx tracks a while loop's body: ids of outer scopes that it re-binds.
type loopCtx struct {
	parent  *loopCtx
	outer   *scope // the scope enclosing the loop
	rebound map[string]spec.Pos
}

// check type-checks files (already parsed) with Go packages resolved as cfg
// says.
func check(files []*spec.File, cfg Config) (*Program, error) {
	c := &checker{
		fset:         token.NewFileSet(),
		files:        files,
		envByName:    map[string]*spec.EnvVar{},
		cursorByName: map[string]*spec.Cursor{},
		cursorKinds:  map[string]map[string]bool{},
		rows:         map[string]*rowType{},
		litCode:      map[*spec.Value]jen.Code{},
		mainPkg:      types.NewPackage("main", "main"),
	}
	prog := &Program{Files: files}
	c.checkProgramDecls(prog)
	c.checkRateLimits(prog)

	// Load every package the calls name, in one go/packages call.
	cache := cfg.Packages
	if cache == nil {
		cache = &Packages{dir: cfg.Dir, env: cfg.Env, patterns: map[string]bool{}}
	}
	pkgs, err := cache.load(callPatterns(files))
	if err != nil {
		return nil, err
	}
	c.pkgs = pkgs
	c.timeType = pkgs.time.Scope().Lookup("Time").Type()
	c.reserved = c.reservedNames()
	c.rowNames = rowTypeNames(files)
	c.loadErrs = map[string]bool{}

	flowNames := map[string]*spec.File{}
	funcNames := map[string]string{}
	for _, f := range files {
		if !f.Flow.Set() {
			continue
		}
		if prev, dup := flowNames[f.Flow.Value]; dup {
			c.errs.Add(f.Flow.Pos, "flow %q is already defined at %s", f.Flow.Value, prev.Flow.Pos)
			continue
		}
		flowNames[f.Flow.Value] = f
		c.checkDescription(f.Description)
		fl := c.checkFlow(f)
		c.warnUnread()
		if prev, dup := funcNames[fl.FuncName]; dup {
			c.errs.Add(f.Flow.Pos, "flow %q and flow %q would both generate %s; rename one", prev, f.Flow.Value, fl.FuncName)
		}
		funcNames[fl.FuncName] = f.Flow.Value
		prog.Flows = append(prog.Flows, fl)
	}
	if len(c.errs) > 0 {
		return nil, c.errs.Sort()
	}
	prog.rows = c.rowList
	prog.c = c
	inferSelect(prog)
	prog.Warnings = c.warns.Sort()
	prog.SpecHash = specHash(files)
	for _, fl := range prog.Flows {
		fl.Hash, fl.StepHashes = flowHash(fl.File, fl.Env, prog.Env, prog.Cursors)
	}
	return prog, nil
}

// rowTypeNames lists the names of the row types the map steps of files
// generate, so that no local variable takes one.
func rowTypeNames(files []*spec.File) map[string]bool {
	names := map[string]bool{}
	for _, f := range files {
		forEachStep(f.Steps, func(st *spec.Step) {
			switch {
			case st.Kind != spec.StepMap:
			case st.Type.Set():
				names[st.Type.Value] = true
			case st.ID.Set():
				names[rowTypeName(st.ID.Value)] = true
			}
		})
	}
	return names
}

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

// specHash identifies the spec files' content: a resumed run refuses to
// continue under a changed spec. Paths are reduced to base names so the
// hash does not depend on the directory generation ran in.
func specHash(files []*spec.File) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(f.Path), len(f.Source))
		h.Write(f.Source)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// checkProgramDecls merges [env] and [cursor.*] across files: the files of
// one program share them, and must agree where they both declare a name.
func (c *checker) checkProgramDecls(prog *Program) {
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
			prog.Env = append(prog.Env, e)
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
			prog.Cursors = append(prog.Cursors, cur)
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

// reservedNames lists the Go names a local variable must not take in the
// generated file: every package name it may import, and the names the
// generated code itself uses.
func (c *checker) reservedNames() map[string]bool {
	r := map[string]bool{
		"r": true, "ctx": true, "err": true, "herr": true, "main": true, "program": true,
		"runtime": true, "context": true, "time": true, "strconv": true, "transform": true, "fmt": true,
		"pgstore": true, "redisstore": true,
	}
	for _, p := range c.pkgs.byPattern {
		if p.Types == nil {
			continue
		}
		r[p.Types.Name()] = true
		for _, imp := range p.Types.Imports() {
			r[imp.Name()] = true
		}
	}
	return r
}

// newName takes a fresh local name for generated code: base, base2,
// base3..., skipping the names of step variables.
func (c *checker) newName(base string) string {
	name, n := c.nextName(base)
	c.counter[base] = n
	c.goNames[name] = "(generated)"
	c.takeLocal(name)
	return name
}

// peekName returns the name newName(base) would return, without taking it.
func (c *checker) peekName(base string) string {
	name, _ := c.nextName(base)
	return name
}

func (c *checker) nextName(base string) (string, int) {
	for n := c.counter[base] + 1; ; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s%d", base, n)
		}
		if c.goNames[name] == "" {
			return name, n
		}
	}
}

// takeNow allocates the now variable that peekName("now") announced, if the
// expressions checked with it called now().
func (c *checker) takeNow(used bool) string {
	if !used {
		return ""
	}
	return c.newName("now")
}

// goName is the Go variable for a step id: the id in Go's mixedCaps
// (github_open -> githubOpen), renamed if it would shadow a package or
// clash with another step's variable.
func (c *checker) goName(id string) string {
	name := lowerCamel(id)
	if c.reserved[name] || c.rowNames[name] || token.IsKeyword(name) || types.Universe.Lookup(name) != nil {
		name += "Result" // not "Out": time would become timeOut
	}
	for base, n := name, 2; c.goNames[name] != "" && c.goNames[name] != id; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	c.goNames[name] = id
	c.takeLocal(name)
	return name
}

// takeLocal records a local name of some flow.
func (c *checker) takeLocal(name string) {
	if c.everyLocal == nil {
		c.everyLocal = map[string]bool{}
	}
	c.everyLocal[name] = true
}

// localName takes a Go local name that no step id gave: name, or name2,
// name3... if a step's variable already has it. owner says who holds it.
func (c *checker) localName(name, owner string) string {
	base := name
	for n := 2; c.goNames[name] != "" && c.goNames[name] != owner; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	c.goNames[name] = owner
	c.takeLocal(name)
	return name
}

// lowerCamel turns issue_key into issueKey; ids without underscores are kept.
func lowerCamel(id string) string {
	if !strings.Contains(id, "_") || strings.Trim(id, "_") == "" {
		return id
	}
	e := exportedName(id)
	r := []rune(e)
	// Lower the leading initialism as a whole: URLList -> urlList.
	i := 0
	for i < len(r) && unicode.IsUpper(r[i]) {
		i++
	}
	if i > 1 && i < len(r) {
		i--
	}
	for j := 0; j < i || j == 0; j++ {
		r[j] = unicode.ToLower(r[j])
	}
	return string(r)
}

func (c *checker) checkFlow(f *spec.File) *Flow {
	c.file = f
	c.flowEnv = map[string]bool{}
	c.defined = map[string]*binding{}
	c.ids = map[string]spec.Pos{}
	forEachStep(f.Steps, func(st *spec.Step) {
		if _, seen := c.ids[st.ID.Value]; st.ID.Set() && !seen {
			c.ids[st.ID.Value] = st.ID.Pos
		}
	})
	c.counter = map[string]int{}
	c.calls = nil
	c.goNames = map[string]string{}
	c.loop, c.floor, c.floorWhy = nil, nil, ""
	fl := &Flow{
		File:        f,
		Name:        f.Flow.Value,
		Description: f.Description.Value,
		Schedule:    f.Schedule.Value,
		FuncName:    "run" + exportedName(f.Flow.Value),
	}
	root := newScope(nil)
	root.define(&binding{id: "env", kind: bindEnv})
	root.define(&binding{id: "cursor", kind: bindCursor})
	root.define(&binding{id: "now", kind: bindNow})
	fl.body = c.checkBlock(newScope(root), f.Steps, "")
	fl.Env = []string{}
	for _, v := range f.Env {
		if c.flowEnv[v.Name] {
			fl.Env = append(fl.Env, v.Name)
		}
	}
	for _, n := range sortedKeys(c.flowEnv) {
		if !slices.Contains(fl.Env, n) {
			fl.Env = append(fl.Env, n) // declared in another file of the program
		}
	}
	return fl
}

// checkBlock checks a list of steps in a new scope. where describes the
// block for messages about its ids once it has closed ("inside the if block
// at f:l:c"); "" for the flow's top level.
func (c *checker) checkBlock(s *scope, steps []*spec.Step, where string) []stmt {
	var out []stmt
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxDepth && len(steps) > 0 {
		c.errs.Add(steps[0].Pos, "blocks nest %d deep here; the limit is %d: move the inner steps into a node, or flatten the conditions", c.depth-1, maxDepth)
		return nil
	}
	for _, st := range steps {
		if x := c.checkStep(s, st); x != nil {
			out = append(out, x)
		}
	}
	if where != "" {
		for _, b := range s.order {
			if b.where == "" {
				b.where = where
			}
		}
	}
	return out
}

// maxDepth is how deep blocks (then, else, do, parallel branches) may
// nest: the generated code nests deeper still, and Go's parser has limits.
const maxDepth = 50

func (c *checker) specFile() string { return filepath.Base(c.file.Path) }

func (c *checker) checkStep(s *scope, st *spec.Step) stmt {
	saved := c.step
	c.step = st
	defer func() { c.step = saved }()
	if !kindComplete(st) {
		// The spec reader reported what is missing or malformed; checking
		// the rest of the step would only echo it.
		c.bindBroken(s, st.ID)
		return nil
	}
	x := c.checkStepKind(s, st)
	if x == nil {
		switch st.Kind {
		case spec.StepCall, spec.StepMap, spec.StepFilter, spec.StepUnique, spec.StepMerge, spec.StepForEach, spec.StepStream:
			// A step that failed to check still defines its id, so later
			// uses are not reported as "not defined yet".
			c.bindBroken(s, st.ID)
		}
	}
	return x
}

func (c *checker) checkStepKind(s *scope, st *spec.Step) stmt {
	switch st.Kind {
	case spec.StepCall:
		return c.checkCall(s, st)
	case spec.StepMap:
		return c.checkMap(s, st)
	case spec.StepFilter:
		return c.checkFilter(s, st)
	case spec.StepUnique:
		return c.checkUnique(s, st)
	case spec.StepMerge:
		return c.checkMerge(s, st)
	case spec.StepIf:
		return c.checkIf(s, st)
	case spec.StepWhile:
		return c.checkWhile(s, st)
	case spec.StepParallel:
		return c.checkParallel(s, st)
	case spec.StepForEach:
		return c.checkForEach(s, st)
	case spec.StepSequence:
		if st.ID.Set() {
			c.bindBlockID(s, st)
		}
		return &seqStmt{base: base{st}, body: c.checkBlock(newScope(s), st.Do, fmt.Sprintf("inside the do block at %s", st.Pos))}
	case spec.StepStream:
		return c.checkStream(s, st)
	case spec.StepResetCursor:
		if st.ID.Set() {
			c.bindBlockID(s, st)
		}
		if c.checkCursorName(st.ResetCursor) {
			return &resetStmt{base: base{st}, cursor: st.ResetCursor.Value}
		}
	}
	return nil
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

// bind defines the output of a step in s. It handles re-binding inside a
// while loop: an id defined outside the innermost loop may be assigned again
// with a value of the same type. It returns nil if the id is unusable.
func (c *checker) bind(s *scope, id spec.String, typ types.Type, what string) *binding {
	if !id.Set() {
		return nil
	}
	if prev := s.lookup(id.Value); prev != nil && prev.kind == bindStep {
		if c.loop != nil && c.loop.outer.lookup(id.Value) == prev && definedBelow(c.loop.outer, c.floor, prev) {
			if prev.broken {
				return nil // the first definition's error says enough
			}
			if first, twice := c.loop.rebound[id.Value]; twice {
				c.errs.Add(id.Pos, "%s is already re-bound in this loop at %s; re-bind it once per iteration", id.Value, first)
				return nil
			}
			if !types.Identical(prev.typ, typ) {
				c.errs.Add(id.Pos, "cannot re-bind %s to %s: it was defined at %s as %s; a loop may re-bind an id only with the same type",
					id.Value, c.typeString(typ), prev.pos, c.typeString(prev.typ))
				return nil
			}
			c.loop.rebound[id.Value] = id.Pos
			prev.predeclared = true
			return prev
		}
		switch {
		case c.floor != nil && !definedBelow(s, c.floor, prev):
			c.errs.Add(id.Pos, "step id %s is already defined at %s; %s, so it cannot re-bind an id defined outside it", id.Value, prev.pos, c.floorWhy)
		default:
			c.errs.Add(id.Pos, "step id %s is already defined at %s; only a step inside a while loop may re-bind an id defined before the loop", id.Value, prev.pos)
		}
		return nil
	}
	if prev, ok := c.defined[id.Value]; ok {
		c.errs.Add(id.Pos, "step id %s is already defined at %s", id.Value, prev.pos)
		return nil
	}
	b := &binding{id: id.Value, goName: c.goName(id.Value), typ: typ, pos: id.Pos, kind: bindStep}
	s.define(b)
	c.defined[id.Value] = b
	return b
}

// definedBelow reports whether b is defined in from or one of its parents
// up to floor (nil: the flow's top).
func definedBelow(from, floor *scope, b *binding) bool {
	for sc := from; sc != nil; sc = sc.parent {
		if sc.names[b.id] == b {
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

// kindComplete reports whether the keys that make a step's kind were read
// well enough to check it.
func kindComplete(st *spec.Step) bool {
	has := func(s spec.String) bool { return s.Set() && strings.TrimSpace(s.Value) != "" }
	switch st.Kind {
	case spec.StepCall:
		return has(st.Call)
	case spec.StepMap:
		return has(st.Source) && len(st.Fields) > 0
	case spec.StepUnique:
		return has(st.Source) && has(st.Key)
	case spec.StepFilter:
		return has(st.Source) && has(st.Where)
	case spec.StepMerge:
		for _, m := range st.Merge {
			if !has(m) {
				return false
			}
		}
		return len(st.Merge) >= 2
	case spec.StepIf:
		return has(st.Cond)
	case spec.StepWhile:
		return has(st.Cond) && st.MaxIterations.Value > 0
	case spec.StepForEach:
		return has(st.Source) && (!st.Concurrency.Set() || st.Concurrency.Value >= 1)
	case spec.StepParallel:
		return len(st.Branches) > 0
	case spec.StepSequence:
		return true
	case spec.StepResetCursor:
		return has(st.ResetCursor)
	case spec.StepStream:
		return has(st.Stream) && st.ID.Set() && len(st.Do) > 0 && st.ReadAhead.Value >= 0 && st.ReadAhead.Value <= spec.MaxReadAhead
	}
	return false
}

// bindBroken defines id for a step that failed to check, so that later
// expressions using it are not reported again.
func (c *checker) bindBroken(s *scope, id spec.String) {
	if !id.Set() || s.lookup(id.Value) != nil {
		return
	}
	b := &binding{id: id.Value, goName: id.Value, pos: id.Pos, kind: bindStep, broken: true}
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

// ---- call ----

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
	x.retry = st.Retry
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
					if _, can := c.stringConv(e); !can {
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
			if !c.checkLiteral(wv.lit, wv.typ, "field "+wv.field) {
				continue
			}
		}
		good = append(good, wv)
	}
	return good
}

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

// assignable checks that e can be assigned to t; what names the target.
func (c *checker) assignable(e *expr, t types.Type, what string) bool {
	v := e.val.Type
	if v == nil {
		v = e.typ
	}
	if types.AssignableTo(v, t) {
		// An untyped constant must also fit: AssignableTo takes 0.1 for an
		// int, which the compiler then refuses.
		if b, ok := t.Underlying().(*types.Basic); ok && e.val.Value != nil && isUntyped(v) && !representable(e.val.Value, b) {
			c.errs.Add(e.pos, "cannot use %s (a constant) as %s in %s: it does not fit", e.src, c.typeString(t), what)
			return false
		}
		return true
	}
	hint := ""
	if p, ok := t.Underlying().(*types.Pointer); ok && types.AssignableTo(v, p.Elem()) {
		hint = fmt.Sprintf("; pass a pointer to a copy: ${new(%s)}", e.src)
	} else if types.ConvertibleTo(v, t) {
		hint = fmt.Sprintf("; convert it: %s(%s)", c.typeString(t), e.src)
	}
	c.errs.Add(e.pos, "cannot use %s (%s) as %s in %s%s", e.src, c.typeString(e.typ), c.typeString(t), what, hint)
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

// ---- warnings ----

// warnPaged warns of a paged node (In has PageToken, Out NextPageToken)
// called inside a while loop without its termination field (Done) set:
// after the last page the loop starts again at the first.
func (c *checker) warnPaged(st *spec.Step, x *callStmt) {
	if c.loop == nil || x.inType == nil {
		return
	}
	in, ok1 := x.inType.Underlying().(*types.Struct)
	out, ok2 := x.outType.Underlying().(*types.Struct)
	if !ok1 || !ok2 || !hasField(in, "PageToken") || !hasField(out, "NextPageToken") {
		return
	}
	set := map[string]bool{}
	for _, w := range st.With {
		set[w.Key] = true
	}
	switch {
	case !set["PageToken"]:
		c.warns.Add(st.Call.Pos, "paged node %s in a while loop without PageToken: every iteration fetches the first page again; set PageToken = \"${%s.NextPageToken}\"", st.Call.Value, st.ID.Value)
	case hasField(in, "Done") && !set["Done"]:
		c.warns.Add(st.Call.Pos, "paged node %s in a while loop without Done: after the last page it starts again at the first; set Done from the previous page, such as Done = \"${!%s.HasMore}\"", st.Call.Value, st.ID.Value)
	}
}

func hasField(st *types.Struct, name string) bool {
	for i := 0; i < st.NumFields(); i++ {
		if st.Field(i).Name() == name {
			return true
		}
	}
	return false
}

// warnSecretInText warns of a secret env var interpolated into a larger
// string (a JQL, a URL): the whole text is a step input, logged in errors
// and compared on resume, and the secret goes wherever the text goes.
func (c *checker) warnSecretInText(e *expr, field string) {
	ast.Inspect(e.ast, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		if id, ok := sel.X.(*ast.Ident); ok && id.Name == "env" {
			if ev := c.envByName[sel.Sel.Name]; ev != nil && ev.Secret.Value {
				c.warns.Add(e.pos, "secret env %s is interpolated into the text of field %s: the secret goes wherever the text goes (logs, error messages, the server's records); pass it alone to a field meant for it, such as Token = \"${env.%s}\"", sel.Sel.Name, field, sel.Sel.Name)
			}
		}
		return true
	})
}

// warnUnread warns of call outputs that hold data (a slice or a map) that
// the journal records on every run but no expression reads.
func (c *checker) warnUnread() {
	for _, x := range c.calls {
		if x.out == nil || x.out.used || !holdsData(x.outType) {
			continue
		}
		c.warns.Add(x.out.pos, "the output of step %s (%s) holds data that is journaled on every run but never read; use it, or drop the step", x.out.id, c.typeString(x.outType))
	}
}

// holdsData reports whether a struct type has a field that holds records:
// a slice or map of structs (a sink's []string of error texts is not).
func holdsData(t types.Type) bool {
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return false
	}
	for i := 0; i < st.NumFields(); i++ {
		var elem types.Type
		switch u := st.Field(i).Type().Underlying().(type) {
		case *types.Slice:
			elem = u.Elem()
		case *types.Map:
			elem = u.Elem()
		default:
			continue
		}
		if p, ok := elem.Underlying().(*types.Pointer); ok {
			elem = p.Elem()
		}
		if _, ok := elem.Underlying().(*types.Struct); ok {
			return true
		}
	}
	return false
}

// ---- on_error, advance ----

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
	return &advanceIR{cursor: a.Cursor.Value, e: e, layout: layout}
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

// ---- pure steps ----

// elemOf checks that e is a slice and returns its element type.
func (c *checker) elemOf(e *expr, what string) types.Type {
	sl, ok := e.typ.Underlying().(*types.Slice)
	if !ok {
		c.errs.Add(e.pos, "%s needs a slice, but %s is %s", what, e.src, c.typeString(e.typ))
		return nil
	}
	if msg := c.unwritable(sl.Elem()); msg != "" {
		c.errs.Add(e.pos, "%s cannot loop over %s: %s", what, e.src, msg)
		return nil
	}
	return sl.Elem()
}

// storableElem is elemOf for steps whose output is a new slice of the
// elements (filter, unique, merge): they must be data the journal can hold.
func (c *checker) storableElem(e *expr, what string) types.Type {
	elem := c.elemOf(e, what)
	if elem == nil || !c.checkJSONType(elem, e.pos, "the elements of "+e.src, "cannot be the output of "+what, "a step's output must be data that JSON can write") {
		return nil
	}
	return elem
}

// loopVar defines the `as` variable of map, filter and for_each.
func (c *checker) loopVar(s *scope, st *spec.Step, elem types.Type) *binding {
	name, pos := "it", st.Pos
	if st.As.Set() {
		name, pos = st.As.Value, st.As.Pos
	}
	if prev := s.lookup(name); prev != nil && prev.kind == bindStep {
		c.errs.Add(pos, "as = %q hides step %s defined at %s; choose another name", name, name, prev.pos)
	}
	goName := name
	if c.reserved[goName] || c.rowNames[goName] || token.IsKeyword(goName) {
		goName += "Item"
	}
	b := &binding{id: name, goName: goName, typ: elem, pos: pos, kind: bindLoopVar}
	s.define(b)
	return b
}

func (c *checker) sourceExpr(s *scope, src spec.String, nowVar string) *expr {
	return c.checkExpr(exprEnv{scope: s, nowVar: nowVar}, bareExpr(src))
}

func (c *checker) checkMap(s *scope, st *spec.Step) stmt {
	if !c.requireID(st) {
		return nil
	}
	x := &mapStmt{base: base{st}}
	x.src = c.sourceExpr(s, st.Source, "")
	var elem types.Type
	if x.src != nil {
		elem = c.elemOf(x.src, "map")
	}
	if elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	inner := newScope(s)
	x.loopVar = c.loopVar(inner, st, elem)
	nowVar := c.peekName("now")
	usesNow := false
	var fields []rowField
	ok := true
	seen := map[string]*spec.Field{}
	for _, f := range st.Fields {
		goName := exportedName(f.Key)
		if goName == "" {
			c.errs.Add(f.KeyPos, "field name %q has no letters to make a Go name of", f.Key)
			ok = false
			continue
		}
		if prev, dup := seen[goName]; dup {
			c.errs.Add(f.KeyPos, "field %s would be Go field %s, like field %s at %s; rename one", f.Key, goName, prev.Key, prev.KeyPos)
			ok = false
			continue
		}
		seen[goName] = f
		if strings.ContainsAny(f.Key, "`\"\\") || strings.IndexFunc(f.Key, unicode.IsControl) >= 0 {
			c.errs.Add(f.KeyPos, "field name %q cannot be a column name: it holds a quote, backslash, backquote or control character; expected letters, digits and _", f.Key)
			ok = false
			continue
		}
		if f.Value.Kind != spec.KindString {
			// the spec reader reported it
			ok = false
			continue
		}
		e := c.checkExpr(exprEnv{scope: inner, nowVar: nowVar}, bareExpr(f.Value.Str))
		if e == nil {
			ok = false
			continue
		}
		usesNow = usesNow || e.now
		if !c.checkJSONType(e.typ, e.pos, "field "+f.Key, "cannot be a column", "a row's fields must be data that JSON can write") {
			ok = false
			continue
		}
		x.fields = append(x.fields, e)
		fields = append(fields, rowField{column: f.Key, goName: goName, typ: e.typ})
	}
	x.nowVar = c.takeNow(usesNow)
	if !ok {
		c.bindBroken(s, st.ID)
		return nil
	}
	x.row = c.rowType(st, fields)
	if x.row == nil {
		return nil
	}
	x.out = c.bind(s, st.ID, types.NewSlice(x.row.named), "map")
	if x.out == nil {
		return nil
	}
	return x
}

// rowType returns the generated struct for a map step: its own, or the
// shared one named by `type`, whose fields must then match exactly.
func (c *checker) rowType(st *spec.Step, fields []rowField) *rowType {
	name := st.Type.Value
	pos := st.Type.Pos
	if name == "" {
		name = rowTypeName(st.ID.Value)
		pos = st.ID.Pos
	}
	if prev, ok := c.rows[name]; ok {
		if !st.Type.Set() {
			c.errs.Add(st.ID.Pos, "the row type of step %s would be %s, already generated for step %s at %s; set type = \"...\" to share it on purpose, or rename the step", st.ID.Value, name, prev.step.ID.Value, prev.pos)
			return nil
		}
		if msg := sameFields(prev.fields, fields, c); msg != "" {
			c.errs.Add(st.Type.Pos, "type %s is already defined at %s with other fields: %s", name, prev.pos, msg)
			return nil
		}
		return prev
	}
	if !token.IsExported(name) {
		if st.Type.Set() {
			return nil // the spec reader reported it
		}
		c.errs.Add(pos, "type name %q must be an exported Go name (start with an upper-case letter)", name)
		return nil
	}
	rt := &rowType{name: name, pos: pos, step: st, file: c.specFile(), fields: fields}
	var vars []*types.Var
	for _, f := range fields {
		vars = append(vars, types.NewField(token.NoPos, c.mainPkg, f.goName, f.typ, false))
	}
	tn := types.NewTypeName(token.NoPos, c.mainPkg, name, nil)
	rt.named = types.NewNamed(tn, types.NewStruct(vars, nil), nil)
	c.rows[name] = rt
	c.rowList = append(c.rowList, rt)
	return rt
}

func sameFields(a, b []rowField, c *checker) string {
	for i := 0; i < len(a) || i < len(b); i++ {
		switch {
		case i >= len(a):
			return fmt.Sprintf("extra field %s", b[i].column)
		case i >= len(b):
			return fmt.Sprintf("missing field %s", a[i].column)
		case a[i].column != b[i].column:
			return fmt.Sprintf("field %d is %s here, %s there", i+1, b[i].column, a[i].column)
		case !types.Identical(a[i].typ, b[i].typ):
			return fmt.Sprintf("field %s is %s here, %s there", a[i].column, c.typeString(b[i].typ), c.typeString(a[i].typ))
		}
	}
	return ""
}

// rowTypeName derives a type name from a step id: rows -> Row,
// issues -> Issue, transformed -> TransformedRow.
func rowTypeName(id string) string {
	n := exportedName(id)
	switch {
	case strings.HasSuffix(n, "ies") && len(n) > 3:
		return n[:len(n)-3] + "y"
	case strings.HasSuffix(n, "ss"):
		return n + "Row"
	case strings.HasSuffix(n, "s") && len(n) > 1:
		return n[:len(n)-1]
	}
	return n + "Row"
}

func (c *checker) checkFilter(s *scope, st *spec.Step) stmt {
	if !c.requireID(st) {
		return nil
	}
	x := &filterStmt{base: base{st}}
	x.src = c.sourceExpr(s, st.Source, "")
	if x.src != nil {
		x.elem = c.storableElem(x.src, "filter")
	}
	if x.elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	inner := newScope(s)
	x.loopVar = c.loopVar(inner, st, x.elem)
	x.where = c.sourceExprIn(inner, st.Where, c.peekName("now"))
	if x.where == nil {
		return nil
	}
	x.nowVar = c.takeNow(x.where.now)
	if !c.isBool(x.where) {
		return nil
	}
	x.out = c.bind(s, st.ID, types.NewSlice(x.elem), "filter")
	return x
}

func (c *checker) sourceExprIn(s *scope, src spec.String, nowVar string) *expr {
	return c.checkExpr(exprEnv{scope: s, nowVar: nowVar}, bareExpr(src))
}

func (c *checker) isBool(e *expr) bool {
	if b, ok := e.typ.Underlying().(*types.Basic); ok && b.Info()&types.IsBoolean != 0 {
		return true
	}
	c.errs.Add(e.pos, "condition %s is %s; expected a bool", e.src, c.typeString(e.typ))
	return false
}

func (c *checker) checkUnique(s *scope, st *spec.Step) stmt {
	if !c.requireID(st) {
		return nil
	}
	x := &uniqueStmt{base: base{st}}
	x.src = c.sourceExpr(s, st.Source, "")
	if x.src != nil {
		x.elem = c.storableElem(x.src, "unique")
	}
	if x.elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	stc, ok := x.elem.Underlying().(*types.Struct)
	if !ok {
		c.errs.Add(x.src.pos, "unique needs a slice of structs, but %s has elements of type %s", x.src.src, c.typeString(x.elem))
		return nil
	}
	// The key names a field: a map step's column (issue_key) or a Go field (Key).
	var names []string
	for i := 0; i < stc.NumFields(); i++ {
		f := stc.Field(i)
		if !f.Exported() && f.Pkg() != c.mainPkg {
			continue
		}
		names = append(names, f.Name())
		col := columnOf(x.elem, f.Name(), c)
		if f.Name() == st.Key.Value || col == st.Key.Value {
			x.keyField, x.keyType = f.Name(), f.Type()
		}
		if col != "" && col != f.Name() {
			names = append(names, col)
		}
	}
	if x.keyField == "" {
		c.errs.Add(st.Key.Pos, "%s has no field %s%s", c.typeString(x.elem), st.Key.Value, spec.DidYouMean(st.Key.Value, names))
		return nil
	}
	if !types.Comparable(x.keyType) {
		c.errs.Add(st.Key.Pos, "key field %s is %s, which cannot be compared; expected a string, number or other comparable type", st.Key.Value, c.typeString(x.keyType))
		return nil
	}
	x.out = c.bind(s, st.ID, uniqueType(c, x.elem), "unique")
	return x
}

// columnOf returns the spec column name of a generated row type's field.
func columnOf(t types.Type, field string, c *checker) string {
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return ""
	}
	if rt := c.rows[n.Obj().Name()]; rt != nil && rt.named == n {
		for _, f := range rt.fields {
			if f.goName == field {
				return f.column
			}
		}
	}
	return ""
}

// uniqueType is transform.Unique[elem]; the checker builds it as a
// struct{Rows []elem; Duplicates int} named from the transform package.
func uniqueType(c *checker, elem types.Type) types.Type {
	tp := c.pkgs.transform
	if tp == nil {
		return types.NewStruct([]*types.Var{
			types.NewField(token.NoPos, nil, "Rows", types.NewSlice(elem), false),
			types.NewField(token.NoPos, nil, "Duplicates", types.Typ[types.Int], false),
		}, nil)
	}
	gen := tp.Scope().Lookup("Unique").Type()
	inst, err := types.Instantiate(nil, gen, []types.Type{elem}, false)
	if err != nil {
		panic(err)
	}
	return inst
}

func (c *checker) checkMerge(s *scope, st *spec.Step) stmt {
	if !c.requireID(st) {
		return nil
	}
	x := &mergeStmt{base: base{st}}
	var elem types.Type
	ok := true
	for _, m := range st.Merge {
		e := c.sourceExpr(s, m, "")
		if e == nil {
			ok = false
			continue
		}
		el := c.storableElem(e, "merge")
		if el == nil {
			ok = false
			continue
		}
		if elem == nil {
			elem = el
		} else if !types.Identical(elem, el) {
			c.errs.Add(e.pos, "cannot merge %s (elements of %s) with %s (elements of %s); map them to one row type first (type = \"...\" on each map step)",
				e.src, c.typeString(el), x.srcs[0].src, c.typeString(elem))
			ok = false
			continue
		}
		x.srcs = append(x.srcs, e)
	}
	if !ok || elem == nil {
		c.bindBroken(s, st.ID)
		return nil
	}
	x.out = c.bind(s, st.ID, types.NewSlice(elem), "merge")
	return x
}

// ---- control flow ----

func (c *checker) checkIf(s *scope, st *spec.Step) stmt {
	x := &ifStmt{base: base{st}}
	if st.ID.Set() {
		c.bindBlockID(s, st)
	}
	x.cond = c.sourceExprIn(s, st.Cond, c.peekName("now"))
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
	x.cond = c.sourceExprIn(s, st.Cond, c.peekName("now"))
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
		x.collect = c.sourceExprIn(body, st.Collect, "")
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

// ---- helpers ----

// typeString prints t as the spec's reader knows it: package names, not
// paths; generated row types without a package.
func (c *checker) typeString(t types.Type) string {
	return types.TypeString(t, qualifier(c.mainPkg))
}

func qualifier(main *types.Package) types.Qualifier {
	return func(p *types.Package) string {
		if p == nil || p == main || p.Path() == "main" {
			return ""
		}
		return p.Name()
	}
}

// exportedName turns a spec name (issue_key, jira-warehouse-sync) into an
// exported Go name (IssueKey, JiraWarehouseSync).
func exportedName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if b.Len() == 0 && unicode.IsDigit(r) {
			b.WriteString("X")
		}
		if up {
			b.WriteRune(unicode.ToUpper(r))
			up = false
		} else {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if r, _ := utf8.DecodeRuneInString(out); out != "" && !unicode.IsUpper(r) {
		// A letter without case (名前) cannot start an exported name.
		out = "X" + out
	}
	// Go initialisms read better: IssueId -> IssueID, Url -> URL.
	for _, w := range []string{"Id", "Url", "Api", "Http", "Json", "Sql", "Uuid"} {
		if strings.HasSuffix(out, w) {
			out = out[:len(out)-len(w)] + strings.ToUpper(w)
		}
	}
	return out
}

// objectKind names what a package-level object is: "a variable".
func objectKind(obj types.Object) string {
	switch obj.(type) {
	case *types.Var:
		return "a variable"
	case *types.Const:
		return "a constant"
	case *types.TypeName:
		return "a type"
	}
	return "not a function"
}

func isIdent(s string) bool {
	return token.IsIdentifier(s)
}

func isUntyped(t types.Type) bool {
	b, ok := t.(*types.Basic)
	return ok && b.Info()&types.IsUntyped != 0
}

// representable reports whether constant v is a value of basic type b, as
// the compiler decides it on amd64 and arm64 (int and uint are 64 bits).
func representable(v constant.Value, b *types.Basic) bool {
	switch {
	case b.Info()&types.IsInteger != 0:
		x := constant.ToInt(v)
		if x.Kind() != constant.Int {
			return false
		}
		if b.Info()&types.IsUnsigned != 0 {
			n, exact := constant.Uint64Val(x)
			if !exact || constant.Sign(x) < 0 {
				return false
			}
			switch b.Kind() {
			case types.Uint8:
				return n <= math.MaxUint8
			case types.Uint16:
				return n <= math.MaxUint16
			case types.Uint32:
				return n <= math.MaxUint32
			}
			return true
		}
		n, exact := constant.Int64Val(x)
		if !exact {
			return false
		}
		switch b.Kind() {
		case types.Int8:
			return n >= math.MinInt8 && n <= math.MaxInt8
		case types.Int16:
			return n >= math.MinInt16 && n <= math.MaxInt16
		case types.Int32:
			return n >= math.MinInt32 && n <= math.MaxInt32
		}
		return true
	case b.Info()&types.IsFloat != 0:
		x := constant.ToFloat(v)
		if x.Kind() != constant.Float && x.Kind() != constant.Int {
			return false
		}
		if b.Kind() == types.Float32 {
			f, _ := constant.Float32Val(x)
			return !math.IsInf(float64(f), 0)
		}
		f, _ := constant.Float64Val(x)
		return !math.IsInf(f, 0)
	case b.Info()&types.IsComplex != 0:
		x := constant.ToComplex(v)
		if x.Kind() != constant.Complex {
			return false
		}
		re, _ := constant.Float64Val(constant.Real(x))
		im, _ := constant.Float64Val(constant.Imag(x))
		return !math.IsInf(re, 0) && !math.IsInf(im, 0)
	}
	return true
}
