package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Program is what the help text shows of a program.
type Program struct {
	Flows   []Flow
	Env     []Env
	Cursors []Cursor
	// Store is set when the cursors live in a cursor store, not in the
	// state directory.
	Store bool
}

// Flow is a flow, as the help text shows it.
type Flow struct{ Name, Description, Schedule string }

// Env is an environment variable the program reads.
type Env struct {
	Name     string
	Required bool
	Secret   bool
	Default  string
}

// Cursor is a cursor the program declares.
type Cursor struct{ Name, Initial string }

// Usage is the help text of the program called name.
func Usage(p Program, name string) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if len(p.Flows) == 1 && p.Flows[0].Description != "" {
		fmt.Fprintf(&b, "%s: %s\n\n", name, p.Flows[0].Description)
	} else {
		what := fmt.Sprintf("%d flows", len(p.Flows))
		if len(p.Flows) == 1 {
			what = "flow " + p.Flows[0].Name
		}
		fmt.Fprintf(&b, "%s runs %s, durably: a failed or interrupted run resumes where it stopped.\n\n", name, what)
	}
	fmt.Fprintf(&b, `Usage:
  %[1]s run --once [FLOW] [--fresh]   run one flow now, resuming its unfinished run if there is one
  %[1]s run [--fresh]                 run the scheduled flows on their schedules until SIGINT/SIGTERM
  %[1]s status [--json]               show flows, schedules, cursors, unfinished and last runs
  %[1]s check [FLOW]                  check the environment, state dir, cursors and journals; run nothing
  %[1]s version                       print the resolute-gen version, Go version and spec hashes
  %[1]s cursor get NAME               print a cursor's committed value
  %[1]s cursor set NAME VALUE         set a cursor's committed value (checked against its kind; --force skips that)
  %[1]s cursor reset NAME             set a cursor back to its initial value
  %[1]s help                          show this help

Flows:
`, name)
	for _, f := range p.Flows {
		sched := "manual: run --once only"
		if f.Schedule != "" {
			sched = "schedule " + f.Schedule
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\n", f.Name, sched, f.Description)
	}
	w.Flush()
	if len(p.Env) > 0 {
		fmt.Fprintf(&b, "\nEnvironment:\n")
		for _, e := range p.Env {
			var notes []string
			if e.Required && e.Default == "" {
				notes = append(notes, "required")
			}
			if e.Secret {
				notes = append(notes, "secret")
			}
			if e.Default != "" {
				if e.Secret {
					notes = append(notes, "has a default")
				} else {
					notes = append(notes, fmt.Sprintf("default %q", e.Default))
				}
			}
			if len(notes) == 0 {
				notes = append(notes, "optional")
			}
			fmt.Fprintf(w, "  %s\t%s\n", e.Name, strings.Join(notes, ", "))
		}
		w.Flush()
	}
	if len(p.Cursors) > 0 {
		if p.Store {
			fmt.Fprintf(&b, "\nCursors (kept in the cursor store given by --cursor-store):\n")
		} else {
			fmt.Fprintf(&b, "\nCursors (kept in the state directory, cursors.json):\n")
		}
		for _, c := range p.Cursors {
			fmt.Fprintf(w, "  %s\tinitial %q\n", c.Name, c.Initial)
		}
		w.Flush()
	}
	fmt.Fprintf(&b, `
Flags (before or after the command):
  --state-dir DIR       state directory (default $RESOLUTE_STATE_DIR, else .resolute)
  --log-format FORMAT   text or json logs on stderr (default text)
  --log-level LEVEL     debug, info (default), warn or error
  --durability MODE     run only. fsync (default): every step's result is on disk
                        before the next step starts. batch: fsync once a second and
                        at the end of the run; faster, but after a machine crash the
                        last second of steps may run again
  --once                run only: run one flow now instead of scheduling
  --fresh               run only: discard the unfinished run instead of resuming it
  --metrics-addr ADDR   run only: serve Prometheus metrics at http://ADDR/metrics
                        while running, e.g. 127.0.0.1:9464 (:0 picks a free port)
  --metrics-file PATH   run only: after every run, replace PATH with all metrics in
                        the Prometheus text format (for node_exporter's textfile
                        collector: PATH ending in .prom in its directory)
  --webhook-addr ADDR   run (scheduler) only: also start the flows that declare a
                        trigger when a signed webhook is POSTed to
                        http://ADDR/webhook/FLOW (or /webhook for all of them)
`)
	if p.Store {
		fmt.Fprintf(&b, `  --cursor-store URL    where the cursors are kept (default $RESOLUTE_CURSOR_STORE;
                        required), e.g. postgres://user@host/db or redis://host:6379/0
  --cursor-namespace NS the program's cursors in that store (default
                        $RESOLUTE_CURSOR_NAMESPACE, else the program's name, %q)
`, strings.TrimSuffix(name, ".exe"))
	}
	fmt.Fprintf(&b, `
A run that fails or is interrupted keeps its journal; the next run of that
flow resumes it and does not repeat completed steps. Cursors are committed
only when a run succeeds, and only if nobody changed them since it began.

Exit status: 0 success, 1 run failed, 2 usage, configuration or state error.
`)
	return b.String()
}
