package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/internal/atomicfile"
	"github.com/resolute/resolute-gen/runtime/internal/journal"
	"github.com/resolute/resolute-gen/runtime/internal/metrics"
	"github.com/resolute/resolute-gen/runtime/internal/redact"
	"github.com/resolute/resolute-gen/runtime/internal/status"
)

// engine runs flows against one state directory. One engine serves a whole
// process; runs happen one at a time.
type engine struct {
	prog   Program
	name   string // the program's name, for messages
	dir    string // state directory
	env    map[string]string
	getenv func(string) string
	red    *redact.Redactor
	log    *slog.Logger
	store  cursorstore.Store
	mode   journal.Durability

	// external is set when the cursors live outside the state directory
	// (Program.CursorStore).
	external bool
	metrics  *metrics.Registry
	// metricsFile, if set, receives every metric after every run.
	metricsFile string
	// noted are the cursors already logged about as new in the store.
	noted map[string]bool
	// limiters are the token buckets of Program.RateLimits, shared by all
	// the steps (and runs) of the process.
	limiters limiters
	// replay, if set, runs nothing: every step must be answered from the
	// journal (ReplayFlow).
	replay *replayCheck

	// Swappable for tests.
	sleep  func(context.Context, time.Duration) error
	jitter func(time.Duration) time.Duration
	now    func() time.Time
}

// newEngine returns an engine for the program called name, on state
// directory dir, with the resolved environment env. newLog makes the logger,
// given the redactor of the program's secrets.
func newEngine(prog Program, name, dir string, env map[string]string, getenv func(string) string, newLog func(*redact.Redactor) *slog.Logger) *engine {
	red := redact.New(prog.secrets(env))
	e := &engine{
		prog:   prog,
		name:   name,
		dir:    dir,
		env:    env,
		getenv: getenv,
		red:    red,
		log:    newLog(red),
		mode:   journal.Fsync,
		sleep:  sleepCtx,
		jitter: randomJitter,
		now:    time.Now,

		limiters: newLimiters(prog.RateLimits),
	}
	e.store = &cursorstore.File{Path: filepath.Join(dir, "cursors.json"), Prog: name, Declared: prog.storeCursors(), Log: e.log}
	e.metrics = metrics.New(func(flow string) bool {
		_, err := os.Stat(e.journalPath(flow))
		return err == nil
	}, prog.cursorNames())
	e.metrics.AddFlows(prog.flowNames())
	return e
}

// commitTimeout bounds the commit of a run's cursors, which is not
// cancelled by a signal (the run's work is done; only the commit is left).
const commitTimeout = time.Minute

func (e *engine) journalPath(flow string) string {
	return filepath.Join(e.dir, "journal", flow+".jsonl")
}

