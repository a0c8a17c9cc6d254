package sqlsink

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite" // registers the database/sql driver "sqlite"
)

const (
	sqlite   = "sqlite"
	postgres = "postgres"
)

// dialect holds what differs between the engines.
type dialect struct {
	name      string
	maxParams int // bind parameters per statement
}

var (
	sqliteDialect   = &dialect{name: sqlite, maxParams: 32766}
	postgresDialect = &dialect{name: postgres, maxParams: 65535}
)

func (d *dialect) placeholder(b *strings.Builder, n int) {
	if d.name == postgres {
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
		return
	}
	b.WriteByte('?')
}

func (d *dialect) boolValue(v bool) any {
	if d.name == postgres {
		return v
	}
	if v {
		return int64(1)
	}
	return int64(0)
}

func (d *dialect) timeValue(t time.Time) any {
	if d.name == postgres {
		return t
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// txn is a transaction on either engine.
type txn interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	query(ctx context.Context, q string, args []any, row func(scan func(dest ...any) error) error) error
	commit(ctx context.Context) error
	rollback(ctx context.Context) // no-op after commit
}

// handle is a cached connection to one database.
type handle struct {
	d        *dialect
	redacted string // the URL without its password, for messages
	secret   string // the password, scrubbed from messages
	db       *sql.DB
	pg       *pgPool
}

var (
	handlesMu sync.Mutex
	handles   = map[string]*handle{}
)

// open returns the cached handle for rawURL, opening it on first use.
func open(ctx context.Context, rawURL string) (*handle, error) {
	handlesMu.Lock()
	defer handlesMu.Unlock()
	if h, ok := handles[rawURL]; ok {
		return h, nil
	}
	h, err := newHandle(rawURL)
	if err != nil {
		return nil, err
	}
	handles[rawURL] = h
	return h, nil
}

// closeHandle closes and forgets the handle for rawURL (tests).
func closeHandle(rawURL string) {
	handlesMu.Lock()
	h, ok := handles[rawURL]
	delete(handles, rawURL)
	handlesMu.Unlock()
	if ok {
		h.close()
	}
}

func (h *handle) close() {
	if h.db != nil {
		h.db.Close()
	}
	if h.pg != nil {
		h.pg.close()
	}
}

// wantURL says what a URL should look like, for messages.
const wantURL = "want sqlite://path/to/file.db or postgres://user@host:5432/dbname"

func newHandle(rawURL string) (*handle, error) {
	scheme, rest, ok := strings.Cut(rawURL, ":")
	if !ok || rawURL == "" {
		return nil, permanentf("URL %q: %s", redactURL(rawURL), wantURL)
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		return openSQLite(rawURL, rest)
	case "postgres", "postgresql":
		if err := checkPostgresURL(rawURL); err != nil {
			return nil, err
		}
		cfg, err := pgx.ParseConfig(rawURL)
		if err != nil {
			return nil, &sinkError{msg: "sqlsink: URL " + redactURL(rawURL) + ": " + scrub(err.Error(), urlPassword(rawURL)), err: err, permanent: true}
		}
		if cfg.ConnectTimeout == 0 {
			cfg.ConnectTimeout = 15 * time.Second
		}
		return &handle{d: postgresDialect, redacted: redactURL(rawURL), secret: urlPassword(rawURL), pg: newPGPool(cfg, 4)}, nil
	}
	return nil, permanentf("URL %q: unsupported scheme %q; %s", redactURL(rawURL), scheme, wantURL)
}

// checkPostgresURL refuses a URL without a database name: the server
// would pick one (the user's name), so `postgres://host/$DB` with DB unset
// would write somewhere the user did not name.
func checkPostgresURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil // pgx.ParseConfig says what is wrong
	}
	if strings.Trim(u.Path, "/") == "" && u.Query().Get("dbname") == "" {
		return permanentf("URL %q: no database name; want postgres://user@host:5432/dbname", redactURL(rawURL))
	}
	return nil
}

// sqliteMemory says why an in-memory SQLite URL is refused.
const sqliteMemory = "an in-memory database loses every row when the process exits; want sqlite://path/to/file.db"

// sqlitePath checks a SQLite URL and returns the file path and the query.
// It refuses every URL that would not write to a named file: an empty path
// (`sqlite://$DB` with DB unset), an in-memory database (:memory:,
// file::memory:, mode=memory, vfs=memdb) and a directory.
func sqlitePath(rawURL, rest string) (path, query string, err error) {
	if !strings.HasPrefix(rest, "//") {
		if p, _, _ := strings.Cut(rest, "?"); strings.Contains(p, "memory") {
			return "", "", permanentf("URL %q: %s", rawURL, sqliteMemory)
		}
		if rest == "" {
			return "", "", permanentf("URL %q: no file name; want sqlite://path/to/file.db", rawURL)
		}
		return "", "", permanentf("URL %q: want sqlite://%s (sqlite://path/to/file.db)", rawURL, rest)
	}
	path, query, _ = strings.Cut(rest[2:], "?")
	if strings.TrimSpace(path) == "" {
		return "", "", permanentf("URL %q: no file name (an unset variable?); want sqlite://path/to/file.db", rawURL)
	}
	if strings.TrimSpace(path) != path {
		return "", "", permanentf("URL %q: the file name starts or ends with a space; want sqlite://path/to/file.db", rawURL)
	}
	if strings.Contains(path, ":memory:") {
		return "", "", permanentf("URL %q: %s", rawURL, sqliteMemory)
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return "", "", permanentf("URL %q: bad query: %v", rawURL, err)
	}
	for _, m := range params["mode"] {
		if m == "memory" {
			return "", "", permanentf("URL %q: %s", rawURL, sqliteMemory)
		}
	}
	for _, v := range params["vfs"] {
		if strings.Contains(v, "mem") {
			return "", "", permanentf("URL %q: %s", rawURL, sqliteMemory)
		}
	}
	file := strings.TrimPrefix(path, "file:")
	if strings.HasSuffix(file, "/") {
		return "", "", permanentf("URL %q: %s is a directory; want sqlite://path/to/file.db", rawURL, file)
	}
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		return "", "", permanentf("URL %q: %s is a directory; want sqlite://path/to/file.db", rawURL, file)
	}
	return path, query, nil
}

