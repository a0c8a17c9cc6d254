package runtime

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// inprocessProg is a flow of two steps and a cursor; extra adds a third
// step, and typed changes the output type of the second.
func inprocessProg(calls *int, extra, typed bool) Program {
	return Program{
		SpecHash: "sha256:test",
		Cursors:  []CursorSpec{{Name: "seq", Initial: "0"}},
		Flows: []Flow{{Name: "f", Run: func(ctx context.Context, r *Run) error {
			n, err := Call(ctx, r, "fetch", Options{}, func(context.Context) (int, error) { *calls++; return 7, nil })
			if err != nil {
				return err
			}
			r.Advance("seq", strconv.Itoa(n))
			if typed {
				_, err = Call(ctx, r, "write", Options{}, func(context.Context) (struct{ N []int }, error) { *calls++; return struct{ N []int }{}, nil })
			} else {
				_, err = Call(ctx, r, "write", Options{}, func(context.Context) (struct{ N int }, error) { *calls++; return struct{ N int }{n}, nil })
			}
			if err != nil || !extra {
				return err
			}
			_, err = Call(ctx, r, "notify", Options{}, func(context.Context) (bool, error) { *calls++; return true, nil })
			return err
		}}},
	}
}

// TestRunFlowAndReplay: RunFlow commits the cursor and keeps the journal and
// outputs; ReplayFlow of that journal runs no step; a flow that runs a step
// the recording lacks, skips a recorded one, or whose output type changed
// fails the replay, naming the step.
func TestRunFlowAndReplay(t *testing.T) {
	calls := 0
	res, err := RunFlow(context.Background(), inprocessProg(&calls, false, false), "f", InProcessOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cursors["seq"] != "7" || string(res.Outputs["write"]) != `{"N":7}` || calls != 2 || len(res.Journal) == 0 {
		t.Fatalf("run: cursors %v, outputs %s, %d calls, journal %d bytes", res.Cursors, res.Outputs, calls, len(res.Journal))
	}

	calls = 0
	rep, err := ReplayFlow(context.Background(), inprocessProg(&calls, false, false), "f", res.Journal, InProcessOptions{Dir: t.TempDir()})
	if err != nil || calls != 0 || rep.Replayed != 2 || rep.Cursors["seq"] != "7" {
		t.Fatalf("replay: err %v, %d calls, %d replayed, cursors %v", err, calls, rep.Replayed, rep.Cursors)
	}

	_, err = ReplayFlow(context.Background(), inprocessProg(&calls, true, false), "f", res.Journal, InProcessOptions{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `the flow ran "notify", which the recorded run did not`) || calls != 0 {
		t.Fatalf("replay with a step added: err %v, %d calls", err, calls)
	}

	extra, err := RunFlow(context.Background(), inprocessProg(&calls, true, false), "f", InProcessOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	calls = 0
	_, err = ReplayFlow(context.Background(), inprocessProg(&calls, false, false), "f", extra.Journal, InProcessOptions{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `the recorded run ran "notify", which the flow did not`) || calls != 0 {
		t.Fatalf("replay with a step removed: err %v, %d calls", err, calls)
	}

	_, err = ReplayFlow(context.Background(), inprocessProg(&calls, false, true), "f", res.Journal, InProcessOptions{Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), `saved output of step "write" does not decode`) || calls != 0 {
		t.Fatalf("replay with a changed output type: err %v, %d calls", err, calls)
	}
}

// TestRunFlowEnv: RunFlow reads only the given environment, and refuses to
// start without a required variable.
func TestRunFlowEnv(t *testing.T) {
	p := Program{Env: []EnvVar{{Name: "FLOWTEST_NEEDED", Required: true}}, Flows: []Flow{{Name: "f", Run: func(ctx context.Context, r *Run) error { return nil }}}}
	t.Setenv("FLOWTEST_NEEDED", "from the process")
	if _, err := RunFlow(context.Background(), p, "f", InProcessOptions{Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "FLOWTEST_NEEDED") {
		t.Fatalf("err = %v, want the missing variable named", err)
	}
	if _, err := RunFlow(context.Background(), p, "nope", InProcessOptions{Dir: t.TempDir(), Env: map[string]string{"FLOWTEST_NEEDED": "x"}}); err == nil {
		t.Fatal("an unknown flow ran")
	}
}
