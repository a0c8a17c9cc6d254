package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
	"github.com/resolute/resolute-gen/temporal/tprt"
)

// TestKilledWorkerIsReplaced kills the only worker with SIGKILL while it
// fetches the second page of the jira-sync example; a worker started
// after it finishes the run: every issue is in the warehouse exactly once
// and the cursor is committed.
func TestKilledWorkerIsReplaced(t *testing.T) {
	const n = 300
	fake := jiraFake(t, n)
	// The example as it is, but for the upsert's retry backoff (1m): the
	// step in flight when the worker dies is retried after it.
	spec, err := os.ReadFile(jiraSpec)
	if err != nil {
		t.Fatal(err)
	}
	fast := strings.Replace(string(spec), `retry = { attempts = 3, backoff = "1m" }`, `retry = { attempts = 3, backoff = "1s" }`, 1)
	if fast == string(spec) {
		t.Fatal("the example's upsert retry changed; update this test")
	}
	specPath := filepath.Join(t.TempDir(), "sync.toml")
	if err := os.WriteFile(specPath, []byte(fast), 0o644); err != nil {
		t.Fatal(err)
	}
	worker := build(t, "jira-temporal-kill", generate(t, "temporal", specPath))
	ts := server(t)
	dir := t.TempDir()
	queue := "kill-" + strings.ReplaceAll(t.Name(), "/", "-")
	env := jiraEnv(fake, dir)
	args := append(connArgs(ts, queue), "--state-dir", dir, "--heartbeat-timeout", "2s")

	reached := make(chan struct{})
	release := make(chan struct{})
	fake.BeforeSearch(func(i int, r jiratest.Request) {
		if i == 2 { // the second page: the first one is written
			close(reached)
			<-release
		}
	})
	first := startWorker(t, worker, env, args...)
	cl := ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	wr, err := cl.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "jira-kill", TaskQueue: queue}, "jira-warehouse-sync", tprt.Input{})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-ctx.Done():
		t.Fatalf("the worker never asked for the second page:\n%s", first.out.String())
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.cmd.Wait()
	close(release) // the dead worker's request is answered into the void

	startWorker(t, worker, env, args...)
	var out tprt.Output
	if err := wr.Get(ctx, &out); err != nil {
		t.Fatalf("the run did not complete after the worker was replaced: %v", err)
	}
	if os.Getenv("E2E_LOG") != "" {
		t.Logf("history:\n%s", history(t, cl, "jira-kill", ""))
	}
	got := rows(t, filepath.Join(dir, "warehouse.db"), "jira_issues", "issue_key")
	if len(got) != n {
		t.Errorf("the warehouse has %d rows; want %d", len(got), n)
	}
	seen := map[string]bool{}
	for _, r := range got {
		key := strings.Fields(r)[0]
		if seen[key] {
			t.Errorf("duplicate row %s", key)
		}
		seen[key] = true
	}
	if c := cursors(t, dir)["jira_sync"]; c == "" || c == "0" || out.Committed["jira_sync"] != c {
		t.Errorf("cursor jira_sync is %q, the run committed %q; want the same, past 0", c, out.Committed["jira_sync"])
	}
}
