package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// Retry says how often and how patiently [Call] retries a failing step.
//
// Attempts is the total number of attempts; 0 and 1 both mean one. After
// failed attempt n the delay is Backoff*2^(n-1) capped at MaxBackoff, with
// "equal jitter": a random duration between half of it and all of it, so
// that clients retrying together spread out but never hammer the server
// early. Backoff defaults to 1s and MaxBackoff to 10×Backoff.
//
// An error carrying a server-requested delay ([WithRetryAfter], or any error
// with a RetryAfter() time.Duration method) is retried after exactly that
// delay, capped at the larger of MaxBackoff and 5 minutes so that a
// misbehaving server cannot stall a run for hours.
//
// Errors marked [Permanent] are not retried, and nothing is retried once the
// run's context is cancelled.
type Retry struct {
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
}

const (
	defaultBackoff       = time.Second
	defaultMaxBackoffMul = 10
	maxRetryAfter        = 5 * time.Minute
)

// delay returns how long to wait after failed attempt n (1-based).
// jitter(k) returns a random duration in [0, k].
func (r Retry) delay(n int, err error, jitter func(time.Duration) time.Duration) time.Duration {
	base := r.Backoff
	if base <= 0 {
		base = defaultBackoff
	}
	limit := r.MaxBackoff
	if limit <= 0 {
		limit = defaultMaxBackoffMul * base
	}
	if d, ok := RetryAfter(err); ok {
		return min(max(d, 0), max(limit, maxRetryAfter))
	}
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d/2 + jitter(d-d/2)
}

func randomJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// attempt runs fn under opts' retry policy, rate limit and per-attempt
// timeout. It returns the number of attempts made, the time spent waiting
// for the rate limit (before every attempt, retries included) and the
// final error. Every failed attempt that is retried is logged here.
func (e *engine) attempt(ctx context.Context, log *slog.Logger, key string, opts Options, fn func(context.Context) error) (int, time.Duration, error) {
	if e.replay != nil {
		return 1, 0, e.replay.miss(key)
	}
	total := max(opts.Retry.Attempts, 1)
	var waited time.Duration
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return n - 1, waited, err
		}
		if opts.RateLimit != "" {
			d, err := e.waitRate(ctx, opts.RateLimit)
			waited += d
			if err != nil {
				return n - 1, waited, err
			}
		}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if opts.Timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, opts.Timeout)
		}
		err := fn(actx)
		timedOut := ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded)
		cancel()
		if err == nil {
			return n, waited, nil
		}
		if timedOut {
			err = fmt.Errorf("attempt timed out after %s: %w", opts.Timeout, err)
		}
		if ctx.Err() != nil || IsPermanent(err) || nodeerr.IsConfiguration(err) || n >= total {
			return n, waited, err // the caller logs the final failure
		}
		d := opts.Retry.delay(n, err, e.jitter)
		log.Warn("step attempt failed; retrying", "step", key, "attempt", n, "of", total, "retry_in", d, "error", err)
		if serr := e.sleep(ctx, d); serr != nil {
			return n, waited, fmt.Errorf("%w (retries stopped: %w)", err, serr)
		}
	}
}
