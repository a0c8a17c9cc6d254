package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"
	"google.golang.org/protobuf/encoding/protojson"
	_ "modernc.org/sqlite"

	"github.com/resolute/resolute-gen/gen"
)

var (
	tempRoot   string
	moduleRoot string // the nested module
	repoRoot   string
)

func TestMain(m *testing.M) {
	var err error
	if tempRoot, err = os.MkdirTemp("", "resolute-temporal-e2e"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	moduleRoot, _ = filepath.Abs("..") // the temporal module, where workers are built
	repoRoot, _ = filepath.Abs("../..")
	code := m.Run()
	os.RemoveAll(tempRoot)
	os.Exit(code)
}

var (
	pkgsOnce sync.Once
	pkgs     *gen.Packages
)

// generate returns the program of specs for target "temporal" or
// "standalone", checked in the nested module.
func generate(t testing.TB, target string, specs ...string) []byte {
	t.Helper()
	pkgsOnce.Do(func() { pkgs = gen.NewPackages(gen.Config{Dir: moduleRoot}) })
	cfg := gen.Config{Version: "(test)", Packages: pkgs}
	var src []byte
	var err error
	if target == "temporal" {
		src, err = gen.GenerateTemporal(specs, cfg)
	} else {
		src, err = gen.Generate(specs, cfg)
	}
	if err != nil {
		t.Fatalf("generating %s for %s: %v", target, strings.Join(specs, " "), err)
	}
	return src
}

// build compiles src, a package main, in the nested module and returns the
// binary's path.
func build(t testing.TB, name string, src []byte) string {
	t.Helper()
	dir, err := os.MkdirTemp(moduleRoot, "_build")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tempRoot, name)
	cmd := exec.Command("go", "build", "-o", bin, "./"+filepath.Base(dir))
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, out)
	}
	return bin
}

var (
	toolOnce sync.Once
	toolPath string
	toolErr  error
)

// cliBuild builds a worker with the CLI, as a user would:
// resolute-gen build --target temporal SPEC -o BIN, from the repository.
func cliBuild(t *testing.T, name, spec string) string {
	t.Helper()
	toolOnce.Do(func() {
		toolPath = filepath.Join(tempRoot, "resolute-gen")
		cmd := exec.Command("go", "build", "-o", toolPath, "github.com/resolute/resolute-gen/cmd/resolute-gen")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			toolErr = fmt.Errorf("building resolute-gen: %v\n%s", err, out)
		}
	})
	if toolErr != nil {
		t.Fatal(toolErr)
	}
	bin := filepath.Join(tempRoot, name)
	abs, err := filepath.Abs(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(toolPath, "build", "--target", "temporal", abs, "-o", bin)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("resolute-gen build --target temporal %s: %v\n%s", spec, err, out)
	}
	return bin
}

// server starts a Temporal server in the test process.
func server(t *testing.T) *temporaltest.TestServer {
	t.Helper()
	return temporaltest.NewServer(temporaltest.WithT(t))
}

func connArgs(ts *temporaltest.TestServer, queue string) []string {
	return []string{"--address", ts.GetFrontendHostPort(), "--namespace", ts.GetDefaultNamespace(), "--task-queue", queue}
}

// proc is a worker process.
type proc struct {
	cmd *exec.Cmd
	out *syncBuf
}

type syncBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startWorker starts `bin worker` with args; it is killed when the test ends.
func startWorker(t testing.TB, bin string, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"worker"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, out: &syncBuf{}}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() || os.Getenv("E2E_LOG") != "" {
			t.Logf("worker %d output:\n%s", cmd.Process.Pid, p.out.String())
		}
	})
	return p
}

// run runs bin with args and returns its stdout; a non-zero exit fails
// the test.
func run(t testing.TB, bin string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

// rows returns the rows of table in the SQLite file, one line each, in key
// order, without the columns skipped.
func rows(t testing.TB, path, table, key string, skip ...string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rs, err := db.Query(fmt.Sprintf("SELECT * FROM %s ORDER BY %s", table, key))
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
	col:
		for i, c := range cols {
			for _, s := range skip {
				if s == c {
					continue col
				}
			}
			parts = append(parts, fmt.Sprintf("%s=%v", c, vals[i]))
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// cursors reads a state directory's cursors.json.
func cursors(t testing.TB, dir string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "cursors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cursors map[string]string `json:"cursors"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cursors
}

// history returns the history of a workflow run as JSON, in the format of
// `temporal workflow show --output json`.
func history(t *testing.T, cl client.Client, id, runID string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	it := cl.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, ev)
	}
	data, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// wait waits for cond, polling; the test's own timeout bounds it.
func wait(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
