package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Options configure one [Call].
type Options struct {
	// Retry is the retry policy; the zero value makes one attempt.
	Retry Retry
	// Timeout bounds each attempt; 0 means no bound.
	Timeout time.Duration
	// Recover says the step has an on_error handler: its final failure
	// (after retries) is journaled and returned, and a resumed run gets the
	// same error back without running the step again.
	Recover bool
	// RateLimit names one of the Program's RateLimits: every attempt
	// (retries included) first waits for its token bucket, which all the
	// steps naming it share. Empty means no limit.
	RateLimit string
}

// Call runs one side-effecting step of r's run under the key "<scope><id>".
//
// If the run's journal already holds a result for that key (the run is
// being resumed), Call returns it without calling fn. Otherwise it calls fn
// under opts' retries and timeout, appends the JSON encoding of its output
// to the journal (fsync'd in the default durability mode) and only then
// returns. The output is returned as decoded from that JSON, so a resumed
// run sees exactly what a live run saw: the journal holds it verbatim, and
// no substitution happens on replay. An output containing the value of a
// secret environment variable is therefore never journaled: the step fails
// with a permanent error naming the variable.
//
// Inside the body of a [Stream], Call neither reads nor writes the journal:
// the page's one record stands for all its steps.
//
// A failure is returned as a [*StepError].
func Call[T any](ctx context.Context, r *Run, id string, opts Options, fn func(context.Context) (T, error)) (T, error) {
	if r.page != nil {
		return callInPage(ctx, r, id, opts, fn)
	}
	var zero T
	st := r.st
	key := r.scope + id
	if err := st.claim(key); err != nil {
		return zero, err
	}
	if rec, ok := st.done[key]; ok {
		switch rec.Type {
		case recCall:
			var out T
			if err := json.Unmarshal(rec.Out, &out); err != nil {
				return zero, configError("journal %s: the saved output of step %q does not decode as %T (%v); the program changed since the run started: discard the unfinished run with `%s run --once %s --fresh`",
					st.j.Path(), key, out, err, st.eng.name, st.flow)
			}
			st.count(true)
			st.eng.metrics.StepReplayed(st.fm, r.scope, id)
			st.log.Info("step completed", "step", key, "replayed", true, counts(out))
			return out, nil
		case recError:
			st.count(true)
			st.log.Info("step failed", "step", key, "replayed", true, "error", rec.Err)
			return zero, &StepError{Key: key, Attempts: rec.Attempts, Err: errors.New(rec.Err)}
		}
	}

	start := time.Now()
	var out T
	attempts, waited, err := st.eng.attempt(ctx, st.log, key, opts, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx)
		return err
	})
	elapsed := time.Since(start)
	if err != nil {
		st.eng.metrics.StepExecuted(st.fm, r.scope, id, attempts, elapsed, false)
		if opts.Recover && ctx.Err() == nil {
			// The handler sees the redacted text, live and on replay alike:
			// an error record is for people, and never holds a secret.
			err = st.eng.red.Err(err)
			rec := record{Type: recError, Key: key, Attempts: attempts, Millis: elapsed.Milliseconds(), Err: err.Error()}
			if jerr := st.j.Append(&rec, false); jerr != nil {
				return zero, jerr
			}
		}
		st.log.Warn("step failed", append([]any{"step", key, "duration", elapsed, "attempts", attempts, "permanent", IsPermanent(err), "recovered", opts.Recover, "error", err}, rateAttrs(opts.RateLimit, waited)...)...)
		return zero, &StepError{Key: key, Attempts: attempts, Err: err}
	}

	data, err := json.Marshal(out)
	if err == nil {
		out = zero
		err = json.Unmarshal(data, &out)
	}
	if err != nil {
		st.eng.metrics.StepExecuted(st.fm, r.scope, id, attempts, elapsed, false)
		return zero, &StepError{Key: key, Attempts: attempts, Err: Permanent(fmt.Errorf("the output (%T) cannot be journaled as JSON: %w", out, err))}
	}
	if name := st.eng.red.Find(data); name != "" {
		// The journal holds outputs verbatim and must never hold a secret.
		st.eng.metrics.StepExecuted(st.fm, r.scope, id, attempts, elapsed, false)
		err := Permanent(fmt.Errorf("the output contains the value of the secret environment variable %s, so it cannot be journaled (the journal never holds a secret; a resumed run gets outputs back byte for byte); change the node so that its output leaves the secret out", name))
		st.log.Warn("step failed", "step", key, "duration", elapsed, "attempts", attempts, "permanent", true, "error", err)
		return zero, &StepError{Key: key, Attempts: attempts, Err: err}
	}
	rec := record{Type: recCall, Key: key, Attempts: attempts, Millis: elapsed.Milliseconds(), Out: data}
	if err := st.j.Append(&rec, false); err != nil {
		st.eng.metrics.StepExecuted(st.fm, r.scope, id, attempts, elapsed, false)
		st.setFatal(err)
		return zero, err
	}
	st.count(false)
	st.eng.metrics.StepExecuted(st.fm, r.scope, id, attempts, elapsed, true)
	st.log.Info("step completed", append([]any{"step", key, "duration", elapsed, "attempts", attempts, counts(out)}, rateAttrs(opts.RateLimit, waited)...)...)
	return out, nil
}
