package golang

import (
	"fmt"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dave/jennifer/jen"
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
