// Package flowtest tests a generated flow in the user's own `go test`, in
// process, with a temporary state directory.
//
// The generated program is package main with a program variable; a
// _test.go file next to it reaches it directly:
//
//	func TestSync(t *testing.T) {
//		srv := jiratest.NewServer() // runtime/jira/jiratest
//		defer srv.Close()
//		srv.Put(jiratest.Seed(3, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))...)
//		f := flowtest.New(t, program, "jira-sync", flowtest.Env{
//			"JIRA_BASE_URL": srv.URL,
//			"WAREHOUSE_URL": "sqlite://" + t.TempDir() + "/w.db",
//		})
//		res := f.Run()
//		var issues jira.FetchOutput // runtime/jira
//		res.Output(t, "issues", &issues)
//		if res.Cursor("jira_sync") == "0" {
//			t.Fatal("the cursor did not move")
//		}
//		f.Run() // incremental: same state directory
//	}
//
// Nodes run for real: point them at fakes through the flow's environment
// variables (the in-repo jiratest, githubtest and confluencetest servers,
// a temporary SQLite file for the warehouse), and your own nodes at test
// data the same way.
//
// [Replay] replays a recorded run's journal through the flow, running no
// step at all: a change to the spec that makes the flow take another path
// (a step added, removed or renamed, a condition that now goes the other
// way) or whose recorded outputs no longer decode fails the test, without
// network. Record the journal once against the real services with
// RESOLUTE_FLOWTEST_RECORD=1 go test -run TestReplay, and commit it.
package flowtest

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/resolute/resolute-gen/runtime"
)

// Env holds the environment variables a flow reads in a test. The process
// environment is not read (except when recording, see [Replay]).
type Env map[string]string

// RecordEnv is the environment variable that makes [Replay] record a live
// run first (RESOLUTE_FLOWTEST_RECORD=1).
const RecordEnv = "RESOLUTE_FLOWTEST_RECORD"

// Flow is one flow of a program under test, with its own temporary state
// directory: runs of one Flow share it, so a second Run is incremental.
type Flow struct {
	t    testing.TB
	prog runtime.Program
	name string
	// Dir is the state directory (journal, cursors).
	Dir string
	// Env is what the flow's environment variables read.
	Env Env
}

// New returns the named flow of prog, with a new temporary state directory.
func New(t testing.TB, prog runtime.Program, flow string, env Env) *Flow {
	t.Helper()
	return &Flow{t: t, prog: prog, name: flow, Dir: t.TempDir(), Env: env}
}

// Run runs the named flow of prog once with env, in a new temporary state
// directory, and fails the test if the run fails.
func Run(t testing.TB, prog runtime.Program, flow string, env Env) *Result {
	t.Helper()
	return New(t, prog, flow, env).Run()
}

// Run runs the flow once and fails the test if the run fails.
func (f *Flow) Run() *Result {
	f.t.Helper()
	res, err := f.Try()
	if err != nil {
		f.t.Fatalf("flow %s failed: %v", f.name, err)
	}
	return res
}

// Try runs the flow once and returns the run's error, for tests of
// failures. A failed run stays in the state directory: the next Try or Run
// resumes it.
func (f *Flow) Try() (*Result, error) {
	f.t.Helper()
	res, err := runtime.RunFlow(context.Background(), f.prog, f.name, runtime.InProcessOptions{
		Dir: f.Dir, Env: f.Env, Log: logWriter(f.t),
	})
	if res == nil {
		return nil, err
	}
	return &Result{FlowResult: *res}, err
}

// Result is what a run did: the committed cursors, the journaled step
// outputs and the journal itself.
type Result struct {
	runtime.FlowResult
}

// Cursor returns the committed value of the named cursor.
func (r *Result) Cursor(name string) string { return r.Cursors[name] }

// Output decodes the output of the step with the given key (its id, or
// "loop[2]/id" inside a while loop, "branch/id" in a parallel block) into v,
// and fails the test if the step has no journaled output. Steps inside a
// stream's pages are not journaled one by one.
func (r *Result) Output(t testing.TB, key string, v any) {
	t.Helper()
	raw, ok := r.Outputs[key]
	if !ok {
		keys := make([]string, 0, len(r.Outputs))
		for k := range r.Outputs {
			keys = append(keys, k)
		}
		t.Fatalf("no output for step %q; the run journaled %q", key, keys)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("output of step %q does not decode as %T: %v", key, v, err)
	}
}

// WriteJournal writes the run's journal to path (creating its directory),
// to be replayed by [Replay].
func (r *Result) WriteJournal(t testing.TB, path string) {
	t.Helper()
	if len(r.Journal) == 0 {
		t.Fatalf("the run wrote no journal")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, r.Journal, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Replay replays the journal recorded at path through the named flow of
// prog and fails the test if the flow no longer takes the recorded path:
// a step it runs is not in the journal, a recorded step is not run, or a
// recorded output does not decode as the step's output type. No step runs,
// so no network and no configuration is needed.
//
// With RESOLUTE_FLOWTEST_RECORD=1 in the environment, Replay first runs the
// flow for real, with its environment variables read from the process
// environment, and writes its journal to path: record once against the
// real services, commit the file, and every later `go test` replays it.
func Replay(t testing.TB, prog runtime.Program, flow, path string) *Result {
	t.Helper()
	if os.Getenv(RecordEnv) == "1" {
		env := Env{}
		for _, v := range prog.Env {
			if val, ok := os.LookupEnv(v.Name); ok {
				env[v.Name] = val
			}
		}
		Run(t, prog, flow, env).WriteJournal(t, path)
		t.Logf("recorded the journal of flow %s in %s", flow, path)
	}
	res, err := TryReplay(t, prog, flow, path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return res
}

// TryReplay is [Replay] returning the divergence as an error, for tests
// that expect one. It never records.
func TryReplay(t testing.TB, prog runtime.Program, flow, path string) (*Result, error) {
	t.Helper()
	journal, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the recorded journal: %v (record it with %s=1 go test -run %s)", err, RecordEnv, t.Name())
	}
	res, err := runtime.ReplayFlow(context.Background(), prog, flow, journal, runtime.InProcessOptions{
		Dir: t.TempDir(), Log: logWriter(t),
	})
	if res == nil {
		return nil, err
	}
	return &Result{FlowResult: *res}, err
}

// logWriter sends the run's log lines to t.Log: shown for failed tests and
// with go test -v.
func logWriter(t testing.TB) *tlog {
	return &tlog{t: t}
}

type tlog struct {
	t   testing.TB
	mu  sync.Mutex
	buf []byte
}

func (w *tlog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.t.Log(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}
