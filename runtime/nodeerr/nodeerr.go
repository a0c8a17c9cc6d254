// Package nodeerr is the error contract between a node and the runtime that
// calls it: how a node says that retrying cannot help, that the server asked
// for a delay, or that only a change of configuration can fix a failure.
//
// The contract is a method set, not a type: the runtime looks through the
// wrapped errors (errors.As) for an error with one of these methods:
//
//	Permanent() bool              // true: not retried
//	RetryAfter() time.Duration    // the next attempt waits exactly this long
//	Configuration() bool          // true: not retried, the program exits 2
//
// A node package may declare its own error types with these methods and
// import nothing; this package, which imports only the standard library, has
// the constructors and predicates for those who would rather not:
//
//	func Lookup(ctx context.Context, in LookupInput) (LookupOutput, error) {
//		if in.ID == "" {
//			return LookupOutput{}, nodeerr.Permanent(errors.New("lookup: ID is empty"))
//		}
//		resp, err := client.Get(ctx, in.ID)
//		if errors.Is(err, errUnauthorized) {
//			return LookupOutput{}, nodeerr.Configuration(fmt.Errorf("lookup: check Token: %w", err))
//		}
//		if errors.Is(err, errBusy) {
//			return LookupOutput{}, nodeerr.RetryAfter(err, 30*time.Second)
//		}
//		...
//	}
//
// Each constructor keeps the message and the wrapped chain of its argument
// (errors.Is and errors.As still see through it) and returns nil for nil.
package nodeerr

import (
	"errors"
	"time"
)

// Permanent marks err as one that retrying cannot fix: the runtime gives up
// after the attempt that returned it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string   { return e.err.Error() }
func (e *permanentError) Unwrap() error   { return e.err }
func (e *permanentError) Permanent() bool { return true }

// RetryAfter attaches a delay the server asked for (such as an HTTP
// Retry-After header) to err: the runtime waits exactly that long, within
// its bounds, before the next attempt instead of its computed backoff.
// RetryAfter(nil, d) is nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err, d}
}

type retryAfterError struct {
	err error
	d   time.Duration
}

func (e *retryAfterError) Error() string             { return e.err.Error() }
func (e *retryAfterError) Unwrap() error             { return e.err }
func (e *retryAfterError) RetryAfter() time.Duration { return e.d }

// Configuration marks err as a configuration error: a failure that only a
// change of configuration can fix, such as rejected credentials (HTTP 401)
// or a missing permission (403). The runtime does not retry it, and the
// program exits with status 2 rather than 1. A configuration error is also
// permanent. Configuration(nil) is nil.
func Configuration(err error) error {
	if err == nil {
		return nil
	}
	return &configurationError{err}
}

type configurationError struct{ err error }

func (e *configurationError) Error() string       { return e.err.Error() }
func (e *configurationError) Unwrap() error       { return e.err }
func (e *configurationError) Permanent() bool     { return true }
func (e *configurationError) Configuration() bool { return true }

// IsPermanent reports whether err, or an error it wraps, has a method
// Permanent() bool, and the first such method found returns true.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// RetryAfterOf returns the delay of the first error in err's chain with a
// method RetryAfter() time.Duration, such as the one [RetryAfter] adds, and
// whether there is one.
func RetryAfterOf(err error) (time.Duration, bool) {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		return ra.RetryAfter(), true
	}
	return 0, false
}

// IsConfiguration reports whether err, or an error it wraps, has a method
// Configuration() bool, and the first such method found returns true.
func IsConfiguration(err error) bool {
	var c interface{ Configuration() bool }
	return errors.As(err, &c) && c.Configuration()
}
