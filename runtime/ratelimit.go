package runtime

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// RateLimit declares one named client-side rate limit: at most Requests
// attempts every Per, with bursts of up to Burst attempts. Steps name it in
// [Options].RateLimit or [StreamOptions].RateLimit; every step that names
// it draws on one token bucket for the whole process, so the branches of a
// parallel block, the items of a for_each and the page fetches of a stream
// share it. Over any window of length Per, at most Requests+Burst attempts
// start.
type RateLimit struct {
	// Name is how steps refer to the limit.
	Name string
	// Requests is the number of attempts allowed every Per; at least 1.
	Requests int
	// Per is the period of Requests; greater than 0.
	Per time.Duration
	// Burst is how many attempts may start at once after a quiet time; at
	// least 1 (1: evenly spaced).
	Burst int
}

// String formats the limit as the spec writes it: "10/s, burst 5".
func (l RateLimit) String() string {
	per := l.Per.String()
	switch l.Per {
	case time.Second:
		per = "s"
	case time.Minute:
		per = "m"
	case time.Hour:
		per = "h"
	}
	return fmt.Sprintf("%d/%s, burst %d", l.Requests, per, l.Burst)
}

func (l RateLimit) validate() error {
	switch {
	case l.Name == "":
		return fmt.Errorf("a rate limit has no name")
	case l.Requests < 1:
		return fmt.Errorf("rate limit %q: Requests must be at least 1, not %d", l.Name, l.Requests)
	case l.Per <= 0:
		return fmt.Errorf("rate limit %q: Per must be greater than 0, not %s", l.Name, l.Per)
	case l.Burst < 1:
		return fmt.Errorf("rate limit %q: Burst must be at least 1, not %d", l.Name, l.Burst)
	}
	return nil
}

// bucket is a token bucket in its GCRA form: tat, the theoretical arrival
// time, is when the bucket would be full again if nothing else came. An
// attempt may start at max(now, tat-(burst-1)*interval), and moves tat one
// interval on. Waiters reserve their start time under the lock, then sleep
// outside it, so they start in the order they asked, and a wait cancelled by
// its context keeps its reservation (the limit errs on the slow side).
//
// It is written by hand rather than taken from golang.org/x/time/rate: the
// reservation and the cancellable wait are a few lines, and every generated
// program would otherwise link one more module.
type bucket struct {
	mu       sync.Mutex
	interval time.Duration // Per / Requests
	burst    int
	tat      time.Time
}

func newBucket(l RateLimit) *bucket {
	return &bucket{interval: max(l.Per/time.Duration(l.Requests), 1), burst: l.Burst}
}

// reserve returns when an attempt asked for at now may start.
func (b *bucket) reserve(now time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	start := b.tat
	if start.Before(now) {
		start = now
	}
	at := start.Add(-time.Duration(b.burst-1) * b.interval)
	if at.Before(now) {
		at = now
	}
	b.tat = start.Add(b.interval)
	return at
}

// limiters are the engine's token buckets, by limit name.
type limiters map[string]*bucket

func newLimiters(ls []RateLimit) limiters {
	m := limiters{}
	for _, l := range ls {
		m[l.Name] = newBucket(l)
	}
	return m
}

// waitRate waits until the rate limit name lets an attempt start, or ctx is
// done. It returns the time waited. An unknown name is a permanent error (a
// program bug: gen checks the names).
func (e *engine) waitRate(ctx context.Context, name string) (time.Duration, error) {
	b, ok := e.limiters[name]
	if !ok {
		return 0, Permanent(fmt.Errorf("unknown rate limit %q; the program declares %s", name, quoteList(sortedKeys(e.limiterNames()))))
	}
	now := time.Now()
	d := b.reserve(now).Sub(now)
	e.metrics.RateWaited(name, d)
	if d <= 0 {
		return 0, nil
	}
	if err := sleepCtx(ctx, d); err != nil {
		return d, err
	}
	return d, nil
}

func (e *engine) limiterNames() map[string]string {
	m := map[string]string{}
	for n := range e.limiters {
		m[n] = n
	}
	return m
}

// rateAttrs are the log attributes of a step's rate limit: its name and the
// time the step waited for it (rate_wait), or none without a limit.
func rateAttrs(name string, waited time.Duration) []any {
	if name == "" {
		return nil
	}
	return []any{"rate_limit", name, "rate_wait", waited.Round(time.Millisecond)}
}
