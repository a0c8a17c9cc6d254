package main

// Durability inside blocks: a SIGKILL inside iteration k of a while loop,
// inside a parallel block and inside a for_each resumes without executing
// finished work again. The flows are in testdata/usermod/control.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ticks returns how often each name was ticked.
func ticks(t *testing.T, data string) map[string]int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(data, "ticks.log"))
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, l := range strings.Fields(string(raw)) {
		n[l]++
	}
	return n
}

// killInside starts flow with BLOCK_ON=block, waits until the blocking step
// is running and every journal key in journaled is on disk, then SIGKILLs
// the process. It returns the journal keys present at the kill.
func killInside(t *testing.T, flow, block string, journaled ...string) (data, state string, env []string, keys []string) {
	t.Helper()
	bin := controlBinary(t)
	data = t.TempDir()
	state = filepath.Join(data, "state")
	env = []string{"DATA_DIR=" + data, "BLOCK_ON=" + block}
	cmd := exec.Command(bin, "run", "--once", flow, "--state-dir", state)
	cmd.Dir = data
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(state, "journal", flow+".jsonl")
	deadline := time.Now().Add(60 * time.Second) // a bound on a hang, not a speed assertion
	for {
		inside, _ := filepath.Glob(filepath.Join(data, "inside-"+block+"*"))
		var err error
		if len(inside) == 0 {
			err = os.ErrNotExist
		}
		j, _ := os.ReadFile(journal)
		all := err == nil
		for _, k := range journaled {
			all = all && bytes.Contains(j, []byte(`"key":"`+k+`"`))
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("flow %s never reached %s with %v journaled:\n%s", flow, block, journaled, stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	j, _ := os.ReadFile(journal)
	for _, line := range strings.Split(string(j), "\n") {
		if _, rest, ok := strings.Cut(line, `"key":"`); ok {
			k, _, _ := strings.Cut(rest, `"`)
			keys = append(keys, k)
		}
	}
	return data, state, env, keys
}

func controlBinary(t *testing.T) string {
	t.Helper()
	userProgram(t)
	return controlBin
}

// resume reruns flow with the gate open and no blocking.
func resume(t *testing.T, flow, data, state string) string {
	t.Helper()
	touch(t, filepath.Join(data, "gate"))
	return mustRun(t, data, []string{"DATA_DIR=" + data}, controlBinary(t), "run", "--once", flow, "--state-dir", state)
}

func TestKillInsideWhileIteration(t *testing.T) {
	// Iteration 2 fetches page-3 (iteration 0 fetched page-1).
	data, state, _, keys := killInside(t, "loop", "page-3", "pages[1]/page")
	if !slices.Contains(keys, "pages[1]/page") || slices.Contains(keys, "pages[2]/page") {
		t.Fatalf("journal at the kill: %v", keys)
	}
	out := resume(t, "loop", data, state)
	n := ticks(t, data)
	for _, name := range []string{"page-0", "page-1", "page-2", "page-4", "page-5"} {
		if n[name] != 1 {
			t.Errorf("%s ran %d times, want 1 (ticks %v)\n%s", name, n[name], n, out)
		}
	}
	if n["page-3"] != 2 {
		t.Errorf("page-3 ran %d times, want 2: killed in it, then resumed in iteration 2", n["page-3"])
	}
	if !strings.Contains(out, "pages[2]/page") {
		t.Errorf("the resumed run's log does not show iteration 2:\n%s", out)
	}
}

func TestKillInsideParallel(t *testing.T) {
	data, state, _, _ := killInside(t, "fanout", "b", "all[0]/a", "all[2]/c", "all[2]/c2")
	resume(t, "fanout", data, state)
	n := ticks(t, data)
	if n["a"] != 1 || n["c"] != 1 || n["c2-after-c"] != 1 {
		t.Errorf("finished branches ran again: %v", n)
	}
	if n["b"] != 2 {
		t.Errorf("b ran %d times, want 2", n["b"])
	}
	if n["after-a-b-c2-after-c"] != 1 {
		t.Errorf("the step after the block did not see every branch's output: %v", n)
	}
}

func TestKillInsideForEach(t *testing.T) {
	data, state, _, keys := killInside(t, "each", "item-3", "done[0]/t", "done[1]/t", "done[2]/t")
	out := resume(t, "each", data, state)
	n := ticks(t, data)
	for i, name := range []string{"item-0", "item-1", "item-2", "item-3", "item-4", "item-5"} {
		want := 1
		if name == "item-3" {
			want = 2
		} else if !slices.Contains(keys, "done["+string(rune('0'+i))+"]/t") {
			// An item in flight at the kill may run again; it must run.
			if n[name] < 1 {
				t.Errorf("%s never ran", name)
			}
			continue
		}
		if n[name] != want {
			t.Errorf("%s ran %d times, want %d (journal at the kill: %v)\n%s", name, n[name], want, keys, out)
		}
	}
	if n["after-6-item-5"] != 1 {
		t.Errorf("the for_each result is not in input order or incomplete: %v", n)
	}
}

// TestKillAfterNowReplaysSameInstant: now() feeds a branch condition and a
// step's input. Killed inside that step, the resumed run must take the same
// branch and call the step with the same instant: both were recorded.
func TestKillAfterNowReplaysSameInstant(t *testing.T) {
	data, state, _, _ := killInside(t, "clock", "at-")
	before := ticks(t, data)
	resume(t, "clock", data, state)
	after := ticks(t, data)
	var name string
	for k := range before {
		if strings.HasPrefix(k, "at-") {
			name = k
		}
	}
	if name == "" {
		t.Fatalf("no timestamped tick before the kill: %v", before)
	}
	if after[name] != 2 || after["first"] != 1 || len(after) != 2 {
		t.Fatalf("ticks after the resume = %v; want first once and %s twice (same branch, same instant)", after, name)
	}
}

// TestFormattedTimeCursor: a cursor with format = "2006-01-02 15:04" is
// written in that layout, in UTC; a run that reads no time leaves it.
func TestFormattedTimeCursor(t *testing.T) {
	bin := controlBinary(t)
	data := t.TempDir()
	state := filepath.Join(data, "state")
	get := func() string {
		return strings.TrimSpace(mustRun(t, data, []string{"DATA_DIR=" + data}, bin, "cursor", "get", "since", "--state-dir", state))
	}
	if got := get(); got != "2026-01-01 00:00" {
		t.Fatalf("initial cursor = %q", got)
	}
	mustRun(t, data, []string{"DATA_DIR=" + data, "VALUE=2026-03-02T10:00:30+01:00"}, bin, "run", "--once", "formatted", "--state-dir", state)
	if got := get(); got != "2026-03-02 09:00" {
		t.Fatalf("cursor = %q, want 2026-03-02 09:00 (UTC, minute layout)", got)
	}
	mustRun(t, data, []string{"DATA_DIR=" + data, "VALUE="}, bin, "run", "--once", "formatted", "--state-dir", state)
	if got := get(); got != "2026-03-02 09:00" {
		t.Fatalf("a run that read no time moved the cursor to %q", got)
	}
}
