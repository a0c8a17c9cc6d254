// Package metrics counts what a program does (runs, steps, rate-limit
// waits, webhook deliveries, committed cursors) and writes it in the
// Prometheus text exposition format, to a file or over HTTP.
package metrics

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Prometheus text exposition format (version 0.0.4). The
// format is written by hand: it is small, and a client library would be the
// largest dependency of every generated program.
//
// Label values are flow, step and cursor names only, never a value read at
// run time, so no secret can reach the metrics. A step is named by its
// journal key with the loop indices removed ("pages[3]/upserted" is counted
// as "pages/upserted"), so that the number of series is bounded by the spec,
// not by the data.

// durationBuckets are the upper bounds, in seconds, of the step duration
// histogram: steps range from milliseconds (a small upsert) to many minutes
// (a full fetch with retries).
var durationBuckets = [...]float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}

// Registry holds the program's metrics. Counters count what this process did
// (they start at zero, as Prometheus counters do after a restart); the
// last-run gauges are restored from the state directory when run starts.
type Registry struct {
	mu    sync.Mutex
	flows map[string]*Flow
	// cursors are the committed values as last read or written by this
	// process, of the declared cursors (all, if declared is nil).
	cursors  map[string]string
	declared map[string]bool
	// unfinished reports whether a flow has an unfinished run (a journal).
	unfinished func(flow string) bool
	// rate are the waits for each rate limit, by limit name.
	rate map[string]*rateStats
	// webhooks count webhook deliveries, by flow ("" for /webhook) and
	// result.
	webhooks map[[2]string]uint64
}

// rateStats count the attempts that asked a rate limit for a token.
type rateStats struct {
	attempts uint64  // attempts that asked
	waited   uint64  // attempts that had to wait
	seconds  float64 // total wait
}

// Flow holds the metrics of one flow.
type Flow struct {
	name              string
	succeeded, failed uint64
	running           bool

	hasLast     bool // the fields below are known
	lastStart   time.Time
	lastFinish  time.Time
	lastOK      bool
	lastSuccess time.Time // zero: no success known
	steps       map[string]*stepStats
}

type stepStats struct {
	executed  uint64 // completed by running
	replayed  uint64 // completed from the journal
	attempts  uint64
	retries   uint64
	failures  uint64 // final failures of executed steps
	continued uint64 // failures handled by on_error, the run going on
	source    bool   // a stream's paged source: items counts what it read
	items     uint64
	// buckets[i] counts completed executions that took at most
	// durationBuckets[i] and more than durationBuckets[i-1]; the last
	// element counts the longer ones.
	buckets [len(durationBuckets) + 1]uint64
	sum     float64 // seconds
}

// New returns a Registry. unfinished, if set, reports whether a flow has an
// unfinished run; cursors, if not nil, are the declared cursors, the only
// ones whose values are exported.
func New(unfinished func(flow string) bool, cursors []string) *Registry {
	m := &Registry{flows: map[string]*Flow{}, cursors: map[string]string{}, unfinished: unfinished}
	if cursors != nil {
		m.declared = map[string]bool{}
		for _, c := range cursors {
			m.declared[c] = true
		}
	}
	return m
}

// Last describes a flow's last finished run.
type Last struct {
	Start, Finish time.Time
	Succeeded     bool
	// LastSuccess is the end of the flow's last successful run, if known.
	LastSuccess *time.Time
}

// flow returns the stats of a flow, creating them; m.mu must be held.
func (m *Registry) flow(name string) *Flow {
	fs := m.flows[name]
	if fs == nil {
		fs = &Flow{name: name, steps: map[string]*stepStats{}}
		m.flows[name] = fs
	}
	return fs
}

// maxSteps bounds the number of steps per flow that get their own series.
// A generated program names its steps after the spec (loop indices
// removed), so it stays far below; a program that makes step ids from data
// would otherwise flood Prometheus with series (and this process with
// memory). The steps beyond it are counted together as otherSteps.
const maxSteps = 256

// otherSteps is the step label of the steps beyond maxSteps; it cannot be a
// step id of a spec.
const otherSteps = "(other)"

// step returns the stats of the step with journal key scope+id, creating
// them; m.mu must be held. The step's name is the key without its loop
// indices ("pages[3]/" + "upserted" is "pages/upserted"); looking it up
// does not allocate.
func (fs *Flow) step(scope, id string) *stepStats {
	var s *stepStats
	var buf [128]byte
	var name []byte
	if scope == "" {
		s = fs.steps[id]
	} else {
		name = appendStepName(buf[:0], scope, id)
		s = fs.steps[string(name)] // m[string(bytes)] does not allocate
	}
	if s != nil {
		return s
	}
	label := otherSteps
	if len(fs.steps) < maxSteps {
		label = id
		if scope != "" {
			label = string(name)
		}
	} else if s = fs.steps[otherSteps]; s != nil {
		return s
	}
	s = &stepStats{}
	fs.steps[label] = s
	return s
}

