// Package e2e holds the Temporal target's end-to-end tests: generated
// workers built and run as processes against a Temporal server started in
// the test process (temporaltest, on SQLite). It is a module of its own,
// so that the Temporal server and its dependencies stay out of the graph
// of modules that require github.com/resolute/resolute-gen/temporal.
package e2e
