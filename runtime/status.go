package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/resolute/resolute-gen/runtime/internal/journal"
	"github.com/resolute/resolute-gen/runtime/internal/status"
)

// statusCommand prints the state of every flow and cursor, as text or (with
// asJSON) one JSON object. It takes no lock (it only reads) and works while
// a run is in progress. It returns 2 if some state needs repair, after
// printing everything it could read.
func statusCommand(ctx context.Context, e *engine, asJSON bool, stdout io.Writer) int {
	r := e.statusReport(ctx)
	var out string
	var broken bool
	if asJSON {
		data, b := r.JSON()
		out, broken = string(data)+"\n", b
	} else {
		out, broken = r.Text()
	}
	fmt.Fprint(stdout, e.red.String(out))
	if broken {
		return 2
	}
	return 0
}

// statusReport gathers the state of every flow and cursor.
func (e *engine) statusReport(ctx context.Context) *status.Report {
	r := &status.Report{Program: e.name, StateDir: e.dir, Spec: e.prog.SpecHash, Store: e.storeString(), External: e.external}
	for _, f := range e.prog.Flows {
		fs := status.Flow{Name: f.Name, Description: f.Description, Schedule: f.Schedule, SummaryPath: e.summaryPath(f.Name)}
		if s, err := status.ReadSummary(fs.SummaryPath); err == nil {
			fs.LastRun = s
		} else if !errors.Is(err, os.ErrNotExist) {
			fs.SummaryErr = err
		}
		recs, _, err := journal.Read(e.journalPath(f.Name))
		switch {
		case err != nil:
			fs.JournalErr = e.corruptJournal(f.Name, err)
		case len(recs) > 0:
			fs.Unfinished = &status.Unfinished{RunID: recs[0].RunID, Started: recs[0].Time, CompletedSteps: journalSteps(recs), Pages: pageRecords(recs), Resumable: recs[0].SpecHash == e.prog.hash(f)}
		}
		r.Flows = append(r.Flows, fs)
	}
	committed, err := e.loadCursors(ctx)
	r.CursorsErr = err
	for _, c := range e.prog.Cursors {
		if v, ok := committed[c.Name]; ok {
			r.Cursors = append(r.Cursors, status.Cursor{Name: c.Name, Value: v, Committed: true})
		} else if err == nil {
			r.Cursors = append(r.Cursors, status.Cursor{Name: c.Name, Value: c.Initial})
		}
	}
	return r
}

// summaryPath is the file of the summary of flow's last finished run.
func (e *engine) summaryPath(flow string) string {
	return filepath.Join(e.dir, "last", flow+".json")
}

// readSummary reads the summary of the last finished run of flow.
func (e *engine) readSummary(flow string) (*status.Summary, error) {
	return status.ReadSummary(e.summaryPath(flow))
}

// writeSummary replaces the summary of sum's flow with sum.
func (e *engine) writeSummary(sum *status.Summary) error {
	return status.WriteSummary(e.summaryPath(sum.Flow), sum)
}
