package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/resolute/resolute-gen/runtime/internal/journal"
	"github.com/resolute/resolute-gen/runtime/internal/redact"
)

// InProcessOptions configure [RunFlow] and [ReplayFlow], which run one flow
// of a program inside the calling process, for tests (see package
// runtime/flowtest).
type InProcessOptions struct {
	// Dir is the state directory (journal, cursors, last run); required.
	// Tests use a temporary directory. The program's CursorStore is not
	// opened: cursors are kept in Dir.
	Dir string
	// Env gives the environment variables the flow reads; nil reads none
	// (declared defaults still apply). The process environment is not read.
	Env map[string]string
	// Log receives the run's log lines (text); nil discards them.
	Log io.Writer
}

// FlowResult is what an in-process run of a flow did.
type FlowResult struct {
	// Cursors are the committed cursor values after the run (initial values
	// for cursors never committed). ReplayFlow commits nothing: it gives the
	// values the run would have committed.
	Cursors map[string]string
	// Journal is the run's journal as written (JSON lines): the record of a
	// live run, which ReplayFlow replays.
	Journal []byte
	// Outputs are the journaled step outputs by step key ("issues",
	// "pages[2]/fetch"; steps inside a stream page are not journaled).
	Outputs map[string]json.RawMessage
	// Steps is the number of steps executed, Replayed the number answered
	// from the journal.
	Steps, Replayed int
}

// RunFlow runs the named flow of prog once, in this process, against the
// state directory opts.Dir, as `prog run --once FLOW` would (an unfinished
// run in Dir is resumed), and returns what it did. The error is the run's.
func RunFlow(ctx context.Context, prog Program, flow string, opts InProcessOptions) (*FlowResult, error) {
	e, f, err := inProcessEngine(prog, flow, opts, false)
	if err != nil {
		return nil, err
	}
	res := &FlowResult{}
	run := f.Run
	f.Run = func(ctx context.Context, r *Run) error {
		err := run(ctx, r)
		// The journal is removed once the cursors are committed: keep it.
		res.Journal, _ = os.ReadFile(r.st.j.Path())
		return err
	}
	sum, runErr := e.runFlow(ctx, f, false)
	if sum != nil {
		res.Steps, res.Replayed = sum.Steps, sum.Replayed
	}
	res.Outputs = outputs(res.Journal)
	committed, err := e.store.Load(ctx)
	if err != nil && runErr == nil {
		runErr = err
	}
	res.Cursors = prog.withInitial(committed)
	return res, runErr
}

