package e2e

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "record the workflow histories of the replay tests again")

const (
	controlSpec    = "../testdata/control/control.toml"
	controlHistory = "../testdata/control/history.json"
)

// TestControlFlowRuns runs the flow that uses every control construct on
// Temporal and checks what its steps did.
func TestControlFlowRuns(t *testing.T) {
	worker := build(t, "control", generate(t, "temporal", controlSpec))
	ts := server(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.txt")
	env := []string{"OUT=" + out}
	queue := "control"
	startWorker(t, worker, env, append(connArgs(ts, queue), "--state-dir", dir)...)
	res := run(t, worker, env, append(connArgs(ts, queue), "start", "control", "--wait")...)
	id := strings.Fields(res)[0]
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	count := map[string]int{}
	for _, l := range lines {
		count[strings.Fields(l)[0]]++
	}
	// 3 pages; the while loop reads 7 items 3 at a time, so for_each sees
	// the last page's 1 item; the handler records the failure.
	want := map[string]int{"page": 3, "left": 1, "each": 1, "handled": 1, "done": 1}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%d %q lines; want %d. Lines:\n%s", count[k], k, v, data)
		}
	}
	if !strings.Contains(string(data), "done 1 1") || !strings.Contains(string(data), "failing on purpose: the test") {
		t.Errorf("unexpected lines:\n%s", data)
	}
	if c := cursors(t, dir); c["last"] != "24" || c["other"] != "0" {
		t.Errorf("cursors %v; want last 24 (the stream's advance) and other 0 (its advance rolled back by the failed step)", c)
	}
	if !strings.Contains(res, `"step":"broken"`) {
		t.Errorf("the result does not list the failed step: %s", res)
	}
	if *update {
		h := history(t, ts.GetDefaultClient(), id, "")
		// The OUT path is the test's temp dir: make it stable.
		h = bytes.ReplaceAll(h, []byte(out), []byte("out.txt"))
		if err := os.WriteFile(controlHistory, h, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("recorded %s", controlHistory)
	}
}

// TestControlHistoryReplays replays the recorded history of the control
// flow against a worker generated now: a change to the generated workflow
// code (or to tprt) that would break running workflows fails here. Run
// `cd temporal/e2e && go test -run TestControlFlowRuns -update` to record it again after
// a deliberate change.
func TestControlHistoryReplays(t *testing.T) {
	worker := build(t, "control-replay", generate(t, "temporal", controlSpec))
	hist, err := filepath.Abs(controlHistory)
	if err != nil {
		t.Fatal(err)
	}
	out := run(t, worker, nil, "replay", hist)
	if !strings.Contains(out, "1 histories replayed") {
		t.Errorf("replay printed %q", out)
	}

	// The guard works: the same flow with its parallel branches swapped
	// does not replay.
	spec, err := os.ReadFile(controlSpec)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(spec), `Lines = ["left"]`, `Lines = ["left", "more"]`, 1)
	changed = strings.Replace(changed, "max_iterations = 10", "max_iterations = 10\n\n    [[step.then.do]]\n    id = \"extra\"\n    call = \"github.com/resolute/resolute-gen/temporal/internal/tnodes.Record\"\n    with = { Lines = [\"x\"] }\n", 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "control.toml")
	if err := os.WriteFile(path, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := build(t, "control-changed", generate(t, "temporal", path))
	cmd := exec.Command(bad, "replay", hist)
	msg, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("a worker with an extra step replayed the recorded history:\n%s", msg)
	}
	if !strings.Contains(string(msg), "nondetermin") {
		t.Errorf("replay failed, but not for nondeterminism:\n%s", msg)
	}
}
