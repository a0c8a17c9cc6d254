package runtime

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// Permanent marks err as not worth retrying: [Call] gives up after the
// attempt that returned it. Permanent(nil) is nil. It is
// [nodeerr.Permanent], which node packages can use without importing
// runtime.
func Permanent(err error) error { return nodeerr.Permanent(err) }

// IsPermanent reports whether err, or an error it wraps, has a method
// Permanent() bool that returns true ([nodeerr.IsPermanent]). Node packages
// can mark their errors that way without importing runtime.
func IsPermanent(err error) bool { return nodeerr.IsPermanent(err) }

// interrupted is the cause of the context of a program stopped by a signal
// (SIGINT or SIGTERM); `run --once` then exits with status 128 + Signal
// (130 for SIGINT, 143 for SIGTERM), as shells do.
type interrupted struct{ Signal syscall.Signal }

// Error names the signal.
func (i interrupted) Error() string { return "interrupted by " + signalName(i.Signal) }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return s.String()
}

// WithRetryAfter attaches a delay requested by the server (such as an HTTP
// Retry-After header) to err. [Call] waits that long before the next attempt
// instead of its computed backoff. WithRetryAfter(nil, d) is nil. It is
// [nodeerr.RetryAfter].
func WithRetryAfter(err error, d time.Duration) error { return nodeerr.RetryAfter(err, d) }

// RetryAfter returns the delay attached to err (or an error it wraps) by a
// method RetryAfter() time.Duration, such as the one [WithRetryAfter] adds
// ([nodeerr.RetryAfterOf]).
func RetryAfter(err error) (time.Duration, bool) { return nodeerr.RetryAfterOf(err) }

// MaxIterations is the error a while loop returns when it would run more
// than its max_iterations bound. where describes the loop, such as
// `while "pages" (sync.toml:30)`.
func MaxIterations(where string, n int) error {
	return &MaxIterationsError{Where: where, Max: n}
}

// MaxIterationsError is returned by [MaxIterations].
type MaxIterationsError struct {
	Where string // the loop, as given to MaxIterations
	Max   int    // its max_iterations bound
}

// Error says which loop ran too long and how to allow more iterations.
func (e *MaxIterationsError) Error() string {
	return fmt.Sprintf("%s did not finish within max_iterations = %d; if more iterations are expected, raise max_iterations in the spec", e.Where, e.Max)
}

// StepError is the error [Call] returns when a step fails for good.
type StepError struct {
	Key      string // the step's journal key, such as "pages[3]/page"
	Attempts int    // attempts made
	Err      error  // the last attempt's error
}

// Error names the step, the attempts made and the last error.
func (e *StepError) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("step %q failed after %d attempts: %v", e.Key, e.Attempts, e.Err)
	}
	return fmt.Sprintf("step %q failed: %v", e.Key, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *StepError) Unwrap() error { return e.Err }

// exitError carries the exit status for errors that are not run failures:
// 2 for usage, configuration and state errors.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func configError(format string, args ...any) error {
	return &exitError{2, fmt.Errorf(format, args...)}
}

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if nodeerr.IsConfiguration(err) || cursorstore.IsStateError(err) {
		return 2
	}
	if err != nil {
		return 1
	}
	return 0
}
