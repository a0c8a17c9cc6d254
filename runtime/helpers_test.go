package runtime

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/redact"
	"github.com/resolute/resolute-gen/runtime/internal/status"
)

// harness is an engine on a temporary state directory with a fake sleep and
// captured logs.
type harness struct {
	t    testing.TB
	e    *engine
	logs *lockedBuffer

	mu     sync.Mutex
	sleeps []time.Duration
}

func newHarness(t testing.TB, p Program, env map[string]string) *harness {
	t.Helper()
	if p.SpecHash == "" {
		p.SpecHash = "sha256:test"
	}
	getenv := func(k string) string { return env[k] }
	vals, err := p.resolveEnv(getenv)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, logs: &lockedBuffer{}}
	h.e = newEngine(p, "prog", t.TempDir(), vals, getenv, func(red *redact.Redactor) *slog.Logger {
		return redact.NewLogger(h.logs, "text", slog.LevelInfo, red)
	})
	h.e.jitter = func(d time.Duration) time.Duration { return d } // always the longest delay
	h.e.sleep = func(ctx context.Context, d time.Duration) error {
		h.mu.Lock()
		h.sleeps = append(h.sleeps, d)
		h.mu.Unlock()
		return ctx.Err()
	}
	return h
}

// run runs fn as flow "f" (resuming its unfinished run, if any).
func (h *harness) run(fn func(context.Context, *Run) error) (*status.Summary, error) {
	return h.runCtx(context.Background(), fn)
}

func (h *harness) runCtx(ctx context.Context, fn func(context.Context, *Run) error) (*status.Summary, error) {
	return h.e.runFlow(ctx, Flow{Name: "f", Run: fn}, false)
}

func (h *harness) sleepsSoFar() []time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Duration(nil), h.sleeps...)
}

func (h *harness) cursors() map[string]string {
	h.t.Helper()
	c, err := h.e.store.Load(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) journalExists() bool {
	_, err := os.Stat(h.e.journalPath("f"))
	return err == nil
}

// counter counts executions per key; safe for concurrent use.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) inc(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[key]++
	return c.n[key]
}

func (c *counter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func mustContain(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q:\n%s", what, sub, s)
		}
	}
}