func openSQLite(rawURL, rest string) (*handle, error) {
	path, query, err := sqlitePath(rawURL, rest)
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
			return nil, &sinkError{msg: "sqlsink: URL " + rawURL + ": " + err.Error(), err: err, permanent: true}
		}
	}
	// Parameters in the URL override the defaults.
	extra, err := url.ParseQuery(query)
	if err != nil {
		return nil, permanentf("URL %q: bad query: %v", rawURL, err)
	}
	for k, v := range extra {
		params[k] = v
	}
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, permanentf("URL %q: %v", rawURL, err)
	}
	// One connection: SQLite has a single writer.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return &handle{d: sqliteDialect, redacted: rawURL, db: db}, nil
}

// begin starts a transaction.
func (h *handle) begin(ctx context.Context) (txn, error) {
	if h.pg != nil {
		c, err := h.pg.acquire(ctx)
		if err != nil {
			return nil, err
		}
		tx, err := c.Begin(ctx)
		if err != nil {
			h.pg.release(c)
			return nil, err
		}
		return &pgTxn{pool: h.pg, conn: c, tx: tx}, nil
	}
	tx, err := h.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &sqlTxn{tx: tx}, nil
}

// execNoTx runs one statement outside a transaction.
func (h *handle) execNoTx(ctx context.Context, q string) (int64, error) {
	if h.pg != nil {
		c, err := h.pg.acquire(ctx)
		if err != nil {
			return 0, err
		}
		defer h.pg.release(c)
		tag, err := c.Exec(ctx, q, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			return 0, err
		}
		return tag.RowsAffected(), nil
	}
	c, err := h.db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	return sqliteExec(ctx, c, q)
}

// sqliteExec runs a statement and returns the rows it changed. SQLite's
// changes() is not reset by DDL, so the count is the difference of
// total_changes() around the statement.
func sqliteExec(ctx context.Context, c interface {
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

// sqlTxn is a database/sql transaction (SQLite).
type sqlTxn struct {
	tx   *sql.Tx
	done bool
}

func (t *sqlTxn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := t.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

func (t *sqlTxn) query(ctx context.Context, q string, args []any, row func(scan func(dest ...any) error) error) error {
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *sqlTxn) commit(context.Context) error {
	t.done = true
	return t.tx.Commit()
}

func (t *sqlTxn) rollback(context.Context) {
	if !t.done {
		t.done = true
		t.tx.Rollback()
	}
}

// pgTxn is a pgx transaction; it returns its connection to the pool when
// done.
type pgTxn struct {
	pool *pgPool
	conn *pgx.Conn
	tx   pgx.Tx
	done bool
}

func (t *pgTxn) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (t *pgTxn) query(ctx context.Context, q string, args []any, row func(scan func(dest ...any) error) error) error {
	rows, err := t.tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (t *pgTxn) commit(ctx context.Context) error {
	if t.done {
		return errors.New("transaction already finished")
	}
	t.done = true
	err := t.tx.Commit(ctx)
	t.pool.release(t.conn)
	return err
}

func (t *pgTxn) rollback(ctx context.Context) {
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

// pgPool is a small pool of pgx connections (pgxpool would need another
// module in go.mod).
type pgPool struct {
	cfg *pgx.ConnConfig
	sem chan struct{}

	mu   sync.Mutex
	idle []idleConn
}

type idleConn struct {
	c     *pgx.Conn
	since time.Time
}

func newPGPool(cfg *pgx.ConnConfig, size int) *pgPool {
	return &pgPool{cfg: cfg, sem: make(chan struct{}, size)}
}

// acquire returns a connection: an idle one (pinged if it idled for more
// than a minute) or a new one.
func (p *pgPool) acquire(ctx context.Context) (*pgx.Conn, error) {
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
func (p *pgPool) release(c *pgx.Conn) {
	defer func() { <-p.sem }()
	if c.IsClosed() || c.PgConn().TxStatus() != 'I' {
		c.Close(context.Background())
		return
	}
	p.mu.Lock()
	p.idle = append(p.idle, idleConn{c: c, since: time.Now()})
	p.mu.Unlock()
}

func (p *pgPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ic := range p.idle {
		ic.c.Close(context.Background())
	}
	p.idle = nil
}

// redactURL hides the password of a URL.
func redactURL(s string) string {
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
