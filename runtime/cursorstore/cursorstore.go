// Package cursorstore is where a program's committed cursors live: the
// [Store] interface that every store implements, the [Config] a program
// hands to the function that opens one, and the default store, [File], a
// JSON file in the program's state directory.
//
// The stores that keep the cursors outside the state directory are beside
// it: pgstore (PostgreSQL) and redisstore (Redis). A program selects one
// with its Program.CursorStore:
//
//	runtime.Main(runtime.Program{
//		...
//		CursorStore: pgstore.Open,
//	})
//
// Every store passes the same contract tests (internal/storetest).
package cursorstore

import (
	"context"
	"errors"
)

// Store persists committed cursor values. The file store ([File], in the
// state directory) is the default; a program whose Program.CursorStore is
// set uses the store that function opens.
//
// A store may also implement io.Closer (called when the program exits) and
// fmt.Stringer (a description for status and logs, such as
// `postgres://etl@db:5432/dw table resolute_cursors, namespace "sync"`; it
// must not contain a password).
type Store interface {
	// Load returns every committed cursor value. A cursor that was never
	// committed is absent. A store that cannot be read returns an error
	// saying how to repair it; it never pretends to be empty.
	Load(ctx context.Context) (map[string]string, error)
	// Commit sets the given cursors atomically (all or none), leaving the
	// others as they are. If check is not nil, Commit first reads the
	// committed values within the same transaction (or under the same
	// lock) and passes them to check; if check returns an error, nothing
	// is committed and Commit returns that error unchanged. check may be
	// called more than once (a store may retry a transaction that lost a
	// race), so it must only compare.
	Commit(ctx context.Context, values map[string]string, check func(committed map[string]string) error) error
}

// Config is what Program.CursorStore is given to open a store.
type Config struct {
	// URL locates the store: --cursor-store, else $RESOLUTE_CURSOR_STORE.
	// It may contain a password; it is redacted from everything the
	// program prints.
	URL string
	// Namespace separates the cursors of different programs sharing one
	// store: --cursor-namespace, else $RESOLUTE_CURSOR_NAMESPACE, else the
	// program's name (its executable's base name, without ".exe").
	Namespace string
	// Program is the program's name, for repair commands in messages.
	Program string
}

// StateError marks err as a problem with the program's state rather than a
// failed run: a store that cannot be reached when the program starts, or
// that holds data it does not understand. The program then exits with
// status 2, and a scheduled flow does not run until the state is repaired.
// StateError(nil) is nil.
func StateError(err error) error {
	if err == nil {
		return nil
	}
	return &stateError{err}
}

// IsStateError reports whether err, or an error it wraps, was marked by
// [StateError].
func IsStateError(err error) bool {
	var s *stateError
	return errors.As(err, &s)
}

type stateError struct{ err error }

func (e *stateError) Error() string { return e.err.Error() }
func (e *stateError) Unwrap() error { return e.err }
