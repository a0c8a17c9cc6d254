package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/temporal/tprt"
)

// TestContinueAsNewRunsEachStepOnce: a stream continuing as new every 2
// pages neither repeats the steps before it nor loses or repeats a page;
// the steps after it see the whole stream's counts and the cursor staged
// over all the runs is committed.
func TestContinueAsNewRunsEachStepOnce(t *testing.T) {
	dir := t.TempDir()
	const node = "github.com/resolute/resolute-gen/temporal/internal/tnodes."
	spec := filepath.Join(dir, "can.toml")
	err := os.WriteFile(spec, []byte(`version = 1
flow = "can"

[env]
OUT = { required = true }

[cursor.last]
initial = "-1"

[[step]]
id = "before"
call = "`+node+`Record"
with = { Path = "${env.OUT}", Line = "before ${cursor.last}" }

[[step]]
id = "pages"
stream = "`+node+`Feed"
with = { Total = 25, PageSize = 5 }
advance = { cursor = "last", to = "page.Last" }

  [[step.do]]
  id = "saved"
  call = "`+node+`Record"
  with = { Path = "${env.OUT}", Line = "page ${page.Last} ${before.Count}" }

[[step]]
id = "after"
call = "`+node+`Record"
with = { Path = "${env.OUT}", Line = "after ${pages.Pages} ${pages.Items}" }
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	worker := build(t, "can", generate(t, "temporal", spec))
	ts := server(t)
	out := filepath.Join(dir, "out.txt")
	env := []string{"OUT=" + out}
	args := append(connArgs(ts, "can"), "--state-dir", dir, "--pages-per-run", "2")
	startWorker(t, worker, env, args...)
	res := run(t, worker, env, append(args, "start", "can", "--wait")...)
	var o tprt.Output
	if err := json.Unmarshal([]byte(strings.Split(strings.TrimSpace(res), "\n")[1]), &o); err != nil {
		t.Fatal(err)
	}
	if o.Runs != 3 {
		t.Errorf("%d workflow runs; want 3 (5 pages, 2 per run)", o.Runs)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want := "before -1\npage 4 1\npage 9 1\npage 14 1\npage 19 1\npage 24 1\nafter 5 25\n"
	if string(data) != want {
		t.Errorf("the steps wrote\n%s\nwant\n%s", data, want)
	}
	if c := cursors(t, dir)["last"]; c != "24" {
		t.Errorf("cursor last = %q; want 24", c)
	}
}
