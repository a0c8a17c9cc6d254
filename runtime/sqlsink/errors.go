package sqlsink

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// sinkError is every error this package returns, wrapped by
// nodeerr.Permanent when retrying cannot help; Unwrap gives the driver's
// error (*pgconn.PgError, *sqlite.Error) for callers that want its code.
type sinkError struct {
	msg string
	err error
}

func (e *sinkError) Error() string { return e.msg }
func (e *sinkError) Unwrap() error { return e.err }

// newError returns a sinkError, marked permanent (nodeerr.Permanent) when
// retrying cannot fix it.
func newError(msg string, err error, permanent bool) error {
	e := &sinkError{msg: msg, err: err}
	if permanent {
		return nodeerr.Permanent(e)
	}
	return e
}

// Permanentf returns a permanent error (retrying cannot fix it), prefixed
// "sqlsink: "; for the driver packages.
func Permanentf(format string, args ...any) error {
	return newError("sqlsink: "+fmt.Sprintf(format, args...), nil, true)
}

func permanentf(format string, args ...any) error { return Permanentf(format, args...) }

// wrap describes a driver error with its context (such as "table t: rows
// 0-499") and classifies it.
func (h *handle) wrap(err error, context string) error {
	if err == nil {
		return nil
	}
	var se *sinkError
	if errors.As(err, &se) {
		return err
	}
	msg := "sqlsink: " + context + ": " + h.drv.Describe(err) + h.hint(err)
	return newError(scrub(msg, h.secret), err, h.isPermanent(err))
}

func (h *handle) hint(err error) string {
	msg := err.Error()
	code := h.drv.Code(err)
	switch {
	case code == "42P10",
		strings.Contains(msg, "ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint"):
		return " (the Key columns need a primary key or unique index: set CreateTable = true for a new table, or create a unique index on them)"
	case code == "42P01",
		strings.Contains(msg, "no such table"):
		return " (set CreateTable = true to create it)"
	}
	return ""
}

// isPermanent classifies an error: the driver's own by the driver
// (connection failures, lock and resource errors, serialization failures
// and deadlocks are transient; SQL, data and constraint errors are
// permanent), network and context errors as transient, client-side
// encoding errors as permanent.
func (h *handle) isPermanent(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if permanent, _, known := h.drv.Classify(err); known {
		return permanent
	}
	var ne net.Error
	switch {
	case errors.As(err, &ne),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return false
	}
	msg := err.Error()
	if strings.Contains(msg, "conn closed") || strings.Contains(msg, "conn busy") || strings.Contains(msg, "connection reset") {
		return false
	}
	return true
}

// rowLevel reports whether err is caused by the values of some row (and so
// may be isolated by retrying row by row), rather than by the statement or
// the connection.
func (h *handle) rowLevel(err error) bool {
	_, row, known := h.drv.Classify(err)
	return known && row
}
