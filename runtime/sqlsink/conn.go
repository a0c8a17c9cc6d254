package sqlsink

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Dialect is the SQL the core writes for an engine.
type Dialect int

// The dialects.
const (
	SQLite Dialect = iota + 1
	Postgres
)

// Driver is a database engine for the driver-free core: the packages
// runtime/sqlsink/sqlite and runtime/sqlsink/postgres each provide one (their
// Driver variable), so that a program links only the drivers it uses.
type Driver interface {
	// Dialect is the SQL this engine speaks.
	Dialect() Dialect
	// Open connects to rawURL, whose scheme is one of this engine's. It
	// checks the rest of the URL and returns a permanent error (see
	// Permanentf) for one that names no durable database.
	Open(rawURL string) (Conn, error)
	// Classify says whether err, returned by this driver, is permanent
	// (retrying cannot help) and whether it is caused by the values of some
	// row; known is false for errors the driver does not recognise.
	Classify(err error) (permanent, rowLevel, known bool)
	// Describe formats a driver error for a message (with the column and
	// detail where the server gives them).
	Describe(err error) string
	// Code returns the error's SQLSTATE, or "".
	Code(err error) string
}

// Conn is an open database: a pool, or SQLite's single connection.
type Conn interface {
	// Begin starts a transaction.
	Begin(ctx context.Context) (Tx, error)
	// ExecNoTx runs one statement outside a transaction and returns the
	// rows it changed.
	ExecNoTx(ctx context.Context, q string) (int64, error)
	// Close closes the connections.
	Close()
}

// Tx is a transaction.
type Tx interface {
	// Exec runs a statement with arguments and returns the rows affected.
	// The driver may keep the statement prepared for the next call with
	// the same text.
	Exec(ctx context.Context, q string, args ...any) (int64, error)
	// ExecCount runs a statement of any kind without arguments and returns
	// the rows it changed (0 for DDL).
	ExecCount(ctx context.Context, q string) (int64, error)
	// Query runs a query and calls row for each result row.
	Query(ctx context.Context, q string, args []any, row func(scan func(dest ...any) error) error) error
	// Commit commits the transaction.
	Commit(ctx context.Context) error
	// Rollback rolls back; a no-op after Commit.
	Rollback(ctx context.Context)
}

// dialect holds what differs in the SQL of the engines.
type dialect struct {
	name      Dialect
	maxParams int // bind parameters per statement
}

var (
	sqliteDialect   = &dialect{name: SQLite, maxParams: 32766}
	postgresDialect = &dialect{name: Postgres, maxParams: 65535}
)

func (d *dialect) placeholder(b *strings.Builder, n int) {
	if d.name == Postgres {
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
		return
	}
	b.WriteByte('?')
}

func (d *dialect) boolValue(v bool) any {
	if d.name == Postgres {
		return v
	}
	if v {
		return int64(1)
	}
	return int64(0)
}

// SQLiteTimeLayout is how time columns are stored in SQLite: UTC, fixed
// width, nine fractional digits, so that text order is time order (RFC 3339
// with trailing zeros trimmed put "10:00:00Z" after "10:00:00.001Z"). It
// parses with time.RFC3339Nano and SQLite's date functions.
const SQLiteTimeLayout = "2006-01-02T15:04:05.000000000Z"

func (d *dialect) timeValue(t time.Time) any {
	if d.name == Postgres {
		return t
	}
	return t.UTC().Format(SQLiteTimeLayout)
}

// FixSQLiteTimes returns the statement that rewrites a SQLite time column
// written before SQLiteTimeLayout (RFC 3339, UTC, trailing zeros of the
// fraction trimmed: "2026-01-05T10:00:00.5Z") into that layout
// ("2026-01-05T10:00:00.500000000Z"), for sql.Exec; values already in the
// layout, and values that are not UTC RFC 3339 text, are left alone.
func FixSQLiteTimes(table, column string) string {
	c := quoteIdent(column)
	return "UPDATE " + quoteIdent(table) + " SET " + c + " = CASE WHEN instr(" + c + ", '.') = 0" +
		" THEN substr(" + c + ", 1, 19) || '.000000000Z'" +
		" ELSE substr(" + c + ", 1, 20) || substr(substr(" + c + ", 21, length(" + c + ") - 21) || '000000000', 1, 9) || 'Z' END" +
		" WHERE typeof(" + c + ") = 'text' AND length(" + c + ") <> 30 AND " + c + " GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'"
}

