// Package anysql is the SQL sink for either engine: the nodes sql.Upsert,
// sql.Exec and sql.Truncate pick SQLite or PostgreSQL from the URL's scheme
// at run time, so the URL can come from the environment. A program that
// calls them links both drivers; one that writes to a single engine calls
// sqlite.Upsert or postgres.Upsert instead and links only that one. The
// input and output types are package sqlsink's (see its documentation).
package anysql

import (
	"context"

	"github.com/resolute/resolute-gen/runtime/sqlsink"
	"github.com/resolute/resolute-gen/runtime/sqlsink/postgres"
	"github.com/resolute/resolute-gen/runtime/sqlsink/sqlite"
)

// driverFor picks the engine from the URL's scheme.
func driverFor(rawURL string) (sqlsink.Driver, error) {
	d, err := sqlsink.SchemeOf(rawURL)
	if err != nil {
		return nil, err
	}
	if d == sqlsink.Postgres {
		return postgres.Driver, nil
	}
	return sqlite.Driver, nil
}

// Upsert inserts or updates in.Rows in a SQLite or PostgreSQL table,
// chosen by in.URL's scheme; see sqlsink.UpsertWith.
func Upsert[T any](ctx context.Context, in sqlsink.UpsertInput[T]) (sqlsink.UpsertOutput, error) {
	drv, err := driverFor(in.URL)
	if err != nil {
		return sqlsink.UpsertOutput{}, err
	}
	return sqlsink.UpsertWith(ctx, drv, in)
}

// Exec runs SQL statements on a SQLite or PostgreSQL database, chosen by
// in.URL's scheme; see sqlsink.ExecWith.
func Exec(ctx context.Context, in sqlsink.ExecInput) (sqlsink.ExecOutput, error) {
	drv, err := driverFor(in.URL)
	if err != nil {
		return sqlsink.ExecOutput{}, err
	}
	return sqlsink.ExecWith(ctx, drv, in)
}

// Truncate empties a SQLite or PostgreSQL table, chosen by in.URL's scheme;
// see sqlsink.TruncateWith.
func Truncate(ctx context.Context, in sqlsink.TruncateInput) (sqlsink.TruncateOutput, error) {
	drv, err := driverFor(in.URL)
	if err != nil {
		return sqlsink.TruncateOutput{}, err
	}
	return sqlsink.TruncateWith(ctx, drv, in)
}
