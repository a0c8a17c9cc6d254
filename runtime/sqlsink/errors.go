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

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// sinkError is every error this package returns. Permanent reports whether
// retrying can help; Unwrap gives the driver's error (*pgconn.PgError,
// *sqlite.Error) for callers that want its code.
type sinkError struct {
	msg       string
	err       error
	permanent bool
}

func (e *sinkError) Error() string { return e.msg }
func (e *sinkError) Unwrap() error { return e.err }

// Permanent reports whether the error is one that retrying cannot fix.
func (e *sinkError) Permanent() bool { return e.permanent }

func permanentf(format string, args ...any) error {
	return &sinkError{msg: "sqlsink: " + fmt.Sprintf(format, args...), permanent: true}
}

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
	msg := "sqlsink: " + context + ": " + describe(err) + hint(err)
	secret := ""
	if h != nil {
		secret = h.secret
	}
	return &sinkError{msg: scrub(msg, secret), err: err, permanent: isPermanent(err)}
}

// describe formats a driver error, naming the column and adding the detail
// where Postgres gives them.
func describe(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		s := pe.Error()
		if pe.ColumnName != "" && !strings.Contains(pe.Message, pe.ColumnName) {
			s = "column " + pe.ColumnName + ": " + s
		}
		if pe.Detail != "" {
			s += ": " + pe.Detail
		}
		return s
	}
	return err.Error()
}

func hint(err error) string {
	var pe *pgconn.PgError
	msg := err.Error()
	switch {
	case errors.As(err, &pe) && pe.Code == "42P10",
		strings.Contains(msg, "ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint"):
		return " (the Key columns need a primary key or unique index: set CreateTable = true for a new table, or create a unique index on them)"
	case errors.As(err, &pe) && pe.Code == "42P01",
		strings.Contains(msg, "no such table"):
		return " (set CreateTable = true to create it)"
	}
	return ""
}

// isPermanent classifies a driver error: connection failures, lock and
// resource errors, serialization failures and deadlocks are transient;
// SQL, data and constraint errors and client-side encoding errors are
// permanent.
func isPermanent(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if len(pe.Code) < 2 {
			return false
		}
		switch pe.Code[:2] {
		case "08", // connection exception
			"40", // transaction rollback: serialization failure, deadlock
			"53", // insufficient resources
			"55", // object not in prerequisite state: lock not available
			"57", // operator intervention: shutdown, cannot connect now
			"58", // system error
			"XX": // internal error
			return false
		}
		return true
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_PROTOCOL:
			return false
		}
		return true
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &ne), errors.As(err, &ce),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		pgconn.SafeToRetry(err), pgconn.Timeout(err):
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
func rowLevel(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "22") || strings.HasPrefix(pe.Code, "23")
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG:
			return true
		}
	}
	return false
}

// pgCode returns the SQLSTATE of a Postgres error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
