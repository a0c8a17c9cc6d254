package golang

import (
	"fmt"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
)

// temporalEmitter reuses the standalone emitter's walker, expression, value
// and pure-step code; it is the emitter's target for calls, loops, parallel
// branches and streams (see target).
type temporalEmitter struct {
	*emitter
	flow *ir.Flow
	// keys names each node call's activity within its flow: its step's
	// key, with "#2", "#3"... for a key that an earlier call of another
	// node (or types) already named.
	keys map[*ir.Call]string
}

// GenerateTemporal writes a Temporal worker running the program's flows as
// gofmt'd Go source; version goes in its header.
func GenerateTemporal(p *ir.Program, version string) ([]byte, error) {
	e := &temporalEmitter{emitter: newEmitter(p), keys: map[*ir.Call]string{}}
	e.emitter.target = e
	f := newFile(p, version, "temporal")
	in := importNames(p)
	in[TemporalPath] = "tprt"
	in[temporalSDKWorkflow] = "workflow"
	in[temporalSDKTemporal] = "temporal"
	f.ImportNames(in)

	doc := packageDoc(p, " on Temporal")
	doc = append(doc, "", "Each flow is a workflow and each call step an activity; run `"+programName(p)+" --help` for the commands.")
	for _, line := range strings.Split(strings.Join(doc, "\n"), "\n") {
		f.PackageComment(strings.TrimRight(line, " \t"))
	}

	f.Func().Id("main").Params().Block(tp("Main").Call(jen.Id("program")))
	f.Line()
	f.Var().Id("program").Op("=").Add(e.programValue(p, version))

	e.rowTypes(f)

	for _, fl := range p.Flows {
		e.flow = fl
		f.Line()
		f.Commentf("%s is the workflow of flow %q (%s:%d).", FlowFuncName(fl.Name), fl.Name, fl.FileName, fl.Pos.Line)
		f.Func().Id(FlowFuncName(fl.Name)).Params(jen.Id("ctx").Add(wf("Context")), jen.Id("r").Op("*").Add(tp("Run"))).Error().Block(e.flowBody(fl)...)
	}

	return render(f)
}

// programValue is the tprt.Program literal.
func (e *temporalEmitter) programValue(p *ir.Program, version string) jen.Code {
	items := []jen.Code{field("Name", jen.Lit(programName(p)))}
	var flows []jen.Code
	for _, fl := range p.Flows {
		fi, env := flowFields(fl)
		fi = append(fi, field("Env", jen.Index().String().Values(env...)))
		flows = append(flows, multi(fi...))
	}
	items = append(items, field("Flows", jen.Index().Add(tp("Flow")).Add(multi(flows...))))
	var acts []jen.Code
	for _, fl := range p.Flows {
		byKey := map[string]string{} // activity key -> the node it runs
		for _, a := range activitiesOf(fl.Body) {
			node := a.PkgPath + "." + a.FuncName + " " + e.TypeString(a.InType) + " " + e.TypeString(a.OutType)
			key := a.Key
			for n := 2; byKey[key] != "" && byKey[key] != node; n++ {
				key = fmt.Sprintf("%s#%d", a.Key, n)
			}
			e.keys[a] = key
			if byKey[key] != "" {
				continue // registered already
			}
			byKey[key] = node
			fn := tp("Node").Types(e.TypeCode(a.InType), e.TypeCode(a.OutType)).Call(jen.Qual(a.PkgPath, a.FuncName))
			acts = append(acts, jen.Values(field("Name", jen.Lit(fl.Name+"/"+key)), field("Func", fn)))
		}
	}
	if len(acts) > 0 {
		items = append(items, field("Activities", jen.Index().Add(tp("Activity")).Add(multi(acts...))))
	}
	// Env, Cursors and CursorStore as the standalone program declares them.
	items = append(items, envAndCursors(p)...)
	if path, ok := CursorStorePackages[p.CursorStore]; ok {
		items = append(items, field("CursorStore", jen.Qual(path, "Open")))
	}
	if version != "" {
		items = append(items, field("Version", jen.Lit(version)))
	}
	items = append(items, field("SpecHash", jen.Lit(p.SpecHash)))
	return tp("Program").Add(multi(items...))
}

