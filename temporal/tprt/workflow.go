package tprt

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/resolute/resolute-gen/runtime"
)

// StepError is the failure of one step, as the workflow sees it: the
// node's own message, without the activity's envelope.
type StepError struct {
	Step string
	Err  error
}

// Error says which step failed and why.
func (e *StepError) Error() string { return "step " + e.Step + ": " + e.Err.Error() }

// Unwrap returns the step's own error.
func (e *StepError) Unwrap() error { return e.Err }

// stepError strips the activity envelope from err.
func stepError(step string, err error) error {
	if temporal.IsCanceledError(err) || IsContinueAsNew(err) {
		return err
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return &StepError{Step: step, Err: errors.New(app.Message())}
	}
	var to *temporal.TimeoutError
	if errors.As(err, &to) {
		return &StepError{Step: step, Err: fmt.Errorf("timed out (%s)", to.TimeoutType())}
	}
	return &StepError{Step: step, Err: err}
}

// checkPayload fails a step whose input would exceed the payload limit
// before it is scheduled: the server would reject it and the workflow
// would be stuck retrying its task.
func (r *Run) checkPayload(step, what string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return &StepError{Step: step, Err: fmt.Errorf("its %s cannot be encoded as JSON: %v", what, err)}
	}
	if len(data) > r.st.limit {
		return &StepError{Step: step, Err: payloadError(what, len(data), r.st.limit)}
	}
	return nil
}

func payloadError(what string, n, limit int) error {
	return fmt.Errorf("its %s is %d bytes, over the payload limit of %d bytes (Temporal refuses payloads over 2 MiB by default); "+
		"make the step's pages smaller (PageSize), or raise --payload-limit if the cluster's limit.blobSize.error allows it", what, n, limit)
}

// defaults fills in the options generated code leaves to the worker.
func (st *runState) defaults(opts workflow.ActivityOptions) workflow.ActivityOptions {
	if opts.StartToCloseTimeout == 0 && opts.ScheduleToCloseTimeout == 0 {
		opts.StartToCloseTimeout = DefaultTimeout
	}
	if opts.HeartbeatTimeout == 0 {
		opts.HeartbeatTimeout = st.heartbeat
	}
	return opts
}

// memoKey names the output of a top-level step in the carried state: its
// key, and "#n" for its n-th execution in the run (a step id bound again).
func (st *runState) memoKey(step string) string {
	n := st.seen[step]
	st.seen[step]++
	if n == 0 {
		return step
	}
	return fmt.Sprintf("%s#%d", step, n+1)
}

// Call runs call step step as the activity "<flow>/<step>" with opts and
// returns its output. A top-level step already done by an earlier run of
// a continue-as-new chain returns that run's output without running again.
func Call[Out any](ctx workflow.Context, r *Run, step string, opts workflow.ActivityOptions, in any) (Out, error) {
	var out Out
	st := r.st
	memo := ""
	if !r.nested {
		memo = st.memoKey(step)
		if raw, ok := st.in.Outputs[memo]; ok {
			err := json.Unmarshal(raw, &out)
			return out, err
		}
	}
	if err := r.checkPayload(step, "input", in); err != nil {
		return out, err
	}
	opts = r.st.defaults(opts)
	actx := workflow.WithActivityOptions(ctx, opts)
	if err := workflow.ExecuteActivity(actx, st.flow+"/"+step, in).Get(ctx, &out); err != nil {
		return out, stepError(step, err)
	}
	if !r.nested {
		raw, err := json.Marshal(out)
		if err != nil {
			return out, err
		}
		st.carry.Outputs[memo] = raw
	}
	return out, nil
}

