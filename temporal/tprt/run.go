package tprt

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/resolute/resolute-gen/runtime"
)

// Input is a flow workflow's input: empty when the flow is started by a
// schedule or `prog start`, the state carried over when a run continues
// as new.
type Input struct {
	Carry *Carry `json:"carry,omitempty"`
}

// Carry is the state a run hands to its continuation: what it read at its
// start, what it staged, the outputs of the top-level steps already done
// and where its stream stopped.
type Carry struct {
	Env      map[string]string          `json:"env"`
	Snapshot map[string]string          `json:"snapshot"`
	Staged   map[string]string          `json:"staged,omitempty"`
	Reset    []string                   `json:"reset,omitempty"`
	Pinned   []string                   `json:"pinned,omitempty"`
	Failed   []FailedStep               `json:"failed,omitempty"`
	Outputs  map[string]json.RawMessage `json:"outputs,omitempty"`
	Nows     []time.Time                `json:"nows,omitempty"`
	Stream   *StreamCarry               `json:"stream,omitempty"`
	// Runs counts the runs of the chain before this one.
	Runs int `json:"runs"`
}

// StreamCarry is where a stream stopped when its run continued as new.
type StreamCarry struct {
	Step  string `json:"step"`
	Token string `json:"token"`
	Pages int    `json:"pages"`
	Items int    `json:"items"`
}

// FailedStep is a step whose failure on_error = "continue" let pass.
type FailedStep struct {
	Step  string `json:"step"`
	Error string `json:"error"`
}

// Output is a flow workflow's result.
type Output struct {
	// Committed are the cursor values the run committed.
	Committed map[string]string `json:"committed,omitempty"`
	// Failed are the steps that failed and were continued past.
	Failed []FailedStep `json:"failed,omitempty"`
	// Runs is how many workflow runs the chain took (continue-as-new).
	Runs int `json:"runs"`
}

// Run is one run of a flow inside its workflow: the environment and the
// cursors as read when the run began, and the cursor values it stages.
// Generated code calls its methods the way standalone code calls
// runtime.Run's. A Run is used by one workflow only, whose coroutines never
// run at the same time, so it needs no lock.
type Run struct {
	st     *runState
	nested bool // inside a loop, a branch or a stream's body
}

type runState struct {
	ctx       workflow.Context
	flow      string
	prog      *Program
	carry     Carry // what this run carries on (its input, updated)
	in        Carry // what the run was given
	reset     map[string]bool
	pinned    map[string]bool
	nowIdx    int
	seen      map[string]int // top-level executions per step key
	limit     int
	perRun    int
	heartbeat time.Duration
}

// Flow returns the flow's name.
func (r *Run) Flow() string { return r.st.flow }

// Nested returns r for a block that may run more than once or alongside
// others (a loop's body, a parallel branch, a stream's page): the outputs
// of its steps are not carried over a continue-as-new.
func (r *Run) Nested() *Run { return &Run{st: r.st, nested: true} }

// Env returns the value of a declared environment variable as the worker
// that began the run read it. A secret's value never enters the workflow's
// history: Env returns a placeholder that the activity replaces with the
// worker's value before it calls the node.
func (r *Run) Env(name string) string {
	for _, v := range r.st.prog.Env {
		if v.Name == name && v.Secret {
			return secretMarker(name)
		}
	}
	return r.st.carry.Env[name]
}

// Cursor returns the cursor's committed value when the run began (its
// initial value if it was never committed), or its initial value after
// [Run.ResetCursor].
func (r *Run) Cursor(name string) string {
	if r.st.reset[name] {
		c, _ := r.st.cursor(name)
		return c.Initial
	}
	return r.st.carry.Snapshot[name]
}

// Now returns the workflow's current time (workflow.Now) in UTC. A reading
// of a top-level step is carried over a continue-as-new, so the
// continuation takes the same path.
func (r *Run) Now() time.Time {
	st := r.st
	if r.nested {
		return workflow.Now(st.ctx).UTC()
	}
	if st.nowIdx < len(st.in.Nows) {
		t := st.in.Nows[st.nowIdx]
		st.nowIdx++
		return t
	}
	st.nowIdx++
	t := workflow.Now(st.ctx).UTC()
	st.carry.Nows = append(st.carry.Nows, t)
	return t
}

// Advance stages value, in the cursor's text form, for the cursor; it is
// committed only if the run succeeds. As in the standalone runtime, an
// empty value, the zero time, a value for a cursor rolled back in this run
// and a value behind the staged (else committed) one, in the order of the
// cursor's kind, are ignored; text has no order.
func (r *Run) Advance(name, value string) {
	r.advance(name, func(spec runtime.CursorSpec) (runtime.CursorValue, string) { return spec.TextValue(value) })
}

// AdvanceInt stages v for the cursor, compared as an integer.
func (r *Run) AdvanceInt(name string, v int64) {
	r.advance(name, func(spec runtime.CursorSpec) (runtime.CursorValue, string) { return spec.IntValue(v), "" })
}

// AdvanceTime stages v for the cursor, written in UTC in the cursor's
// layout and compared as a time; the zero time is ignored.
func (r *Run) AdvanceTime(name string, v time.Time) {
	r.advance(name, func(spec runtime.CursorSpec) (runtime.CursorValue, string) { return spec.TimeValue(v) })
}

