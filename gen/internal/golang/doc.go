// Package golang writes Go programs from a checked program (package
// gen/ir), the way sqlc's internal/codegen/golang does: one file per
// generated concept.
//
//	program.go  the main package: header, package comment, runtime.Program, flow functions, row types
//	names.go    generated names (every local of every flow, flow functions, package-level options),
//	            comments and positions in them
//	imports.go  the one table of import paths and runtime identifiers
//	calls.go    node calls (runtime.Call), their options, inputs, on_error and advances
//	pure.go     map, filter, unique, merge
//	control.go  the walker both targets share (Go blocks, err scopes, if) and its
//	            target hooks; while, parallel, for_each
//	stream.go   paged sources (runtime.Stream)
//	types.go    Go type expressions and zero values
//	values.go   expressions, interpolation, conversions to text, durations, literal layout
//	temporal.go the Temporal worker target
//
// Both targets live in this one package: the Temporal emitter wraps the
// standalone one and reuses its walker and its expression, value, type and
// pure-step code. It is the walker's target (see type target) for what
// differs: calls, loops, parallel branches, for_each and streams, which
// themselves share their common parts (parallelStep, forEachHead,
// pageFuncs, whileHead, failed...). A second package would have to export
// all of that for one user.
//
// The package imports gen/ir, never the checker (package gen); a test
// keeps it so.
package golang
