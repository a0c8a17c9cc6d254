package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestCheckWarnings: warnings print as file:line:col: warning: message and
// do not fail the check, unless --strict; --format json prints one object
// per line, errors with their suggestion.
func TestCheckWarnings(t *testing.T) {
	spec := "testdata/checkwarn/sync.toml"
	want := []string{
		spec + `:19:10: warning: paged node jira.FetchPage in a while loop without Done: after the last page it starts again at the first; set Done from the previous page, such as Done = "${!page.HasMore}"`,
		spec + `:20:45: warning: secret env JIRA_API_TOKEN is interpolated into the text of field JQL: the secret goes wherever the text goes (logs, error messages, the server's records); pass it alone to a field meant for it, such as Token = "${env.JIRA_API_TOKEN}"`,
		spec + `:23:6: warning: the output of step unread (jira.PageOutput) holds data that is journaled on every run but never read; use it, or drop the step`,
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"check", spec}, &out, &errOut); code != 0 {
		t.Fatalf("check with warnings: exit %d, want 0\n%s", code, errOut.String())
	}
	if got := strings.TrimSpace(errOut.String()); got != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}

	out.Reset()
	errOut.Reset()
	if code := run([]string{"check", "--strict", "--format", "json", spec}, &out, &errOut); code != 1 {
		t.Fatalf("check --strict with warnings: exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 JSON lines, got:\n%s", out.String())
	}
	var d checkDiagnostic
	if err := json.Unmarshal([]byte(lines[0]), &d); err != nil {
		t.Fatal(err)
	}
	if d.File != spec || d.Line != 19 || d.Column != 10 || d.Severity != "warning" || !strings.HasPrefix(d.Message, "paged node jira.FetchPage") {
		t.Errorf("first diagnostic: %+v", d)
	}

	out.Reset()
	errOut.Reset()
	bad := "../../testdata/golden/err_expr_typo_prefers_step_id/sync.toml"
	if code := run([]string{"check", "--format=json", bad}, &out, &errOut); code != 1 {
		t.Fatalf("check of a bad spec: exit %d, want 1", code)
	}
	wantJSON := `{"file":"` + bad + `","line":18,"column":20,"severity":"error","message":"undefined: row; did you mean \"rows\"?","suggestion":"rows"}`
	if got := strings.TrimSpace(out.String()); got != wantJSON {
		t.Errorf("json:\n%s\nwant:\n%s", got, wantJSON)
	}
	if code := run([]string{"check", "--format", "xml", bad}, &out, &errOut); code != 2 {
		t.Errorf("--format xml: exit %d, want 2", code)
	}
}