// Stream reads a paged source page by page, one activity per page, and
// runs body once per page. With readAhead > 0 the next page is fetched
// while the body of the current one runs (one page at most: Temporal
// keeps the pages in the workflow's history, not in memory); with 0 it is
// fetched after. A top-level stream continues as new after
// [DefaultPagesPerRun] pages (or when the server suggests it), carrying
// its page token, its counts and the staged cursors.
func Stream[In, Out any](ctx workflow.Context, r *Run, step string, opts workflow.ActivityOptions, readAhead int,
	input func(pageToken string) In,
	next func(page Out) (token string, items int),
	body func(ctx workflow.Context, r *Run, page Out) error,
) (runtime.StreamResult, error) {
	var res runtime.StreamResult
	st := r.st
	token := ""
	memo := ""
	if !r.nested {
		memo = st.memoKey(step)
		if raw, ok := st.in.Outputs[memo]; ok { // done before this run
			err := json.Unmarshal(raw, &res)
			return res, err
		}
		if c := st.in.Stream; c != nil && c.Step == step {
			token, res.Pages, res.Items = c.Token, c.Pages, c.Items
		}
	}
	opts = r.st.defaults(opts)
	actx := workflow.WithActivityOptions(ctx, opts)
	name := st.flow + "/" + step
	fetch := func(token string) (workflow.Future, error) {
		in := input(token)
		if err := r.checkPayload(step, "input", in); err != nil {
			return nil, err
		}
		return workflow.ExecuteActivity(actx, name, in), nil
	}
	f, err := fetch(token)
	if err != nil {
		return res, err
	}
	for n := 1; ; n++ {
		var page Out
		if err := f.Get(ctx, &page); err != nil {
			return res, stepError(step, err)
		}
		tok, items := next(page)
		stop := !r.nested && tok != "" && (n >= st.perRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested())
		ahead := tok != "" && !stop && readAhead > 0
		if ahead {
			if f, err = fetch(tok); err != nil {
				return res, err
			}
		}
		if err := body(ctx, r.Nested(), page); err != nil {
			return res, err
		}
		if tok != "" && !stop && !ahead {
			if f, err = fetch(tok); err != nil {
				return res, err
			}
		}
		res.Pages++
		res.Items += items
		if tok == "" {
			break
		}
		if stop {
			return res, r.continueAsNew(ctx, StreamCarry{Step: step, Token: tok, Pages: res.Pages, Items: res.Items})
		}
	}
	if !r.nested {
		raw, _ := json.Marshal(res)
		st.carry.Outputs[memo] = raw
	}
	return res, nil
}

// Parallel runs the branches at the same time (workflow.Go each) and waits
// for all of them; the first failure cancels the others and is returned.
func Parallel(ctx workflow.Context, r *Run, step string, branches ...func(ctx workflow.Context, r *Run) error) error {
	cctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	sel := workflow.NewSelector(ctx)
	var first error
	for _, b := range branches {
		f, set := workflow.NewFuture(cctx)
		workflow.Go(cctx, func(ctx workflow.Context) {
			set.Set(nil, b(ctx, r.Nested()))
		})
		sel.AddFuture(f, func(f workflow.Future) {
			if err := f.Get(ctx, nil); err != nil && first == nil {
				first = err
				cancel()
			}
		})
	}
	for range branches {
		sel.Select(ctx)
	}
	return first
}

// ForEach runs fn for each item, at most concurrency at a time (workflow.Go
// under a workflow channel used as a semaphore), and returns their results
// in item order. The first failure cancels the items in progress and is
// returned.
func ForEach[In, Out any](ctx workflow.Context, r *Run, step string, items []In, concurrency int, fn func(ctx workflow.Context, r *Run, item In) (Out, error)) ([]Out, error) {
	if concurrency < 1 {
		concurrency = 1
	}
	out := make([]Out, len(items))
	cctx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	sem := workflow.NewBufferedChannel(ctx, concurrency)
	wg := workflow.NewWaitGroup(ctx)
	var first error
	for i, item := range items {
		sem.Send(ctx, true)
		if first != nil {
			break
		}
		wg.Add(1)
		workflow.Go(cctx, func(gctx workflow.Context) {
			defer wg.Done()
			defer func() {
				var token bool
				sem.Receive(ctx, &token)
			}()
			v, err := fn(gctx, r.Nested(), item)
			if err != nil {
				if first == nil {
					first = err
					cancel()
				}
				return
			}
			out[i] = v
		})
	}
	wg.Wait(ctx)
	if first != nil {
		return nil, first
	}
	return out, nil
}
