package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestTargetFlag: gen --target temporal writes the Temporal worker of a
// spec of this repository; an unknown target is a usage error.
func TestTargetFlag(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"gen", "--target", "nope", "../../examples/quickstart/sync.toml"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `unknown --target "nope"; expected standalone or temporal`) {
		t.Errorf("--target nope: exit %d, output %q", code, errOut.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"gen", "--target", "temporal", "../../examples/jira-sync/sync.toml"}, &out, &errOut); code != 0 {
		t.Fatalf("gen --target temporal: exit %d\n%s", code, errOut.String())
	}
	for _, want := range []string{"--target temporal from sync.toml", "tprt.Main(program)", `tprt.Stream(ctx, r, "pages", workflow.ActivityOptions{`, "func runJiraWarehouseSync(ctx workflow.Context, r *tprt.Run) error {"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the worker's source lacks %q", want)
		}
	}
	if code := run([]string{"help", "build"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "--target T") {
		t.Errorf("build --help does not describe --target")
	}
}
