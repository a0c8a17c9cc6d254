// Package storetest holds the tests every cursor store must pass (Contract:
// run by the file store in runtime/cursorstore, by pgstore and by
// redisstore), and the end-to-end test of a program (runtime/internal/testprog)
// using an external store (Program), shared by pgstore and redisstore.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
)

// Opener opens a new client of the store under test for namespace ns. Every
// call returns a separate store value (a separate connection) on the same
// data.
type Opener func(t *testing.T, ns string) cursorstore.Store

// Unique returns a name for one test's table, key prefix or namespace.
func Unique(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + strconv.FormatInt(time.Now().UnixNano()%1e6, 36) + hex.EncodeToString(b)
}

// Contract runs the tests of the CursorStore contract.
func Contract(t *testing.T, open Opener) {
	ctx := context.Background()
	load := func(t *testing.T, s cursorstore.Store) map[string]string {
		t.Helper()
		m, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		return m
	}
	commit := func(t *testing.T, s cursorstore.Store, values map[string]string) {
		t.Helper()
		if err := s.Commit(ctx, values, nil); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	want := func(t *testing.T, what string, got, want map[string]string) {
		t.Helper()
		if !maps.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", what, got, want)
		}
	}

	t.Run("empty namespace loads as no cursors", func(t *testing.T) {
		m := load(t, open(t, Unique("ns")))
		if m == nil || len(m) != 0 {
			t.Errorf("got %#v, want an empty map", m)
		}
	})

	t.Run("round trip through another client", func(t *testing.T) {
		ns := Unique("ns")
		values := map[string]string{
			"epoch_ms": "1735725600000",
			"time":     "2025-01-01T10:00:00Z",
			"unicode":  "année 🚀 \"quoted\" \\ back",
			"newline":  "a\nb\tc",
			"empty":    "",
			"long":     strings.Repeat("x", 10000),
		}
		commit(t, open(t, ns), values)
		want(t, "other client", load(t, open(t, ns)), values)
	})

	t.Run("commit merges and leaves other cursors alone", func(t *testing.T) {
		ns := Unique("ns")
		s := open(t, ns)
		commit(t, s, map[string]string{"a": "1", "b": "1"})
		commit(t, s, map[string]string{"b": "2", "c": "3"})
		commit(t, s, map[string]string{})
		want(t, "after two commits", load(t, s), map[string]string{"a": "1", "b": "2", "c": "3"})
	})

	t.Run("namespaces are separate", func(t *testing.T) {
		ns1, ns2 := Unique("ns"), Unique("ns")
		commit(t, open(t, ns1), map[string]string{"a": "1"})
		commit(t, open(t, ns2), map[string]string{"a": "2"})
		want(t, ns1, load(t, open(t, ns1)), map[string]string{"a": "1"})
		want(t, ns2, load(t, open(t, ns2)), map[string]string{"a": "2"})
	})

	t.Run("check sees the committed values", func(t *testing.T) {
		ns := Unique("ns")
		s := open(t, ns)
		var seen []map[string]string
		check := func(m map[string]string) error { seen = append(seen, maps.Clone(m)); return nil }
		if err := s.Commit(ctx, map[string]string{"a": "1"}, check); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, map[string]string{"b": "2"}, check); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 2 || len(seen[0]) != 0 || !maps.Equal(seen[1], map[string]string{"a": "1"}) {
			t.Errorf("check saw %v", seen)
		}
		want(t, "after", load(t, s), map[string]string{"a": "1", "b": "2"})
	})

	t.Run("a failed check commits nothing", func(t *testing.T) {
		ns := Unique("ns")
		s := open(t, ns)
		commit(t, s, map[string]string{"a": "1", "b": "1"})
		errConflict := errors.New("conflict")
		err := s.Commit(ctx, map[string]string{"a": "2", "b": "2", "new": "2"}, func(map[string]string) error { return errConflict })
		if !errors.Is(err, errConflict) {
			t.Fatalf("Commit returned %v, want the check's error", err)
		}
		want(t, "after the refused commit", load(t, open(t, ns)), map[string]string{"a": "1", "b": "1"})
	})

	t.Run("a commit that cannot run commits nothing", func(t *testing.T) {
		ns := Unique("ns")
		s := open(t, ns)
		commit(t, s, map[string]string{"a": "1", "b": "1"})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Commit(cctx, map[string]string{"a": "2", "b": "2"}, nil); err == nil {
			t.Fatal("Commit with a cancelled context succeeded")
		}
		want(t, "after the failed commit", load(t, s), map[string]string{"a": "1", "b": "1"})
	})

	// Clients incrementing a counter with compare-and-set commits: no
	// increment is lost, which is only true if the check and the write are
	// one atomic step (including for a cursor that has no value yet).
	t.Run("compare-and-set between clients loses no update", func(t *testing.T) {
		ns := Unique("ns")
		const clients, each = 4, 8
		stores := make([]cursorstore.Store, clients)
		for i := range stores {
			stores[i] = open(t, ns)
		}
		errConflict := errors.New("conflict")
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for _, s := range stores {
			wg.Go(func() {
				for done := 0; done < each; {
					cur, err := s.Load(ctx)
					if err != nil {
						errs <- err
						return
					}
					n, _ := strconv.Atoi(cur["n"]) // absent: 0
					err = s.Commit(ctx, map[string]string{"n": strconv.Itoa(n + 1), "a": "x", "z": "y"}, func(c map[string]string) error {
						if c["n"] != cur["n"] {
							return errConflict
						}
						return nil
					})
					switch {
					case err == nil:
						done++
					case !errors.Is(err, errConflict):
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		want(t, "after the increments", load(t, stores[0]), map[string]string{"n": strconv.Itoa(clients * each), "a": "x", "z": "y"})
	})
}

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// Main runs the tests of a package that uses [Testprog] and removes the
// program built for them.
func Main(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// Testprog builds runtime/internal/testprog once per test binary and
// returns its path.
func Testprog(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "resolute-storetest-"); buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "testprog")
		out, err := exec.Command("go", "build", "-o", buildBin, "github.com/resolute/resolute-gen/runtime/internal/testprog").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build testprog: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// Machine runs testprog against one state directory, as one machine would;
// two Machines with the same store environment share their cursors.
type Machine struct {
	t       *testing.T
	bin     string
	Dir     string   // state dir
	count   string   // executions log
	release string   // step two waits for this file
	Env     []string // added to every command's environment
}

// NewMachine returns a machine with its own state directory.
func NewMachine(t *testing.T, env ...string) *Machine {
	tmp := t.TempDir()
	return &Machine{t: t, bin: Testprog(t), Dir: filepath.Join(tmp, "state"), count: filepath.Join(tmp, "count"),
		release: filepath.Join(tmp, "release"), Env: env}
}

// Result is how a command ended.
type Result struct {
	Code           int
	Stdout, Stderr string
}

func (m *Machine) command(env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(m.bin, append(args, "--state-dir", m.Dir)...)
	cmd.Env = append(append([]string{"PATH=" + os.Getenv("PATH"), "TP_COUNT=" + m.count}, m.Env...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// Run runs testprog with args and extra environment variables.
func (m *Machine) Run(env []string, args ...string) Result {
	m.t.Helper()
	cmd, stdout, stderr := m.command(env, args...)
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		m.t.Fatal(err)
	}
	return Result{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// MustRun runs testprog and fails the test unless it exits with code.
func (m *Machine) MustRun(code int, env []string, args ...string) Result {
	m.t.Helper()
	r := m.Run(env, args...)
	if r.Code != code {
		m.t.Fatalf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", args, r.Code, code, r.Stdout, r.Stderr)
	}
	return r
}

// StartBlocked starts `run --once sync` and waits until it is inside step
// two, which waits for Release.
func (m *Machine) StartBlocked(extra ...string) (*exec.Cmd, *bytes.Buffer) {
	m.t.Helper()
	os.Remove(m.release)
	before := m.executions("two")
	cmd, _, stderr := m.command([]string{"TP_BLOCK=" + m.release}, append([]string{"run", "--once", "sync"}, extra...)...)
	if err := cmd.Start(); err != nil {
		m.t.Fatal(err)
	}
	m.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if m.executions("two") > before {
			break
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("timed out waiting for step two; stderr:\n%s", stderr)
		}
	}
	return cmd, stderr
}

// executions counts the executions of a step of testprog.
func (m *Machine) executions(step string) int {
	data, _ := os.ReadFile(m.count)
	n := 0
	for _, l := range strings.Fields(string(data)) {
		if l == step {
			n++
		}
	}
	return n
}

// Release lets a blocked step two go on.
func (m *Machine) Release() {
	os.WriteFile(m.release, nil, 0o600)
}

// Program runs the end-to-end test of testprog built with the store: env
// selects the store (TP_STORE=..., RESOLUTE_CURSOR_STORE=...), open reads
// it directly, badURL is an unreachable URL of the store's kind whose
// password is "s3cret-pw", desc is a substring of the store's description.
func Program(t *testing.T, open Opener, env []string, badURL, desc string) {
	ns := Unique("prog")
	env = append(env, "RESOLUTE_CURSOR_NAMESPACE="+ns)
	a, b := NewMachine(t, env...), NewMachine(t, env...)
	store := open(t, ns)
	committed := func() string {
		t.Helper()
		m, err := store.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return m["c"]
	}
	cursorGet := func(m *Machine) string {
		t.Helper()
		return strings.TrimSpace(m.MustRun(0, nil, "cursor", "get", "c").Stdout)
	}

	st := a.MustRun(0, nil, "status")
	for _, s := range []string{desc, ns, "c  0  (initial, never committed)"} {
		if !strings.Contains(st.Stdout, s) {
			t.Errorf("status does not contain %q:\n%s", s, st.Stdout)
		}
	}
	if got := cursorGet(a); got != "0" {
		t.Errorf("cursor get before any commit = %q, want the initial 0", got)
	}
	a.MustRun(0, nil, "cursor", "set", "c", "41")
	if got := committed(); got != "41" {
		t.Errorf("store after cursor set: c = %q, want 41", got)
	}
	a.MustRun(0, nil, "run", "--once", "sync")
	if got := committed(); got != "42" {
		t.Errorf("store after a run: c = %q, want 42", got)
	}
	if got := cursorGet(b); got != "42" {
		t.Errorf("another state dir reads c = %q, want 42 (the store is shared)", got)
	}
	if _, err := os.Stat(filepath.Join(a.Dir, "cursors.json")); err == nil {
		t.Error("cursors.json written although the program uses a cursor store")
	}

	// Two machines share the store: a's run begins at 42 and would commit
	// 43, but b sets 50 meanwhile; a's commit must be refused, not undo b's.
	cmd, stderr := a.StartBlocked()
	b.MustRun(0, nil, "cursor", "set", "c", "50")
	a.Release()
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(stderr.String(), `cursor c changed while this run was in progress: it was "42" when the run began and is "50" now`) {
		t.Errorf("conflicting run: exit %d, want 2 and the conflict explained\n%s", code, stderr)
	}
	if got := committed(); got != "50" {
		t.Errorf("after the refused commit: c = %q, want 50", got)
	}
	a.MustRun(0, nil, "run", "--once", "sync", "--fresh")
	if got := committed(); got != "51" {
		t.Errorf("after --fresh: c = %q, want 51", got)
	}

	// Configuration errors: exit 2, clear, no password.
	var noURL []string
	for _, e := range env {
		if !strings.HasPrefix(e, "RESOLUTE_CURSOR_STORE=") {
			noURL = append(noURL, e)
		}
	}
	m := &Machine{t: t, bin: a.bin, Dir: a.Dir, count: a.count, release: a.release, Env: noURL}
	r := m.Run(nil, "run", "--once", "sync")
	if r.Code != 2 || !strings.Contains(r.Stderr, "--cursor-store URL or in the environment variable RESOLUTE_CURSOR_STORE") {
		t.Errorf("without a store URL: exit %d, stderr:\n%s", r.Code, r.Stderr)
	}
	for _, args := range [][]string{{"run", "--once", "sync"}, {"cursor", "get", "c"}} {
		r = a.Run(nil, append(args, "--cursor-store", badURL)...)
		if r.Code != 2 || !strings.Contains(r.Stderr, "cursor store") || strings.Contains(r.Stderr, "s3cret-pw") {
			t.Errorf("%v with an unreachable store: exit %d, want 2, a message, no password; stderr:\n%s", args, r.Code, r.Stderr)
		}
	}
	r = a.Run(nil, "status", "--cursor-store", badURL)
	if r.Code != 2 || !strings.Contains(r.Stdout, "Flows:") || strings.Contains(r.Stdout+r.Stderr, "s3cret-pw") {
		t.Errorf("status with an unreachable store: exit %d, want 2 and the rest of the status\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

// Shapes checks that a store that holds cursors of the wrong shape stops
// the program (exit 2, the store and the repair command named) instead of
// a silent full resync, and that a cursor the spec added since starts from
// its initial value with a log line (issue 6, item 3). env selects the
// store as for Program; open reads and writes it directly.
func Shapes(t *testing.T, open Opener, env []string) {
	ctx := context.Background()
	machine := func(seed map[string]string) (*Machine, string) {
		ns := Unique("shape")
		if seed != nil {
			if err := open(t, ns).Commit(ctx, seed, nil); err != nil {
				t.Fatal(err)
			}
		}
		return NewMachine(t, append(env, "RESOLUTE_CURSOR_NAMESPACE="+ns)...), ns
	}
	for name, tc := range map[string]struct {
		seed map[string]string
		msg  string
	}{
		"misspelt name":           {map[string]string{".cursors": "c", "c": "5", "cc": "7"}, `it holds cursor "cc", which this program never committed there`},
		"lost cursor":             {map[string]string{".cursors": "c,other", "other": "1"}, `cursor "c" was committed but has no value`},
		"misspelt name, no list":  {map[string]string{"cc": "7"}, `it holds cursor "cc", which this program does not declare`},
		"undeclared name, listed": {map[string]string{".cursors": "c,gone", "gone": "1"}, `cursor "c" was committed but has no value`},
	} {
		t.Run(name, func(t *testing.T) {
			m, _ := machine(tc.seed)
			r := m.Run(nil, "run", "--once", "sync")
			if r.Code != 2 || !strings.Contains(r.Stderr, tc.msg) || !strings.Contains(r.Stderr, "cursor set NAME VALUE") || m.executions("one") != 0 {
				t.Fatalf("exit %d, %d executions; want 2 before any step, with %q\n%s", r.Code, m.executions("one"), tc.msg, r.Stderr)
			}
			// cursor set repairs the store.
			m.MustRun(0, nil, "cursor", "set", "c", "10")
			m.MustRun(0, nil, "run", "--once", "sync")
			if got := strings.TrimSpace(m.MustRun(0, nil, "cursor", "get", "c").Stdout); got != "11" {
				t.Errorf("after the repair c = %q, want 11", got)
			}
		})
	}
	t.Run("cursor added since", func(t *testing.T) {
		m, ns := machine(map[string]string{".cursors": "gone", "gone": "1"})
		r := m.MustRun(0, nil, "run", "--once", "sync")
		if !strings.Contains(r.Stderr, "cursor c was never committed in the cursor store") {
			t.Errorf("no log line about the new cursor:\n%s", r.Stderr)
		}
		got, err := open(t, ns).Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got["c"] != "1" || got[".cursors"] != "c,gone" {
			t.Errorf("store after the run: %v", got)
		}
	})
}