func (r *Run) advance(name string, value func(runtime.CursorSpec) (v runtime.CursorValue, ignored string)) {
	st := r.st
	log := workflow.GetLogger(st.ctx)
	spec, ok := st.cursor(name)
	if !ok {
		log.Warn("advance of an unknown cursor ignored", "cursor", name)
		return
	}
	v, ignored := value(spec)
	switch {
	case ignored != "":
		log.Info(ignored, "cursor", name)
		return
	case st.pinned[name]:
		log.Info("advance ignored: the cursor was rolled back in this run", "cursor", name)
		return
	}
	old, ok := st.carry.Staged[name]
	if !ok {
		old = st.carry.Snapshot[name]
	}
	if v.Before(old) {
		log.Warn("advance ignored: cursors only move forward", "cursor", name, "from", old, "to", v.Text())
		return
	}
	st.carry.Staged[name] = v.Text()
}

// Rollback discards the values staged for the named cursors and pins them
// for the rest of the run.
func (r *Run) Rollback(names ...string) {
	for _, n := range names {
		delete(r.st.carry.Staged, n)
		r.st.pinned[n] = true
	}
}

// ResetCursor stages the cursor's initial value; [Run.Cursor] returns it
// for the rest of the run.
func (r *Run) ResetCursor(name string) {
	st := r.st
	c, ok := st.cursor(name)
	if !ok || st.pinned[name] {
		return
	}
	st.carry.Staged[name] = c.Initial
	st.reset[name] = true
}

// Failed records that step failed and on_error = "continue" let the run
// go on.
func (r *Run) Failed(step string, err error) {
	r.st.carry.Failed = append(r.st.carry.Failed, FailedStep{Step: step, Error: err.Error()})
	workflow.GetLogger(r.st.ctx).Warn("step failed; continuing", "step", step, "error", err.Error())
}

func (st *runState) cursor(name string) (runtime.CursorSpec, bool) {
	for _, c := range st.prog.Cursors {
		if c.Name == name {
			return c, true
		}
	}
	return runtime.CursorSpec{}, false
}

// beginResult is what the begin activity reads.
type beginResult struct {
	Env      map[string]string `json:"env"`
	Snapshot map[string]string `json:"snapshot"`
}

// commitInput is what the commit activity commits.
type commitInput struct {
	Flow     string            `json:"flow"`
	Staged   map[string]string `json:"staged"`
	Snapshot map[string]string `json:"snapshot"`
}

// Activity names of the cursor store.
const (
	beginActivity  = "resolute.ReadCursors"
	commitActivity = "resolute.CommitCursors"
)

var storeOptions = workflow.ActivityOptions{
	StartToCloseTimeout: time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		MaximumAttempts:        10,
		NonRetryableErrorTypes: []string{stateErrorType},
	},
}

// workflowFunc is the workflow registered for flow f.
func (p *Program) workflowFunc(f Flow, c Config) func(workflow.Context, Input) (Output, error) {
	return func(ctx workflow.Context, in Input) (Output, error) {
		st := &runState{ctx: ctx, flow: f.Name, prog: p, reset: map[string]bool{}, pinned: map[string]bool{}, seen: map[string]int{}, limit: c.PayloadLimit, perRun: c.PagesPerRun, heartbeat: c.HeartbeatTimeout}
		if in.Carry != nil {
			st.in = *in.Carry
			st.carry = *in.Carry
			st.carry.Nows = slices.Clone(in.Carry.Nows)
			st.carry.Stream = nil
			st.carry.Runs = in.Carry.Runs + 1
			if st.carry.Staged == nil {
				st.carry.Staged = map[string]string{}
			}
			for _, n := range in.Carry.Reset {
				st.reset[n] = true
			}
			for _, n := range in.Carry.Pinned {
				st.pinned[n] = true
			}
		} else {
			var b beginResult
			actx := workflow.WithActivityOptions(ctx, storeOptions)
			if err := workflow.ExecuteActivity(actx, beginActivity, f.Name).Get(ctx, &b); err != nil {
				return Output{}, fmt.Errorf("reading the cursors: %w", err)
			}
			st.carry = Carry{Env: b.Env, Snapshot: b.Snapshot, Staged: map[string]string{}, Runs: 1}
		}
		if st.carry.Outputs == nil {
			st.carry.Outputs = map[string]json.RawMessage{}
		}
		r := &Run{st: st}
		if err := f.Run(ctx, r); err != nil {
			return Output{}, err
		}
		out := Output{Failed: st.carry.Failed, Runs: st.carry.Runs}
		if len(st.carry.Staged) > 0 {
			actx := workflow.WithActivityOptions(ctx, storeOptions)
			c := commitInput{Flow: f.Name, Staged: st.carry.Staged, Snapshot: st.carry.Snapshot}
			if err := workflow.ExecuteActivity(actx, commitActivity, c).Get(ctx, nil); err != nil {
				return Output{}, fmt.Errorf("committing the cursors: %w", err)
			}
			out.Committed = st.carry.Staged
		}
		return out, nil
	}
}

// continueAsNew is the error that ends this run and starts its
// continuation with the stream at token.
func (r *Run) continueAsNew(ctx workflow.Context, sc StreamCarry) error {
	st := r.st
	c := st.carry
	c.Stream = &sc
	c.Reset = sortedTrue(st.reset)
	c.Pinned = sortedTrue(st.pinned)
	return workflow.NewContinueAsNewError(ctx, st.flow, Input{Carry: &c})
}

func sortedTrue(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// IsContinueAsNew reports whether err ends the run to continue it as new.
func IsContinueAsNew(err error) bool {
	var can *workflow.ContinueAsNewError
	return errors.As(err, &can)
}
