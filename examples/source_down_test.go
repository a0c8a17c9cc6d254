package examples_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourceDownFailsFast: with the default retry policy, a Jira that
// refuses connections fails the streamed sync after the step's own retries
// (no hidden second policy inside the client), with exit 1, every retry
// logged with its delay and cause and counted in the metrics, and the
// cursor unchanged (issue 7, item 6).
func TestSourceDownFailsFast(t *testing.T) {
	bin := program(t, "pagination") // a stream of jira.FetchPage, default retry
	dir := t.TempDir()
	e := []string{
		"JIRA_BASE_URL=http://127.0.0.1:1", // nothing listens on port 1
		"JIRA_EMAIL=" + email, "JIRA_API_TOKEN=" + token,
		"WAREHOUSE_URL=sqlite://" + filepath.Join(dir, "warehouse.db"),
	}
	metrics := filepath.Join(dir, "metrics.prom")
	out, code := runProgram(t, bin, dir, e, "run", "--once", "--metrics-file", metrics)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	if n := strings.Count(out, "step attempt failed; retrying"); n != 2 {
		t.Errorf("%d retry lines, want 2 (3 attempts):\n%s", n, out)
	}
	for _, want := range []string{"retry_in=", "connection refused", "attempts=3"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log does not say %q:\n%s", want, out)
		}
	}
	m, err := os.ReadFile(metrics)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m), `resolute_step_retries_total{flow="paginated-sync",step="pages"} 2`) {
		t.Errorf("the metrics do not count the 2 retries:\n%s", m)
	}
	if got := cursorOf(t, bin, dir, e, "jira_sync"); got != "0" {
		t.Errorf("cursor = %q after a failed run, want it unchanged (0)", got)
	}
}
