package flowtest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/runtime"
)

// program is a flow that reads N from its env, counts, and advances a
// cursor; skip leaves out its second step.
func program(skip bool) runtime.Program {
	return runtime.Program{
		SpecHash: "sha256:test",
		Env:      []runtime.EnvVar{{Name: "N", Required: true}},
		Cursors:  []runtime.CursorSpec{{Name: "seen", Initial: "0"}},
		Flows: []runtime.Flow{{Name: "count", Run: func(ctx context.Context, r *runtime.Run) error {
			n, err := runtime.Call(ctx, r, "read", runtime.Options{}, func(context.Context) (struct{ N int }, error) {
				n, err := strconv.Atoi(r.Env("N"))
				return struct{ N int }{n}, err
			})
			if err != nil {
				return err
			}
			r.Advance("seen", strconv.Itoa(n.N))
			if skip {
				return nil
			}
			_, err = runtime.Call(ctx, r, "double", runtime.Options{}, func(context.Context) (int, error) { return 2 * n.N, nil })
			return err
		}}},
	}
}

func TestRunRecordReplay(t *testing.T) {
	f := New(t, program(false), "count", Env{"N": "21"})
	res := f.Run()
	var doubled int
	res.Output(t, "double", &doubled)
	if doubled != 42 || res.Cursor("seen") != "21" {
		t.Fatalf("double = %d, cursor seen = %s; want 42 and 21", doubled, res.Cursor("seen"))
	}
	if _, err := New(t, program(false), "count", Env{}).Try(); err == nil || !strings.Contains(err.Error(), "N") {
		t.Fatalf("a run without the required N: err %v", err)
	}

	path := filepath.Join(t.TempDir(), "testdata", "run.journal")
	res.WriteJournal(t, path)
	if rep := Replay(t, program(false), "count", path); rep.Replayed != 2 || rep.Cursor("seen") != "21" {
		t.Fatalf("replay: %d replayed, cursor %s", rep.Replayed, rep.Cursor("seen"))
	}
	if _, err := TryReplay(t, program(true), "count", path); err == nil || !strings.Contains(err.Error(), `"double"`) {
		t.Fatalf("replay of a flow without the double step: err %v", err)
	}

	// Recording reads the flow's variables from the process environment.
	t.Setenv(RecordEnv, "1")
	t.Setenv("N", "5")
	if rep := Replay(t, program(false), "count", path); rep.Cursor("seen") != "5" {
		t.Fatalf("recorded replay: cursor %s, want 5", rep.Cursor("seen"))
	}
	if data, err := os.ReadFile(path); err != nil || !strings.Contains(string(data), `"out":10`) {
		t.Fatalf("the recorded journal does not hold the new run: %v\n%s", err, data)
	}
}
