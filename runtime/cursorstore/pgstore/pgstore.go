// Package pgstore keeps the committed cursors of a resolute program in a
// PostgreSQL table, so that they survive the loss of the machine that runs
// the program and can be read and repaired with SQL.
//
// A generated program uses it with
//
//	runtime.Main(runtime.Program{
//		...
//		CursorStore: pgstore.Open,
//	})
//
// and is given the database with --cursor-store or $RESOLUTE_CURSOR_STORE:
//
//	postgres://etl:secret@db.internal:5432/warehouse?sslmode=require
//	postgres://etl@db.internal/warehouse?cursor_table=etl.sync_cursors
//
// The URL is a libpq connection URL as github.com/jackc/pgx/v5 reads it
// (PG* environment variables and ~/.pgpass fill in what it leaves out), plus
// one parameter of this package, cursor_table: the table, optionally
// schema-qualified, default "resolute_cursors". The table is created if it
// is missing (its owner needs CREATE on the schema once; afterwards SELECT,
// INSERT and UPDATE suffice):
//
//	CREATE TABLE resolute_cursors (
//		namespace  text NOT NULL,             -- the program (--cursor-namespace)
//		name       text NOT NULL,             -- the cursor
//		value      text NOT NULL,             -- its committed value
//		updated_at timestamptz NOT NULL DEFAULT now(),
//		PRIMARY KEY (namespace, name)
//	)
//
// Several programs share a table through their namespaces (by default each
// program's name). A commit is one transaction: all of a run's cursors are
// committed, or none. It takes a transaction-scoped advisory lock on the
// namespace, so that the runtime's compare-and-set (a run commits only
// cursors nobody changed since it began) holds between machines.
//
// Every operation uses one connection, opened on first use and again after
// it was lost; the store holds no connection pool. PostgreSQL 11 or later.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
)

// DefaultTable is the table used when the URL has no cursor_table parameter.
const DefaultTable = "resolute_cursors"

// opTimeout bounds each operation (connecting included) unless the caller's
// context ends sooner.
const opTimeout = 30 * time.Second

// Store is a cursor store in a PostgreSQL table. Its methods are safe for
// concurrent use (they take turns on the store's one connection).
type Store struct {
	cfg       *pgx.ConnConfig
	table     string // as given, for messages
	ident     string // quoted for SQL
	namespace string
	program   string
	desc      string

	mu   sync.Mutex
	conn *pgx.Conn
}

var tableRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$`)

// Open connects to the database named by cfg.URL, creates the cursor table
// if it is missing and checks that it has the expected columns. It has the
// signature of runtime.Program.CursorStore.
func Open(ctx context.Context, cfg cursorstore.Config) (cursorstore.Store, error) {
	s, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := s.setup(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// New returns the store described by cfg without connecting to it.
func New(cfg cursorstore.Config) (*Store, error) {
	if cfg.Namespace == "" {
		return nil, errors.New("pgstore: empty namespace")
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("pgstore: the cursor store URL must look like postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...&cursor_table=TABLE]")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("pgstore: the cursor store URL's query: %w", err)
	}
	table := DefaultTable
	if q.Has("cursor_table") {
		table = q.Get("cursor_table")
		q.Del("cursor_table")
		u.RawQuery = q.Encode()
	}
	if !tableRE.MatchString(table) {
		return nil, fmt.Errorf("pgstore: cursor_table=%q is not a table name (letters, digits and _, optionally schema.table)", table)
	}
	pc, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{cfg: pc, table: table, ident: pgx.Identifier(strings.Split(table, ".")).Sanitize(),
		namespace: cfg.Namespace, program: cfg.Program}
	who := pc.User
	if who != "" {
		who += "@"
	}
	s.desc = fmt.Sprintf("postgres://%s%s:%d/%s table %s, namespace %q", who, pc.Host, pc.Port, pc.Database, table, cfg.Namespace)
	return s, nil
}

// String describes the store (without the password), such as
// `postgres://etl@db:5432/dw table resolute_cursors, namespace "sync"`.
func (s *Store) String() string { return s.desc }

// Table returns the table's name, as given in the URL.
func (s *Store) Table() string { return s.table }

// Close closes the connection.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropConn()
	return nil
}

// dropConn closes the connection; s.mu is held.
func (s *Store) dropConn() {
	if s.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		s.conn.Close(ctx)
		cancel()
		s.conn = nil
	}
}

// do runs fn on the connection, connecting first if needed. After an error
// the connection is dropped, so that the next operation starts afresh.
func (s *Store) do(ctx context.Context, fn func(context.Context, *pgx.Conn) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if s.conn == nil || s.conn.IsClosed() {
		conn, err := pgx.ConnectConfig(ctx, s.cfg)
		if err != nil {
			return fmt.Errorf("cursor store %s: %w; is the server up and the URL (--cursor-store or RESOLUTE_CURSOR_STORE) right?", s.desc, err)
		}
		s.conn = conn
	}
	err := fn(ctx, s.conn)
	if err != nil && s.conn.IsClosed() {
		s.conn = nil // lost (network error, timeout): connect again next time
	}
	return err
}

