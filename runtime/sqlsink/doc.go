// Package sqlsink is the driver-free core of resolute-gen's built-in nodes
// for writing rows into a SQL warehouse: SQLite (embedded, no cgo) or
// PostgreSQL. It holds the input and output types, the schema and upsert SQL
// and the error classes; the drivers live in their own packages so that a
// program links only the ones it calls:
//
//	spec name                     package                   links
//	sqlite.Upsert/Exec/Truncate   runtime/sqlsink/sqlite    modernc.org/sqlite
//	postgres.Upsert/Exec/Truncate runtime/sqlsink/postgres  pgx
//	sql.Upsert/Exec/Truncate      runtime/sqlsink/anysql    both; picks by the URL's scheme
//
// Upsert inserts or updates a slice of structs with INSERT ... ON CONFLICT
// (key) DO UPDATE, one transaction per batch, and reports how many rows were
// inserted and how many updated. Columns come from the struct's `db` tags
// (else the snake_case field name); with CreateTable the table is created
// from the Go types, and columns added to the struct later are added to the
// table. Exec runs maintenance statements (rebuild an index, analyze) and
// Truncate empties a table for a full reindex.
//
//	[[step]]
//	id = "upserted"
//	call = "sqlite.Upsert"                  # or postgres.Upsert, or sql.Upsert for either
//	retry = { attempts = 3, backoff = "1m" }
//	[step.with]
//	URL         = "${env.WAREHOUSE_URL}"   # sqlite://warehouse.db or postgres://user@host/db
//	Table       = "jira_issues"
//	Rows        = "${unique.Rows}"
//	Key         = ["issue_key"]
//	CreateTable = true
//
// # URLs
//
//	sqlite://warehouse.db          relative path
//	sqlite:///var/lib/wh.db        absolute path
//	postgres://user:pw@host:5432/db?sslmode=disable   (also postgresql://; any libpq URL)
//
// An empty path (`sqlite://$DB` with DB unset), an in-memory SQLite database
// (:memory:, file::memory:, mode=memory), a directory and a PostgreSQL URL
// without a database name are permanent errors: each would write rows that
// are gone when the process exits, or that land somewhere the URL did not
// name.
//
// Connections are cached per URL for the life of the process. SQLite
// databases are opened in WAL mode with synchronous=FULL, a 10 s busy timeout
// and BEGIN IMMEDIATE transactions, through one connection per process, so
// that several processes can share a file safely. A missing parent directory
// of a SQLite file is created.
//
// # Types
//
//	Go type                      SQLite             PostgreSQL
//	string                       TEXT               TEXT
//	int*, uint*                  INTEGER            BIGINT
//	float32, float64             REAL               DOUBLE PRECISION
//	bool                         INTEGER (0/1)      BOOLEAN
//	time.Time                    TEXT (UTC, fixed width: SQLiteTimeLayout)   TIMESTAMPTZ
//	[]byte                       BLOB               BYTEA
//	json.RawMessage              TEXT               JSONB
//	slices, arrays, maps, structs, interfaces   TEXT (JSON)   JSONB
//	sql.NullString etc.          by their value type, nullable
//	*T                           as T, nullable (nil is NULL)
//
// SQLite time text is 2006-01-02T15:04:05.000000000Z, always nine
// fractional digits, so that ORDER BY and comparisons on the text are time
// order (see SQLiteTimeLayout and FixSQLiteTimes for tables written before).
//
// Columns of non-pointer types are NOT NULL. A nil slice is stored as [] and
// a nil map as {}. Embedded structs of exported types are flattened as
// encoding/json does, unless they carry a `db` tag; `db:"-"` skips a field.
// Table and column names must be plain identifiers (letters, digits, _; a
// table may be schema-qualified: analytics.jira_issues); they are quoted, so
// they are case-sensitive.
//
// # Errors
//
// Errors name the table and, where known, the column. Errors that retrying
// cannot fix (bad input, SQL syntax, constraint violations, type mismatches,
// missing tables, authentication) are permanent: their Permanent method
// reports true. Connection failures, lock timeouts, serialization failures and
// deadlocks are not, and the runtime retries them; Upsert is idempotent, so
// retrying after a partial failure is safe.
package sqlsink
