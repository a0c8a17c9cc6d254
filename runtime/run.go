package runtime

import (
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/journal"
	"github.com/resolute/resolute-gen/runtime/internal/metrics"
)

// Run is the state of one run of a flow, handed to the flow's function. A
// Run value is a scope: [Run.Iteration], [Parallel] and [ForEach] give
// loop iterations and branches their own scope, so that every [Call] in a
// run has its own journal key. All methods are safe for concurrent use.
type Run struct {
	st    *runState
	scope string     // "" at the top, else ends in "/", e.g. "pages[2]/"
	page  *pageState // set inside the body of a [Stream]: the page's own state
}

// runState is shared by every scope of one run.
type runState struct {
	eng      *engine
	fm       *metrics.Flow // metrics of the flow
	flow     string
	id       string
	log      *slog.Logger
	j        *journal.Writer
	done     map[string]record // journaled records by key; read-only during the run
	snapshot map[string]string // cursor values when the run began, initial values included
	resumed  bool              // an earlier process worked on the run

	mu       sync.Mutex
	claimed  map[string]bool // Call keys used by this execution
	nows     map[string]int  // Now readings per scope
	staged   map[string]string
	reset    map[string]bool
	pinned   map[string]bool
	failures []stepFailure
	steps    int   // calls executed
	replayed int   // calls answered from the journal
	pages    int   // stream pages done by this process
	fatal    error // a journal write that failed outside Call (Now)
}

// ID returns the run id, stable across resumes of the same run.
func (r *Run) ID() string { return r.st.id }

// Flow returns the name of the running flow.
func (r *Run) Flow() string { return r.st.flow }

// Logger returns the run's logger (flow and run id attached, secrets redacted).
func (r *Run) Logger() *slog.Logger { return r.st.log }

// Env returns the value of a declared environment variable, or its default.
// Required variables were checked when the program started.
func (r *Run) Env(name string) string {
	if v, ok := r.st.eng.env[name]; ok {
		return v
	}
	r.st.log.Warn("environment variable not declared in the program", "name", name)
	return r.st.eng.getenv(name)
}

// Cursor returns the cursor's committed value when the run began (its
// initial value if it was never committed), or its initial value after
// [Run.ResetCursor] in this run. [Run.Advance] does not change it: the whole
// run sees one consistent value.
func (r *Run) Cursor(name string) string {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.reset[name] {
		c, _ := st.eng.prog.cursor(name)
		return c.Initial
	}
	v, ok := st.snapshot[name]
	if !ok {
		st.log.Warn("unknown cursor", "cursor", name)
	}
	return v
}

// Advance stages value, in the cursor's text form, for the cursor; it is
// committed only if the run succeeds. Generated programs call the typed
// forms, [Run.AdvanceInt] and [Run.AdvanceTime], for integer and time values,
// and Advance for text.
//
// An empty value is ignored, as is the zero time in the cursor's layout and
// any value for a cursor pinned by [Run.Rollback]. Cursors only move
// forward, in the order of the cursor's kind ([CursorSpec].Kind): for an
// integer cursor, a value that parses as a smaller integer than the current
// one (staged, else committed) is ignored with a warning, and so is, for a
// time cursor, a time in the cursor's layout before the current one. Text
// has no order: any value of a text cursor is accepted.
func (r *Run) Advance(name, value string) {
	r.advance(name, func(spec CursorSpec) (CursorValue, string) { return spec.TextValue(value) })
}

// AdvanceInt stages v for the cursor, as [Run.Advance] does, comparing it
// as an integer with the current value: a smaller v is ignored with a
// warning.
func (r *Run) AdvanceInt(name string, v int64) {
	r.advance(name, func(spec CursorSpec) (CursorValue, string) { return spec.IntValue(v), "" })
}

// AdvanceTime stages v for the cursor, as [Run.Advance] does, written in UTC
// in the cursor's layout ([CursorSpec].Format, else RFC 3339) and compared
// as a time with the current value: an earlier v is ignored with a warning,
// and so is the zero time (what a fetch that found nothing reports).
func (r *Run) AdvanceTime(name string, v time.Time) {
	r.advance(name, func(spec CursorSpec) (CursorValue, string) { return spec.TimeValue(v) })
}

