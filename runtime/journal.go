package runtime

import "github.com/resolute/resolute-gen/runtime/internal/journal"

// The engine's names for the journal's types (package internal/journal).
type (
	record      = journal.Record
	stepFailure = journal.Failure
)

// Record types.
const (
	recHeader = journal.TypeHeader // first line: the run's identity and cursor snapshot
	recCall   = journal.TypeCall   // a completed Call: its JSON output
	recNow    = journal.TypeNow    // a Run.Now reading
	recError  = journal.TypeError  // the final failure of a Call with Options.Recover
)
