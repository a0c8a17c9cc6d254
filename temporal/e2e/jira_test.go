package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
	"github.com/resolute/resolute-gen/temporal/tprt"
)

const jiraSpec = "../../examples/jira-sync/sync.toml"

// jiraEnv is the environment of the jira-sync example against fake.
func jiraEnv(fake *jiratest.Server, stateDir string) []string {
	return []string{
		"JIRA_BASE_URL=" + fake.URL,
		"JIRA_EMAIL=sync@example.com",
		"JIRA_API_TOKEN=tok-secret-8d41",
		"WAREHOUSE_URL=sqlite://" + filepath.Join(stateDir, "warehouse.db"),
	}
}

func jiraFake(t *testing.T, n int) *jiratest.Server {
	fake := jiratest.NewServer()
	t.Cleanup(fake.Close)
	fake.Generate(n, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	fake.RequireBasic("sync@example.com", "tok-secret-8d41")
	return fake
}

// TestJiraSyncSameRowsAsStandalone runs the jira-sync example, built with
// resolute-gen build --target temporal, on Temporal
// (continuing as new every 2 pages) and as the standalone program, against
// the same fake Jira: the warehouse rows and the committed cursor are the
// same, and the API token never enters the workflow's history.
func TestJiraSyncSameRowsAsStandalone(t *testing.T) {
	fake := jiraFake(t, 250) // 3 pages of 100
	worker := cliBuild(t, "jira-temporal", jiraSpec)
	standalone := build(t, "jira-standalone", generate(t, "standalone", jiraSpec))

	stdDir := t.TempDir()
	run(t, standalone, jiraEnv(fake, stdDir), "run", "--once", "--state-dir", stdDir)

	ts := server(t)
	tDir := t.TempDir()
	queue := "jira-" + strings.ReplaceAll(t.Name(), "/", "-")
	env := jiraEnv(fake, tDir)
	startWorker(t, worker, env, append(connArgs(ts, queue), "--state-dir", tDir, "--pages-per-run", "2")...)
	out := run(t, worker, env, append(connArgs(ts, queue), "start", "jira-warehouse-sync", "--wait")...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("start --wait printed %q; want the workflow id and the result", out)
	}
	var res tprt.Output
	if err := json.Unmarshal([]byte(lines[1]), &res); err != nil {
		t.Fatal(err)
	}
	if res.Runs != 2 {
		t.Errorf("the run took %d workflow runs; want 2 (3 pages, continue-as-new every 2)", res.Runs)
	}

	got := rows(t, filepath.Join(tDir, "warehouse.db"), "jira_issues", "issue_key", "sync_timestamp")
	want := rows(t, filepath.Join(stdDir, "warehouse.db"), "jira_issues", "issue_key", "sync_timestamp")
	if len(want) != 250 {
		t.Fatalf("the standalone program wrote %d rows; want 250", len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("Temporal wrote %d rows, standalone %d; they differ", len(got), len(want))
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("first difference:\n temporal:   %s\n standalone: %s", got[i], want[i])
			}
		}
	}
	if g, w := cursors(t, tDir)["jira_sync"], cursors(t, stdDir)["jira_sync"]; g != w || g == "0" {
		t.Errorf("cursor jira_sync is %q on Temporal, %q standalone; want the same, past 0", g, w)
	}

	cl := ts.GetDefaultClient()
	for _, runID := range []string{""} {
		h := history(t, cl, lines[0], runID)
		if strings.Contains(string(h), "tok-secret-8d41") {
			t.Errorf("the workflow history holds the API token")
		}
		if !strings.Contains(string(h), "jira-warehouse-sync/pages") {
			t.Errorf("the history has no activity jira-warehouse-sync/pages:\n%.2000s", h)
		}
	}

	st := run(t, worker, env, append(connArgs(ts, queue), "--state-dir", tDir, "status")...)
	for _, want := range []string{"flow jira-warehouse-sync", "schedule 0 * * * *", lines[0], "cursor jira_sync = " + cursors(t, tDir)["jira_sync"]} {
		if !strings.Contains(st, want) {
			t.Errorf("status does not say %q:\n%s", want, st)
		}
	}

	// A second run reads only what changed since the cursor.
	fake.ResetRequests()
	run(t, worker, env, append(connArgs(ts, queue), "start", "jira-warehouse-sync", "--wait")...)
	if n := len(rows(t, filepath.Join(tDir, "warehouse.db"), "jira_issues", "issue_key")); n != 250 {
		t.Errorf("after a second run the warehouse has %d rows; want 250", n)
	}
}