// ReplayFlow replays the journal of a recorded run (FlowResult.Journal)
// through the named flow of prog, executing nothing: every step the flow
// takes must be answered from the journal, and every step the journal holds
// must be taken. It fails when the flow takes another path than the recorded
// run (a step missing from the journal, or left unused), or when a recorded
// output no longer decodes as the step's output type. Unlike a resume, it
// does not require the flow's definition to be unchanged: that is what it
// tests. Stream pages replay from their records without running the body.
func ReplayFlow(ctx context.Context, prog Program, flow string, recorded []byte, opts InProcessOptions) (*FlowResult, error) {
	e, f, err := inProcessEngine(prog, flow, opts, true)
	if err != nil {
		return nil, err
	}
	jpath := e.journalPath(f.Name)
	if err := os.MkdirAll(filepath.Dir(jpath), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(jpath, recorded, 0o600); err != nil {
		return nil, err
	}
	recs, valid, err := journal.Read(jpath)
	if err != nil {
		return nil, fmt.Errorf("read the recorded journal: %w", err)
	}
	if len(recs) == 0 {
		return nil, errors.New("the recorded journal holds no run (no header record)")
	}
	if recs[0].Flow != f.Name {
		return nil, fmt.Errorf("the recorded journal is of flow %q, not %q", recs[0].Flow, f.Name)
	}
	j, err := journal.Resume(jpath, valid, e.mode, e.red)
	if err != nil {
		return nil, err
	}
	st := e.newRunState(f, recs[0], j, recs)
	st.fm = e.metrics.RunStarted(f.Name)
	runErr := catchPanic("flow "+f.Name, func() error { return f.Run(ctx, &Run{st: st}) })
	if cerr := j.Close(); runErr == nil {
		runErr = cerr
	}
	st.mu.Lock()
	res := &FlowResult{Steps: st.steps, Replayed: st.replayed, Cursors: prog.withInitial(st.snapshot)}
	maps.Copy(res.Cursors, st.staged)
	claimed := maps.Clone(st.claimed)
	st.mu.Unlock()
	res.Journal = recorded
	res.Outputs = outputs(recorded)

	var problems []string
	if missed := e.replay.missed(); len(missed) > 0 {
		problems = append(problems, fmt.Sprintf("the flow ran %s, which the recorded run did not (it took another path)", quoteList(missed)))
	}
	var unused []string
	for _, rec := range recs[1:] {
		if (rec.Type == recCall || rec.Type == recError || rec.Type == recPage) && !claimed[rec.Key] && !slices.Contains(unused, rec.Key) {
			unused = append(unused, rec.Key)
		}
	}
	if len(unused) > 0 {
		problems = append(problems, fmt.Sprintf("the recorded run ran %s, which the flow did not (it took another path)", quoteList(unused)))
	}
	if len(problems) > 0 {
		err := fmt.Errorf("replay of flow %q diverged from the recorded run: %s", f.Name, strings.Join(problems, "; "))
		if runErr != nil && !errors.As(runErr, new(*replayMiss)) {
			err = fmt.Errorf("%w; the run failed: %v", err, runErr)
		}
		return res, err
	}
	return res, runErr
}

func inProcessEngine(prog Program, flow string, opts InProcessOptions, replay bool) (*engine, Flow, error) {
	if err := prog.validate(); err != nil {
		return nil, Flow{}, err
	}
	if opts.Dir == "" {
		return nil, Flow{}, errors.New("InProcessOptions.Dir is empty; give a state directory, such as t.TempDir()")
	}
	flows, err := prog.flowsFor([]string{flow})
	if err != nil {
		return nil, Flow{}, err
	}
	f := flows[0]
	getenv := func(name string) string { return opts.Env[name] }
	env, _ := prog.resolveEnv(getenv)
	if !replay {
		// A replay runs no step, so it needs no configuration.
		if err := prog.missingEnv(env, flows); err != nil {
			return nil, Flow{}, err
		}
	}
	w := opts.Log
	if w == nil {
		w = io.Discard
	}
	e := newEngine(prog, "flow", opts.Dir, env, getenv, func(red *redact.Redactor) *slog.Logger {
		return redact.NewLogger(w, "text", slog.LevelInfo, red)
	})
	e.mode = journal.Batch // a test needs no fsync
	if replay {
		e.replay = &replayCheck{}
	}
	return e, f, nil
}

// withInitial returns values with the initial value of every declared cursor
// that values lacks.
func (p *Program) withInitial(values map[string]string) map[string]string {
	out := map[string]string{}
	for _, c := range p.Cursors {
		out[c.Name] = c.Initial
	}
	maps.Copy(out, values)
	return out
}

// outputs collects the journaled step outputs of a journal.
func outputs(data []byte) map[string]json.RawMessage {
	out := map[string]json.RawMessage{}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		rec, err := journal.Decode([]byte(strings.TrimSuffix(line, "\n")))
		if err == nil && rec.Type == recCall {
			out[rec.Key] = rec.Out
		}
	}
	return out
}

// replayCheck records the steps a replay was asked to execute.
type replayCheck struct {
	mu   sync.Mutex
	keys []string
}

// replayMiss is the error of a step that a replay would have to execute.
type replayMiss struct{ key string }

func (m *replayMiss) Error() string {
	return fmt.Sprintf("step %q is not in the recorded journal; a replay executes nothing", m.key)
}

func (c *replayCheck) miss(key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.keys, key) {
		c.keys = append(c.keys, key)
	}
	return Permanent(&replayMiss{key})
}

func (c *replayCheck) missed() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.keys)
}
