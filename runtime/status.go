package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/journal"
)

// status prints the state of every flow and cursor. It takes no lock (it
// only reads) and works while a run is in progress. It returns 2 if some
// state needs repair, after printing everything it could read.
func status(ctx context.Context, e *engine, stdout io.Writer) int {
	code := 0
	var b strings.Builder
	fmt.Fprintf(&b, "State dir: %s\n", e.dir)
	if e.prog.SpecHash != "" {
		fmt.Fprintf(&b, "Spec: %s\n", e.prog.SpecHash)
	}
	fmt.Fprintf(&b, "\nFlows:\n")
	for _, f := range e.prog.Flows {
		sched := "manual (run --once)"
		if f.Schedule != "" {
			sched = "schedule " + f.Schedule
		}
		fmt.Fprintf(&b, "  %s  %s\n", f.Name, sched)
		if f.Description != "" {
			fmt.Fprintf(&b, "    %s\n", f.Description)
		}
		writeLastRun(&b, e, f.Name)
		recs, _, err := journal.Read(e.journalPath(f.Name))
		switch {
		case err != nil:
			code = 2
			fmt.Fprintf(&b, "    unfinished run: %s\n", e.corruptJournal(f.Name, err))
		case len(recs) > 0:
			h := recs[0]
			fmt.Fprintf(&b, "    unfinished run: %s started %s, completed steps: %d", h.RunID, shortTime(h.Time), journalSteps(recs))
			if n := pageRecords(recs); n > 0 {
				fmt.Fprintf(&b, ", stream pages: %d", n)
			}
			if h.SpecHash != e.prog.hash(f) {
				fmt.Fprintf(&b, "; began under another spec, discard it with `%s run --once %s --fresh`\n", e.name, f.Name)
			} else {
				fmt.Fprintf(&b, "; the next run resumes it (--fresh discards it)\n")
			}
		}
	}

	if e.external {
		fmt.Fprintf(&b, "\nCursors (%s):\n", e.storeString())
	} else {
		fmt.Fprintf(&b, "\nCursors:\n")
	}
	committed, err := e.loadCursors(ctx)
	if err != nil {
		code = 2
		fmt.Fprintf(&b, "  %v\n", err)
	}
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range e.prog.Cursors {
		if v, ok := committed[c.Name]; ok {
			fmt.Fprintf(w, "  %s\t%s\n", c.Name, v)
		} else if err == nil {
			fmt.Fprintf(w, "  %s\t%s\t(initial, never committed)\n", c.Name, c.Initial)
		}
	}
	w.Flush()
	fmt.Fprint(stdout, e.red.String(b.String()))
	return code
}

func writeLastRun(b *strings.Builder, e *engine, flow string) {
	data, err := os.ReadFile(e.summaryPath(flow))
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(b, "    last run: none\n")
		return
	}
	var s runSummary
	if err == nil {
		err = json.Unmarshal(data, &s)
	}
	if err != nil {
		fmt.Fprintf(b, "    last run: unreadable summary %s: %v\n", e.summaryPath(flow), err)
		return
	}
	fmt.Fprintf(b, "    last run: %s at %s (run %s, took %s; steps run: %d, replayed from the journal: %d)\n",
		s.Result, s.Finished.UTC().Format(time.RFC3339), s.RunID, s.Finished.Sub(s.Started).Round(time.Millisecond), s.Steps, s.Replayed)
	if s.Error != "" {
		fmt.Fprintf(b, "      error: %s\n", s.Error)
	}
	if s.Result != resultSucceeded {
		if t := s.lastSuccess(); t != nil {
			fmt.Fprintf(b, "      last success: %s\n", t.UTC().Format(time.RFC3339))
		}
	}
	for _, f := range s.Failures {
		fmt.Fprintf(b, "      failed but continued: %s: %s\n", f.Step, f.Error)
	}
	for _, k := range sortedKeys(s.Cursors) {
		fmt.Fprintf(b, "      committed cursor %s = %s\n", k, s.Cursors[k])
	}
}

// shortTime drops the fraction of an RFC 3339 time.
func shortTime(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format(time.RFC3339)
	}
	return s
}
