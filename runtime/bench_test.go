package runtime

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/resolute/resolute-gen/runtime/internal/journal"
)

// benchmarkCall measures the per-step overhead of Call on the journal: b.N
// no-op steps with a small output in one run, logging discarded. step names
// the Run scope and id of step i.
func benchmarkCall(b *testing.B, mode journal.Durability, step func(r *Run, i int) (*Run, string)) {
	h := newHarness(b, Program{}, nil)
	h.e.mode = mode
	h.e.log = slog.New(slog.DiscardHandler)
	type issue struct {
		Key     string
		Updated int64
	}
	b.ReportAllocs()
	b.ResetTimer()
	_, err := h.run(func(ctx context.Context, r *Run) error {
		for i := range b.N {
			scope, id := step(r, i)
			if _, err := Call(ctx, scope, id, Options{}, func(context.Context) (issue, error) {
				return issue{Key: "PLAT-1234", Updated: 1735725600000}, nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
}

// distinctSteps names step i "s<i>" in the run's own scope.
func distinctSteps(r *Run, i int) (*Run, string) { return r, "s" + strconv.Itoa(i) }

func BenchmarkCallFsync(b *testing.B) { benchmarkCall(b, journal.Fsync, distinctSteps) }
func BenchmarkCallBatch(b *testing.B) { benchmarkCall(b, journal.Batch, distinctSteps) }

// BenchmarkCallBatchLoop is BenchmarkCallBatch with the steps in a while
// loop, as a generated program pages: one step name, b.N iterations.
func BenchmarkCallBatchLoop(b *testing.B) {
	benchmarkCall(b, journal.Batch, func(r *Run, i int) (*Run, string) { return r.Iteration("pages", i), "page" })
}
