// Package postgres is the PostgreSQL-only variant of resolute-gen's SQL
// sink: the nodes postgres.Upsert, postgres.Exec and postgres.Truncate, with
// the input and output types of package sqlsink (see its documentation). A
// program that calls only these links pgx and not the SQLite driver.
//
//	[[step]]
//	id = "upserted"
//	call = "postgres.Upsert"
//	[step.with]
//	URL         = "${env.WAREHOUSE_URL}"   # postgres://user@host:5432/db
//	Table       = "jira_issues"
//	Rows        = "${unique.Rows}"
//	CreateTable = true
//
// URLs are postgres:// or postgresql:// URLs as libpq takes them. A URL
// without a database name is a permanent error (the server would pick the
// user's name), and so is a sqlite:// URL (use sqlite.Upsert, or sql.Upsert
// which takes both).
package postgres

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/resolute/resolute-gen/runtime/sqlsink"
)

// Upsert inserts or updates in.Rows in a PostgreSQL table; see
// sqlsink.UpsertWith.
func Upsert[T any](ctx context.Context, in sqlsink.UpsertInput[T]) (sqlsink.UpsertOutput, error) {
	return sqlsink.UpsertWith(ctx, Driver, in)
}

// Exec runs SQL statements on a PostgreSQL database; see sqlsink.ExecWith.
func Exec(ctx context.Context, in sqlsink.ExecInput) (sqlsink.ExecOutput, error) {
	return sqlsink.ExecWith(ctx, Driver, in)
}

// Truncate empties a PostgreSQL table; see sqlsink.TruncateWith.
func Truncate(ctx context.Context, in sqlsink.TruncateInput) (sqlsink.TruncateOutput, error) {
	return sqlsink.TruncateWith(ctx, Driver, in)
}

// Driver is the PostgreSQL engine of the sqlsink core.
var Driver sqlsink.Driver = driver{}

type driver struct{}

func (driver) Dialect() sqlsink.Dialect { return sqlsink.Postgres }

// CheckURL refuses a URL without a database name: the server would pick
// one (the user's name), so `postgres://host/$DB` with DB unset would write
// somewhere the user did not name.
func CheckURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil // pgx.ParseConfig says what is wrong
	}
	if strings.Trim(u.Path, "/") == "" && u.Query().Get("dbname") == "" {
		return sqlsink.Permanentf("URL %q: no database name; want postgres://user@host:5432/dbname", sqlsink.RedactURL(rawURL))
	}
	return nil
}

// Open returns a pool of up to 4 connections, made on demand, with a 15 s
// connect timeout unless the URL sets one.
func (driver) Open(rawURL string) (sqlsink.Conn, error) {
	if err := CheckURL(rawURL); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, err // the core adds the URL, without its password
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	return &pool{cfg: cfg, sem: make(chan struct{}, 4)}, nil
}

// pool is a small pool of pgx connections (pgxpool would need another
// module in go.mod).
type pool struct {
	cfg *pgx.ConnConfig
	sem chan struct{}

	mu   sync.Mutex
	idle []idleConn
}

type idleConn struct {
	c     *pgx.Conn
	since time.Time
}

// acquire returns a connection: an idle one (pinged if it idled for more
// than a minute) or a new one.
func (p *pool) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		p.mu.Lock()
		if len(p.idle) == 0 {
			p.mu.Unlock()
			break
		}
		ic := p.idle[len(p.idle)-1]
		p.idle = p.idle[:len(p.idle)-1]
		p.mu.Unlock()
		if ic.c.IsClosed() {
			continue
		}
		if time.Since(ic.since) > time.Minute {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := ic.c.Ping(pctx)
			cancel()
			if err != nil {
				ic.c.Close(context.Background())
				continue
			}
		}
		return ic.c, nil
	}
	c, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return c, nil
}

// release returns a connection to the pool, or closes it if it is broken or
// inside a transaction.
func (p *pool) release(c *pgx.Conn) {
	defer func() { <-p.sem }()
	if c.IsClosed() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
		return
	}
	p.mu.Lock()
	p.idle = append(p.idle, idleConn{c: c, since: time.Now()})
	p.mu.Unlock()
}

func (p *pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ic := range p.idle {
		ic.c.Close(context.Background())
	}
	p.idle = nil
}

func (p *pool) Begin(ctx context.Context) (sqlsink.Tx, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		p.release(c)
		return nil, err
	}
	return &txn{pool: p, conn: c, tx: tx}, nil
}

func (p *pool) ExecNoTx(ctx context.Context, q string) (int64, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer p.release(c)
	tag, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// txn is a pgx transaction; it returns its connection to the pool when
// done. pgx prepares and caches statements per connection.
type txn struct {
	pool *pool
	conn *pgx.Conn
	tx   pgx.Tx
	done bool
}

func (t *txn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t *txn) ExecCount(ctx context.Context, q string) (int64, error) {
	return t.Exec(ctx, q)
}

func (t *txn) Query(ctx context.Context, q string, args []any, row func(scan func(dest ...any) error) error) error {
	rows, err := t.tx.Query(ctx, q, args...)
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

func (t *txn) Commit(ctx context.Context) error {
	if t.done {
		return errors.New("transaction already finished")
	}
	t.done = true
	err := t.tx.Commit(ctx)
	t.pool.release(t.conn)
	return err
}

func (t *txn) Rollback(ctx context.Context) {
	if t.done {
		return
	}
	t.done = true
	// Roll back even if ctx is cancelled, so the connection can be reused.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	t.tx.Rollback(rctx)
	t.pool.release(t.conn)
}

// Classify: server errors by SQLSTATE class (connection exceptions,
// serialization failures and deadlocks, insufficient resources, lock not
// available, operator intervention, system and internal errors are
// transient; the rest permanent; data and constraint errors are row-level);
// connection failures and timeouts are transient.
func (driver) Classify(err error) (permanent, rowLevel, known bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		if len(pe.Code) < 2 {
			return false, false, true
		}
		switch pe.Code[:2] {
		case "08", "40", "53", "55", "57", "58", "XX":
			return false, false, true
		case "22", "23":
			return true, true, true
		}
		return true, false, true
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return false, false, true
	}
	return false, false, false
}

// Describe names the column and adds the detail where the server gives
// them.
func (driver) Describe(err error) string {
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

func (driver) Code(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
