package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGraphCommand draws the seed flow in both formats (the drawings
// themselves are golden-tested in internal/graph) and rejects bad input.
func TestGraphCommand(t *testing.T) {
	const seed = "../../examples/jira-sync/sync.toml"
	for format, want := range map[string]string{"": "../../internal/graph/testdata/jira_sync/expected.mmd", "dot": "../../internal/graph/testdata/jira_sync/expected.dot"} {
		args := []string{"graph", seed}
		if format != "" {
			args = append(args, "--format", format)
		}
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 0 {
			t.Fatalf("graph %v: exit %d\n%s", args, code, errOut.String())
		}
		if out.String() != mustRead(t, want) {
			t.Errorf("graph %v differs from %s:\n%s", args, want, out.String())
		}
	}
	// The README shows the seed flow's graph: keep it current.
	readme := mustRead(t, "../../README.md")
	if !strings.Contains(readme, "```mermaid\n"+mustRead(t, "../../internal/graph/testdata/jira_sync/expected.mmd")+"```") {
		t.Error("README.md does not show the current Mermaid graph of examples/jira-sync (resolute-gen graph examples/jira-sync/sync.toml)")
	}

	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("version = 1\nflow = \"x\"\n[[step]]\nid = \"a\"\ncal = \"jira.FetchIssues\"\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"graph", seed, "--format", "svg"}, 2, `--format is mermaid or dot, not "svg"`},
		{[]string{"graph"}, 2, "graph needs at least one spec file"},
		{[]string{"graph", bad}, 1, "bad.toml:5:1:"},
	} {
		var out, errOut bytes.Buffer
		if code := run(tc.args, &out, &errOut); code != tc.code || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("resolute-gen %v: exit %d, want %d with %q\n%s", tc.args, code, tc.code, tc.want, errOut.String())
		}
	}
}
