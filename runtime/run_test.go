package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/status"
)

func TestResumeSkipsCompletedSteps(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	var c counter
	type page struct {
		Items []string
		Next  int
	}
	fail := true
	flow := func(ctx context.Context, r *Run) error {
		next := 0
		for i := 0; ; i++ {
			if i >= 10 {
				return MaxIterations(`while "pages" (sync.toml:30)`, 10)
			}
			it := r.Iteration("pages", i)
			p, err := Call(ctx, it, "page", Options{}, func(context.Context) (page, error) {
				c.inc(fmt.Sprint("page", next))
				if next == 2 && fail {
					return page{}, Permanent(errors.New("server error"))
				}
				if next == 3 {
					return page{Items: []string{"z"}}, nil
				}
				return page{Items: []string{fmt.Sprint(next)}, Next: next + 1}, nil
			})
			if err != nil {
				return err
			}
			if p.Next == 0 {
				return nil
			}
			next = p.Next
		}
	}
	if _, err := h.run(flow); err == nil || !strings.Contains(err.Error(), `step "pages[2]/page" failed: server error`) {
		t.Fatalf("err = %v", err)
	}
	fail = false
	sum, err := h.run(flow)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 1, 2, 1} {
		if got := c.get(fmt.Sprint("page", i)); got != want {
			t.Errorf("page %d fetched %d times, want %d", i, got, want)
		}
	}
	if sum.Replayed != 2 || sum.Steps != 2 || !sum.Resumed {
		t.Errorf("summary %+v", sum)
	}
	mustContain(t, "logs", h.logs.String(), "step=pages[0]/page replayed=true", "resumed=true journaled_steps=2")
}

func TestMaxIterationsError(t *testing.T) {
	err := MaxIterations(`while "pages" (sync.toml:30)`, 50)
	var mi *MaxIterationsError
	if !errors.As(err, &mi) || mi.Max != 50 {
		t.Fatal(err)
	}
	mustContain(t, "error", err.Error(), `while "pages" (sync.toml:30)`, "max_iterations = 50")
}

func TestNowIsReplayed(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	clock := time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	h.e.now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	var seen [][]time.Time
	flow := func(ctx context.Context, r *Run) error {
		ts := []time.Time{r.Now(), r.Now(), r.Iteration("l", 0).Now(), r.Iteration("l", 1).Now()}
		seen = append(seen, ts)
		return errors.New("fail")
	}
	h.run(flow)
	h.run(flow)
	if fmt.Sprint(seen[0]) != fmt.Sprint(seen[1]) {
		t.Errorf("replay saw other times:\n%v\n%v", seen[0], seen[1])
	}
	if seen[0][0] == seen[0][1] || seen[0][0].Location() != time.UTC {
		t.Errorf("times %v", seen[0])
	}
	for i := range seen[0] {
		if seen[0][i] != seen[1][i] {
			t.Errorf("time %d: %v != %v", i, seen[0][i], seen[1][i])
		}
	}
}

func TestCallReturnsJournaledForm(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	type out struct {
		Tags   []string
		hidden int
	}
	_, err := h.run(func(ctx context.Context, r *Run) error {
		got, err := Call(ctx, r, "a", Options{}, func(context.Context) (out, error) {
			return out{hidden: 1}, nil
		})
		if got.hidden != 0 || got.Tags != nil {
			t.Errorf("live result %+v differs from what a replay would return", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.run(func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "a", Options{}, func(context.Context) (func(), error) { return func() {}, nil })
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "cannot be journaled as JSON") {
		t.Errorf("err = %v", err)
	}
}

func TestDuplicateKeyIsAnError(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	_, err := h.run(func(ctx context.Context, r *Run) error {
		for range 2 {
			if _, err := Call(ctx, r, "a", Options{}, func(context.Context) (int, error) { return 1, nil }); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), `step key "a" is used twice`) {
		t.Fatalf("err = %v", err)
	}
}

func TestSpecHashMismatchIsRefused(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	h.run(func(ctx context.Context, r *Run) error { return errors.New("fail") })
	h.e.prog.SpecHash = "sha256:other"
	ran := false
	_, err := h.run(func(ctx context.Context, r *Run) error { ran = true; return nil })
	if ran || exitCode(err) != 2 {
		t.Fatalf("ran = %v, err = %v", ran, err)
	}
	mustContain(t, "error", err.Error(), "began under a different definition of the flow", "--fresh", "prog run --once f --fresh", "sha256:test", "sha256:other")
	if _, err := h.e.runFlow(context.Background(), Flow{Name: "f", Run: func(ctx context.Context, r *Run) error { ran = true; return nil }}, true); err != nil || !ran {
		t.Fatalf("--fresh: ran = %v, err = %v", ran, err)
	}
}

func TestPanicFailsTheRun(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	_, err := h.run(func(ctx context.Context, r *Run) error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "panic in flow f: boom") || !h.journalExists() {
		t.Fatalf("err = %v", err)
	}
}

func TestRunSummaryIsWritten(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	h.run(func(ctx context.Context, r *Run) error {
		r.Failed("dead", errors.New("gone"))
		return nil
	})
	sum, err := h.e.readSummary("f")
	if err != nil {
		t.Fatal(err)
	}
	text, _ := (&status.Report{Flows: []status.Flow{{Name: "f", LastRun: sum}}}).Text()
	mustContain(t, "status", text, "last run: succeeded", "failed but continued: dead: gone")
}

// A refused resume names the first top-level step whose definition
// changed, from the step hashes recorded in the journal header; a flow
// hash that did not change resumes whatever Program.SpecHash says.
func TestResumeRefusalNamesChangedStep(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	flow := Flow{Name: "f", SpecHash: "sha256:a", StepHashes: []string{"issues=aaa", "while#1=bbb", "upserted=ccc"},
		Run: func(ctx context.Context, r *Run) error { return errors.New("fail") }}
	h.e.runFlow(context.Background(), flow, false)
	h.e.prog.SpecHash = "sha256:another-file-content"
	for _, tc := range []struct {
		steps []string
		want  string
	}{
		{[]string{"issues=aaa", "while#1=bbd", "upserted=ccc"}, `the definition of step "while#1" (step 2) changed`},
		{[]string{"issues=aaa", "while#1=bbb"}, `step "upserted" (step 3) was removed`},
		{[]string{"issues=aaa", "pages=bbb", "upserted=ccc"}, `step 2 was "while#1" and is now "pages"`},
	} {
		changed := flow
		changed.SpecHash, changed.StepHashes = "sha256:b", tc.steps
		_, err := h.e.runFlow(context.Background(), changed, false)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
	ran := false
	flow.Run = func(ctx context.Context, r *Run) error { ran = true; return nil }
	if _, err := h.e.runFlow(context.Background(), flow, false); err != nil || !ran {
		t.Fatalf("same flow hash, other file hash: ran = %v, err = %v", ran, err)
	}
}