// appendStepName appends scope+id to b without the loop indices of scope.
func appendStepName(b []byte, scope, id string) []byte {
	for i := 0; i < len(scope); i++ {
		if scope[i] == '[' {
			if j := strings.IndexByte(scope[i:], ']'); j > 0 {
				i += j
				continue
			}
		}
		b = append(b, scope[i])
	}
	return append(b, id...)
}

// AddFlows makes the flows known, so that their run counters are exported
// (as zeros) before their first run.
func (m *Registry) AddFlows(names []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range names {
		m.flow(n)
	}
}

// Restore sets the last-run gauges of a flow from its last run summary.
func (m *Registry) Restore(flow string, last Last) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.flow(flow).setLast(last)
}

func (fs *Flow) setLast(last Last) {
	fs.hasLast = true
	fs.lastStart, fs.lastFinish = last.Start, last.Finish
	fs.lastOK = last.Succeeded
	if last.LastSuccess != nil {
		fs.lastSuccess = *last.LastSuccess
	}
}

// RunStarted marks flow as running and returns its stats.
func (m *Registry) RunStarted(flow string) *Flow {
	m.mu.Lock()
	defer m.mu.Unlock()
	fs := m.flow(flow)
	fs.running = true
	return fs
}

// RunFinished counts a finished run and sets the last-run gauges.
func (m *Registry) RunFinished(fs *Flow, last Last) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fs.running = false
	if last.Succeeded {
		fs.succeeded++
	} else {
		fs.failed++
	}
	fs.setLast(last)
}

// StepExecuted counts a step that ran (ok: it completed; else it failed for
// good after attempts attempts).
func (m *Registry) StepExecuted(fs *Flow, scope, id string, attempts int, d time.Duration, ok bool) {
	m.mu.Lock()
	s := fs.step(scope, id)
	s.attempts += uint64(max(attempts, 0))
	s.retries += uint64(max(attempts-1, 0))
	if ok {
		s.executed++
		sec := d.Seconds()
		s.sum += sec
		i := 0
		for i < len(durationBuckets) && sec > durationBuckets[i] {
			i++
		}
		s.buckets[i]++
	} else {
		s.failures++
	}
	m.mu.Unlock()
}

// StepReplayed counts a step answered from the journal.
func (m *Registry) StepReplayed(fs *Flow, scope, id string) {
	m.mu.Lock()
	fs.step(scope, id).replayed++
	m.mu.Unlock()
}

// StepContinued counts a failure handled by on_error.
func (m *Registry) StepContinued(fs *Flow, scope, id string) {
	m.mu.Lock()
	fs.step(scope, id).continued++
	m.mu.Unlock()
}

// ItemsRead counts the items of a page read by a stream.
func (m *Registry) ItemsRead(fs *Flow, scope, id string, n int) {
	m.mu.Lock()
	s := fs.step(scope, id)
	s.source = true
	s.items += uint64(max(n, 0))
	m.mu.Unlock()
}

// SetCursors records committed cursor values (all of them after a load,
// some after a commit).
func (m *Registry) SetCursors(values map[string]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range values {
		if m.declared == nil || m.declared[k] {
			m.cursors[k] = v
		}
	}
}

// The metric families, in the order they are written.
const (
	mRunsTotal       = "resolute_runs_total"
	mRunInProgress   = "resolute_run_in_progress"
	mUnfinishedRun   = "resolute_unfinished_run"
	mLastStart       = "resolute_last_run_start_timestamp_seconds"
	mLastFinish      = "resolute_last_run_finish_timestamp_seconds"
	mLastDuration    = "resolute_last_run_duration_seconds"
	mLastSucceeded   = "resolute_last_run_succeeded"
	mLastSuccess     = "resolute_last_success_timestamp_seconds"
	mStepsCompleted  = "resolute_steps_completed_total"
	mStepAttempts    = "resolute_step_attempts_total"
	mStepRetries     = "resolute_step_retries_total"
	mStepFailures    = "resolute_step_failures_total"
	mStepsContinued  = "resolute_steps_failed_continued_total"
	mItemsRead       = "resolute_items_read_total"
	mRateAttempts    = "resolute_rate_limit_attempts_total"
	mRateDelayed     = "resolute_rate_limit_delayed_total"
	mRateWait        = "resolute_rate_limit_wait_seconds_total"
	mWebhooks        = "resolute_webhook_deliveries_total"
	mStepDuration    = "resolute_step_duration_seconds"
	mCursorValue     = "resolute_cursor_value"
	mCursorTimestamp = "resolute_cursor_timestamp_seconds"
)

