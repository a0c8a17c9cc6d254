package gen

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTemporalSecretOnlyAsItsOwnValue: on the Temporal target a secret may
// be a with value of its own, never part of a larger string or read by
// workflow code, since the workflow holds only a placeholder for it.
func TestTemporalSecretOnlyAsItsOwnValue(t *testing.T) {
	const head = `version = 1
flow = "f"
[env]
TOKEN = { required = true, secret = true }
JIRA_BASE_URL = { required = true }

[[step]]
id = "issues"
call = "jira.FetchIssues"
`
	for _, tc := range []struct{ with, want string }{
		{`with = { BaseURL = "${env.JIRA_BASE_URL}", APIToken = "${env.TOKEN}", JQL = "project = P" }`, ""},
		{`with = { BaseURL = "${env.JIRA_BASE_URL}", APIToken = "Bearer ${env.TOKEN}", JQL = "project = P" }`, "sync.toml:10:65: env.TOKEN is a secret: on the Temporal target it may only be a with value of its own"},
		{`with = { BaseURL = "${env.JIRA_BASE_URL}", JQL = "project = P AND text ~ ${env.TOKEN}" }`, "interpolated into a larger string"},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "sync.toml")
		if err := os.WriteFile(path, []byte(head+tc.with+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := GenerateTemporal([]string{path}, Config{Dir: ".", Version: "test"})
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.with, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", tc.with, err, tc.want)
		}
	}
}