// runFlow runs (or resumes) one run of flow. The error is an *exitError for
// configuration and state problems, any other error for a failed run.
func (e *engine) runFlow(ctx context.Context, flow Flow, fresh bool) (*status.Summary, error) {
	jpath := e.journalPath(flow.Name)
	if fresh {
		e.removePageCaches(flow.Name)
		if err := os.Remove(jpath); err == nil {
			e.log.Info("discarded the unfinished run", "flow", flow.Name, "journal", jpath)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, configError("discard unfinished run: %v", err)
		}
	}
	committed, err := e.loadCursors(ctx)
	if err != nil {
		return nil, err
	}
	e.metrics.SetCursors(committed)
	if e.external && len(committed) == 0 && len(e.prog.Cursors) > 0 {
		e.log.Warn("no cursor is committed in the cursor store yet: the run starts from the initial values. If this program committed cursors before, check --cursor-store and --cursor-namespace",
			"flow", flow.Name, "store", e.storeString())
	}
	recs, valid, err := journal.Read(jpath)
	if err != nil {
		return nil, e.corruptJournal(flow.Name, err)
	}

	var hdr record
	var j *journal.Writer
	resumed := len(recs) > 0
	if resumed {
		hdr = recs[0]
		if hdr.SpecHash != e.prog.hash(flow) {
			return nil, configError("flow %q has an unfinished run (%s, started %s) that began under a different definition of the flow: %s. Its journal cannot be trusted for the new steps. "+
				"Run the previous program to finish it, or rerun with --fresh to discard it: %s run --once %s --fresh",
				flow.Name, hdr.RunID, hdr.Time, whatChanged(hdr, flow, e.prog.hash(flow)), e.name, flow.Name)
		}
		if hdr.Flow != flow.Name {
			return nil, e.corruptJournal(flow.Name, fmt.Errorf("%w %s: header names flow %q", journal.ErrCorrupt, jpath, hdr.Flow))
		}
		if j, err = journal.Resume(jpath, valid, e.mode, e.red); err != nil {
			return nil, configError("resume journal: %v", err)
		}
	} else {
		e.removePageCaches(flow.Name) // left by a run whose journal is gone
		snapshot := map[string]string{}
		for _, c := range e.prog.Cursors {
			snapshot[c.Name] = c.Initial
		}
		maps.Copy(snapshot, committed)
		hdr = record{Type: recHeader, Version: journal.Version, Flow: flow.Name, RunID: newRunID(e.now()),
			SpecHash: e.prog.hash(flow), Steps: flow.StepHashes, Time: e.now().UTC().Format(time.RFC3339Nano), Cursors: snapshot}
		if j, err = journal.Create(jpath, hdr, e.mode, e.red); err != nil {
			return nil, configError("create journal: %v", err)
		}
	}

	st := e.newRunState(flow, hdr, j, recs)
	st.fm = e.metrics.RunStarted(flow.Name)
	sum := &status.Summary{Flow: flow.Name, RunID: hdr.RunID, Resumed: resumed, Started: e.now()}
	st.log.Info("run started", "resumed", resumed, "journaled_steps", journalSteps(recs), "journaled_pages", pageRecords(recs))

	runErr := catchPanic("flow "+flow.Name, func() error { return flow.Run(ctx, &Run{st: st}) })
	st.mu.Lock()
	if runErr == nil {
		runErr = st.fatal
	}
	sum.Steps, sum.Replayed, sum.Failures, sum.Pages = st.steps, st.replayed, st.failures, st.pages
	staged := maps.Clone(st.staged)
	st.mu.Unlock()
	if err := j.Close(); err != nil && runErr == nil {
		runErr = err
	}

	if runErr == nil {
		// Commit first, then drop the journal: a crash in between replays
		// the run from the journal and commits the same values again.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		runErr = e.commitCursors(cctx, staged, st.commitCheck(staged))
		cancel()
		if runErr == nil {
			e.metrics.SetCursors(staged)
			sum.Cursors = staged
			e.removePageCaches(flow.Name)
			if err := os.Remove(jpath); err != nil {
				st.log.Warn("could not remove the finished run's journal", "journal", jpath, "error", err)
			}
			atomicfile.SyncDir(filepath.Dir(jpath))
		}
	}
	sum.Finished = e.now()
	attrs := []any{"duration", sum.Finished.Sub(sum.Started).Round(time.Millisecond), "steps", sum.Steps, "replayed", sum.Replayed}
	if sum.Pages > 0 {
		attrs = append(attrs, "pages", sum.Pages)
	}
	if len(sum.Failures) > 0 {
		attrs = append(attrs, "failed_steps_continued", len(sum.Failures))
	}
	if runErr != nil {
		sum.Result, sum.Error = status.Failed, e.red.Error(runErr)
		st.log.Error("run finished", append([]any{"result", status.Failed, "error", runErr}, attrs...)...)
		if prev, err := e.readSummary(flow.Name); err == nil {
			sum.LastSuccess = prev.LastSuccessTime()
		}
	} else {
		sum.Result = status.Succeeded
		sum.LastSuccess = &sum.Finished
		st.log.Info("run finished", append(append([]any{"result", status.Succeeded}, attrs...), cursorGroup(staged))...)
	}
	if err := e.writeSummary(sum); err != nil {
		st.log.Warn("could not write the run summary", "error", err)
	}
	e.metrics.RunFinished(st.fm, metricsLast(sum))
	if err := e.writeMetricsFile(); err != nil {
		st.log.Warn("could not write the metrics file", "error", err)
	}
	return sum, runErr
}

