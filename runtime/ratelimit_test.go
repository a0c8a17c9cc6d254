package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestBucketReservesInOrder(t *testing.T) {
	b := newBucket(RateLimit{Name: "x", Requests: 10, Per: time.Second, Burst: 3})
	t0 := time.Unix(1000, 0)
	var got []time.Duration
	for range 5 {
		got = append(got, b.reserve(t0).Sub(t0))
	}
	want := []time.Duration{0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond}
	if !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
	// After a quiet second the bucket is full again: a burst of 3 at once.
	t1 := t0.Add(time.Second + 300*time.Millisecond)
	for i := range 3 {
		if d := b.reserve(t1).Sub(t1); d != 0 {
			t.Fatalf("attempt %d after a quiet time waits %s", i, d)
		}
	}
	if d := b.reserve(t1).Sub(t1); d != 100*time.Millisecond {
		t.Fatalf("4th attempt of the burst waits %s, want 100ms", d)
	}
}

func TestRateLimitWaitIsCancellable(t *testing.T) {
	h := newHarness(t, Program{RateLimits: []RateLimit{{Name: "slow", Requests: 1, Per: time.Hour, Burst: 1}}}, nil)
	var calls counter
	ctx, cancel := context.WithCancel(context.Background())
	_, err := h.runCtx(ctx, func(ctx context.Context, r *Run) error {
		if _, err := Call(ctx, r, "a", Options{RateLimit: "slow"}, func(context.Context) (int, error) { calls.inc("a"); return 1, nil }); err != nil {
			return err
		}
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := Call(ctx, r, "b", Options{RateLimit: "slow"}, func(context.Context) (int, error) { calls.inc("b"); return 2, nil })
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	if calls.get("a") != 1 || calls.get("b") != 0 {
		t.Fatalf("calls a=%d b=%d, want 1 and 0 (b waits an hour for its token)", calls.get("a"), calls.get("b"))
	}
}

func TestRateLimitUnknownNameIsPermanent(t *testing.T) {
	h := newHarness(t, Program{RateLimits: []RateLimit{{Name: "jira", Requests: 1, Per: time.Second, Burst: 1}}}, nil)
	_, err := h.run(func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "a", Options{RateLimit: "jria", Retry: Retry{Attempts: 5}}, func(context.Context) (int, error) { return 1, nil })
		return err
	})
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), `unknown rate limit "jria"; the program declares "jira"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestProgramRateLimitsValidated(t *testing.T) {
	p := Program{Flows: []Flow{{Name: "f", Run: func(context.Context, *Run) error { return nil }}},
		RateLimits: []RateLimit{{Name: "a", Requests: 1, Per: time.Second, Burst: 0}, {Name: "b", Requests: 0, Per: time.Second, Burst: 1},
			{Name: "c", Requests: 1, Per: 0, Burst: 1}, {Name: "d", Requests: 1, Per: time.Second, Burst: 1}, {Name: "d", Requests: 2, Per: time.Second, Burst: 1}}}
	err := p.validate()
	if err == nil {
		t.Fatal("no error")
	}
	mustContain(t, "error", err.Error(), `rate limit "a": Burst must be at least 1, not 0`, `rate limit "b": Requests must be at least 1, not 0`,
		`rate limit "c": Per must be greater than 0, not 0s`, `rate limit "d" is declared twice`)
}

// arrivals is an HTTP fake that records when each request arrived and
// fails every failEvery-th one with 503, so that steps retry.
type arrivals struct {
	mu        sync.Mutex
	at        []time.Time
	failEvery int
}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.at = append(a.at, time.Now())
	n := len(a.at)
	a.mu.Unlock()
	if a.failEvery > 0 && n%a.failEvery == 0 {
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, r.URL.Query().Get("page"))
}

// maxPerWindow is the largest number of arrivals in any window
// [t, t+window) that starts at an arrival.
func (a *arrivals) maxPerWindow(window time.Duration) (int, int) {
	a.mu.Lock()
	at := slices.Clone(a.at)
	a.mu.Unlock()
	slices.SortFunc(at, func(x, y time.Time) int { return x.Compare(y) })
	best, j := 0, 0
	for i := range at {
		for j < len(at) && at[j].Sub(at[i]) < window {
			j++
		}
		best = max(best, j-i)
	}
	return best, len(at)
}

func get(ctx context.Context, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	return string(body), nil
}

// TestRateLimitSharedAcrossParallelForEachStreamAndRetries runs two
// parallel branches, each a for_each of concurrency 8, and a stream, all
// calling one server under one limit, with every 5th request failing and
// retried: over any one-second window the server sees at most rate+burst
// requests.
func TestRateLimitSharedAcrossParallelForEachStreamAndRetries(t *testing.T) {
	const rate, burst = 20, 3
	srv := &arrivals{failEvery: 5}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	h := newHarness(t, Program{RateLimits: []RateLimit{{Name: "api", Requests: rate, Per: time.Second, Burst: burst}}}, nil)
	opts := Options{Retry: Retry{Attempts: 4, Backoff: time.Millisecond}, RateLimit: "api"}
	items := make([]int, 16)
	for i := range items {
		items[i] = i
	}
	each := func(ctx context.Context, r *Run) error {
		_, err := ForEach(ctx, r, "items", items, 8, func(ctx context.Context, r *Run, it int) (string, error) {
			return Call(ctx, r, "get", opts, func(ctx context.Context) (string, error) {
				return get(ctx, ts.URL+"/item?page="+strconv.Itoa(it))
			})
		})
		return err
	}
	stream := func(ctx context.Context, r *Run) error {
		_, err := Stream(ctx, r, "pages", StreamOptions{Retry: opts.Retry, ReadAhead: 2, RateLimit: "api"},
			func(ctx context.Context, token string) (string, error) {
				n, _ := strconv.Atoi(token)
				if _, err := get(ctx, ts.URL+"/page?page="+token); err != nil {
					return "", err
				}
				if n == 7 {
					return "", nil
				}
				return strconv.Itoa(n + 1), nil
			},
			func(next string) (string, int) { return next, 1 },
			func(context.Context, *Run, string) error { return nil })
		return err
	}
	_, err := h.run(func(ctx context.Context, r *Run) error {
		return Parallel(ctx, r, "fetch",
			func(ctx context.Context, r *Run) error { return each(ctx, r) },
			func(ctx context.Context, r *Run) error { return each(ctx, r) },
			stream)
	})
	if err != nil {
		t.Fatal(err)
	}
	peak, total := srv.maxPerWindow(time.Second)
	if total < 2*16+8+5 {
		t.Fatalf("the server saw %d requests; expected the 40 steps and their retries", total)
	}
	if peak > rate+burst {
		t.Errorf("the server saw %d requests within one second (of %d); the limit allows %d/s with a burst of %d", peak, total, rate, burst)
	}
	logs := h.logs.String()
	mustContain(t, "logs", logs, "rate_limit=api rate_wait=", "step attempt failed; retrying")
	expo := string(h.e.metrics.Exposition())
	mustContain(t, "metrics", expo, fmt.Sprintf(`resolute_rate_limit_attempts_total{limit="api"} %d`, total), `resolute_rate_limit_wait_seconds_total{limit="api"}`)
	if strings.Contains(expo, `resolute_rate_limit_delayed_total{limit="api"} 0`) {
		t.Errorf("no attempt waited:\n%s", expo)
	}
}
