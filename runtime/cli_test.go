package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func cliProgram(run func(context.Context, *Run) error) Program {
	return Program{
		Flows: []Flow{
			{Name: "jira-sync", Description: "Sync Jira issues.", Schedule: "0 * * * *", Run: run},
			{Name: "reindex", Description: "Rebuild everything.", Run: run},
		},
		Env: []EnvVar{
			{Name: "JIRA_BASE_URL", Required: true},
			{Name: "JIRA_API_TOKEN", Required: true, Secret: true},
			{Name: "WAREHOUSE_URL", Default: "sqlite://warehouse.db"},
		},
		Cursors: []CursorSpec{{Name: "jira", Initial: "0"}},
	}
}

func runCLI(t *testing.T, p Program, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr lockedBuffer
	code := runMain(context.Background(), p, append([]string{"/usr/bin/prog"}, args...), func(k string) string { return env[k] }, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHelp(t *testing.T) {
	p := cliProgram(func(context.Context, *Run) error { return nil })
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}, {"run", "--help"}, {"help", "run"}, {"cursor", "--help"}} {
		code, out, _ := runCLI(t, p, nil, args...)
		if code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		mustContain(t, "help", out,
			"prog run --once [FLOW]", "prog cursor set NAME VALUE", "prog status",
			"jira-sync", "schedule 0 * * * *", "Sync Jira issues.", "reindex", "manual",
			"JIRA_BASE_URL   required", "JIRA_API_TOKEN  required, secret", `WAREHOUSE_URL   default "sqlite://warehouse.db"`,
			`jira  initial "0"`, "--state-dir", "--durability", "Exit status")
	}
}

func TestExitCodes(t *testing.T) {
	fail := false
	p := cliProgram(func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "s", Options{}, func(context.Context) (int, error) {
			if fail {
				return 0, Permanent(errInjected)
			}
			return 1, nil
		})
		return err
	})
	env := map[string]string{"JIRA_BASE_URL": "http://x", "JIRA_API_TOKEN": "t0ken"}
	dir := "--state-dir=" + t.TempDir()
	for _, tc := range []struct {
		fail bool
		env  map[string]string
		args []string
		code int
		msg  string
	}{
		{args: []string{}, code: 2, msg: "no command given\nRun 'prog help' for usage."},
		{args: []string{"nope"}, code: 2, msg: `unknown command "nope"`},
		{args: []string{"run", "--once", dir}, env: env, code: 2, msg: `several flows; name one: prog run --once FLOW (flows: "jira-sync", "reindex")`},
		{args: []string{"run", "--once", "jira", dir}, env: env, code: 2, msg: `unknown flow "jira"`},
		{args: []string{"run", "--once", "reindex", dir}, code: 2, msg: "missing required environment variables: JIRA_BASE_URL, JIRA_API_TOKEN"},
		{args: []string{"run", "--once", "reindex", dir}, env: env, code: 0},
		{args: []string{"run", "--once", "reindex", dir}, env: env, fail: true, code: 1, msg: "`prog run --once reindex` resumes it"},
		{args: []string{"cursor", "get", "nope", dir}, code: 2, msg: `unknown cursor "nope"; cursors: "jira"`},
		{args: []string{"status", dir}, code: 0},
	} {
		fail = tc.fail
		code, _, stderr := runCLI(t, p, tc.env, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, want %d; stderr:\n%s\nwant %q", tc.args, code, tc.code, stderr, tc.msg)
		}
	}
}

func TestCursorCommands(t *testing.T) {
	p := cliProgram(func(ctx context.Context, r *Run) error { r.Advance("jira", "100"); return errInjected })
	dir := "--state-dir=" + t.TempDir()
	env := map[string]string{"JIRA_BASE_URL": "http://x", "JIRA_API_TOKEN": "t0ken"}
	steps := []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"cursor", "get", "jira", dir}, 0, "0\n", ""},
		{[]string{"cursor", "set", "jira", "42", dir}, 0, "cursor jira = 42 (was 0)\n", ""},
		{[]string{"cursor", "get", "jira", dir}, 0, "42\n", ""},
		{[]string{"run", "--once", "reindex", dir}, 1, "", "injected"},
		{[]string{"cursor", "set", "jira", "7", dir}, 0, "cursor jira = 7 (was 42)\n", `flow "reindex" has an unfinished run that started with jira = 42`},
		{[]string{"cursor", "reset", "jira", dir}, 0, "cursor jira = 0 (was 7)\n", ""},
		{[]string{"status", dir}, 0, "unfinished run: ", ""},
	}
	for _, s := range steps {
		code, out, stderr := runCLI(t, p, env, s.args...)
		if code != s.code || !strings.Contains(out, s.out) || !strings.Contains(stderr, s.err) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", s.args, code, out, stderr)
		}
	}
}

