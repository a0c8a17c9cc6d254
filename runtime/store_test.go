package runtime

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
)

// A run commits only cursors nobody changed since it began: here the
// cursor is set (as `cursor set` or another machine would) between a failed
// run and its resume.
func TestCommitRefusedWhenCursorChangedSinceRunBegan(t *testing.T) {
	h := newHarness(t, cursorProgram(), nil)
	ctx := context.Background()
	h.e.store.Commit(ctx, map[string]string{"n": "10"}, nil)
	fail := true
	flow := func(ctx context.Context, r *Run) error {
		n := r.Cursor("n")
		r.Advance("n", n+"1")
		r.Advance("s", "b")
		if fail {
			return errors.New("later step failed")
		}
		return nil
	}
	h.run(flow)
	h.e.store.Commit(ctx, map[string]string{"n": "50"}, nil)
	fail = false
	_, err := h.run(flow)
	if exitCode(err) != 2 {
		t.Fatalf("resume: %v, want a state error", err)
	}
	mustContain(t, "error", err.Error(), `cursor n changed while this run was in progress: it was "10" when the run began and is "50" now, and this run would set it to "101"`,
		"prog cursor set", "Nothing was committed", "prog run --once f --fresh")
	if c := h.cursors(); c["n"] != "50" || c["s"] != "a" {
		t.Errorf("committed %v, want n=50 and s untouched", c)
	}
	if !h.journalExists() {
		t.Error("the refused run's journal was removed")
	}
	if _, err := h.e.runFlow(ctx, Flow{Name: "f", Run: flow}, true); err != nil {
		t.Fatal(err)
	}
	if c := h.cursors(); c["n"] != "501" || c["s"] != "b" {
		t.Errorf("after --fresh: %v", c)
	}
}

// memStore is a CursorStore in memory, as a Program.CursorStore would open.
type memStore struct {
	mu     sync.Mutex
	values map[string]string
	cfg    cursorstore.Config
	closed bool
}

func (s *memStore) Load(context.Context) (map[string]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.values), nil
}

func (s *memStore) Commit(_ context.Context, values map[string]string, check func(map[string]string) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if check != nil {
		if err := check(maps.Clone(s.values)); err != nil {
			return err
		}
	}
	maps.Copy(s.values, values)
	return nil
}

func (s *memStore) String() string { return "mem " + s.cfg.Namespace }
func (s *memStore) Close() error   { s.closed = true; return nil }

func TestProgramCursorStore(t *testing.T) {
	var opened []*memStore
	shared := map[string]string{}
	p := cliProgram(func(ctx context.Context, r *Run) error { r.Advance("jira", "77"); return nil })
	p.CursorStore = func(ctx context.Context, cfg cursorstore.Config) (cursorstore.Store, error) {
		if strings.Contains(cfg.URL, "down") {
			return nil, errors.New("cannot connect to " + cfg.URL)
		}
		s := &memStore{values: shared, cfg: cfg}
		opened = append(opened, s)
		return s, nil
	}
	env := map[string]string{"JIRA_BASE_URL": "http://x", "JIRA_API_TOKEN": "t0ken", "RESOLUTE_CURSOR_STORE": "mem://u:pa55word@host/x"}
	dir := "--state-dir=" + t.TempDir()

	if code, out, stderr := runCLI(t, p, env, "cursor", "set", "jira", "5", dir); code != 0 || out != "cursor jira = 5 (was 0)\n" {
		t.Fatalf("cursor set: exit %d %q %s", code, out, stderr)
	}
	if shared["jira"] != "5" {
		t.Errorf("store holds %v", shared)
	}
	got := opened[0].cfg
	if got.URL != env["RESOLUTE_CURSOR_STORE"] || got.Namespace != "prog" || got.Program != "prog" || !opened[0].closed {
		t.Errorf("store opened with %+v, closed %v", got, opened[0].closed)
	}
	if code, _, stderr := runCLI(t, p, env, "run", "--once", "reindex", dir, "--cursor-namespace", "other", "--cursor-store", "mem://flag"); code != 0 {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	if got := opened[1].cfg; got.URL != "mem://flag" || got.Namespace != "other" {
		t.Errorf("flags: store opened with %+v", got)
	}
	if shared["jira"] != "77" {
		t.Errorf("store after the run: %v", shared)
	}
	env["RESOLUTE_CURSOR_NAMESPACE"] = "from-env"
	code, out, _ := runCLI(t, p, env, "status", dir)
	if code != 0 || opened[len(opened)-1].cfg.Namespace != "from-env" {
		t.Errorf("status: exit %d, namespace %q", code, opened[len(opened)-1].cfg.Namespace)
	}
	mustContain(t, "status", out, "Cursors (mem from-env):", "jira  77")
	if _, err := os.Stat(filepath.Join(dir[len("--state-dir="):], "cursors.json")); err == nil {
		t.Error("cursors.json written by a program with a cursor store")
	}

	noURL := maps.Clone(env)
	delete(noURL, "RESOLUTE_CURSOR_STORE")
	down := maps.Clone(env)
	down["RESOLUTE_CURSOR_STORE"] = "mem://u:pa55word@down/x"
	for _, tc := range []struct {
		env  map[string]string
		args []string
		code int
		msg  string
	}{
		{noURL, []string{"run", "--once", "reindex", dir}, 2, "this program keeps its cursors in a cursor store: give its URL with --cursor-store URL or in the environment variable RESOLUTE_CURSOR_STORE"},
		{noURL, []string{"cursor", "get", "jira", dir}, 2, "--cursor-store URL"},
		{down, []string{"run", "--once", "reindex", dir}, 2, "cursor store: cannot connect to mem://u:[REDACTED]@down/x"},
		{down, []string{"cursor", "get", "jira", dir}, 2, "cannot connect to mem://u:[REDACTED]@down/x"},
		{noURL, []string{"help"}, 0, ""},
	} {
		code, out, stderr := runCLI(t, p, tc.env, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) || strings.Contains(stderr+out, "pa55word") {
			t.Errorf("%v: exit %d, want %d and %q\n%s", tc.args, code, tc.code, tc.msg, stderr)
		}
	}
	code, out, _ = runCLI(t, p, down, "status", dir)
	if code != 2 || !strings.Contains(out, "Flows:") || !strings.Contains(out, "cannot connect to mem://u:[REDACTED]@down/x") || strings.Contains(out, "pa55word") {
		t.Errorf("status with the store down: exit %d\n%s", code, out)
	}

	_, help, _ := runCLI(t, p, nil, "--help")
	mustContain(t, "help", help, "--cursor-store URL", "$RESOLUTE_CURSOR_STORE", "--cursor-namespace NS", `the program's name, "prog"`,
		"Cursors (kept in the cursor store given by --cursor-store):", "--metrics-addr ADDR", "--metrics-file PATH")
}

func TestCursorStoreFlagsNeedAStore(t *testing.T) {
	p := cliProgram(func(context.Context, *Run) error { return nil })
	for _, args := range [][]string{{"status", "--cursor-store", "postgres://x/y"}, {"cursor", "get", "jira", "--cursor-namespace", "x"}} {
		code, _, stderr := runCLI(t, p, nil, append(args, "--state-dir", t.TempDir())...)
		if code != 2 || !strings.Contains(stderr, "this program keeps its cursors in its state directory (cursors.json), not in a cursor store") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	_, help, _ := runCLI(t, p, nil, "--help")
	if strings.Contains(help, "--cursor-store") || !strings.Contains(help, "Cursors (kept in the state directory, cursors.json):") {
		t.Errorf("help of a program without a cursor store:\n%s", help)
	}
}
