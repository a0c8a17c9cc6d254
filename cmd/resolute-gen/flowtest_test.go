package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

const flowtestSpec = `version = 1
flow = "issues-sync"
description = "Copy Jira issues to SQLite."

[env]
JIRA_BASE_URL = { required = true }
WAREHOUSE_URL = { required = true }

[cursor.since]
initial = "0"

[[step]]
id = "issues"
call = "jira.FetchIssues"
advance = { cursor = "since", to = "issues.MaxUpdated" }
with = { BaseURL = "${env.JIRA_BASE_URL}", JQL = "project = DEMO AND updated >= ${cursor.since} ORDER BY updated ASC, key ASC" }

[[step]]
if = "len(issues.Items) > 0"

  [[step.then]]
  id = "rows"
  map = "issues.Items"
  as = "it"
  [step.then.fields]
  issue_key = "it.Key"
  summary   = "it.Summary"

  [[step.then]]
  id = "upserted"
  call = "sqlite.Upsert"
  with = { URL = "${env.WAREHOUSE_URL}", Table = "issues", Rows = "${rows}", CreateTable = true }
`

// flowtestUserTest is the test a user writes next to the generated program:
// a run against the Jira fake with asserts on step outputs, the cursor and
// the warehouse, a second (incremental) run, and a replay of a recorded run.
const flowtestUserTest = `package main

import (
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/flowtest"
	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

func TestFlow(t *testing.T) {
	srv := jiratest.NewServer()
	defer srv.Close()
	for i, is := range jiratest.Seed(3, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) {
		is.Key = fmt.Sprintf("DEMO-%d", i+1)
		srv.Put(is)
	}
	db := t.TempDir() + "/warehouse.db"
	f := flowtest.New(t, program, "issues-sync", flowtest.Env{"JIRA_BASE_URL": srv.URL, "WAREHOUSE_URL": "sqlite://" + db})

	res := f.Run()
	var issues struct{ Items []struct{ Key string } }
	res.Output(t, "issues", &issues)
	if len(issues.Items) != 3 || issues.Items[0].Key != "DEMO-1" {
		t.Fatalf("issues = %+v, want DEMO-1..3", issues.Items)
	}
	cursor := res.Cursor("since")
	if cursor == "0" {
		t.Fatalf("cursor since did not advance")
	}
	w, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var n int
	if err := w.QueryRow("SELECT count(*) FROM issues").Scan(&n); err != nil || n != 3 {
		t.Fatalf("warehouse holds %d rows (%v), want 3", n, err)
	}

	// A second run in the same state dir starts from the cursor.
	again := f.Run()
	if got := again.Cursor("since"); got != cursor {
		t.Fatalf("cursor after the second run = %s, want %s", got, cursor)
	}
	var more struct{ Items []struct{ Key string } }
	again.Output(t, "issues", &more)
	if len(more.Items) >= 3 {
		t.Fatalf("the second run read %d issues again; the cursor was not used", len(more.Items))
	}
}

func TestReplay(t *testing.T) {
	res := flowtest.Replay(t, program, "issues-sync", "testdata/run.journal")
	if res.Replayed != 2 || res.Steps != 0 {
		t.Fatalf("replay answered %d steps from the journal and ran %d, want 2 and 0", res.Replayed, res.Steps)
	}
}
`

// TestFlowtestInUserModule generates a flow in a new module, writes the
// user's flow test (flowtest against the Jira fake, SQLite warehouse) and
// runs go test on it; records a run's journal with RESOLUTE_FLOWTEST_RECORD
// and replays it offline; then changes the spec so that the flow takes
// another path, and checks that the replay fails and says why, while an
// edit of the description alone still replays.
func TestFlowtestInUserModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with SQLite")
	}
	dir := newUserModule(t, "flowtestmod")
	mustRun(t, dir, offlineEnv, "go", "get", "-tool", toolPackage)
	writeFiles(t, dir, map[string]string{
		"sync.toml":      flowtestSpec,
		"generate.go":    firstTimeGenerate,
		"sync_test.go":   flowtestUserTest,
		"testdata/.keep": "",
	})
	mustRun(t, dir, offlineEnv, "go", "generate", ".")
	mustRun(t, dir, offlineEnv, "go", "mod", "tidy", "-e")

	// The run against the fake passes.
	mustRun(t, dir, offlineEnv, "go", "test", "-count=1", "-run", "TestFlow$", ".")

	// Record once: a "real" run (here the fake plays the real Jira).
	srv := jiratest.NewServer()
	defer srv.Close()
	for i, is := range jiratest.Seed(2, time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)) {
		is.Key = fmt.Sprintf("DEMO-%d", i+1)
		srv.Put(is)
	}
	record := append([]string{"RESOLUTE_FLOWTEST_RECORD=1", "JIRA_BASE_URL=" + srv.URL, "WAREHOUSE_URL=sqlite://" + filepath.Join(t.TempDir(), "w.db")}, offlineEnv...)
	mustRun(t, dir, record, "go", "test", "-count=1", "-run", "TestReplay$", ".")
	journal := mustRead(t, filepath.Join(dir, "testdata", "run.journal"))
	if !strings.Contains(journal, `"key":"issues"`) || !strings.Contains(journal, `upserted"`) {
		t.Fatalf("the recorded journal lacks the steps:\n%s", journal)
	}
	srv.Close()

	// Replay offline: no server, no env.
	mustRun(t, dir, offlineEnv, "go", "test", "-count=1", "-run", "TestReplay$", ".")

	edit := func(from, to string) {
		t.Helper()
		path := filepath.Join(dir, "sync.toml")
		src := mustRead(t, path)
		if !strings.Contains(src, from) {
			t.Fatalf("sync.toml lacks %q", from)
		}
		if err := os.WriteFile(path, []byte(strings.Replace(src, from, to, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, dir, offlineEnv, "go", "generate", ".")
	}
	// A harmless edit replays.
	edit(`description = "Copy Jira issues to SQLite."`, `description = "Copy Jira issues to the warehouse."`)
	mustRun(t, dir, offlineEnv, "go", "test", "-count=1", "-run", "TestReplay$", ".")

	// The condition now skips the upsert for the recorded two issues.
	edit(`if = "len(issues.Items) > 0"`, `if = "len(issues.Items) > 5"`)
	out, code := runCmd(t, dir, offlineEnv, "go", "test", "-count=1", "-run", "TestReplay$", ".")
	if code == 0 || !strings.Contains(out, "diverged from the recorded run") || !strings.Contains(out, "upserted") {
		t.Fatalf("replay after a path change: exit %d, want a failure naming the upsert step:\n%s", code, out)
	}
	t.Logf("replay after the change:\n%s", out)
}