func TestSchedulerNeedsAScheduledFlow(t *testing.T) {
	p := Program{Flows: []Flow{{Name: "manual", Run: func(context.Context, *Run) error { return nil }}}}
	code, _, stderr := runCLI(t, p, nil, "run", "--state-dir", t.TempDir())
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	mustContain(t, "stderr", stderr, "no flow has a schedule", "prog run --once FLOW")
}

func TestInvalidProgram(t *testing.T) {
	p := Program{Flows: []Flow{{Name: "a", Schedule: "every tuesday"}, {Name: "a"}}}
	code, _, stderr := runCLI(t, p, nil, "help")
	if code != 2 {
		t.Fatalf("exit %d", code)
	}
	mustContain(t, "stderr", stderr, `flow "a" has no Run function`, `bad schedule "every tuesday"`, `flow "a" is declared twice`)
}

var errInjected = errorString("injected failure")

type errorString string

func (e errorString) Error() string { return string(e) }

// configErr is a failure only a change of configuration can fix, as a node
// marks a 401.
type configErr struct{}

func (configErr) Error() string       { return "jira: 401 Unauthorized" }
func (configErr) Configuration() bool { return true }

// Exit codes follow the README: a rejected credential is a configuration
// error (2), and its message does not promise a resume that means nothing;
// a state dir that cannot be written at commit time is a state error (2)
// naming the directory; a signal gives 128+signo (issue 6, item 5).
func TestExitCodesOfConfigurationStateAndSignals(t *testing.T) {
	env := map[string]string{"JIRA_BASE_URL": "http://x", "JIRA_API_TOKEN": "t0ken"}
	var c counter
	step2 := func(ctx context.Context, r *Run) error {
		if _, err := Call(ctx, r, "one", Options{}, func(context.Context) (int, error) { return 1, nil }); err != nil {
			return err
		}
		_, err := Call(ctx, r, "two", Options{Retry: Retry{Attempts: 3}}, func(context.Context) (int, error) {
			c.inc("two")
			return 0, fmt.Errorf("fetch: %w", configErr{})
		})
		return err
	}
	step1 := func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "one", Options{Retry: Retry{Attempts: 3}}, func(context.Context) (int, error) { return 0, configErr{} })
		return err
	}
	dir := t.TempDir()
	code, _, stderr := runCLI(t, cliProgram(step1), env, "run", "--once", "reindex", "--state-dir", dir)
	if code != 2 || strings.Contains(stderr, "progress is kept") || !strings.Contains(stderr, "configuration error") || !strings.Contains(stderr, "Nothing was done") {
		t.Errorf("401 at the first step: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, cliProgram(step2), env, "run", "--once", "reindex", "--state-dir", t.TempDir())
	if code != 2 || c.get("two") != 1 || !strings.Contains(stderr, "resumes the run at the failed step") {
		t.Errorf("401 after a step: exit %d, %d attempts (want 1: not retried)\n%s", code, c.get("two"), stderr)
	}

	// The commit cannot write the state dir: a directory in the way of the
	// temp file stands for a read-only directory (tests may run as root,
	// for whom chmod does not stop writes).
	dir = t.TempDir()
	advance := func(ctx context.Context, r *Run) error { r.Advance("jira", "5"); return nil }
	os.MkdirAll(filepath.Join(dir, "cursors.json.tmp", "x"), 0o700)
	code, _, stderr = runCLI(t, cliProgram(advance), env, "run", "--once", "reindex", "--state-dir", dir)
	if code != 2 || !strings.Contains(stderr, "state dir "+dir+" is writable") {
		t.Errorf("commit into an unwritable state dir: exit %d\n%s", code, stderr)
	}

	for sig, want := range map[syscall.Signal]int{syscall.SIGINT: 130, syscall.SIGTERM: 143} {
		ctx, cancel := context.WithCancelCause(context.Background())
		block := func(ctx context.Context, r *Run) error {
			_, err := Call(ctx, r, "wait", Options{}, func(ctx context.Context) (int, error) {
				cancel(interrupted{sig})
				<-ctx.Done()
				return 0, ctx.Err()
			})
			return err
		}
		var stdout, errb lockedBuffer
		dir := t.TempDir()
		code := runMain(ctx, cliProgram(block), []string{"prog", "run", "--once", "reindex", "--state-dir", dir}, func(k string) string { return env[k] }, &stdout, &errb)
		if code != want || !strings.Contains(errb.String(), "interrupted by "+signalName(sig)) || !strings.Contains(errb.String(), "Its progress is kept") {
			t.Errorf("%v: exit %d, want %d\n%s", sig, code, want, errb.String())
		}
		if _, err := os.Stat(filepath.Join(dir, "journal", "reindex.jsonl")); err != nil {
			t.Errorf("%v: the journal was not kept: %v", sig, err)
		}
	}
}

// cursor set checks the value against the cursor's kind (a value of an
// integer cursor ends up in a JQL), --force overrides, and a negative
// number is a value, not a flag (issue 6 item 8, issue 9 item 5).
func TestCursorSetValidatesKind(t *testing.T) {
	p := cliProgram(func(ctx context.Context, r *Run) error { return nil })
	p.Cursors = []CursorSpec{
		{Name: "ms", Initial: "0"},
		{Name: "since", Initial: "2026-01-01 00:00", Format: "2006-01-02 15:04"},
		{Name: "rfc", Initial: "2026-01-01T00:00:00Z"},
		{Name: "label", Initial: "none"},
		{Name: "declared", Initial: "", Kind: CursorInt},
	}
	dir := "--state-dir=" + t.TempDir()
	for _, s := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"cursor", "set", "ms", "abc OR project = X", dir}, 2, `cursor ms: "abc OR project = X" is not an integer`},
		{[]string{"cursor", "set", "ms", "2026-01-10", dir}, 2, "is not an integer"},
		{[]string{"cursor", "set", "ms", "-5", dir}, 0, "cursor ms = -5 (was 0)"},
		{[]string{"cursor", "set", dir, "ms", "-7"}, 0, "cursor ms = -7 (was -5)"},
		{[]string{"cursor", "set", "--", "ms", "-8", dir}, 2, ""}, // after --, dir is a positional argument too
		{[]string{"cursor", "set", dir, "--", "ms", "-8"}, 0, "cursor ms = -8 (was -7)"},
		{[]string{"cursor", "set", "ms", "1773479820000", dir}, 0, "cursor ms = 1773479820000"},
		{[]string{"cursor", "set", "since", "banana", dir}, 2, `"banana" is not a time in the cursor's format "2006-01-02 15:04"`},
		{[]string{"cursor", "set", "since", "2026-02-01 10:30", dir}, 0, "cursor since = 2026-02-01 10:30"},
		{[]string{"cursor", "set", "rfc", "2026-02-01", dir}, 2, "is not a time"},
		{[]string{"cursor", "set", "rfc", "2026-02-01T10:00:00Z", dir}, 0, "cursor rfc = 2026-02-01T10:00:00Z"},
		{[]string{"cursor", "set", "label", "anything at all", dir}, 0, "cursor label = anything at all"},
		{[]string{"cursor", "set", "declared", "x", dir}, 2, "is not an integer"},
		{[]string{"cursor", "set", "ms", "abc", "--force", dir}, 0, "cursor ms = abc"},
		{[]string{"cursor", "get", "ms", "--force", dir}, 2, "--force only applies to cursor set"},
	} {
		code, out, stderr := runCLI(t, p, nil, s.args...)
		if code != s.code || !strings.Contains(out+stderr, s.msg) {
			t.Errorf("%v: exit %d, want %d with %q\nstdout %s\nstderr %s", s.args, code, s.code, s.msg, out, stderr)
		}
	}
}
