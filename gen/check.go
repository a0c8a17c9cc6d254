package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"

	"github.com/resolute/resolute-gen/gen/internal/golang"
	"github.com/resolute/resolute-gen/gen/ir"
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

	rows     map[string]*ir.RowType
	rowList  []*ir.RowType
	mainPkg  *types.Package
	depth    int             // nesting depth of the block being checked
	loadErrs map[string]bool // packages whose load error is already reported
	calls    []*ir.Call      // the calls of the flow, for the unread-output warning

	// per flow
	file    *spec.File
	flowEnv map[string]bool        // env vars the flow's expressions read
	defined map[string]*ir.Binding // every id of the flow, for "not visible here" messages
	ids     map[string]spec.Pos    // every step id of the flow, first place, for "not defined yet" messages
	counter map[string]int         // per-flow counters of unnamed blocks, by kind
	loop    *loopCtx               // innermost while loop, for re-binding
	step    *spec.Step             // the step being checked
	// floor is the scope of the innermost block whose runs may overlap (a
	// for_each body, a parallel branch); floorWhy says why, for messages.
	floor    *scope
	floorWhy string
	// envDecls and cursorDecls are the declarations of the program, first
	// one first (Program.Env and Program.Cursors as the spec wrote them).
	envDecls    []*spec.EnvVar
	cursorDecls []*spec.Cursor
	// exprItems is what scanItems found in each expression (inferSelect).
	exprItems map[*ir.Expr]map[string]itemScan
}

// loopCtx tracks a while loop's body: ids of outer scopes that it re-binds.
type loopCtx struct {
	parent  *loopCtx
	outer   *scope // the scope enclosing the loop
	rebound map[string]spec.Pos
}

// check type-checks files (already parsed) with Go packages resolved as cfg
// says.
func check(files []*spec.File, cfg Config) (*ir.Program, error) {
	c := &checker{
		fset:         token.NewFileSet(),
		files:        files,
		envByName:    map[string]*spec.EnvVar{},
		cursorByName: map[string]*spec.Cursor{},
		cursorKinds:  map[string]map[string]bool{},
		rows:         map[string]*ir.RowType{},
		mainPkg:      types.NewPackage("main", "main"),
		exprItems:    map[*ir.Expr]map[string]itemScan{},
	}
	prog := &ir.Program{}
	for _, f := range files {
		prog.FileNames = append(prog.FileNames, filepath.Base(f.Path))
	}
	flowFile := map[*ir.Flow]*spec.File{}
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
		// The emitter names each flow's function from the flow's name:
		// two names may give the same function.
		fn := golang.FlowFuncName(f.Flow.Value)
		if prev, dup := funcNames[fn]; dup {
			c.errs.Add(f.Flow.Pos, "flow %q and flow %q would both generate %s; rename one", prev, f.Flow.Value, fn)
		}
		funcNames[fn] = f.Flow.Value
		prog.Flows = append(prog.Flows, fl)
		flowFile[fl] = f
	}
	if len(c.errs) > 0 {
		return nil, c.errs.Sort()
	}
	prog.Rows = c.rowList
	prog.Main = c.mainPkg
	for _, cur := range prog.Cursors {
		cur.Kind = c.cursorKind(cur.Name)
	}
	prog.Packages = c.pkgs.nodePackages()
	inferSelect(prog, c.exprItems)
	prog.Warnings = c.warns.Sort()
	prog.SpecHash = specHash(files)
	for _, fl := range prog.Flows {
		fl.Hash, fl.StepHashes = flowHash(flowFile[fl], fl.Env, c.envDecls, c.cursorDecls)
	}
	return prog, nil
}

func (c *checker) checkFlow(f *spec.File) *ir.Flow {
	c.file = f
	c.flowEnv = map[string]bool{}
	c.defined = map[string]*ir.Binding{}
	c.ids = map[string]spec.Pos{}
	forEachStep(f.Steps, func(st *spec.Step) {
		if _, seen := c.ids[st.ID.Value]; st.ID.Set() && !seen {
			c.ids[st.ID.Value] = st.ID.Pos
		}
	})
	c.counter = map[string]int{}
	c.calls = nil
	c.loop, c.floor, c.floorWhy = nil, nil, ""
	fl := &ir.Flow{
		FileName:    filepath.Base(f.Path),
		Pos:         f.Flow.KeyPos,
		Name:        f.Flow.Value,
		Description: f.Description.Value,
		Schedule:    f.Schedule.Value,
	}
	if tr := f.Trigger; tr != nil {
		fl.Trigger = &ir.Trigger{Webhook: tr.Webhook.Value, Secret: tr.Secret.Value}
	}
	root := newScope(nil)
	root.define(&ir.Binding{ID: "env", Kind: ir.BindEnv})
	root.define(&ir.Binding{ID: "cursor", Kind: ir.BindCursor})
	root.define(&ir.Binding{ID: "now", Kind: ir.BindNow})
	fl.Body = c.checkBlock(newScope(root), f.Steps, "")
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
func (c *checker) checkBlock(s *scope, steps []*spec.Step, where string) []ir.Step {
	var out []ir.Step
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
			if b.Where == "" {
				b.Where = where
			}
		}
	}
	return out
}

// maxDepth is how deep blocks (then, else, do, parallel branches) may
// nest: the generated code nests deeper still, and Go's parser has limits.
const maxDepth = 50

func (c *checker) specFile() string { return filepath.Base(c.file.Path) }

func (c *checker) checkStep(s *scope, st *spec.Step) ir.Step {
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

func (c *checker) checkStepKind(s *scope, st *spec.Step) ir.Step {
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
		return &ir.Seq{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}, Body: c.checkBlock(newScope(s), st.Do, fmt.Sprintf("inside the do block at %s", st.Pos))}
	case spec.StepStream:
		return c.checkStream(s, st)
	case spec.StepResetCursor:
		if st.ID.Set() {
			c.bindBlockID(s, st)
		}
		if c.checkCursorName(st.ResetCursor) {
			return &ir.Reset{Base: ir.Base{ID: st.ID.Value, Pos: st.Pos}, Cursor: st.ResetCursor.Value}
		}
	}
	return nil
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
