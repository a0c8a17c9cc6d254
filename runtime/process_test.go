package runtime

// Tests that build internal/testprog and run it as real processes: crashes
// by SIGKILL, signals, the lock between processes, exit codes.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce   sync.Once
	testprogBin string
	buildErr    error
	buildDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// testprog builds internal/testprog once per test binary and returns its path.
func testprog(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "resolute-testprog-")
		if buildErr != nil {
			return
		}
		testprogBin = filepath.Join(buildDir, "testprog")
		out, err := exec.Command("go", "build", "-o", testprogBin, "./internal/testprog").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return testprogBin
}

// proc runs testprog processes against one state directory.
type proc struct {
	t       *testing.T
	bin     string
	tmp     string
	dir     string // state dir
	count   string // executions log
	release string // step two waits for this file when TP_BLOCK is set to it
}

func newProc(t *testing.T) *proc {
	tmp := t.TempDir()
	return &proc{t: t, bin: testprog(t), tmp: tmp, dir: filepath.Join(tmp, "state"),
		count: filepath.Join(tmp, "count"), release: filepath.Join(tmp, "release")}
}

type procResult struct {
	code           int
	stdout, stderr string
}

func (p *proc) command(env []string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.Command(p.bin, append(args, "--state-dir", p.dir)...)
	cmd.Env = append([]string{"TP_COUNT=" + p.count, "TP_TOKEN=hunter2-token"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

func (p *proc) run(env []string, args ...string) procResult {
	p.t.Helper()
	cmd, stdout, stderr := p.command(env, args...)
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		p.t.Fatal(err)
	}
	return procResult{cmd.ProcessState.ExitCode(), stdout.String(), stderr.String()}
}

// startBlocked starts `run --once sync` and waits until it is inside step two.
func (p *proc) startBlocked(extra ...string) (*exec.Cmd, *bytes.Buffer) {
	p.t.Helper()
	cmd, _, stderr := p.command(append([]string{"TP_BLOCK=" + p.release}, extra...), "run", "--once", "sync")
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p.waitFor("step two to start", func() bool { return p.counts()["two"] > 0 })
	return cmd, stderr
}

func (p *proc) waitFor(what string, cond func() bool) {
	p.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// counts returns how often each step executed.
func (p *proc) counts() map[string]int {
	data, _ := os.ReadFile(p.count)
	c := map[string]int{}
	for _, l := range strings.Fields(string(data)) {
		c[l]++
	}
	return c
}

func (p *proc) wantCounts(want string) {
	p.t.Helper()
	c := p.counts()
	if got := fmt.Sprintf("one=%d two=%d three=%d", c["one"], c["two"], c["three"]); got != want {
		p.t.Errorf("executions: %s, want %s", got, want)
	}
}

func (p *proc) cursor() string {
	p.t.Helper()
	r := p.run(nil, "cursor", "get", "c")
	if r.code != 0 {
		p.t.Fatalf("cursor get: exit %d: %s", r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

func (p *proc) journalExists() bool {
	_, err := os.Stat(filepath.Join(p.dir, "journal", "sync.jsonl"))
	return err == nil
}

func TestProcessKilledInsideStepResumes(t *testing.T) {
	p := newProc(t)
	cmd, _ := p.startBlocked()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	p.wantCounts("one=1 two=1 three=0")
	if !p.journalExists() {
		t.Fatal("no journal after SIGKILL")
	}

	r := p.run(nil, "run", "--once", "sync")
	if r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.stderr)
	}
	p.wantCounts("one=1 two=2 three=1") // step two was interrupted, so it runs again
	mustContain(t, "log", r.stderr, "resumed=true", "step=one replayed=true")
	if got := p.cursor(); got != "1" {
		t.Errorf("cursor = %s, want 1 (advanced exactly once)", got)
	}
	if p.journalExists() {
		t.Error("journal left after success")
	}
	// A new run starts from the committed cursor.
	if r := p.run(nil, "run", "--once", "sync"); r.code != 0 || p.cursor() != "2" {
		t.Errorf("third run: exit %d, cursor %s", r.code, p.cursor())
	}
}

func TestProcessFailedRunKeepsCursorsAndResumes(t *testing.T) {
	p := newProc(t)
	if r := p.run(nil, "cursor", "set", "c", "5"); r.code != 0 {
		t.Fatalf("cursor set: %d %s", r.code, r.stderr)
	}
	before, _ := os.ReadFile(filepath.Join(p.dir, "cursors.json"))

	r := p.run([]string{"TP_FAIL=two"}, "run", "--once", "sync")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	mustContain(t, "stderr", r.stderr, `step "two" failed: boom (token [REDACTED])`, "`testprog run --once sync` resumes it")
	if strings.Contains(r.stderr, "hunter2") {
		t.Errorf("secret in stderr:\n%s", r.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(p.dir, "cursors.json"))
	if !bytes.Equal(before, after) {
		t.Errorf("cursors.json changed by a failed run:\n%s\n%s", before, after)
	}
	st := p.run(nil, "status")
	mustContain(t, "status", st.stdout, "last run: failed", "unfinished run: ", "completed steps: 1", "c  5")

	r = p.run(nil, "run", "--once", "sync")
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	p.wantCounts("one=1 two=2 three=1")
	if got := p.cursor(); got != "6" {
		t.Errorf("cursor = %s, want 6", got)
	}
}

func TestProcessLockHeldBySecondInstance(t *testing.T) {
	p := newProc(t)
	first, _ := p.startBlocked()
	want := fmt.Sprintf("testprog: another resolute program (pid %d) holds the state dir %s; wait for it to finish or stop it\n", first.Process.Pid, p.dir)
	for _, args := range [][]string{{"run", "--once", "sync"}, {"cursor", "set", "c", "9"}} {
		r := p.run(nil, args...)
		if r.code != 2 || r.stderr != want {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", args, r.code, r.stderr, want)
		}
	}
	if r := p.run(nil, "status"); r.code != 0 || !strings.Contains(r.stdout, "completed steps: 1") {
		t.Errorf("status during a run: exit %d\n%s", r.code, r.stdout)
	}
	os.WriteFile(p.release, nil, 0o600)
	if err := first.Wait(); err != nil {
		t.Fatalf("first instance: %v", err)
	}
	p.wantCounts("one=1 two=1 three=1")
}

// SIGINT and SIGTERM stop `run --once` with 128+signo (130, 143), saying
// so; the journal is kept and the next run resumes.
func TestProcessInterruptFailsRunAndKeepsJournal(t *testing.T) {
	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
		p := newProc(t)
		cmd, stderr := p.startBlocked()
		cmd.Process.Signal(sig)
		cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != want {
			t.Fatalf("%v: exit %d, want %d\n%s", sig, code, want, stderr)
		}
		mustContain(t, "stderr", stderr.String(), "interrupted by "+signalName(sig), "Its progress is kept")
		if !p.journalExists() || p.cursor() != "0" {
			t.Fatal("interrupted run must keep its journal and not commit")
		}
		if r := p.run(nil, "run", "--once", "sync"); r.code != 0 {
			t.Fatalf("resume: %d %s", r.code, r.stderr)
		}
		p.wantCounts("one=1 two=2 three=1")
	}
}

func TestProcessExitCodesAndHelp(t *testing.T) {
	p := newProc(t)
	r := p.run(nil, "--help")
	if r.code != 0 {
		t.Errorf("--help: exit %d", r.code)
	}
	mustContain(t, "help", r.stdout, "testprog run --once [FLOW]", "sync", "Three steps and a cursor.", "tick", "schedule @every 1s",
		"TP_COUNT  required", "TP_TOKEN  secret", `TP_MODE   default "normal"`)
	for _, tc := range []struct {
		env  []string
		args []string
		code int
		msg  string
	}{
		{nil, []string{"run", "--once", "sync"}, 0, ""},
		{[]string{"TP_FAIL=two"}, []string{"run", "--once", "sync"}, 1, "boom"},
		{nil, []string{"run", "--once"}, 2, "several flows"},
		{nil, []string{"launch"}, 2, `unknown command "launch"`},
		{nil, []string{"run", "--once", "sync", "--nope"}, 2, "flag provided but not defined: -nope"},
		{[]string{"TP_COUNT="}, []string{"run", "--once", "sync"}, 2, "missing required environment variables: TP_COUNT"},
		{[]string{"TP_SPEC_HASH=sha256:changed"}, []string{"run", "--once", "sync"}, 2, "began under a different definition of the flow"},
		{[]string{"TP_SPEC_HASH=sha256:changed"}, []string{"run", "--once", "sync", "--fresh"}, 0, ""},
	} {
		r := p.run(tc.env, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) {
			t.Errorf("%v %v: exit %d, want %d with %q\n%s", tc.env, tc.args, r.code, tc.code, tc.msg, r.stderr)
		}
	}
}

func TestProcessSchedulerResumesThenRunsUntilSIGTERM(t *testing.T) {
	p := newProc(t)
	if r := p.run([]string{"TP_FAIL=two"}, "run", "--once", "sync"); r.code != 1 {
		t.Fatalf("setup: exit %d", r.code)
	}
	cmd, _, stderr := p.command([]string{"TP_FAIL="}, "run", "--log-format", "json")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.waitFor("a scheduled tick", func() bool { return p.counts()["tick"] > 0 })
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, stderr)
	}
	p.wantCounts("one=1 two=2 three=1") // the unfinished sync run was resumed at start
	mustContain(t, "log", stderr.String(), `"msg":"resuming the unfinished run","flow":"sync"`, `"msg":"flow scheduled","flow":"tick"`, `"msg":"scheduler stopped"`)
}

// Deleting the lock file during a run does not let a second instance in;
// it refuses with the holder's pid (issue 6, item 4).
func TestProcessLockHoldsWhenLockFileDeleted(t *testing.T) {
	p := newProc(t)
	first, _ := p.startBlocked()
	if err := os.Remove(filepath.Join(p.dir, "lock")); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("testprog: another resolute program (pid %d) holds the state dir %s; wait for it to finish or stop it\n", first.Process.Pid, p.dir)
	for _, args := range [][]string{{"run", "--once", "sync"}, {"cursor", "set", "c", "9"}} {
		r := p.run(nil, args...)
		if r.code != 2 || r.stderr != want {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", args, r.code, r.stderr, want)
		}
	}
	os.WriteFile(p.release, nil, 0o600)
	if err := first.Wait(); err != nil {
		t.Fatalf("first instance: %v", err)
	}
	p.wantCounts("one=1 two=1 three=1")
}
