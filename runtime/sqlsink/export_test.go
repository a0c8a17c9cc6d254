package sqlsink

import "context"

// Internals for the tests in package sqlsink_test, which run the core
// through the driver packages (an internal test could not import them).
var (
	QuoteIdent  = quoteIdent
	SnakeCase   = snakeCase
	CloseHandle = closeHandle
)

// Query runs a query through the package's own cached connection.
func Query(drv Driver, url, q string, args []any, row func(scan func(dest ...any) error) error) error {
	ctx := context.Background()
	h, err := open(drv, url, "Query")
	if err != nil {
		return err
	}
	tx, err := h.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	return tx.Query(ctx, q, args, row)
}