// expo writes the text exposition format.
type expo struct {
	b bytes.Buffer
}

func (x *expo) family(name, typ, help string) {
	fmt.Fprintf(&x.b, "# HELP %s %s\n# TYPE %s %s\n", name, escapeHelp(help), name, typ)
}

// sample writes one line; labels are name, value pairs.
func (x *expo) sample(name string, v float64, labels ...string) {
	x.b.WriteString(name)
	if len(labels) > 0 {
		x.b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				x.b.WriteByte(',')
			}
			x.b.WriteString(labels[i])
			x.b.WriteString(`="`)
			x.b.WriteString(escapeLabel(labels[i+1]))
			x.b.WriteByte('"')
		}
		x.b.WriteByte('}')
	}
	x.b.WriteByte(' ')
	x.b.WriteString(formatValue(v))
	x.b.WriteByte('\n')
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }

// formatValue writes a sample value: integers without an exponent, other
// numbers in the shortest form that reads back exactly.
func formatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Exposition returns every metric in the text format, in a fixed order:
// families as listed above, then flows, steps and cursors sorted by name.
func (m *Registry) Exposition() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	var x expo
	flows := slices.Sorted(maps.Keys(m.flows))
	perFlow := func(name, typ, help string, value func(*Flow) (float64, bool)) {
		first := true
		for _, f := range flows {
			v, ok := value(m.flows[f])
			if !ok {
				continue
			}
			if first {
				x.family(name, typ, help)
				first = false
			}
			x.sample(name, v, "flow", f)
		}
	}

	x.family(mRunsTotal, "counter", "Runs finished by this process, by result (succeeded or failed).")
	for _, f := range flows {
		fs := m.flows[f]
		x.sample(mRunsTotal, float64(fs.failed), "flow", f, "result", "failed")
		x.sample(mRunsTotal, float64(fs.succeeded), "flow", f, "result", "succeeded")
	}
	perFlow(mRunInProgress, "gauge", "1 while a run of the flow is in progress in this process.",
		func(fs *Flow) (float64, bool) { return boolValue(fs.running), true })
	perFlow(mUnfinishedRun, "gauge", "1 when the flow has an unfinished (failed or interrupted) run that its next run resumes; 0 while a run of it is in progress.",
		func(fs *Flow) (float64, bool) {
			return boolValue(!fs.running && m.unfinished != nil && m.unfinished(fs.name)), true
		})
	perFlow(mLastStart, "gauge", "Start of the flow's last finished run, in seconds since the Unix epoch.",
		func(fs *Flow) (float64, bool) { return unixSeconds(fs.lastStart), fs.hasLast })
	perFlow(mLastFinish, "gauge", "End of the flow's last finished run, in seconds since the Unix epoch.",
		func(fs *Flow) (float64, bool) { return unixSeconds(fs.lastFinish), fs.hasLast })
	perFlow(mLastDuration, "gauge", "Duration of the flow's last finished run, in seconds.",
		func(fs *Flow) (float64, bool) { return fs.lastFinish.Sub(fs.lastStart).Seconds(), fs.hasLast })
	perFlow(mLastSucceeded, "gauge", "1 if the flow's last finished run succeeded, 0 if it failed.",
		func(fs *Flow) (float64, bool) { return boolValue(fs.lastOK), fs.hasLast })
	perFlow(mLastSuccess, "gauge", "End of the flow's last successful run, in seconds since the Unix epoch.",
		func(fs *Flow) (float64, bool) { return unixSeconds(fs.lastSuccess), !fs.lastSuccess.IsZero() })

	type stepRef struct {
		flow, step string
		s          *stepStats
	}
	var steps []stepRef
	for _, f := range flows {
		fs := m.flows[f]
		for _, name := range slices.Sorted(maps.Keys(fs.steps)) {
			steps = append(steps, stepRef{f, name, fs.steps[name]})
		}
	}
	perStep := func(name, typ, help string, value func(*stepStats) uint64) {
		if len(steps) == 0 {
			return
		}
		x.family(name, typ, help)
		for _, st := range steps {
			x.sample(name, float64(value(st.s)), "flow", st.flow, "step", st.step)
		}
	}
	if len(steps) > 0 {
		x.family(mStepsCompleted, "counter", "Steps completed, by source: executed (the step ran) or replayed (its journaled output was used on resume).")
		for _, st := range steps {
			x.sample(mStepsCompleted, float64(st.s.executed), "flow", st.flow, "step", st.step, "source", "executed")
			x.sample(mStepsCompleted, float64(st.s.replayed), "flow", st.flow, "step", st.step, "source", "replayed")
		}
	}
	perStep(mStepAttempts, "counter", "Attempts made to run steps, retries included.", func(s *stepStats) uint64 { return s.attempts })
	perStep(mStepRetries, "counter", "Attempts after a failed attempt of the same step.", func(s *stepStats) uint64 { return s.retries })
	perStep(mStepFailures, "counter", "Steps that failed for good, after their retries.", func(s *stepStats) uint64 { return s.failures })
	perStep(mStepsContinued, "counter", "Step failures handled by on_error, the run going on.", func(s *stepStats) uint64 { return s.continued })
	first := true
	for _, st := range steps {
		if !st.s.source {
			continue
		}
		if first {
			x.family(mItemsRead, "counter", "Items read by stream steps from their paged sources.")
			first = false
		}
		x.sample(mItemsRead, float64(st.s.items), "flow", st.flow, "step", st.step)
	}
	if len(steps) > 0 {
		x.family(mStepDuration, "histogram", "Duration of steps that completed by running, retries and their delays included, in seconds.")
		for _, st := range steps {
			var cum uint64
			for i, le := range durationBuckets {
				cum += st.s.buckets[i]
				x.sample(mStepDuration+"_bucket", float64(cum), "flow", st.flow, "step", st.step, "le", formatValue(le))
			}
			cum += st.s.buckets[len(durationBuckets)]
			x.sample(mStepDuration+"_bucket", float64(cum), "flow", st.flow, "step", st.step, "le", "+Inf")
			x.sample(mStepDuration+"_sum", st.s.sum, "flow", st.flow, "step", st.step)
			x.sample(mStepDuration+"_count", float64(cum), "flow", st.flow, "step", st.step)
		}
	}

	if len(m.rate) > 0 {
		limits := slices.Sorted(maps.Keys(m.rate))
		x.family(mRateAttempts, "counter", "Attempts that waited for a token of a client-side rate limit (retries and page fetches included).")
		for _, l := range limits {
			x.sample(mRateAttempts, float64(m.rate[l].attempts), "limit", l)
		}
		x.family(mRateDelayed, "counter", "Attempts that had to wait for a token of a client-side rate limit.")
		for _, l := range limits {
			x.sample(mRateDelayed, float64(m.rate[l].waited), "limit", l)
		}
		x.family(mRateWait, "counter", "Time attempts spent waiting for a client-side rate limit, in seconds.")
		for _, l := range limits {
			x.sample(mRateWait, m.rate[l].seconds, "limit", l)
		}
	}
	if len(m.webhooks) > 0 {
		keys := slices.SortedFunc(maps.Keys(m.webhooks), func(a, b [2]string) int {
			return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1])
		})
		x.family(mWebhooks, "counter", "Webhook deliveries received, by flow (empty for /webhook) and result.")
		for _, k := range keys {
			x.sample(mWebhooks, float64(m.webhooks[k]), "flow", k[0], "result", k[1])
		}
	}

	var nums, times []string
	numVal, timeVal := map[string]float64{}, map[string]float64{}
	for _, c := range slices.Sorted(maps.Keys(m.cursors)) {
		if v, ok := cursorNumber(m.cursors[c]); ok {
			nums = append(nums, c)
			numVal[c] = v
		} else if t, err := time.Parse(time.RFC3339Nano, m.cursors[c]); err == nil {
			times = append(times, c)
			timeVal[c] = unixSeconds(t)
		}
	}
	if len(nums) > 0 {
		x.family(mCursorValue, "gauge", "Committed value of each cursor whose value is a number.")
		for _, c := range nums {
			x.sample(mCursorValue, numVal[c], "cursor", c)
		}
	}
	if len(times) > 0 {
		x.family(mCursorTimestamp, "gauge", "Committed value of each cursor whose value is an RFC 3339 time, in seconds since the Unix epoch.")
		for _, c := range times {
			x.sample(mCursorTimestamp, timeVal[c], "cursor", c)
		}
	}
	return x.b.Bytes()
}

// RateWaited counts an attempt that waited d for the rate limit name.
func (m *Registry) RateWaited(name string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rate == nil {
		m.rate = map[string]*rateStats{}
	}
	rs := m.rate[name]
	if rs == nil {
		rs = &rateStats{}
		m.rate[name] = rs
	}
	rs.attempts++
	if d > 0 {
		rs.waited++
		rs.seconds += d.Seconds()
	}
}

// Webhook counts a webhook delivery.
func (m *Registry) Webhook(flow, result string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.webhooks == nil {
		m.webhooks = map[[2]string]uint64{}
	}
	m.webhooks[[2]string{flow, result}]++
}

// cursorNumber parses a cursor value as a finite number.
func cursorNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// Serve serves GET /metrics on ln until the returned function is
// called.
func Serve(ln net.Listener, m *Registry) (stop func()) {
	mux := http.NewServeMux()
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body := m.Exposition()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		if r.Method == http.MethodGet {
			w.Write(body)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { srv.Close() }
}
