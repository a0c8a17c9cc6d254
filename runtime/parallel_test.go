package runtime

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestForEachOrderAndConcurrencyBound(t *testing.T) {
	for _, conc := range []int{0, 1, 3, 50} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			h := newHarness(t, Program{}, nil)
			var inFlight, peak atomic.Int32
			items := make([]int, 20)
			for i := range items {
				items[i] = i
			}
			var got []string
			_, err := h.run(func(ctx context.Context, r *Run) error {
				var err error
				got, err = ForEach(ctx, r, "items", items, conc, func(ctx context.Context, r *Run, it int) (string, error) {
					return Call(ctx, r, "get", Options{}, func(context.Context) (string, error) {
						n := inFlight.Add(1)
						defer inFlight.Add(-1)
						for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
						}
						time.Sleep(time.Duration(20-it) * 100 * time.Microsecond) // later items finish first
						return fmt.Sprint("v", it), nil
					})
				})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				if v != fmt.Sprint("v", i) {
					t.Fatalf("results out of order: %v", got)
				}
			}
			if want := int32(max(conc, 1)); peak.Load() > want || (conc > 1 && peak.Load() < 2) {
				t.Errorf("peak concurrency %d, bound %d", peak.Load(), want)
			}
			mustContain(t, "logs", h.logs.String(), "step=items[0]/get", "step=items[19]/get")
		})
	}
}

func TestForEachFirstFailureCancelsTheRest(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	var started atomic.Int32
	var cancelled atomic.Int32
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	boom := errors.New("item 3 failed")
	ready := make(chan struct{}, 3)
	var err error
	h.run(func(ctx context.Context, r *Run) error {
		_, err = ForEach(ctx, r, "items", items, 4, func(ctx context.Context, r *Run, it int) (int, error) {
			started.Add(1)
			if it == 3 {
				for range 3 {
					<-ready // items 0-2 are in flight
				}
				return 0, boom
			}
			ready <- struct{}{}
			select {
			case <-ctx.Done():
				cancelled.Add(1)
				return 0, ctx.Err()
			case <-time.After(10 * time.Second):
				return it, nil
			}
		})
		return err
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the first failure", err)
	}
	if started.Load() != 4 || cancelled.Load() != 3 {
		t.Errorf("started %d, cancelled %d; want the 3 in flight cancelled and no more started", started.Load(), cancelled.Load())
	}
}

func TestForEachEmptyAndCancelled(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	h.run(func(ctx context.Context, r *Run) error {
		out, err := ForEach(ctx, r, "x", []int(nil), 2, func(context.Context, *Run, int) (int, error) { return 0, nil })
		if err != nil || len(out) != 0 {
			t.Errorf("empty: %v %v", out, err)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		n := 0
		_, err = ForEach(cctx, r, "y", []int{1, 2, 3}, 1, func(context.Context, *Run, int) (int, error) { n++; return 0, nil })
		if !errors.Is(err, context.Canceled) || n != 0 {
			t.Errorf("cancelled: n = %d, err = %v", n, err)
		}
		return nil
	})
}

func TestParallelFirstFailureCancelsOthers(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	boom := errors.New("branch 0 failed")
	var err error
	var sawCancel atomic.Bool
	h.run(func(ctx context.Context, r *Run) error {
		err = Parallel(ctx, r, "fan",
			func(ctx context.Context, r *Run) error { time.Sleep(5 * time.Millisecond); return boom },
			func(ctx context.Context, r *Run) error {
				<-ctx.Done()
				sawCancel.Store(true)
				return ctx.Err()
			},
		)
		return err
	})
	if !errors.Is(err, boom) || !sawCancel.Load() {
		t.Fatalf("err = %v, cancelled = %v", err, sawCancel.Load())
	}
}

func TestParallelBranchesAreReplayed(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	var c counter
	flow := func(ctx context.Context, r *Run) error {
		var a, b string
		err := Parallel(ctx, r, "fan",
			func(ctx context.Context, r *Run) error {
				var err error
				a, err = Call(ctx, r, "get", Options{}, func(context.Context) (string, error) { c.inc("a"); return "A", nil })
				return err
			},
			func(ctx context.Context, r *Run) error {
				var err error
				b, err = Call(ctx, r, "get", Options{}, func(context.Context) (string, error) { c.inc("b"); return "B", nil })
				return err
			},
		)
		if err != nil {
			return err
		}
		_, err = Call(ctx, r, "last", Options{}, func(context.Context) (string, error) {
			if c.inc("last") == 1 {
				return "", Permanent(errors.New("crash"))
			}
			return a + b, nil
		})
		return err
	}
	h.run(flow)
	if _, err := h.run(flow); err != nil {
		t.Fatal(err)
	}
	if c.get("a") != 1 || c.get("b") != 1 || c.get("last") != 2 {
		t.Errorf("counts %v", c.n)
	}
	logs := h.logs.String()
	mustContain(t, "logs", logs, "step=fan[0]/get replayed=true", "step=fan[1]/get replayed=true")
}

func TestParallelPanicBecomesError(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	_, err := h.run(func(ctx context.Context, r *Run) error {
		return Parallel(ctx, r, "p", func(context.Context, *Run) error { panic("oops") })
	})
	if err == nil || !h.journalExists() {
		t.Fatalf("err = %v", err)
	}
	mustContain(t, "error", err.Error(), "panic in p[0]/: oops")
}