// PostgreSQL error codes this package tells apart.
const (
	codeUndefinedTable   = "42P01"
	codeUndefinedColumn  = "42703"
	codeDuplicateTable   = "42P07"
	codeUniqueViolation  = "23505"
	codeInsufficientPriv = "42501"
	codeNoConflictTarget = "42P10" // no unique index for ON CONFLICT
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func (s *Store) createSQL() string {
	return `CREATE TABLE IF NOT EXISTS ` + s.ident + ` (
	namespace  text NOT NULL,
	name       text NOT NULL,
	value      text NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (namespace, name)
)`
}

// setup creates the table if it is missing and checks its columns.
func (s *Store) setup(ctx context.Context) error {
	return s.do(ctx, func(ctx context.Context, conn *pgx.Conn) error {
		err := s.checkColumns(ctx, conn)
		if pgCode(err) != codeUndefinedTable {
			return s.setupError(err)
		}
		_, err = conn.Exec(ctx, s.createSQL())
		switch code := pgCode(err); {
		case err == nil, code == codeDuplicateTable, code == codeUniqueViolation:
			// Created, or created at the same moment by another process.
		case code == codeInsufficientPriv:
			return fmt.Errorf("cursor store %s: the table does not exist and this user may not create it (%v). Create it once as a user who may, and grant SELECT, INSERT, UPDATE on it:\n%s;", s.desc, err, s.createSQL())
		default:
			return fmt.Errorf("cursor store %s: create the table: %w", s.desc, err)
		}
		return s.setupError(s.checkColumns(ctx, conn))
	})
}

// checkColumns checks that the table has the columns this package reads
// and writes, with the type text.
func (s *Store) checkColumns(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT namespace, name, value, updated_at FROM `+s.ident+` WHERE false`)
	if err != nil {
		return err
	}
	fields := rows.FieldDescriptions()
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range fields[:3] {
		if f.DataTypeOID != textOID {
			return badColumn(f.Name)
		}
	}
	return nil
}

const textOID = 25

type badColumn string

func (c badColumn) Error() string { return "column " + string(c) + " is not of type text" }

func (s *Store) setupError(err error) error {
	var bc badColumn
	switch {
	case err == nil:
		return nil
	case errors.As(err, &bc), pgCode(err) == codeUndefinedColumn:
		return s.foreignTable(err)
	}
	return fmt.Errorf("cursor store %s: %w", s.desc, err)
}

// foreignTable is the error for a table that is not a cursor table.
func (s *Store) foreignTable(err error) error {
	return cursorstore.StateError(fmt.Errorf("cursor store %s: table %s is not a cursor table (%v). "+
		"It needs the columns namespace, name and value (text) and the primary key (namespace, name). "+
		"Point the program at another table by adding cursor_table=NAME to the URL (a missing table is created), or rename that table", s.desc, s.table, err))
}

// Load returns the committed cursors of the store's namespace.
func (s *Store) Load(ctx context.Context) (map[string]string, error) {
	var out map[string]string
	err := s.do(ctx, func(ctx context.Context, conn *pgx.Conn) error {
		var err error
		out, err = s.load(ctx, conn, false)
		return err
	})
	return out, err
}

func (s *Store) load(ctx context.Context, conn interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, forUpdate bool) (map[string]string, error) {
	q := `SELECT name, value FROM ` + s.ident + ` WHERE namespace = $1`
	if forUpdate {
		q += ` FOR UPDATE`
	}
	rows, err := conn.Query(ctx, q, s.namespace)
	if err != nil {
		return nil, s.queryError(err)
	}
	out := map[string]string{}
	var name, value *string
	_, err = pgx.ForEachRow(rows, []any{&name, &value}, func() error {
		if name == nil || value == nil {
			return badRow{}
		}
		out[*name] = *value
		return nil
	})
	if err != nil {
		var scanErr pgx.ScanArgError
		if errors.As(err, &badRow{}) || errors.As(err, &scanErr) {
			return nil, cursorstore.StateError(fmt.Errorf("cursor store %s: table %s holds a row this program cannot read (%v). Fix or delete the row with SQL (WHERE namespace = '%s'), then set the cursor with `%s cursor set NAME VALUE`",
				s.desc, s.table, err, strings.ReplaceAll(s.namespace, "'", "''"), s.program))
		}
		return nil, s.queryError(err)
	}
	return out, nil
}

type badRow struct{}

func (badRow) Error() string { return "a row has a NULL name or value" }

// queryError names the store in err; a table that vanished or changed
// shape is a state error.
func (s *Store) queryError(err error) error {
	switch pgCode(err) {
	case codeUndefinedTable:
		return cursorstore.StateError(fmt.Errorf("cursor store %s: table %s does not exist any more (%v); it is created when the program starts. If it was dropped by mistake, restore it from a backup: the cursors in it are gone", s.desc, s.table, err))
	case codeUndefinedColumn, codeNoConflictTarget:
		return s.foreignTable(err)
	}
	return fmt.Errorf("cursor store %s: %w", s.desc, err)
}

// Commit sets values in one transaction, after check (if not nil) accepted
// the committed values read in that transaction under the namespace's lock.
func (s *Store) Commit(ctx context.Context, values map[string]string, check func(map[string]string) error) error {
	if len(values) == 0 {
		return nil
	}
	names := make([]string, 0, len(values))
	vals := make([]string, 0, len(values))
	for k, v := range values {
		names = append(names, k)
		vals = append(vals, v)
	}
	var checkErr error
	err := s.do(ctx, func(ctx context.Context, conn *pgx.Conn) error {
		return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// Commits to one namespace take turns, so that a check and the
			// write after it see no commit in between, even for a cursor
			// that has no row yet.
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "resolute_cursors/"+s.table+"/"+s.namespace); err != nil {
				return s.queryError(err)
			}
			if check != nil {
				cur, err := s.load(ctx, tx, true)
				if err != nil {
					return err
				}
				if checkErr = check(cur); checkErr != nil {
					return checkErr
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+s.ident+` (namespace, name, value, updated_at)
SELECT $1, n, v, now() FROM unnest($2::text[], $3::text[]) AS u(n, v)
ON CONFLICT (namespace, name) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`, s.namespace, names, vals)
			if err != nil {
				return s.queryError(err)
			}
			return nil
		})
	})
	if checkErr != nil {
		return checkErr
	}
	return err
}
