package tprt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sort"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/resolute/resolute-gen/runtime"
	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// The error types of the application errors activities return.
const (
	stateErrorType     = "ResoluteStateError"
	permanentErrorType = "ResolutePermanent"
	payloadErrorType   = "ResolutePayloadTooLarge"
)

// secretMarker stands for a secret's value in workflow code and history.
func secretMarker(name string) string { return "\x00secret:" + name + "\x00" }

// workerEnv is what activities of one worker share: its environment and
// limits.
type workerEnv struct {
	env     map[string]string // every declared variable, resolved
	secrets map[string]string // name -> value of the secret ones
	limit   int
}

type workerEnvKey struct{}

func envOf(ctx context.Context) *workerEnv {
	if w, ok := ctx.Value(workerEnvKey{}).(*workerEnv); ok {
		return w
	}
	return &workerEnv{limit: DefaultPayloadLimit}
}

// Node makes node fn, a func(context.Context, In) (Out, error), an
// activity: secrets in its input are filled in from the worker's
// environment, an output that holds a secret's value or exceeds the
// payload limit fails the step for good with an error saying so, and the
// node's permanent errors (runtime.Permanent) are not retried.
func Node[In, Out any](fn func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		w := envOf(ctx)
		if len(w.secrets) > 0 {
			fillSecrets(reflect.ValueOf(&in).Elem(), w.secrets)
		}
		stop := heartbeat(ctx)
		out, err := fn(ctx, in)
		stop()
		if err != nil {
			return out, activityError(err)
		}
		data, err := json.Marshal(out)
		if err != nil {
			return out, temporal.NewNonRetryableApplicationError(fmt.Sprintf("the output cannot be encoded as JSON: %v", err), permanentErrorType, nil)
		}
		if len(data) > w.limit {
			return out, temporal.NewNonRetryableApplicationError(payloadError("output", len(data), w.limit).Error(), payloadErrorType, nil)
		}
		for _, name := range sortedKeys(w.secrets) {
			if v := w.secrets[name]; v != "" && bytes.Contains(data, []byte(v)) {
				return out, temporal.NewNonRetryableApplicationError(fmt.Sprintf("the output contains the value of the secret %s; it would be written to the workflow's history, so the step fails", name), permanentErrorType, nil)
			}
		}
		return out, nil
	}
}

// heartbeat records a heartbeat every third of the activity's heartbeat
// timeout until stop is called, so that the server notices a worker that
// died in the middle of a step within that timeout and retries the step
// on another worker.
func heartbeat(ctx context.Context) (stop func()) {
	if !activity.IsActivity(ctx) {
		return func() {}
	}
	every := activity.GetInfo(ctx).HeartbeatTimeout / 3
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				activity.RecordHeartbeat(ctx)
			}
		}
	}()
	return func() { close(done) }
}

// activityError maps a node's error to Temporal's retry semantics.
func activityError(err error) error {
	if d, ok := runtime.RetryAfter(err); ok {
		return temporal.NewApplicationErrorWithOptions(err.Error(), "", temporal.ApplicationErrorOptions{NextRetryDelay: d})
	}
	if runtime.IsPermanent(err) || nodeerr.IsConfiguration(err) {
		return temporal.NewNonRetryableApplicationError(err.Error(), permanentErrorType, nil)
	}
	return temporal.NewApplicationError(err.Error(), "")
}

// fillSecrets puts the worker's secret values into the input fields of v
// (a node's input struct) that hold a secret's marker and nothing else. The
// generator lets a secret reach workflow code only as a with value of its
// own (gen: temporalSecretErrors), so that is the only place a marker can
// legitimately be. Nothing is replaced inside other strings, nested values
// or data: text from a source that looks like a marker stays as it is, so a
// replay or a forged summary can never pull a secret into data.
func fillSecrets(v reflect.Value, secrets map[string]string) {
	if v.Kind() != reflect.Struct {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !v.Type().Field(i).IsExported() || f.Kind() != reflect.String || !f.CanSet() {
			continue
		}
		for name, val := range secrets {
			if f.String() == secretMarker(name) {
				f.SetString(val)
				break
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cursorActivities read and commit cursors in the worker's store.
type cursorActivities struct {
	prog  *Program
	store cursorstore.Store
	env   *workerEnv
}

// ReadCursors is the activity that begins a run: the committed cursors
// (initial values for those never committed) and the non-secret
// environment.
func (a *cursorActivities) ReadCursors(ctx context.Context, flow string) (beginResult, error) {
	m, err := a.store.Load(ctx)
	if err != nil {
		return beginResult{}, storeError(err)
	}
	snap := map[string]string{}
	for _, c := range a.prog.Cursors {
		snap[c.Name] = c.Initial
		if v, ok := m[c.Name]; ok {
			snap[c.Name] = v
		}
	}
	env := map[string]string{}
	for _, v := range a.prog.Env {
		if !v.Secret {
			env[v.Name] = a.env.env[v.Name]
		}
	}
	return beginResult{Env: env, Snapshot: snap}, nil
}

// CommitCursors is the activity that ends a successful run: it commits the
// staged cursors with the standalone runtime's compare-and-set check. Every
// cursor it commits must still have the value the run began with, or
// already the value it commits (an earlier attempt of this commit got
// through); otherwise another run or a `cursor set` moved it, and nothing
// is committed.
func (a *cursorActivities) CommitCursors(ctx context.Context, in commitInput) error {
	check := func(committed map[string]string) error {
		for _, name := range sortedKeys(in.Staged) {
			now, ok := committed[name]
			if !ok {
				for _, c := range a.prog.Cursors {
					if c.Name == name {
						now = c.Initial
					}
				}
			}
			if now == in.Snapshot[name] || now == in.Staged[name] {
				continue
			}
			return &casError{fmt.Sprintf("cursor %s changed while this run of %s was in progress: it was %q when the run began and is %q now, and this run would set it to %q; "+
				"another run or a `cursor set` committed it. Nothing was committed; the data this run wrote stays written", name, in.Flow, in.Snapshot[name], now, in.Staged[name])}
		}
		return nil
	}
	err := a.store.Commit(ctx, maps.Clone(in.Staged), check)
	var ce *casError
	if errors.As(err, &ce) {
		return temporal.NewNonRetryableApplicationError(ce.msg, stateErrorType, nil)
	}
	if err != nil {
		return storeError(err)
	}
	return nil
}

type casError struct{ msg string }

func (e *casError) Error() string { return e.msg }

func storeError(err error) error {
	if nodeerr.IsConfiguration(err) || cursorstore.IsStateError(err) {
		return temporal.NewNonRetryableApplicationError(err.Error(), stateErrorType, nil)
	}
	return err
}
