package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/runtime/internal/status"
)

// twoFlowProgram has a Jira flow and an orders flow that read different
// environment variables.
func twoFlowProgram(ran map[string]int) Program {
	run := func(name string) func(context.Context, *Run) error {
		return func(ctx context.Context, r *Run) error {
			ran[name]++
			r.Logger().Debug("debug detail")
			r.Advance("jira", "5")
			return nil
		}
	}
	return Program{
		Flows: []Flow{
			{Name: "jira", Schedule: "@hourly", Run: run("jira"), Env: []string{"JIRA_BASE_URL", "JIRA_API_TOKEN"}, SpecHash: "sha256:j"},
			{Name: "orders", Run: run("orders"), Env: []string{"ORDERS_URL"}, SpecHash: "sha256:o"},
		},
		Env: []EnvVar{
			{Name: "JIRA_BASE_URL", Required: true},
			{Name: "JIRA_API_TOKEN", Required: true, Secret: true},
			{Name: "ORDERS_URL", Required: true},
		},
		Cursors:  []CursorSpec{{Name: "jira", Initial: "0"}},
		SpecHash: "sha256:files",
	}
}

// run --once FLOW requires only the variables that flow reads; the
// scheduler and a flow-less check require every flow's (issue 9, item 4).
func TestRunChecksOnlyTheFlowsEnv(t *testing.T) {
	ran := map[string]int{}
	p := twoFlowProgram(ran)
	env := map[string]string{"ORDERS_URL": "http://orders"}
	dir := "--state-dir=" + t.TempDir()
	if code, _, stderr := runCLI(t, p, env, "run", "--once", "orders", dir); code != 0 || ran["orders"] != 1 {
		t.Fatalf("orders without JIRA_*: exit %d\n%s", code, stderr)
	}
	code, _, stderr := runCLI(t, p, env, "run", "--once", "jira", dir)
	if code != 2 || !strings.Contains(stderr, `missing required environment variables: JIRA_BASE_URL, JIRA_API_TOKEN (read by flow "jira")`) {
		t.Errorf("jira: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, p, map[string]string{}, "run", dir)
	if code != 2 || !strings.Contains(stderr, "JIRA_BASE_URL, JIRA_API_TOKEN, ORDERS_URL") {
		t.Errorf("scheduler: exit %d\n%s", code, stderr)
	}
	if ran["jira"] != 0 {
		t.Errorf("jira ran %d times without its variables", ran["jira"])
	}
}

func TestVersionCommand(t *testing.T) {
	code, out, _ := runCLI(t, twoFlowProgram(map[string]int{}), nil, "version")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	mustContain(t, "version", out, "prog: runtime ", ", built with go", "spec sha256:files", "flow jira sha256:j", "flow orders sha256:o")
}

func TestLogLevel(t *testing.T) {
	p := twoFlowProgram(map[string]int{})
	env := map[string]string{"ORDERS_URL": "x"}
	dir := "--state-dir=" + t.TempDir()
	_, _, info := runCLI(t, p, env, "run", "--once", "orders", dir)
	_, _, debug := runCLI(t, p, env, "run", "--once", "orders", dir, "--log-level", "debug")
	_, _, warn := runCLI(t, p, env, "run", "--once", "orders", dir, "--log-level=warn")
	if !strings.Contains(info, "run started") || strings.Contains(info, "debug detail") {
		t.Errorf("info:\n%s", info)
	}
	if !strings.Contains(debug, "debug detail") {
		t.Errorf("debug:\n%s", debug)
	}
	if warn != "" {
		t.Errorf("warn shows info records:\n%s", warn)
	}
	if code, _, stderr := runCLI(t, p, env, "run", "--once", "orders", dir, "--log-level", "loud"); code != 2 || !strings.Contains(stderr, "--log-level must be debug, info, warn or error") {
		t.Errorf("bad level: exit %d %s", code, stderr)
	}
}

func TestStatusJSON(t *testing.T) {
	p := twoFlowProgram(map[string]int{})
	p.Flows[1].Run = func(ctx context.Context, r *Run) error {
		if _, err := Call(ctx, r, "one", Options{}, func(context.Context) (int, error) { return 1, nil }); err != nil {
			return err
		}
		return errors.New("boom")
	}
	env := map[string]string{"ORDERS_URL": "x", "JIRA_BASE_URL": "x", "JIRA_API_TOKEN": "secret-token-1"}
	dir := t.TempDir()
	runCLI(t, p, env, "run", "--once", "jira", "--state-dir", dir)
	runCLI(t, p, env, "run", "--once", "orders", "--state-dir", dir)
	code, out, _ := runCLI(t, p, env, "status", "--json", "--state-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var r struct {
		Flows []struct {
			LastRun    *status.Summary    `json:"last_run"`
			Unfinished *status.Unfinished `json:"unfinished"`
		} `json:"flows"`
		Cursors []status.Cursor `json:"cursors"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(r.Flows) != 2 || r.Flows[0].LastRun == nil || r.Flows[0].LastRun.Result != "succeeded" || r.Flows[0].Unfinished != nil {
		t.Errorf("jira: %+v\n%s", r.Flows, out)
	}
	if u := r.Flows[1].Unfinished; u == nil || u.CompletedSteps != 1 || !u.Resumable || r.Flows[1].LastRun.Error == "" {
		t.Errorf("orders: %+v\n%s", r.Flows[1], out)
	}
	if len(r.Cursors) != 1 || r.Cursors[0] != (status.Cursor{Name: "jira", Value: "5", Committed: true}) {
		t.Errorf("cursors: %+v", r.Cursors)
	}
	if code, _, stderr := runCLI(t, p, env, "run", "--json", "--state-dir", dir); code != 2 || !strings.Contains(stderr, "--json only applies to the status command") {
		t.Errorf("run --json: exit %d %s", code, stderr)
	}
}

// check validates the configuration without running anything or creating
// the state dir; status and cursor get do not create it either (issue 9,
// item 9).
func TestCheckAndReadOnlyCommandsRunNothing(t *testing.T) {
	ran := map[string]int{}
	p := twoFlowProgram(ran)
	env := map[string]string{"ORDERS_URL": "x"}
	dir := filepath.Join(t.TempDir(), "state")
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"cursor", "get", "jira"}, {"check", "orders"}} {
		code, out, stderr := runCLI(t, p, env, append(args, "--state-dir", dir)...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("%v created the state dir", args)
		}
	}
	code, out, _ := runCLI(t, p, env, "check", "orders", "--state-dir", dir)
	mustContain(t, "check", out, "does not exist yet", "flow orders: ok", "configuration ok; nothing was run")
	if code != 0 {
		t.Errorf("check orders: exit %d", code)
	}
	code, _, stderr := runCLI(t, p, env, "check", "--state-dir", dir)
	if code != 2 || !strings.Contains(stderr, "JIRA_BASE_URL, JIRA_API_TOKEN") {
		t.Errorf("check of every flow: exit %d\n%s", code, stderr)
	}
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "cursors.json"), []byte(`{"version":1}`), 0o600)
	code, _, stderr = runCLI(t, p, env, "check", "orders", "--state-dir", dir)
	if code != 2 || !strings.Contains(stderr, "cursors.json is corrupt") {
		t.Errorf("check with a corrupt cursor file: exit %d\n%s", code, stderr)
	}
	if len(ran) != 0 {
		t.Errorf("flows ran: %v", ran)
	}
}
