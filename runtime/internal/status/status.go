// Package status writes what the status command shows of a program's state
// (flows, their last and unfinished runs, cursors), as text or JSON, and
// owns the format of the last-run summaries it reads them from.
package status

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the state of a program, as gathered by the engine. It holds
// secrets as they are: the caller redacts what Text and JSON return.
type Report struct {
	Program  string // the program's name, for repair commands
	StateDir string
	Spec     string // the program's spec hash
	Store    string // the cursor store, described
	External bool   // the cursors live outside the state directory
	Flows    []Flow
	// Cursors are the declared cursors with their committed or initial
	// values; only the committed ones if CursorsErr is set.
	Cursors    []Cursor
	CursorsErr error // the cursor store could not be read
}

// Flow is the state of one flow.
type Flow struct {
	Name, Description, Schedule string
	LastRun                     *Summary // nil: none, or unreadable
	SummaryPath                 string
	SummaryErr                  error // the summary exists but cannot be read
	Unfinished                  *Unfinished
	JournalErr                  error // the unfinished run's journal is damaged
}

// Unfinished is a flow's unfinished run.
type Unfinished struct {
	RunID   string `json:"run_id"`
	Started string `json:"started"` // RFC 3339
	// CompletedSteps and Pages count the journaled steps and stream pages.
	CompletedSteps int `json:"completed_steps"`
	Pages          int `json:"-"`
	// Resumable is false when the run began under another definition of
	// the flow: the next run refuses it until it is discarded with --fresh.
	Resumable bool `json:"resumable"`
}

// Cursor is a cursor's value.
type Cursor struct {
	Name      string `json:"name"`
	Value     string `json:"value"`
	Committed bool   `json:"committed"`
}

// Text is the status command's output. broken is set when some state needs
// repair: a damaged journal or a cursor store that cannot be read.
func (r *Report) Text() (text string, broken bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "State dir: %s\n", r.StateDir)
	if r.Spec != "" {
		fmt.Fprintf(&b, "Spec: %s\n", r.Spec)
	}
	fmt.Fprintf(&b, "\nFlows:\n")
	for _, f := range r.Flows {
		sched := "manual (run --once)"
		if f.Schedule != "" {
			sched = "schedule " + f.Schedule
		}
		fmt.Fprintf(&b, "  %s  %s\n", f.Name, sched)
		if f.Description != "" {
			fmt.Fprintf(&b, "    %s\n", f.Description)
		}
		writeLastRun(&b, f)
		switch u := f.Unfinished; {
		case f.JournalErr != nil:
			broken = true
			fmt.Fprintf(&b, "    unfinished run: %s\n", f.JournalErr)
		case u != nil:
			fmt.Fprintf(&b, "    unfinished run: %s started %s, completed steps: %d", u.RunID, shortTime(u.Started), u.CompletedSteps)
			if u.Pages > 0 {
				fmt.Fprintf(&b, ", stream pages: %d", u.Pages)
			}
			if !u.Resumable {
				fmt.Fprintf(&b, "; began under another spec, discard it with `%s run --once %s --fresh`\n", r.Program, f.Name)
			} else {
				fmt.Fprintf(&b, "; the next run resumes it (--fresh discards it)\n")
			}
		}
	}

	if r.External {
		fmt.Fprintf(&b, "\nCursors (%s):\n", r.Store)
	} else {
		fmt.Fprintf(&b, "\nCursors:\n")
	}
	if r.CursorsErr != nil {
		broken = true
		fmt.Fprintf(&b, "  %v\n", r.CursorsErr)
	}
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, c := range r.Cursors {
		if c.Committed {
			fmt.Fprintf(w, "  %s\t%s\n", c.Name, c.Value)
		} else {
			fmt.Fprintf(w, "  %s\t%s\t(initial, never committed)\n", c.Name, c.Value)
		}
	}
	w.Flush()
	return b.String(), broken
}

func writeLastRun(b *strings.Builder, f Flow) {
	if f.SummaryErr != nil {
		fmt.Fprintf(b, "    last run: unreadable summary %s: %v\n", f.SummaryPath, f.SummaryErr)
		return
	}
	s := f.LastRun
	if s == nil {
		fmt.Fprintf(b, "    last run: none\n")
		return
	}
	fmt.Fprintf(b, "    last run: %s at %s (run %s, took %s; steps run: %d, replayed from the journal: %d)\n",
		s.Result, s.Finished.UTC().Format(time.RFC3339), s.RunID, s.Finished.Sub(s.Started).Round(time.Millisecond), s.Steps, s.Replayed)
	if s.Error != "" {
		fmt.Fprintf(b, "      error: %s\n", s.Error)
	}
	if s.Result != Succeeded {
		if t := s.LastSuccessTime(); t != nil {
			fmt.Fprintf(b, "      last success: %s\n", t.UTC().Format(time.RFC3339))
		}
	}
	for _, f := range s.Failures {
		fmt.Fprintf(b, "      failed but continued: %s: %s\n", f.Step, f.Error)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Cursors)) {
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

// jsonReport is the JSON form of status.
type jsonReport struct {
	StateDir string     `json:"state_dir"`
	Spec     string     `json:"spec,omitempty"`
	Store    string     `json:"cursor_store"`
	Flows    []jsonFlow `json:"flows"`
	Cursors  []Cursor   `json:"cursors"`
	Errors   []string   `json:"errors,omitempty"`
}

type jsonFlow struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitempty"`
	Schedule    string      `json:"schedule,omitempty"`
	LastRun     *Summary    `json:"last_run,omitempty"`
	Unfinished  *Unfinished `json:"unfinished,omitempty"`
}

// JSON is the output of status --json: one JSON object. broken is set when
// some state needs repair (listed in its "errors").
func (r *Report) JSON() (data []byte, broken bool) {
	j := jsonReport{StateDir: r.StateDir, Spec: r.Spec, Store: r.Store, Flows: []jsonFlow{}, Cursors: []Cursor{}}
	for _, f := range r.Flows {
		jf := jsonFlow{Name: f.Name, Description: f.Description, Schedule: f.Schedule, LastRun: f.LastRun}
		if f.SummaryErr != nil {
			j.Errors = append(j.Errors, fmt.Sprintf("unreadable summary %s: %v", f.SummaryPath, f.SummaryErr))
		}
		if f.JournalErr != nil {
			j.Errors = append(j.Errors, f.JournalErr.Error())
		} else {
			jf.Unfinished = f.Unfinished
		}
		j.Flows = append(j.Flows, jf)
	}
	if r.CursorsErr != nil {
		j.Errors = append(j.Errors, r.CursorsErr.Error())
	}
	j.Cursors = append(j.Cursors, r.Cursors...)
	data, _ = json.MarshalIndent(j, "", "  ")
	return data, len(j.Errors) > 0
}