// activitiesOf lists the node calls of stmts, in source order: call steps,
// their on_error handlers and streams' page fetches.
func activitiesOf(stmts []ir.Step) []*ir.Call {
	var out []*ir.Call
	for _, s := range stmts {
		switch s := s.(type) {
		case *ir.Call:
			out = append(out, s)
			if s.OnError != nil && s.OnError.Handler != nil {
				out = append(out, s.OnError.Handler)
			}
		case *ir.Stream:
			out = append(out, s.Src)
			out = append(out, activitiesOf(s.Body)...)
		case *ir.If:
			out = append(out, activitiesOf(s.Then)...)
			out = append(out, activitiesOf(s.Else)...)
		case *ir.While:
			out = append(out, activitiesOf(s.Body)...)
		case *ir.Parallel:
			for _, b := range s.Branches {
				out = append(out, activitiesOf(b)...)
			}
		case *ir.ForEach:
			out = append(out, activitiesOf(s.Body)...)
		case *ir.Seq:
			out = append(out, activitiesOf(s.Body)...)
		}
	}
	return out
}

// resetNote: a Temporal run stages the reset in the workflow.
func (e *temporalEmitter) resetNote() string {
	return "staged in the workflow, committed when the run succeeds"
}

// activityOptions maps a step's retry and timeout to Temporal's.
func activityOptions(s *ir.Call) jen.Code {
	attempts, backoff, maxBackoff := 3, time.Second, 30*time.Second // runtime.DefaultRetry
	if r := s.Retry; r != nil {
		attempts, backoff, maxBackoff = max(r.Attempts, 1), time.Second, r.MaxBackoff
		if r.Backoff != 0 {
			backoff = r.Backoff
		}
		if maxBackoff == 0 {
			maxBackoff = 10 * backoff // as runtime.Retry
		}
	}
	var timeout jen.Code = tp("DefaultTimeout")
	if s.Timeout > 0 {
		timeout = durationCode(s.Timeout)
	}
	return wf("ActivityOptions").Add(multi(
		field("StartToCloseTimeout", timeout),
		field("RetryPolicy", jen.Op("&").Qual(temporalSDKTemporal, "RetryPolicy").Add(multi(
			field("InitialInterval", durationCode(backoff)),
			field("BackoffCoefficient", jen.Lit(2)),
			field("MaximumInterval", durationCode(maxBackoff)),
			field("MaximumAttempts", jen.Lit(attempts)),
		))),
	))
}

// callValue renders tprt.Call[Out](ctx, r, key, options, input).
func (e *temporalEmitter) callValue(s *ir.Call) jen.Code {
	var arg jen.Code = e.input(s)
	if e.inVar(s) != "" {
		arg = jen.Id(e.inVar(s))
	}
	return tp("Call").Types(e.TypeCode(s.OutType)).Call(jen.Id("ctx"), jen.Id("r"), jen.Lit(e.keys[s]), activityOptions(s), arg)
}

// call runs the node as an activity through tprt.Call.
func (e *temporalEmitter) call(s *ir.Call, ret retFunc) []jen.Code {
	st := &s.Base
	out := []jen.Code{commentf("step %q (%s): %s, activity %q", st.ID, e.where(st.Pos), s.Node, e.flow.Name+"/"+e.keys[s])}
	out = append(out, e.callPrelude(s)...)
	recover := s.OnError != nil && s.OnError.Action == "continue"
	call := e.callValue(s)
	handle := e.onError(s, ret)
	var success []jen.Code
	if s.Advance != nil {
		success = append(success, commentf("advance (%s): staged in the workflow, committed when the run succeeds", posOf(s.Advance.Pos)),
			e.advanceCode(s.Advance))
	}
	used := s.Out != nil && s.Out.Used
	if !used {
		cond := jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(handle...)
		if len(success) > 0 {
			cond = cond.Else().Block(success...)
		}
		return append(out, cond)
	}
	out = append(out, e.assignErr(s.Out, call)...)
	return append(out, checked(jen.If(jen.Err().Op("!=").Nil()).Block(handle...), success, recover)...)
}

