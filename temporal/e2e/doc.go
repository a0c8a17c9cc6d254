// Package e2e holds the Temporal target's end-to-end tests: generated
// workers built and run as processes against a Temporal server started in
// the test process (temporaltest, on SQLite).
package e2e
