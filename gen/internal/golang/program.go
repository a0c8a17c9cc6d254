package golang

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
	"golang.org/x/tools/imports"
)

// rateLimitsCode is the Program's RateLimits field.
func rateLimitsCode(ls []*ir.RateLimit) jen.Code {
	var items []jen.Code
	for _, l := range ls {
		items = append(items, jen.Values(
			field("Name", jen.Lit(l.Name)),
			field("Requests", jen.Lit(l.Requests)),
			field("Per", durationCode(l.Per)),
			field("Burst", jen.Lit(l.Burst)),
		))
	}
	return field("RateLimits", jen.Index().Add(rt("RateLimit")).Add(multi(items...)))
}

// triggerCode is a Flow's Trigger field.
func triggerCode(tr *ir.Trigger) jen.Code {
	return field("Trigger", jen.Op("&").Add(rt("Trigger")).Values(
		field("Webhook", jen.Lit(tr.Webhook)),
		field("Secret", jen.Lit(tr.Secret)),
	))
}

// RuntimeAPIVersion is the version of the runtime's API (runtime.APIVersion)
// that generated programs are written for. Every program declares it (see
// versionLock), so that building one against a runtime of another version
// fails at once with an error naming both versions.
const RuntimeAPIVersion = 2

// versionLock is the generated declaration that pins the runtime's API
// version, as protoc-gen-go's output does with protoimpl.EnforceVersion.
func versionLock(f *jen.File) {
	f.Commentf("The version lock: this program was generated for version %d of the runtime's API; built against", RuntimeAPIVersion)
	f.Comment("another version it fails here, with an error naming both: regenerate it with the matching resolute-gen.")
	// One line, as the runtime's doc shows it (jennifer would spread the
	// interface over three).
	iface := fmt.Sprintf("interface{ GeneratedForAPIVersion%d() }", RuntimeAPIVersion)
	f.Var().Id("_").Op(iface).Op("=").Add(rt("ThisAPIVersion"))
}

// emitter writes one program. Generated locals never shadow a package name
// (nameLocals renames them), and imports are never written by hand: every
// reference to another package goes through jen.Qual.
type emitter struct {
	TypeWriter
	prog     *ir.Program
	declared map[*ir.Binding]bool
	// errScopes tracks, per Go block, whether err is declared there; a
	// function literal starts a new chain (nil marks the boundary).
	errScopes []*bool
	// optNames and optDecls are the package-level call options (see
	// namedOptions); taken holds every package-level name chosen.
	optNames map[string]string
	optDecls []namedDecl
	taken    map[string]bool
	// inPage counts the stream bodies being emitted: inside one, now() is
	// read per page, not journaled.
	inPage int
	// names are the Go names of the program's locals (see nameLocals).
	names *locals
	// target emits the steps that differ between the outputs: the
	// emitter itself, or the temporalEmitter that wraps it.
	target target
}

func newEmitter(p *ir.Program) *emitter {
	e := &emitter{TypeWriter: TypeWriter{p.Main}, prog: p, declared: map[*ir.Binding]bool{}, names: nameLocals(p)}
	e.target = e
	return e
}

// varName is the Go variable of a step output, loop or page variable.
func (e *emitter) varName(b *ir.Binding) string { return e.names.vars[b] }

// nowVar is the reading of now() that step s records (an *ir.Call, *ir.Map,
// *ir.Filter, *ir.If or *ir.While), or "" if it reads none.
func (e *emitter) nowVar(s ir.Step) string { return e.names.now[s] }

// inVar is the copy of s's input its on_error handler reads, or "".
func (e *emitter) inVar(s *ir.Call) string {
	if !s.ReadsInput {
		return ""
	}
	return e.names.in[s]
}