// TestScheduleCreatedTwice: starting workers again (EnsureSchedules twice)
// leaves one schedule per scheduled flow, updated to the latest spec.
func TestScheduleCreatedTwice(t *testing.T) {
	ts := server(t)
	cl := ts.GetDefaultClient()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p := &tprt.Program{Name: "sched", Flows: []tprt.Flow{
		{Name: "hourly", Schedule: "0 * * * *"},
		{Name: "every", Schedule: "@every 15m"},
		{Name: "manual"},
	}}
	for i := range 2 {
		if i == 1 {
			p.Flows[1].Schedule = "@every 30m"
		}
		if err := tprt.EnsureSchedules(ctx, cl, p, "q"); err != nil {
			t.Fatalf("EnsureSchedules #%d: %v", i+1, err)
		}
	}
	count := func() map[string]int {
		ids := map[string]int{}
		it, err := cl.ScheduleClient().List(ctx, client.ScheduleListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for it.HasNext() {
			e, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			ids[e.ID]++
		}
		return ids
	}
	var ids map[string]int
	wait(t, "the schedules to be listed", func() bool { ids = count(); return len(ids) >= 2 })
	want := map[string]int{"sched/hourly": 1, "sched/every": 1}
	if len(ids) != len(want) || ids["sched/hourly"] != 1 || ids["sched/every"] != 1 {
		t.Errorf("schedules %v; want %v", ids, want)
	}
	d, err := cl.ScheduleClient().GetHandle(ctx, "sched/every").Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if iv := d.Schedule.Spec.Intervals; len(iv) != 1 || iv[0].Every != 30*time.Minute {
		t.Errorf("schedule sched/every has intervals %+v; want the updated @every 30m", iv)
	}
	if d.Schedule.Policy.Overlap != enums.SCHEDULE_OVERLAP_POLICY_SKIP {
		t.Errorf("overlap policy %v; want skip", d.Schedule.Policy.Overlap)
	}
}

// TestPaginationExampleSameRows: the pagination example (25 pages of 10,
// continuing as new every 10 pages) writes the same rows on Temporal as
// the standalone program.
func TestPaginationExampleSameRows(t *testing.T) {
	const spec = "../../examples/pagination/sync.toml"
	fake := jiraFake(t, 250)
	worker := cliBuild(t, "pagination-temporal", spec)
	standalone := build(t, "pagination-standalone", generate(t, "standalone", spec))

	stdDir := t.TempDir()
	run(t, standalone, jiraEnv(fake, stdDir), "run", "--once", "--state-dir", stdDir)

	ts := server(t)
	tDir := t.TempDir()
	env := jiraEnv(fake, tDir)
	args := append(connArgs(ts, "pagination"), "--state-dir", tDir, "--pages-per-run", "10")
	startWorker(t, worker, env, args...)
	out := run(t, worker, env, append(args, "start", "paginated-sync", "--wait")...)
	var res tprt.Output
	if err := json.Unmarshal([]byte(strings.Split(strings.TrimSpace(out), "\n")[1]), &res); err != nil {
		t.Fatal(err)
	}
	if res.Runs != 3 {
		t.Errorf("%d workflow runs; want 3", res.Runs)
	}
	got := rows(t, filepath.Join(tDir, "warehouse.db"), "issues", "issue_key")
	want := rows(t, filepath.Join(stdDir, "warehouse.db"), "issues", "issue_key")
	if len(want) != 250 || !slices.Equal(got, want) {
		t.Errorf("Temporal wrote %d rows, standalone %d (want 250 each, equal)", len(got), len(want))
	}
	if g, w := cursors(t, tDir)["jira_sync"], cursors(t, stdDir)["jira_sync"]; g != w {
		t.Errorf("cursor jira_sync is %q on Temporal, %q standalone", g, w)
	}
}
