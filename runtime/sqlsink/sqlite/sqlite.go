// Package sqlite is the SQLite-only variant of resolute-gen's SQL sink: the
// nodes sqlite.Upsert, sqlite.Exec and sqlite.Truncate, with the input and
// output types of package sqlsink (see its documentation). A program that
// calls only these links modernc.org/sqlite (pure Go, no cgo) and not the
// PostgreSQL driver.
//
//	[[step]]
//	id = "upserted"
//	call = "sqlite.Upsert"
//	[step.with]
//	URL         = "sqlite://warehouse.db"
//	Table       = "jira_issues"
//	Rows        = "${unique.Rows}"
//	CreateTable = true
//
// URLs are sqlite://relative/path.db or sqlite:///absolute/path.db, with
// optional driver parameters (?_busy_timeout=5000). An empty path, an
// in-memory database and a directory are permanent errors, and so is a
// postgres:// URL (use postgres.Upsert, or sql.Upsert which takes both).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	msqlite "modernc.org/sqlite" // registers the database/sql driver "sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/resolute/resolute-gen/runtime/sqlsink"
)

// Upsert inserts or updates in.Rows in a SQLite table; see
// sqlsink.UpsertWith.
func Upsert[T any](ctx context.Context, in sqlsink.UpsertInput[T]) (sqlsink.UpsertOutput, error) {
	return sqlsink.UpsertWith(ctx, Driver, in)
}

// Exec runs SQL statements on a SQLite database; see sqlsink.ExecWith.
func Exec(ctx context.Context, in sqlsink.ExecInput) (sqlsink.ExecOutput, error) {
	return sqlsink.ExecWith(ctx, Driver, in)
}

// Truncate empties a SQLite table; see sqlsink.TruncateWith.
func Truncate(ctx context.Context, in sqlsink.TruncateInput) (sqlsink.TruncateOutput, error) {
	return sqlsink.TruncateWith(ctx, Driver, in)
}

// Driver is the SQLite engine of the sqlsink core.
var Driver sqlsink.Driver = driver{}

type driver struct{}

func (driver) Dialect() sqlsink.Dialect { return sqlsink.SQLite }

// memory says why an in-memory SQLite URL is refused.
const memory = "an in-memory database loses every row when the process exits; want sqlite://path/to/file.db"

// Path checks a SQLite URL and returns the file path and the query. It
// refuses every URL that would not write to a named file: an empty path
// (`sqlite://$DB` with DB unset), an in-memory database (:memory:,
// file::memory:, mode=memory, vfs=memdb), sqlite: without slashes and a
// directory.
func Path(rawURL string) (path, query string, err error) {
	_, rest, _ := strings.Cut(rawURL, ":")
	if !strings.HasPrefix(rest, "//") {
		if p, _, _ := strings.Cut(rest, "?"); strings.Contains(p, "memory") {
			return "", "", sqlsink.Permanentf("URL %q: %s", rawURL, memory)
		}
		if rest == "" {
			return "", "", sqlsink.Permanentf("URL %q: no file name; want sqlite://path/to/file.db", rawURL)
		}
		return "", "", sqlsink.Permanentf("URL %q: want sqlite://%s (sqlite://path/to/file.db)", rawURL, rest)
	}
	path, query, _ = strings.Cut(rest[2:], "?")
	if strings.TrimSpace(path) == "" {
		return "", "", sqlsink.Permanentf("URL %q: no file name (an unset variable?); want sqlite://path/to/file.db", rawURL)
	}
	if strings.TrimSpace(path) != path {
		return "", "", sqlsink.Permanentf("URL %q: the file name starts or ends with a space; want sqlite://path/to/file.db", rawURL)
	}
	if strings.Contains(path, ":memory:") {
		return "", "", sqlsink.Permanentf("URL %q: %s", rawURL, memory)
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", "", sqlsink.Permanentf("URL %q: bad query: %v", rawURL, err)
	}
	for _, m := range params["mode"] {
		if m == "memory" {
			return "", "", sqlsink.Permanentf("URL %q: %s", rawURL, memory)
		}
	}
	for _, v := range params["vfs"] {
		if strings.Contains(v, "mem") {
			return "", "", sqlsink.Permanentf("URL %q: %s", rawURL, memory)
		}
	}
	file := strings.TrimPrefix(path, "file:")
	if strings.HasSuffix(file, "/") {
		return "", "", sqlsink.Permanentf("URL %q: %s is a directory; want sqlite://path/to/file.db", rawURL, file)
	}
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		return "", "", sqlsink.Permanentf("URL %q: %s is a directory; want sqlite://path/to/file.db", rawURL, file)
	}
	return path, query, nil
}

