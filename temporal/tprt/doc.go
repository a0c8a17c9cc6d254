// Package tprt is the Temporal runtime of the workers that resolute-gen
// generates with --target temporal: the same flow spec that compiles to a
// standalone program runs here as Temporal workflows.
//
// Each flow is a workflow (named after the flow) and each call step an
// activity (named "<flow>/<step id>"). The generated workflow code calls
// [Call], [Stream], [Parallel] and [ForEach]; [Run] holds the run's cursors
// and environment inside the workflow, read at its start by an activity and
// committed at its end by another, with the same compare-and-set commit as
// the standalone runtime's cursor stores. [Main] is the program's command
// line: worker, start, status and replay.
//
// This package lives in its own module so that the Temporal SDK never
// enters the dependency graph of a standalone program.
package tprt