// onError is what a failed call step does: its rollbacks in one call, its
// on_error handler as an activity.
func (e *temporalEmitter) onError(s *ir.Call, ret retFunc) []jen.Code {
	var out []jen.Code
	if len(s.Rollback) > 0 {
		var names []jen.Code
		for _, n := range s.Rollback {
			names = append(names, jen.Lit(n))
		}
		out = append(out, jen.Id("r").Dot("Rollback").Call(names...))
	}
	var handler []jen.Code
	if oe := s.OnError; oe != nil && oe.Handler != nil {
		h := oe.Handler
		handler = append(handler, commentf("on_error (%s): %s as activity %q, then %s", posOf(oe.Pos), h.Node, e.flow.Name+"/"+e.keys[h], oe.Action),
			runHandler(e.callValue(h), ret))
	}
	return append(out, failed(s, ret, handler)...)
}

// while is the bounded loop; its body runs in a nested journal scope.
func (e *temporalEmitter) while(s *ir.While, ret retFunc) []jen.Code {
	where, comment := e.whileHead(s, fmt.Sprintf("while %s (%s)", oneLine(s.Cond.Src), e.where(s.Pos)), oneLine(s.Cond.Src))
	out := []jen.Code{comment}
	e.push()
	body, cond := e.whileCheck(s, ret, where)
	if e.usesRun(s.Body) {
		body = append(body, jen.Id("r").Op(":=").Id("r").Dot("Nested").Call())
	}
	body = append(body, e.block(s.Body, ret)...)
	e.pop()
	return append(out, e.whileFor(s, cond, body))
}

// parallel runs each branch in workflow.Go through tprt.Parallel.
func (e *temporalEmitter) parallel(s *ir.Parallel, ret retFunc) []jen.Code {
	return e.parallelStep(s, ret, ", each in workflow.Go")
}

// lib: the worker calls package tprt.
func (e *temporalEmitter) lib(name string) *jen.Statement { return tp(name) }

// stepFunc: the worker's runtime passes a workflow.Context and a
// *tprt.Run.
func (e *temporalEmitter) stepFunc(params ...jen.Code) *jen.Statement {
	return jen.Func().Params(append([]jen.Code{jen.Id("ctx").Add(wf("Context")), jen.Id("r").Op("*").Add(tp("Run"))}, params...)...)
}

// forEach runs the items through tprt.ForEach.
func (e *temporalEmitter) forEach(s *ir.ForEach, ret retFunc) []jen.Code {
	comment, fn := e.forEachHead(s, " (workflow.Go under a workflow channel)")
	out := []jen.Code{comment}
	call := tp("ForEach").Call(jen.Id("ctx"), jen.Id("r"), jen.Lit(s.Key), e.exprCode(s.Src), jen.Lit(int(s.Concurrency)), fn)
	if s.Out == nil || !s.Out.Used {
		return append(out, jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(ret(jen.Err())))
	}
	return append(out, e.assignChecked(s.Out, call, ret)...)
}

// stream fetches each page as an activity through tprt.Stream.
func (e *temporalEmitter) stream(s *ir.Stream, ret retFunc) []jen.Code {
	st := &s.Base
	ahead := "the next page fetched while this one's body runs"
	if s.ReadAhead == 0 {
		ahead = "no page read ahead"
	}
	out := []jen.Code{commentf("stream %q (%s): %s page by page, one activity %q per page, %s; the run continues as new every --pages-per-run pages, carrying the page token and the staged cursors",
		st.ID, e.where(st.Pos), s.Src.Node, e.flow.Name+"/"+e.keys[s.Src], ahead)}
	src := s.Src
	if e.nowVar(src) != "" {
		out = append(out, e.nowDecl(e.nowVar(src)))
	}
	input := jen.Func().Params(jen.Id(e.names.token[s]).String()).Add(e.TypeCode(src.InType)).Block(
		// inputLiteral nests fields promoted from embedded structs.
		jen.Return(e.inputLiteral(src.InType, src.With, field("PageToken", jen.Id(e.names.token[s])))),
	)
	next, fn := e.pageFuncs(s, "staged in the workflow after the page's body, committed when the run succeeds", false)
	call := tp("Stream").Call(jen.Id("ctx"), jen.Id("r"), jen.Lit(e.keys[s.Src]), activityOptions(src), jen.Lit(min(s.ReadAhead, 1)),
		jen.Line().Add(input), jen.Line().Add(next), jen.Line().Add(fn))
	if !s.Out.Used {
		return append(out, jen.If(jen.List(jen.Id("_"), jen.Err()).Op(":=").Add(call), jen.Err().Op("!=").Nil()).Block(ret(jen.Err())))
	}
	return append(out, e.assignChecked(s.Out, call, ret)...)
}
