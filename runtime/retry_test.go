package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// callOnce runs one Call in a fresh run and returns its error and the
// number of times fn ran.
func callOnce(h *harness, opts Options, fn func(ctx context.Context, n int) error) (int, error) {
	n := 0
	var callErr error
	h.run(func(ctx context.Context, r *Run) error {
		_, callErr = Call(ctx, r, "s", opts, func(ctx context.Context) (int, error) {
			n++
			return n, fn(ctx, n)
		})
		return callErr
	})
	return n, callErr
}

func TestRetryUntilSuccess(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	n, err := callOnce(h, Options{Retry: Retry{Attempts: 5, Backoff: time.Second}}, func(_ context.Context, n int) error {
		if n < 3 {
			return fmt.Errorf("flaky %d", n)
		}
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
	if got := fmt.Sprint(h.sleepsSoFar()); got != "[1s 2s]" {
		t.Errorf("sleeps = %s, want [1s 2s]", got)
	}
	mustContain(t, "logs", h.logs.String(), "attempt=1 of=5", "attempt=2 of=5", "flaky 2", "step=s duration=", "attempts=3")
}

func TestRetryGivesUp(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	n, err := callOnce(h, Options{Retry: Retry{Attempts: 3}}, func(context.Context, int) error { return errors.New("down") })
	var se *StepError
	if n != 3 || !errors.As(err, &se) || se.Attempts != 3 || se.Key != "s" {
		t.Fatalf("n = %d, err = %#v", n, err)
	}
	if err.Error() != `step "s" failed after 3 attempts: down` {
		t.Errorf("message = %q", err)
	}
}

func TestRetryZeroAttemptsMeansOne(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	n, err := callOnce(h, Options{}, func(context.Context, int) error { return errors.New("down") })
	if n != 1 || err == nil || len(h.sleepsSoFar()) != 0 {
		t.Fatalf("n = %d, err = %v, sleeps = %v", n, err, h.sleepsSoFar())
	}
}

func TestRetryPermanentIsNotRetried(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	n, err := callOnce(h, Options{Retry: Retry{Attempts: 5}}, func(context.Context, int) error {
		return fmt.Errorf("wrapped: %w", Permanent(errors.New("bad request")))
	})
	if n != 1 || !IsPermanent(err) {
		t.Fatalf("n = %d, err = %v", n, err)
	}
}

type ownPermanent struct{}

func (ownPermanent) Error() string   { return "own" }
func (ownPermanent) Permanent() bool { return true }

func TestIsPermanentByInterface(t *testing.T) {
	if !IsPermanent(fmt.Errorf("x: %w", ownPermanent{})) || IsPermanent(errors.New("x")) || IsPermanent(nil) {
		t.Fatal("IsPermanent")
	}
	if Permanent(nil) != nil || WithRetryAfter(nil, time.Second) != nil {
		t.Fatal("nil in, nil out")
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	_, err := callOnce(h, Options{Retry: Retry{Attempts: 3, Backoff: time.Second, MaxBackoff: time.Minute}}, func(_ context.Context, n int) error {
		switch n {
		case 1:
			return WithRetryAfter(errors.New("429"), 7*time.Second)
		case 2:
			return fmt.Errorf("wrapped: %w", WithRetryAfter(errors.New("429"), time.Hour))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(h.sleepsSoFar()); got != "[7s 5m0s]" {
		t.Errorf("sleeps = %s, want [7s 5m0s] (the server's delay, capped at 5m)", got)
	}
	if d, ok := RetryAfter(fmt.Errorf("x: %w", WithRetryAfter(errors.New("y"), 3*time.Second))); !ok || d != 3*time.Second {
		t.Errorf("RetryAfter = %v %v", d, ok)
	}
}

func TestBackoffDelay(t *testing.T) {
	r := Retry{Backoff: time.Second, MaxBackoff: 10 * time.Second}
	longest := func(d time.Duration) time.Duration { return d }
	shortest := func(time.Duration) time.Duration { return 0 }
	for n, want := range []time.Duration{0, 1, 2, 4, 8, 10, 10, 10} {
		if n == 0 {
			continue
		}
		want *= time.Second
		if got := r.delay(n, errors.New("x"), longest); got != want {
			t.Errorf("delay(%d) = %v, want at most %v", n, got, want)
		}
		if got := r.delay(n, errors.New("x"), shortest); got != want/2 {
			t.Errorf("delay(%d) = %v, want at least %v", n, got, want/2)
		}
	}
	if got := (Retry{}).delay(50, errors.New("x"), longest); got != 10*time.Second {
		t.Errorf("defaults: delay = %v, want the 10×1s cap", got)
	}
	if got := (Retry{Backoff: time.Second, MaxBackoff: time.Hour}).delay(2, WithRetryAfter(errors.New("x"), 2*time.Hour), longest); got != time.Hour {
		t.Errorf("RetryAfter cap = %v, want MaxBackoff when it exceeds 5m", got)
	}
	for range 100 {
		if d := randomJitter(time.Second); d < 0 || d > time.Second {
			t.Fatalf("jitter %v out of range", d)
		}
	}
}

func TestRetryTimeoutPerAttempt(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	n, err := callOnce(h, Options{Retry: Retry{Attempts: 2}, Timeout: 20 * time.Millisecond}, func(ctx context.Context, n int) error {
		if n == 1 {
			<-ctx.Done() // hangs until the attempt's deadline
			return ctx.Err()
		}
		if _, ok := ctx.Deadline(); !ok {
			return errors.New("second attempt has no deadline")
		}
		return nil
	})
	if err != nil || n != 2 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
	mustContain(t, "logs", h.logs.String(), "attempt timed out after 20ms")

	n, err = callOnce(h, Options{Retry: Retry{Attempts: 2}, Timeout: 10 * time.Millisecond}, func(ctx context.Context, n int) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if n != 2 || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 10ms") {
		t.Fatalf("n = %d, err = %v", n, err)
	}
}

func TestRetryStopsWhenCancelled(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	h.e.sleep = func(ctx context.Context, d time.Duration) error {
		cancel() // SIGTERM arrives during the backoff
		<-ctx.Done()
		return ctx.Err()
	}
	n := 0
	var callErr error
	_, runErr := h.runCtx(ctx, func(ctx context.Context, r *Run) error {
		_, callErr = Call(ctx, r, "s", Options{Retry: Retry{Attempts: 5}}, func(context.Context) (int, error) {
			n++
			return 0, errors.New("down")
		})
		return callErr
	})
	if n != 1 || !errors.Is(callErr, context.Canceled) || runErr == nil {
		t.Fatalf("n = %d, err = %v, run error = %v", n, callErr, runErr)
	}
	if !h.journalExists() {
		t.Error("a cancelled run must keep its journal")
	}

	// Cancelled during an attempt: no retry either.
	ctx, cancel = context.WithCancel(context.Background())
	n = 0
	h.runCtx(ctx, func(ctx context.Context, r *Run) error {
		_, callErr = Call(ctx, r, "s", Options{Retry: Retry{Attempts: 5}}, func(ctx context.Context) (int, error) {
			n++
			cancel()
			return 0, ctx.Err()
		})
		return callErr
	})
	if n != 1 || !errors.Is(callErr, context.Canceled) {
		t.Fatalf("n = %d, err = %v", n, callErr)
	}
}

func TestRecoveredFailureIsReplayed(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	var c counter
	flow := func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "s", Options{Recover: true, Retry: Retry{Attempts: 2}}, func(context.Context) (int, error) {
			c.inc("s")
			return 0, errors.New("no such issue")
		})
		if err == nil {
			return errors.New("want an error")
		}
		r.Failed("s", err)
		_, err = Call(ctx, r, "after", Options{}, func(context.Context) (int, error) {
			if c.inc("after") == 1 {
				return 0, Permanent(errors.New("crash"))
			}
			return 1, nil
		})
		return err
	}
	if _, err := h.run(flow); err == nil {
		t.Fatal("first run should fail")
	}
	sum, err := h.run(flow)
	if err != nil {
		t.Fatal(err)
	}
	if c.get("s") != 2 {
		t.Errorf("recovered step ran %d times, want 2 (two attempts in the first run, none on replay)", c.get("s"))
	}
	if len(sum.Failures) != 1 || sum.Failures[0].Step != "s" || sum.Failures[0].Error != `step "s" failed after 2 attempts: no such issue` {
		t.Errorf("failures = %+v", sum.Failures)
	}
}