// Generate writes the standalone program (a main package calling
// runtime.Main) as gofmt'd Go source; version goes in its header.
func Generate(p *ir.Program, version string) ([]byte, error) {
	e := newEmitter(p)
	f := newFile(p, version, "")
	f.ImportNames(importNames(p))

	// The package comment: what the command does.
	doc := packageDoc(p, "")
	// One // comment per line: a /* */ block would end at a "*/" in the
	// description.
	for _, line := range strings.Split(strings.Join(doc, "\n"), "\n") {
		for _, l := range wrap(strings.TrimRight(line, " \t"), 100) {
			f.PackageComment(l)
		}
	}

	f.Func().Id("main").Params().Block(rt("Main").Call(jen.Id("program")))
	f.Line()
	versionLock(f)
	f.Line()
	f.Var().Id("program").Op("=").Add(e.programValue(p, version))

	// The flows are rendered first: they decide the named options.
	var funcs []jen.Code
	for _, fl := range p.Flows {
		funcs = append(funcs, jen.Func().Id(FlowFuncName(fl.Name)).Params(jen.Id("ctx").Qual("context", "Context"), jen.Id("r").Op("*").Add(rt("Run"))).Error().Block(e.flowBody(fl)...))
	}
	e.optionsDecl(f)

	e.rowTypes(f)

	for i, fl := range p.Flows {
		f.Line()
		f.Commentf("%s runs flow %q (%s:%d).", FlowFuncName(fl.Name), fl.Name, fl.FileName, fl.Pos.Line)
		f.Add(funcs[i])
	}

	return render(f)
}

// newFile starts the generated main package with its header; target is
// the --target flag the output was made with, "" for the standalone one.
func newFile(p *ir.Program, version, target string) *jen.File {
	f := jen.NewFile("main")
	var names []string
	names = append(names, p.FileNames...)
	by := "resolute-gen"
	if version != "" {
		by += " " + version
	}
	if target != "" {
		by += " --target " + target
	}
	f.HeaderComment(fmt.Sprintf("Code generated by %s from %s. DO NOT EDIT.", by, strings.Join(names, ", ")))
	return f
}

// packageDoc is the package comment's text, a line a flow: what the
// command does, where, e.g. " on Temporal", says what it runs on.
func packageDoc(p *ir.Program, where string) []string {
	var doc []string
	for _, fl := range p.Flows {
		line := fmt.Sprintf("Command %s runs flow %q%s", programName(p), fl.Name, where)
		if len(p.Flows) > 1 {
			line = fmt.Sprintf("Flow %q", fl.Name)
		}
		if fl.Description != "" {
			line += ": " + fl.Description
		} else {
			line += "."
		}
		doc = append(doc, line)
	}
	if len(p.Flows) > 1 {
		doc = append([]string{fmt.Sprintf("Command %s runs %d flows%s.", programName(p), len(p.Flows), where), ""}, doc...)
	}
	return doc
}

// flowBody is the body of a flow's function: its steps, then return nil.
func (e *emitter) flowBody(fl *ir.Flow) []jen.Code {
	e.errScopes = []*bool{nil, new(bool)}
	body := e.block(fl.Body, func(err jen.Code) jen.Code { return jen.Return(err) })
	return append(body, jen.Return(jen.Nil()))
}

// rowTypes declares the record types that steps make.
func (e *emitter) rowTypes(f *jen.File) {
	for _, row := range e.prog.Rows {
		f.Line()
		f.Commentf("%s is one record made by step %q (%s:%d).", row.Name, row.StepID, row.File, row.StepPos.Line)
		var fields []jen.Code
		for _, rf := range row.Fields {
			tag := fmt.Sprintf("`json:%q db:%q`", rf.Column, rf.Column)
			fields = append(fields, jen.Id(rf.GoName).Add(e.TypeCode(rf.Type)).Op(tag))
		}
		f.Type().Id(row.Name).Struct(fields...)
	}
}

