package golang

import (
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// commentf is a // comment on one line: the spec text it quotes
// (expressions, calls) may span lines, which would make jennifer write a
// /* */ block.
func commentf(format string, args ...any) *jen.Statement {
	return jen.Comment(oneLine(fmt.Sprintf(format, args...)))
}

// wrap breaks text into lines of at most width bytes at spaces (a word
// longer than width stays whole); an empty text is one empty line.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Split(text, " ") {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// oneLine joins the lines of s with single spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

func (e *emitter) where(p spec.Pos) string {
	return posOf(p)
}

// posOf is where p is, for comments: file:line.
func posOf(p spec.Pos) string {
	return filepath.Base(p.File) + ":" + strconv.Itoa(p.Line)
}

// Package-level names the emitter chooses: the options of each step's call
// (its retry policy, timeout and rate limit) are declared once, at package
// level, and the calls refer to them by name.

// namedDecl is one package-level var the emitter declared.
type namedDecl struct {
	name    string
	comment string
	value   jen.Code
}

// freeName returns base, base2, ... the first that no local of any flow,
// no package name and no earlier package-level name of the emitter takes.
func (e *emitter) freeName(base string) string {
	if e.taken == nil {
		e.taken = map[string]bool{}
	}
	name := base
	for n := 2; e.taken[name] || e.names.taken[name] || token.IsKeyword(name); n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	e.taken[name] = true
	return name
}

// identFromKey turns a journal key (issues, logged.on_error, per_project)
// into a lower mixedCaps Go name (issues, loggedOnError, perProject).
func identFromKey(key string) string {
	parts := strings.FieldsFunc(key, func(r rune) bool {
		return r == '_' || !(unicode.IsLetter(r) || unicode.IsDigit(r))
	})
	var b strings.Builder
	for i, p := range parts {
		r := []rune(p)
		if i == 0 {
			r[0] = unicode.ToLower(r[0])
		} else {
			r[0] = unicode.ToUpper(r[0])
		}
		b.WriteString(string(r))
	}
	name := b.String()
	if name == "" || !unicode.IsLetter([]rune(name)[0]) {
		name = "step" + ExportedName(name)
	}
	return name
}

// namedOptions declares a call's options (a runtime.Options or
// runtime.StreamOptions literal of items) once at package level and
// returns the name to pass. Calls that only use runtime.DefaultRetry share
// defaultOptions; any other step gets <key>Options, shared by the steps of
// that key with the same options (a step re-bound in a while loop).
func (e *emitter) namedOptions(typ string, items []jen.Code, key, where string) jen.Code {
	value := rt(typ).Add(multi(items...))
	rendered := fmt.Sprintf("%#v", value)
	dedup := key + "\x00" + rendered
	base := identFromKey(key) + "Options"
	comment := fmt.Sprintf("step %q (%s)", key, where)
	if rendered == fmt.Sprintf("%#v", rt("Options").Add(multi(field("Retry", rt("DefaultRetry"))))) {
		value = rt("Options").Values(field("Retry", rt("DefaultRetry")))
		dedup, base, comment = rendered, "defaultOptions", "steps that set no retry, timeout, rate_limit or on_error"
	}
	if e.optNames == nil {
		e.optNames = map[string]string{}
	}
	if name, ok := e.optNames[dedup]; ok {
		return jen.Id(name)
	}
	name := e.freeName(base)
	e.optNames[dedup] = name
	e.optDecls = append(e.optDecls, namedDecl{name: name, comment: comment, value: value})
	return jen.Id(name)
}

// optionsDecl writes the package-level options, or nothing.
func (e *emitter) optionsDecl(f *jen.File) {
	if len(e.optDecls) == 0 {
		return
	}
	var defs []jen.Code
	for i, d := range e.optDecls {
		if i > 0 {
			defs = append(defs, jen.Line())
		}
		defs = append(defs, jen.Comment(d.comment), jen.Id(d.name).Op("=").Add(d.value))
	}
	f.Line()
	f.Comment("How each step calls its node, named once: the retry policy (runtime.DefaultRetry unless the")
	f.Comment("step sets retry), the timeout and the rate limit.")
	f.Var().Defs(defs...)
}

// plainRef matches a Go expression that builds nothing: a name or a chain
// of field selections (issues.Items, page.Items).
var plainRef = regexp.MustCompile(`^[\pL_][\pL\pN_]*(\.[\pL_][\pL\pN_]*)*$`)

// ExportedName turns a spec name (issue_key, jira-warehouse-sync) into an
// exported Go name (IssueKey, JiraWarehouseSync).
func ExportedName(s string) string {
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

// The Go names of a program's locals: the emitter chooses them, from the
// spec's names (step ids, `as` names) and the program's shape. The IR
// carries only the spec's names and the identity of each binding.

// locals holds the Go names chosen for one program.
type locals struct {
	// vars names each step output, loop variable and page variable.
	vars map[*ir.Binding]string
	// now names the reading of now() a step records: keyed by the step
	// (*ir.Call, a handler's *ir.Call, *ir.Map, *ir.Filter, *ir.If,
	// *ir.While); a stream's advance has its own (advNow).
	now    map[ir.Step]string
	advNow map[*ir.Stream]string
	// in names the copy of a call's input its on_error handler reads.
	in    map[*ir.Call]string
	iter  map[*ir.While]string
	token map[*ir.Stream]string
	// exprNow and exprIn are what now() and input are written as in each
	// expression that reads them.
	exprNow map[*ir.Expr]string
	exprIn  map[*ir.Expr]string
	// taken holds the names package-level declarations must not take: the
	// locals of every flow, the reserved names, package names and row types.
	taken map[string]bool

	reserved map[string]bool // names a local must not take
	rowNames map[string]bool // row type names: a local must not shadow one
	// per flow
	owner   map[string]string // Go local name -> the id (or role) holding it
	counter map[string]int    // last suffix of each generated base name
}

// errVar is the failed step's error inside an on_error handler.
const errVar = "err"

// FlowFuncName is the Go function a flow's steps are generated into:
// runJiraWarehouseSync for jira-warehouse-sync.
func FlowFuncName(flow string) string { return "run" + ExportedName(flow) }

// nameLocals chooses the Go names of every local of p, flow by flow in
// spec order, each flow's steps in the order they run: a name taken first
// keeps its plain form.
func nameLocals(p *ir.Program) *locals {
	l := &locals{
		vars:     map[*ir.Binding]string{},
		now:      map[ir.Step]string{},
		advNow:   map[*ir.Stream]string{},
		in:       map[*ir.Call]string{},
		iter:     map[*ir.While]string{},
		token:    map[*ir.Stream]string{},
		exprNow:  map[*ir.Expr]string{},
		exprIn:   map[*ir.Expr]string{},
		taken:    map[string]bool{},
		reserved: map[string]bool{},
		rowNames: map[string]bool{},
	}
	for _, n := range reservedNames {
		l.reserved[n] = true
	}
	for _, pkg := range p.Packages {
		l.reserved[pkg.Name()] = true
		for _, imp := range pkg.Imports() {
			l.reserved[imp.Name()] = true
		}
	}
	for _, row := range p.Rows {
		l.rowNames[row.Name] = true
	}
	for _, fl := range p.Flows {
		l.owner = map[string]string{}
		l.counter = map[string]int{}
		l.steps(fl.Body)
	}
	for _, names := range []map[string]bool{l.reserved, l.rowNames} {
		for n := range names {
			l.taken[n] = true
		}
	}
	return l
}

func (l *locals) steps(body []ir.Step) {
	for _, s := range body {
		l.step(s)
	}
}

func (l *locals) step(s ir.Step) {
	switch s := s.(type) {
	case *ir.Call:
		if withNow(s.With) {
			l.now[s] = l.newName("now")
		}
		if h := handler(s); h != nil {
			l.in[s] = l.localName(l.stepName(s.ID)+"In", s.ID+".input")
			if withNow(h.With) {
				l.now[h] = l.newName("now")
			}
			l.withExprs(h.With, func(x *ir.Expr) {
				l.exprNow[x] = l.now[h]
				l.exprIn[x] = l.in[s]
			})
		}
		l.bind(s.Out)
		if s.Advance != nil && s.Advance.Expr.Now && l.now[s] == "" {
			l.now[s] = l.newName("now")
		}
		l.withExprs(s.With, func(x *ir.Expr) { l.exprNow[x] = l.now[s] })
		if s.Advance != nil {
			l.exprNow[s.Advance.Expr] = l.now[s]
		}
	case *ir.Map:
		l.loopVar(s.LoopVar)
		for _, x := range s.Fields {
			if x.Now && l.now[s] == "" {
				l.now[s] = l.newName("now")
			}
		}
		for _, x := range s.Fields {
			l.exprNow[x] = l.now[s]
		}
		l.bind(s.Out)
	case *ir.Filter:
		l.loopVar(s.LoopVar)
		if s.Where.Now {
			l.now[s] = l.newName("now")
		}
		l.exprNow[s.Where] = l.now[s]
		l.bind(s.Out)
	case *ir.Unique:
		l.bind(s.Out)
	case *ir.Merge:
		l.bind(s.Out)
	case *ir.If:
		if s.Cond.Now {
			l.now[s] = l.newName("now")
		}
		l.exprNow[s.Cond] = l.now[s]
		l.steps(s.Then)
		l.steps(s.Else)
	case *ir.While:
		if s.Cond.Now {
			l.now[s] = l.newName("now")
		}
		l.exprNow[s.Cond] = l.now[s]
		l.steps(s.Body)
		l.iter[s] = l.newName("i")
	case *ir.Parallel:
		for _, br := range s.Branches {
			l.steps(br)
		}
	case *ir.ForEach:
		l.loopVar(s.LoopVar)
		l.steps(s.Body)
		l.bind(s.Out)
	case *ir.Seq:
		l.steps(s.Body)
	case *ir.Stream:
		if withNow(s.Src.With) {
			l.now[s.Src] = l.newName("now")
		}
		l.withExprs(s.Src.With, func(x *ir.Expr) { l.exprNow[x] = l.now[s.Src] })
		l.vars[s.Page] = l.localName(s.Page.ID, "(page)")
		l.steps(s.Body)
		l.token[s] = l.newName("pageToken")
		if s.Advance != nil {
			if s.Advance.Expr.Now {
				l.advNow[s] = l.newName("now")
			}
			l.exprNow[s.Advance.Expr] = l.advNow[s]
		}
		l.bind(s.Out)
	}
}

// handler is the on_error handler call of s, or nil.
func handler(s *ir.Call) *ir.Call {
	if s.OnError == nil {
		return nil
	}
	return s.OnError.Handler
}

// withNow reports whether a with value calls now().
func withNow(with []*ir.WithValue) bool {
	used := false
	for _, w := range with {
		if w.Expr != nil && w.Expr.Now {
			used = true
		}
		for _, p := range w.Parts {
			if p.Expr != nil && p.Expr.Now {
				used = true
			}
		}
	}
	return used
}

// withExprs calls f with each expression of a with table.
func (l *locals) withExprs(with []*ir.WithValue, f func(*ir.Expr)) {
	for _, w := range with {
		if w.Expr != nil {
			f(w.Expr)
		}
		for _, p := range w.Parts {
			if p.Expr != nil {
				f(p.Expr)
			}
		}
	}
}

// bind names a step's output (once: a step re-binding it in a loop
// assigns the same variable).
func (l *locals) bind(b *ir.Binding) {
	if b == nil || l.vars[b] != "" {
		return
	}
	l.vars[b] = l.stepName(b.ID)
}

// loopVar names the `as` variable of map, filter and for_each: the spec's
// name, unless it would shadow a package, a row type or a keyword.
func (l *locals) loopVar(b *ir.Binding) {
	name := b.ID
	if l.reserved[name] || l.rowNames[name] || token.IsKeyword(name) {
		name += "Item"
	}
	l.vars[b] = name
}

// stepName is the Go variable for a step id: the id in Go's mixedCaps
// (github_open -> githubOpen), renamed if it would shadow a package or
// clash with another step's variable.
func (l *locals) stepName(id string) string {
	name := lowerCamel(id)
	if l.reserved[name] || l.rowNames[name] || token.IsKeyword(name) || types.Universe.Lookup(name) != nil {
		name += "Result" // not "Out": time would become timeOut
	}
	for base, n := name, 2; l.owner[name] != "" && l.owner[name] != id; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	l.owner[name] = id
	l.taken[name] = true
	return name
}

// localName takes a Go local name that no step id gave: name, or name2,
// name3... if a step's variable already has it. owner says who holds it.
func (l *locals) localName(name, owner string) string {
	base := name
	for n := 2; l.owner[name] != "" && l.owner[name] != owner; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	l.owner[name] = owner
	l.taken[name] = true
	return name
}

// newName takes a fresh local name for generated code: base, base2,
// base3..., skipping the names of step variables.
func (l *locals) newName(base string) string {
	for n := l.counter[base] + 1; ; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s%d", base, n)
		}
		if l.owner[name] == "" {
			l.counter[base] = n
			l.owner[name] = "(generated)"
			l.taken[name] = true
			return name
		}
	}
}

// lowerCamel turns issue_key into issueKey; ids without underscores are kept.
func lowerCamel(id string) string {
	if !strings.Contains(id, "_") || strings.Trim(id, "_") == "" {
		return id
	}
	e := ExportedName(id)
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