// handle is a cached connection to one database.
type handle struct {
	drv      Driver
	d        *dialect
	redacted string // the URL without its password, for messages
	secret   string // the password, scrubbed from messages
	conn     Conn

	// ensured holds the CREATE TABLE statements this process has made sure
	// of, so that an upsert with CreateTable does not open a schema
	// transaction for every page. Exec and Truncate clear it: their
	// statements may drop or alter tables.
	ensuredMu sync.Mutex
	ensured   map[string]bool
}

func (h *handle) isEnsured(create string) bool {
	h.ensuredMu.Lock()
	defer h.ensuredMu.Unlock()
	return h.ensured[create]
}

func (h *handle) setEnsured(create string, ok bool) {
	h.ensuredMu.Lock()
	defer h.ensuredMu.Unlock()
	switch {
	case !ok:
		h.ensured = nil
	case h.ensured == nil:
		h.ensured = map[string]bool{create: true}
	default:
		h.ensured[create] = true
	}
}

type handleKey struct {
	d   Dialect
	url string
}

var (
	handlesMu sync.Mutex
	handles   = map[handleKey]*handle{}
)

// schemes maps URL schemes to the dialect and the built-in package name.
var schemes = map[string]Dialect{"sqlite": SQLite, "sqlite3": SQLite, "postgres": Postgres, "postgresql": Postgres}

// pkgName is the spec's name of each driver's package.
var pkgName = map[Dialect]string{SQLite: "sqlite", Postgres: "postgres"}

// WantURL says what a URL should look like, for messages.
const WantURL = "want sqlite://path/to/file.db or postgres://user@host:5432/dbname"

// SchemeOf returns the dialect of a URL's scheme, or a permanent error
// naming the URL and what was expected.
func SchemeOf(rawURL string) (Dialect, error) {
	scheme, _, ok := strings.Cut(rawURL, ":")
	if !ok || rawURL == "" {
		return 0, Permanentf("URL %q: %s", RedactURL(rawURL), WantURL)
	}
	d, ok := schemes[strings.ToLower(scheme)]
	if !ok {
		return 0, Permanentf("URL %q: unsupported scheme %q; %s", RedactURL(rawURL), scheme, WantURL)
	}
	return d, nil
}

// open returns the cached handle for rawURL on drv, opening it on first
// use. op names the node for messages ("Upsert").
func open(drv Driver, rawURL, op string) (*handle, error) {
	want := drv.Dialect()
	got, err := SchemeOf(rawURL)
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, Permanentf("URL %q is a %s URL, and %s.%s writes only to %s: call %s.%s (or sql.%s, which picks the engine from the URL's scheme)",
			RedactURL(rawURL), engineName(got), pkgName[want], op, engineName(want), pkgName[got], op, op)
	}
	key := handleKey{want, rawURL}
	handlesMu.Lock()
	defer handlesMu.Unlock()
	if h, ok := handles[key]; ok {
		return h, nil
	}
	c, err := drv.Open(rawURL)
	if err != nil {
		var se *sinkError
		if errors.As(err, &se) {
			return nil, err
		}
		return nil, newError(scrub("sqlsink: URL "+RedactURL(rawURL)+": "+err.Error(), urlPassword(rawURL)), err, true)
	}
	d := sqliteDialect
	if want == Postgres {
		d = postgresDialect
	}
	h := &handle{drv: drv, d: d, redacted: RedactURL(rawURL), secret: urlPassword(rawURL), conn: c}
	handles[key] = h
	return h, nil
}

func engineName(d Dialect) string {
	if d == Postgres {
		return "PostgreSQL"
	}
	return "SQLite"
}

// closeHandle closes and forgets the handles for rawURL (tests).
func closeHandle(rawURL string) {
	handlesMu.Lock()
	var closing []*handle
	for k, h := range handles {
		if k.url == rawURL {
			closing = append(closing, h)
			delete(handles, k)
		}
	}
	handlesMu.Unlock()
	for _, h := range closing {
		h.conn.Close()
	}
}

// RedactURL hides the password of a URL.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(s, "@") {
			return "(unparsable URL)"
		}
		return s
	}
	return u.Redacted()
}

func urlPassword(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		p, _ := u.User.Password()
		return p
	}
	return ""
}

// scrub removes secret from a message.
func scrub(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "xxxxx")
}
