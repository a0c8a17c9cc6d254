package gen

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInferSelect checks that a Jira source asks only for the fields the
// flow reads, and for every field when an issue goes anywhere whole.
func TestInferSelect(t *testing.T) {
	const head = `version = 1
flow = "f"
[env]
JIRA_BASE_URL = { required = true }
[cursor.c]
initial = "0"

[[step]]
id = "pages"
stream = "jira.FetchPage"
advance = { cursor = "c", to = "page.MaxUpdated" }
with = { BaseURL = "${env.JIRA_BASE_URL}", JQL = "project = P AND updated >= ${cursor.c} ORDER BY updated ASC" }
`
	for _, tc := range []struct {
		name, body, want string
	}{
		{"fields", `
  [[step.do]]
  id = "open"
  filter = "page.Items"
  where = "it.Status != \"Done\""
  [[step.do]]
  id = "rows"
  map = "open"
  [step.do.fields]
  key = "it.Key"
  points = "it.StoryPoints"
  n = "len(page.Items)"
`, `Select: []string{"Key", "Status", "StoryPoints"},`},
		{"whole", `
  [[step.do]]
  id = "dead"
  call = "deadletter.Write"
  with = { Path = "d.jsonl", Error = "x", Items = "${page.Items}" }
`, ""},
		{"whole element", `
  [[step.do]]
  id = "rows"
  map = "page.Items"
  [step.do.fields]
  issue = "it"
`, ""},
		{"spec says", `
  [[step.do]]
  id = "rows"
  map = "page.Items"
  [step.do.fields]
  key = "it.Key"
`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			text := head + tc.body
			if tc.name == "spec says" {
				text = strings.Replace(text, `ORDER BY updated ASC" }`, `ORDER BY updated ASC", Select = ["Key", "Summary"] }`, 1)
			}
			path := filepath.Join(dir, "sync.toml")
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := Generate([]string{path}, Config{Dir: ".", Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			// Field alignment is gofmt's (it depends on the neighbours'
			// widths): compare with one space after each key.
			got := regexp.MustCompile(`(?m)^(\s*\w+:)\s+`).ReplaceAllString(string(out), "$1 ")
			switch {
			case tc.name == "spec says":
				if !strings.Contains(got, `Select: []string{"Key", "Summary"},`) || strings.Count(got, "Select:") != 1 {
					t.Errorf("the spec's own Select was not kept alone:\n%s", got)
				}
			case tc.want == "":
				if strings.Contains(got, "Select:") {
					t.Errorf("Select set although an issue is used whole:\n%s", got)
				}
			case !strings.Contains(got, tc.want):
				t.Errorf("want %s in:\n%s", tc.want, got)
			}
		})
	}
}
