package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPayloadOverLimitFailsNamingStep: a page over the payload limit fails
// the run at once with an error naming the step, rather than leaving a
// workflow stuck on a payload the server refuses.
func TestPayloadOverLimitFailsNamingStep(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "big.toml")
	err := os.WriteFile(spec, []byte(`version = 1
flow = "big"

[[step]]
id = "pages"
stream = "github.com/resolute/resolute-gen/temporal/internal/tnodes.Feed"
with = { Total = 1000, PageSize = 500 }

  [[step.do]]
  id = "saved"
  call = "github.com/resolute/resolute-gen/temporal/internal/tnodes.Record"
  with = { Line = "page" }
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	worker := build(t, "big", generate(t, "temporal", spec))
	ts := server(t)
	args := append(connArgs(ts, "big"), "--state-dir", dir, "--payload-limit", "4096")
	startWorker(t, worker, nil, args...)
	cmd := exec.Command(worker, append(args, "start", "big", "--wait")...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the run succeeded with a page over the limit:\n%s", out)
	}
	for _, want := range []string{"step pages", "its output is", "over the payload limit of 4096 bytes"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the error does not say %q:\n%s", want, out)
		}
	}
}