// render writes f as gofmt'd source.
func render(f *jen.File) ([]byte, error) {
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("rendering generated code (a resolute-gen bug, please report it): %v", err)
	}
	// Group the standard library's imports apart from the others, as
	// goimports does. FormatOnly: imports are never added or removed here.
	out, err := imports.Process("main.go", buf.Bytes(), &imports.Options{FormatOnly: true, Comments: true, TabIndent: true, TabWidth: 8})
	if err != nil {
		return nil, fmt.Errorf("formatting generated code (a resolute-gen bug, please report it): %v", err)
	}
	return out, nil
}

func programName(p *ir.Program) string {
	if len(p.Flows) == 0 {
		return "program"
	}
	return p.Flows[0].Name
}

// flowFields are the fields a flow's literal has in both targets' program
// (Name, Description, Schedule, Run), and the names of its environment
// variables, which each target lays out its own way.
func flowFields(fl *ir.Flow) (items, env []jen.Code) {
	items = []jen.Code{field("Name", jen.Lit(fl.Name))}
	if fl.Description != "" {
		items = append(items, field("Description", jen.Lit(fl.Description)))
	}
	if fl.Schedule != "" {
		items = append(items, field("Schedule", jen.Lit(fl.Schedule)))
	}
	items = append(items, field("Run", jen.Id(FlowFuncName(fl.Name))))
	for _, n := range fl.Env {
		env = append(env, jen.Lit(n))
	}
	return items, env
}

// envAndCursors are the Env and Cursors fields of the program literal, the
// same in runtime.Program and tprt.Program: none where the program has
// neither.
func envAndCursors(p *ir.Program) []jen.Code {
	var items []jen.Code
	if len(p.Env) > 0 {
		var env []jen.Code
		for _, v := range p.Env {
			kv := []jen.Code{field("Name", jen.Lit(v.Name))}
			if v.Required {
				kv = append(kv, field("Required", jen.True()))
			}
			if v.Secret {
				kv = append(kv, field("Secret", jen.True()))
			}
			if v.HasDefault {
				kv = append(kv, field("Default", jen.Lit(v.Default)))
			}
			env = append(env, jen.Values(kv...))
		}
		items = append(items, field("Env", jen.Index().Add(rt("EnvVar")).Add(multi(env...))))
	}
	if len(p.Cursors) > 0 {
		var cur []jen.Code
		for _, cs := range p.Cursors {
			kv := []jen.Code{field("Name", jen.Lit(cs.Name)), field("Initial", jen.Lit(cs.Initial))}
			if cs.Format != "" {
				kv = append(kv, field("Format", jen.Lit(cs.Format)))
			}
			if k := cs.Kind; k != "" {
				kv = append(kv, field("Kind", jen.Lit(k)))
			}
			cur = append(cur, jen.Values(kv...))
		}
		items = append(items, field("Cursors", jen.Index().Add(rt("CursorSpec")).Add(multi(cur...))))
	}
	return items
}

func (e *emitter) programValue(p *ir.Program, version string) jen.Code {
	var flows []jen.Code
	for _, fl := range p.Flows {
		items, env := flowFields(fl)
		items = append(items, field("Env", jen.Index().String().Add(valuesFit(env...))))
		items = append(items, field("SpecHash", jen.Lit(fl.Hash)))
		var steps []jen.Code
		for _, sh := range fl.StepHashes {
			steps = append(steps, jen.Lit(sh))
		}
		items = append(items, field("StepHashes", jen.Index().String().Add(multi(steps...))))
		if tr := fl.Trigger; tr != nil {
			items = append(items, triggerCode(tr))
		}
		flows = append(flows, multi(items...))
	}
	items := []jen.Code{field("Flows", jen.Index().Add(rt("Flow")).Add(multi(flows...)))}
	items = append(items, envAndCursors(p)...)
	items = append(items, field("SpecHash", jen.Lit(p.SpecHash)))
	if path, ok := CursorStorePackages[p.CursorStore]; ok {
		items = append(items, field("CursorStore", jen.Qual(path, "Open")))
	}
	if len(p.RateLimits) > 0 {
		items = append(items, rateLimitsCode(p.RateLimits))
	}
	return rt("Program").Add(multi(items...))
}