// commitCheck returns the compare-and-set check of the run's commit: every
// cursor the run commits must still have the value it had when the run
// began (a cursor never committed has its initial value), or already the
// value the run commits (a crash after an earlier commit of this run).
// Otherwise another process sharing the cursor store, or a `cursor set`,
// changed it, and committing would silently undo that change.
func (st *runState) commitCheck(staged map[string]string) func(map[string]string) error {
	e := st.eng
	return func(committed map[string]string) error {
		for _, name := range sortedKeys(staged) {
			now, ok := committed[name]
			if !ok {
				c, _ := e.prog.cursor(name)
				now = c.Initial
			}
			if now == st.snapshot[name] || now == staged[name] {
				continue
			}
			where := "the state directory"
			if e.external {
				where = "the cursor store (" + e.storeString() + ")"
			}
			return configError("cursor %s changed while this run was in progress: it was %q when the run began and is %q now, and this run would set it to %q. "+
				"Another process using %s committed it, or it was set with `%s cursor set`. Nothing was committed. "+
				"The data this run wrote stays written; to start over from the current value, discard this run: %s run --once %s --fresh",
				name, st.snapshot[name], now, staged[name], where, e.name, e.name, st.flow)
		}
		return nil
	}
}

func (e *engine) newRunState(flow Flow, hdr record, j *journal.Writer, recs []record) *runState {
	st := &runState{
		eng: e, flow: flow.Name, id: hdr.RunID, j: j, resumed: len(recs) > 0,
		log:      e.log.With("flow", flow.Name, "run", hdr.RunID),
		done:     map[string]record{},
		snapshot: map[string]string{},
		claimed:  map[string]bool{}, nows: map[string]int{},
		staged: map[string]string{}, reset: map[string]bool{}, pinned: map[string]bool{},
	}
	for _, c := range e.prog.Cursors {
		st.snapshot[c.Name] = c.Initial
	}
	maps.Copy(st.snapshot, hdr.Cursors)
	for _, rec := range recs[min(1, len(recs)):] {
		st.done[rec.Key] = rec
		if rec.Type == recPage {
			st.failures = append(st.failures, rec.Failures...)
		}
	}
	return st
}

func (e *engine) corruptJournal(flow string, err error) error {
	return configError("%v. The journal of the unfinished run of flow %q is damaged; to discard that run and start over, run: %s run --once %s --fresh",
		err, flow, e.name, flow)
}

// cursorGroup is a log attribute listing cursor values, sorted by name.
func cursorGroup(values map[string]string) slog.Attr {
	var attrs []any
	for _, k := range slices.Sorted(maps.Keys(values)) {
		attrs = append(attrs, slog.String(k, values[k]))
	}
	return slog.Group("cursors", attrs...)
}

// newRunID returns a sortable, unique run id such as 20250101T100000Z-1a2b3c.
func newRunID(now time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// whatChanged says how flow differs from the one the journal's header was
// written under: the first top-level step whose definition differs, when
// both recorded step hashes.
func whatChanged(hdr record, flow Flow, hash string) string {
	old, now := hdr.Steps, flow.StepHashes
	if len(old) == 0 || len(now) == 0 {
		return fmt.Sprintf("its steps or the declarations they use changed (hash %s, now %s)", hdr.SpecHash, hash)
	}
	label := func(s string) string { return s[:max(0, strings.LastIndexByte(s, '='))] }
	for i := range max(len(old), len(now)) {
		switch {
		case i >= len(now):
			return fmt.Sprintf("step %q (step %d) was removed", label(old[i]), i+1)
		case i >= len(old):
			return fmt.Sprintf("step %q (step %d) was added", label(now[i]), i+1)
		case label(old[i]) != label(now[i]):
			return fmt.Sprintf("step %d was %q and is now %q", i+1, label(old[i]), label(now[i]))
		case old[i] != now[i]:
			return fmt.Sprintf("the definition of step %q (step %d) changed", label(now[i]), i+1)
		}
	}
	return "the env vars, cursors or cursor store it uses changed"
}

// journalSteps counts the completed steps in journal records.
func journalSteps(recs []record) int {
	n := 0
	for _, r := range recs {
		if r.Type == recCall || r.Type == recError {
			n++
		}
	}
	return n
}

// quoteList formats names for messages: "a", "b".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