// advance stages the value value makes of the cursor's spec, unless value
// says why it is ignored, the cursor is unknown or pinned, or the value is
// behind the current one. Inside a stream page the value is staged with the
// page's record.
func (r *Run) advance(name string, value func(CursorSpec) (v CursorValue, ignored string)) {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	spec, ok := st.eng.prog.cursor(name)
	if !ok {
		st.log.Warn("advance of an unknown cursor ignored", "cursor", name)
		return
	}
	v, ignored := value(spec)
	if ignored != "" {
		st.log.Info(ignored, "cursor", name)
		return
	}
	if st.pinned[name] {
		st.log.Info("advance ignored: the cursor was rolled back in this run", "cursor", name, "value", v.Text())
		return
	}
	old, ok := st.staged[name]
	if !ok {
		old = st.snapshot[name]
	}
	if r.page != nil {
		// Inside a stream page: staged with the page's record.
		r.page.mu.Lock()
		defer r.page.mu.Unlock()
		if s, ok := r.page.staged[name]; ok {
			old = s
		}
	}
	if v.Before(old) {
		st.log.Warn("advance ignored: cursors only move forward", "cursor", name, "from", old, "to", v.Text())
		return
	}
	if r.page != nil {
		r.page.staged[name] = v.Text()
		return
	}
	st.staged[name] = v.Text()
}

// Rollback discards the values staged for the named cursors and pins them:
// later Advance and ResetCursor calls for them in this run are ignored, so
// the next run starts again from the committed values.
func (r *Run) Rollback(names ...string) {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, name := range names {
		delete(st.staged, name)
		st.pinned[name] = true
		st.log.Info("cursor rolled back", "cursor", name)
	}
}

// ResetCursor stages the cursor's initial value (committed if the run
// succeeds); [Run.Cursor] returns the initial value for the rest of the run.
// A cursor pinned by [Run.Rollback] is left alone.
func (r *Run) ResetCursor(name string) {
	st := r.st
	st.mu.Lock()
	defer st.mu.Unlock()
	c, ok := st.eng.prog.cursor(name)
	switch {
	case !ok:
		st.log.Warn("reset of an unknown cursor ignored", "cursor", name)
	case st.pinned[name]:
		st.log.Info("reset ignored: the cursor was rolled back in this run", "cursor", name)
	default:
		st.staged[name] = c.Initial
		st.reset[name] = true
		st.log.Info("cursor reset staged", "cursor", name, "initial", c.Initial)
	}
}

// Now returns the current time in UTC. The reading is journaled under the
// scope and a per-scope counter ("now#1", "now#2", ...), so a resumed run
// gets the same instant back and takes the same path.
//
// Inside a stream page the reading is not journaled: a page that has its
// record never runs again, and one that runs again after a crash starts
// over, clock included.
func (r *Run) Now() time.Time {
	st := r.st
	if r.page != nil {
		return st.eng.now().UTC().Round(0)
	}
	st.mu.Lock()
	st.nows[r.scope]++
	key := r.scope + "now#" + strconv.Itoa(st.nows[r.scope])
	st.mu.Unlock()
	if rec, ok := st.done[key]; ok && rec.Type == recNow {
		if t, err := time.Parse(time.RFC3339Nano, rec.Time); err == nil {
			return t
		}
	}
	t := st.eng.now().UTC().Round(0)
	if err := st.j.Append(&record{Type: recNow, Key: key, Time: t.Format(time.RFC3339Nano)}, false); err != nil {
		st.setFatal(err)
	}
	return t
}

// Iteration returns the scope of iteration i of a while loop: keys of calls
// inside it are "<scope><loop>[i]/<id>".
func (r *Run) Iteration(loop string, i int) *Run {
	return r.child(loop, i)
}

func (r *Run) child(name string, i int) *Run {
	return &Run{st: r.st, scope: r.scope + name + "[" + strconv.Itoa(i) + "]/", page: r.page}
}

// Failed records a step failure that an on_error handler dealt with: the
// run goes on, and the failure is logged and listed in the run summary.
func (r *Run) Failed(step string, err error) {
	st := r.st
	key := r.scope + step
	msg := st.eng.red.Error(err)
	st.log.Warn("step failed; continuing", "step", key, "error", msg)
	st.mu.Lock()
	st.failures = append(st.failures, stepFailure{Step: key, Error: msg})
	st.mu.Unlock()
	if r.page != nil {
		r.page.mu.Lock()
		r.page.failures = append(r.page.failures, stepFailure{Step: key, Error: msg})
		r.page.mu.Unlock()
	}
	st.eng.metrics.StepContinued(st.fm, r.scope, step)
}

// claim marks key as used by this execution; a second use is a bug in the
// program (it would silently replay the first result).
func (st *runState) claim(key string) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.claimed[key] {
		return Permanent(fmt.Errorf("step key %q is used twice in one run; steps in loops and branches need their own scope (Run.Iteration, Parallel, ForEach)", key))
	}
	st.claimed[key] = true
	return st.fatal
}

func (st *runState) setFatal(err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.fatal == nil {
		st.fatal = err
	}
}

func (st *runState) count(replayed bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if replayed {
		st.replayed++
	} else {
		st.steps++
	}
}
