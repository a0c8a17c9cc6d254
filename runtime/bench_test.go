package runtime

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
)

// benchmarkCall measures the per-step overhead of Call on the journal: b.N
// no-op steps with a small output in one run, logging discarded.
func benchmarkCall(b *testing.B, mode durability) {
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
			if _, err := Call(ctx, r, "s"+strconv.Itoa(i), Options{}, func(context.Context) (issue, error) {
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

func BenchmarkCallFsync(b *testing.B) { benchmarkCall(b, durFsync) }
func BenchmarkCallBatch(b *testing.B) { benchmarkCall(b, durBatch) }

// BenchmarkCallBatchLoop is BenchmarkCallBatch with the steps in a while
// loop, as a generated program pages: one step name, b.N iterations.
func BenchmarkCallBatchLoop(b *testing.B) {
	h := newHarness(b, Program{}, nil)
	h.e.mode = durBatch
	h.e.log = slog.New(slog.DiscardHandler)
	type issue struct {
		Key     string
		Updated int64
	}
	b.ReportAllocs()
	b.ResetTimer()
	_, err := h.run(func(ctx context.Context, r *Run) error {
		for i := range b.N {
			if _, err := Call(ctx, r.Iteration("pages", i), "page", Options{}, func(context.Context) (issue, error) {
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