// Open opens a SQLite file in WAL mode with synchronous=FULL, a 10 s busy
// timeout and BEGIN IMMEDIATE transactions, through one connection, so
// that several processes can share the file safely. A missing parent
// directory is created.
func (driver) Open(rawURL string) (sqlsink.Conn, error) {
	path, query, err := Path(rawURL)
	if err != nil {
		return nil, err
	}
	params := url.Values{}
	params.Set("_busy_timeout", "10000")
	params.Set("_txlock", "immediate")
	params.Set("_journal_mode", "WAL")
	params.Set("_synchronous", "FULL")
	if dir := filepath.Dir(strings.TrimPrefix(path, "file:")); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, sqlsink.Permanentf("URL %s: %v", rawURL, err)
		}
	}
	// Parameters in the URL override the defaults.
	extra, _ := url.ParseQuery(query) // checked by Path
	for k, v := range extra {
		params[k] = v
	}
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, sqlsink.Permanentf("URL %q: %v", rawURL, err)
	}
	// One connection: SQLite has a single writer.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return &conn{db: db, stmts: map[string]*sql.Stmt{}, want: map[string]bool{}}, nil
}

// conn is the database with its prepared statements.
//
// A statement with arguments runs unprepared the first time; the next
// transaction prepares it (before it takes SQLite's single connection,
// which the running transaction holds) and later transactions reuse it.
type conn struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared statements, by text
	want  map[string]bool      // statements to prepare at the next Begin
}

// maxStmts bounds the prepared statements kept per database.
const maxStmts = 64

// prepared returns q's prepared statement, or nil after noting that q
// should be prepared.
func (c *conn) prepared(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.stmts[q]; ok {
		return s
	}
	if c.want != nil && len(c.want) < maxStmts {
		c.want[q] = true
	}
	return nil
}

func (c *conn) Begin(ctx context.Context) (sqlsink.Tx, error) {
	c.mu.Lock()
	want := c.want
	c.want = map[string]bool{}
	c.mu.Unlock()
	for q := range want {
		s, err := c.db.PrepareContext(ctx, q)
		if err != nil {
			continue // it runs unprepared and reports its error then
		}
		c.mu.Lock()
		if len(c.stmts) >= maxStmts {
			for k, old := range c.stmts {
				old.Close()
				delete(c.stmts, k)
			}
		}
		c.stmts[q] = s
		c.mu.Unlock()
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &txn{c: c, tx: tx}, nil
}

func (c *conn) ExecNoTx(ctx context.Context, q string) (int64, error) {
	cn, err := c.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer cn.Close()
	return execCount(ctx, cn, q)
}

func (c *conn) Close() {
	c.mu.Lock()
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts, c.want = map[string]*sql.Stmt{}, nil
	c.mu.Unlock()
	c.db.Close()
}

// execCount runs a statement and returns the rows it changed. SQLite's
// changes() is not reset by DDL, so the count is the difference of
// total_changes() around the statement.
func execCount(ctx context.Context, c interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, q string) (int64, error) {
	var before, after int64
	if err := c.QueryRowContext(ctx, "SELECT total_changes()").Scan(&before); err != nil {
		return 0, err
	}
	if _, err := c.ExecContext(ctx, q); err != nil {
		return 0, err
	}
	if err := c.QueryRowContext(ctx, "SELECT total_changes()").Scan(&after); err != nil {
		return 0, err
	}
	return after - before, nil
}

// txn is a transaction.
type txn struct {
	c    *conn
	tx   *sql.Tx
	done bool
}

func (t *txn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if s := t.stmt(ctx, q, args); s != nil {
		res, err = s.ExecContext(ctx, args...)
	} else {
		res, err = t.tx.ExecContext(ctx, q, args...)
	}
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// stmt returns q prepared for this transaction, or nil: statements without
// arguments are not prepared, nor those prepared for the first time.
func (t *txn) stmt(ctx context.Context, q string, args []any) *sql.Stmt {
	if len(args) == 0 {
		return nil
	}
	if s := t.c.prepared(q); s != nil {
		return t.tx.StmtContext(ctx, s)
	}
	return nil
}

func (t *txn) ExecCount(ctx context.Context, q string) (int64, error) {
	return execCount(ctx, t.tx, q)
}

func (t *txn) Query(ctx context.Context, q string, args []any, row func(scan func(dest ...any) error) error) error {
	var rows *sql.Rows
	var err error
	if s := t.stmt(ctx, q, args); s != nil {
		rows, err = s.QueryContext(ctx, args...)
	} else {
		rows, err = t.tx.QueryContext(ctx, q, args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	scan := rows.Scan // one method value, not one per row
	for rows.Next() {
		if err := row(scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *txn) Commit(context.Context) error {
	t.done = true
	return t.tx.Commit()
}

func (t *txn) Rollback(context.Context) {
	if !t.done {
		t.done = true
		t.tx.Rollback()
	}
}

// Classify: busy, locked, out of memory, I/O, interrupted, disk full and
// protocol errors are transient; the rest of SQLite's errors are
// permanent. Constraint, type mismatch and too-big errors are row-level.
func (driver) Classify(err error) (permanent, rowLevel, known bool) {
	var se *msqlite.Error
	if !errors.As(err, &se) {
		return false, false, false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_IOERR,
		sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_PROTOCOL:
		return false, false, true
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG:
		return true, true, true
	}
	return true, false, true
}

func (driver) Describe(err error) string { return err.Error() }

func (driver) Code(error) string { return "" }
