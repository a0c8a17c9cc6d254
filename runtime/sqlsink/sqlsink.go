package sqlsink

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// UpsertInput is the input of Upsert.
type UpsertInput[T any] struct {
	// URL names the database: sqlite://path/to.db or
	// postgres://user:password@host:5432/db (see the package doc).
	URL string
	// Table is the table to write, optionally schema-qualified.
	Table string
	// Rows are the rows to write. T is a struct (or pointer to struct);
	// its columns come from `db:"name"` tags, else the snake_case field
	// name; `db:"-"` skips a field.
	Rows []T
	// Key names the conflict key columns; default: the first column. The
	// table needs a primary key or unique index on them (CreateTable makes
	// them the primary key).
	Key []string
	// CreateTable creates the table if it does not exist (CREATE TABLE IF
	// NOT EXISTS, typed from the Go types, primary key on Key) and adds
	// columns missing from an existing table (nullable).
	CreateTable bool
	// BatchSize is the number of rows per transaction; default 500.
	BatchSize int
	// SkipFailedRows makes a batch that fails because of some rows' data
	// (a constraint or type violation, or a value that cannot be encoded)
	// retry row by row, skipping and counting the failing rows instead of
	// failing the call.
	SkipFailedRows bool
}

// UpsertOutput is the output of Upsert. Counts are as if the rows were
// upserted one at a time in order: a key that occurs twice counts once as
// inserted (if new) and once as updated.
type UpsertOutput struct {
	// Inserted is the number of rows that created a new key.
	Inserted int
	// Updated is the number of rows that replaced an existing key.
	Updated int
	// Failed is the number of rows skipped with SkipFailedRows.
	Failed int
	// Errors describes the first failed rows (at most 10).
	Errors []string `json:",omitempty"`
}

// DefaultBatchSize is the batch size used when BatchSize is 0.
const DefaultBatchSize = 500

const maxErrors = 10

// plan is a prepared upsert of one row type into one table.
type plan struct {
	s       *schema
	table   string // as given
	qtable  string // quoted
	qcols   []string
	keys    []int // column indexes of the key
	sqlMemo map[[2]int]string
}

func newPlan(s *schema, table string, key []string) (*plan, error) {
	p := &plan{s: s, table: table, qtable: quoteIdent(table), sqlMemo: map[[2]int]string{}}
	for _, c := range s.cols {
		p.qcols = append(p.qcols, quoteIdent(c.name))
	}
	if len(key) == 0 {
		key = []string{s.cols[0].name}
	}
	for _, k := range key {
		i, ok := s.byName[k]
		if !ok {
			return nil, fmt.Errorf("Key column %q is not a column of %s (columns: %s)", k, s.rowType, strings.Join(p.colNames(), ", "))
		}
		if slices.Contains(p.keys, i) {
			return nil, fmt.Errorf("Key column %q is listed twice", k)
		}
		p.keys = append(p.keys, i)
	}
	return p, nil
}

func (p *plan) colNames() []string {
	var names []string
	for _, c := range p.s.cols {
		names = append(names, c.name)
	}
	return names
}

// encRow is an encoded row.
type encRow struct {
	pos  int    // position in the input
	vals []any  // one per column
	key  string // canonical key, for de-duplication within a batch
}

// encode encodes rows[from:to]. A row that fails to encode is returned as
// an error, unless skip is set, in which case it is reported through fail.
func (p *plan) encode(rows reflect.Value, from, to int, d *dialect, skip bool, fail func(pos int, err error)) ([]encRow, error) {
	out := make([]encRow, 0, to-from)
	ncols := len(p.s.cols)
	vals := make([]any, (to-from)*ncols) // one allocation for the batch
rows:
	for i := from; i < to; i++ {
		rv := rows.Index(i)
		if p.s.rowPtr {
			if rv.IsNil() {
				err := fmt.Errorf("row %d: nil pointer", i)
				if !skip {
					return nil, err
				}
				fail(i, err)
				continue
			}
			rv = rv.Elem()
		}
		row := vals[len(out)*ncols : (len(out)+1)*ncols : (len(out)+1)*ncols]
		for j := range p.s.cols {
			c := &p.s.cols[j]
			var fv reflect.Value
			if len(c.index) == 1 {
				fv = rv.Field(c.index[0])
			} else {
				fv = rv.FieldByIndex(c.index)
			}
			v, err := c.encode(fv, d)
			if err != nil {
				err = fmt.Errorf("row %d: column %s: %v", i, c.name, err)
				if !skip {
					return nil, err
				}
				fail(i, err)
				continue rows
			}
			row[j] = v
		}
		out = append(out, encRow{pos: i, vals: row, key: p.canonicalKey(row, i)})
	}
	return out, nil
}

// canonicalKey renders the key values of a row for de-duplication. Rows
// with a NULL key never conflict, so each gets a unique key.
func (p *plan) canonicalKey(row []any, pos int) string {
	if len(p.keys) == 1 {
		if v, ok := row[p.keys[0]].(string); ok { // the common case: one allocation
			return "s" + v
		}
	}
	var b strings.Builder
	for _, k := range p.keys {
		switch v := row[k].(type) {
		case nil:
			return "\x01null#" + strconv.Itoa(pos)
		case time.Time:
			b.WriteString("t" + v.UTC().Format(time.RFC3339Nano))
		case []byte:
			b.WriteString("b" + string(v))
		case string:
			b.WriteString("s" + v)
		default:
			fmt.Fprintf(&b, "%T:%v", v, v)
		}
		b.WriteByte(0)
	}
	return b.String()
}

// UpsertWith inserts in.Rows into in.Table on the engine drv (the nodes
// sqlite.Upsert, postgres.Upsert and sql.Upsert call it), updating the rows
// whose key already exists (INSERT ... ON CONFLICT (key) DO UPDATE SET every
// other column), in one transaction per batch. Within a batch a key that occurs more than
// once is written once, with its last row. Batches committed before an
// error stay committed; since an upsert is idempotent, retrying the call is
// safe.
func UpsertWith[T any](ctx context.Context, drv Driver, in UpsertInput[T]) (UpsertOutput, error) {
	var out UpsertOutput
	if err := validTable(in.Table); err != nil {
		return out, permanentf("%v", err)
	}
	s, err := schemaFor(reflect.TypeFor[T]())
	if err != nil {
		return out, permanentf("table %s: %v", in.Table, err)
	}
	p, err := newPlan(s, in.Table, in.Key)
	if err != nil {
		return out, permanentf("table %s: %v", in.Table, err)
	}
	batch := in.BatchSize
	switch {
	case batch == 0:
		batch = DefaultBatchSize
	case batch < 0:
		return out, permanentf("table %s: BatchSize %d is negative", in.Table, batch)
	}
	h, err := open(drv, in.URL, "Upsert")
	if err != nil {
		return out, err
	}
	if in.CreateTable {
		if err := ensureTable(ctx, h, p); err != nil {
			return out, err
		}
	}
	fail := func(pos int, err error) {
		out.Failed++
		if len(out.Errors) < maxErrors {
			out.Errors = append(out.Errors, err.Error())
		}
	}
	rows := reflect.ValueOf(in.Rows)
	for from := 0; from < len(in.Rows); from += batch {
		to := min(from+batch, len(in.Rows))
		enc, err := p.encode(rows, from, to, h.d, in.SkipFailedRows, fail)
		if err != nil {
			return out, permanentf("table %s: %v", in.Table, err)
		}
		// Keep the last row of each key, at the position of the first.
		index := make(map[string]int, len(enc))
		uniq := enc[:0:0]
		dups := 0
		for _, r := range enc {
			if i, ok := index[r.key]; ok {
				uniq[i] = r
				dups++
				continue
			}
			index[r.key] = len(uniq)
			uniq = append(uniq, r)
		}
		ins, upd, err := upsertBatch(ctx, h, p, uniq)
		if err != nil && in.SkipFailedRows && h.rowLevel(err) {
			ins, upd, err = upsertRowByRow(ctx, h, p, uniq, fail)
		}
		if err != nil {
			return out, h.wrap(err, fmt.Sprintf("table %s: rows %d-%d", in.Table, from, to-1))
		}
		out.Inserted += ins
		out.Updated += upd + dups
	}
	return out, nil
}

// upsertBatch writes rows in one transaction.
func upsertBatch(ctx context.Context, h *handle, p *plan, rows []encRow) (ins, upd int, err error) {
	if len(rows) == 0 {
		return 0, 0, nil
	}
	tx, err := h.conn.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback(ctx)
	if ins, upd, err = p.upsert(ctx, tx, h.d, rows); err != nil {
		return 0, 0, err
	}
	return ins, upd, tx.Commit(ctx)
}

// upsertRowByRow writes rows one at a time, each under a savepoint, in one
// transaction, skipping rows that fail with a row-level error.
func upsertRowByRow(ctx context.Context, h *handle, p *plan, rows []encRow, fail func(int, error)) (ins, upd int, err error) {
	tx, err := h.conn.Begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer tx.Rollback(ctx)
	for _, r := range rows {
		if _, err := tx.Exec(ctx, "SAVEPOINT sqlsink_row"); err != nil {
			return 0, 0, err
		}
		i, u, err := p.upsert(ctx, tx, h.d, []encRow{r})
		if err != nil {
			if !h.rowLevel(err) {
				return 0, 0, err
			}
			if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT sqlsink_row"); err != nil {
				return 0, 0, err
			}
			fail(r.pos, fmt.Errorf("row %d: %s", r.pos, h.drv.Describe(err)))
		}
		if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT sqlsink_row"); err != nil {
			return 0, 0, err
		}
		ins, upd = ins+i, upd+u
	}
	return ins, upd, tx.Commit(ctx)
}

// upsert writes rows (distinct keys) inside tx and counts inserts and
// updates: on Postgres from RETURNING (xmax = 0), which is true for a
// freshly inserted row; on SQLite by asking, in the same write-locked
// transaction, which keys exist before writing.
func (p *plan) upsert(ctx context.Context, tx Tx, d *dialect, rows []encRow) (ins, upd int, err error) {
	ncols := len(p.s.cols)
	if d.name == Postgres {
		per := max(1, d.maxParams/ncols)
		for from := 0; from < len(rows); from += per {
			chunk := rows[from:min(from+per, len(rows))]
			args := make([]any, 0, len(chunk)*ncols)
			for _, r := range chunk {
				args = append(args, r.vals...)
			}
			err := tx.Query(ctx, p.insertSQL(d, len(chunk)), args, func(scan func(...any) error) error {
				var inserted bool
				if err := scan(&inserted); err != nil {
					return err
				}
				if inserted {
					ins++
				} else {
					upd++
				}
				return nil
			})
			if err != nil {
				return 0, 0, err
			}
		}
		return ins, upd, nil
	}

	// SQLite: which of these keys exist already?
	nk := len(p.keys)
	per := max(1, d.maxParams/(nk+1))
	existing := 0
	for from := 0; from < len(rows); from += per {
		chunk := rows[from:min(from+per, len(rows))]
		args := make([]any, 0, len(chunk)*(nk+1))
		for i, r := range chunk {
			args = append(args, int64(i))
			for _, k := range p.keys {
				args = append(args, r.vals[k])
			}
		}
		err := tx.Query(ctx, p.existsSQL(len(chunk)), args, func(scan func(...any) error) error {
			existing++
			return nil
		})
		if err != nil {
			return 0, 0, err
		}
	}
	per = max(1, d.maxParams/ncols)
	for from := 0; from < len(rows); from += per {
		chunk := rows[from:min(from+per, len(rows))]
		args := make([]any, 0, len(chunk)*ncols)
		for _, r := range chunk {
			args = append(args, r.vals...)
		}
		if _, err := tx.Exec(ctx, p.insertSQL(d, len(chunk)), args...); err != nil {
			return 0, 0, err
		}
	}
	return len(rows) - existing, existing, nil
}

// insertSQL returns the upsert statement for n rows.
func (p *plan) insertSQL(d *dialect, n int) string {
	if s, ok := p.sqlMemo[[2]int{0, n}]; ok {
		return s
	}
	var b strings.Builder
	b.WriteString("INSERT INTO ")
	b.WriteString(p.qtable)
	b.WriteString(" (")
	b.WriteString(strings.Join(p.qcols, ", "))
	b.WriteString(") VALUES ")
	arg := 1
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range p.qcols {
			if j > 0 {
				b.WriteString(", ")
			}
			d.placeholder(&b, arg)
			arg++
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT (")
	for i, k := range p.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.qcols[k])
	}
	b.WriteString(") DO UPDATE SET ")
	first := true
	for j, qc := range p.qcols {
		if slices.Contains(p.keys, j) {
			continue
		}
		if !first {
			b.WriteString(", ")
		}
		first = false
		b.WriteString(qc + " = excluded." + qc)
	}
	if first { // every column is part of the key: a no-op update
		k := p.qcols[p.keys[0]]
		b.WriteString(k + " = excluded." + k)
	}
	if d.name == Postgres {
		b.WriteString(" RETURNING (xmax = 0)")
	}
	s := b.String()
	p.sqlMemo[[2]int{0, n}] = s
	return s
}

// existsSQL returns the SQLite query listing which of n (ordinal, key...)
// tuples exist in the table.
func (p *plan) existsSQL(n int) string {
	if s, ok := p.sqlMemo[[2]int{1, n}]; ok {
		return s
	}
	var b strings.Builder
	b.WriteString("SELECT v.column1 FROM (VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?")
		for range p.keys {
			b.WriteString(", ?")
		}
		b.WriteByte(')')
	}
	b.WriteString(") AS v WHERE EXISTS (SELECT 1 FROM ")
	b.WriteString(p.qtable)
	b.WriteString(" AS t WHERE ")
	for i, k := range p.keys {
		if i > 0 {
			b.WriteString(" AND ")
		}
		fmt.Fprintf(&b, "t.%s = v.column%d", p.qcols[k], i+2)
	}
	b.WriteByte(')')
	s := b.String()
	p.sqlMemo[[2]int{1, n}] = s
	return s
}

// ensureTable creates the table if needed and adds missing columns.
func ensureTable(ctx context.Context, h *handle, p *plan) error {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(p.qtable)
	b.WriteString(" (")
	for j, c := range p.s.cols {
		if j > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.qcols[j] + " " + c.sqlType(h.d))
		if !c.nullable || slices.Contains(p.keys, j) {
			b.WriteString(" NOT NULL")
		}
	}
	b.WriteString(", PRIMARY KEY (")
	for i, k := range p.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(p.qcols[k])
	}
	b.WriteString("))")
	create := b.String()
	if h.isEnsured(create) {
		return nil
	}

	var err error
	for attempt := 0; attempt < 2; attempt++ {
		if err = createOrAlter(ctx, h, p, create); err == nil {
			h.setEnsured(create, true)
			return nil
		}
		// Two processes creating the same Postgres table at once: the
		// loser sees a unique violation on the catalog; try again.
		if c := h.drv.Code(err); c != "23505" && c != "42P07" {
			break
		}
	}
	return h.wrap(err, "table "+p.table+": create")
}

func createOrAlter(ctx context.Context, h *handle, p *plan, create string) error {
	tx, err := h.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, create); err != nil {
		return err
	}
	have, err := columnsOf(ctx, tx, h.d, p.table)
	if err != nil {
		return err
	}
	for j, c := range p.s.cols {
		if have[c.name] {
			continue
		}
		if _, err := tx.Exec(ctx, "ALTER TABLE "+p.qtable+" ADD COLUMN "+p.qcols[j]+" "+c.sqlType(h.d)); err != nil {
			return fmt.Errorf("column %s: %w", c.name, err)
		}
	}
	return tx.Commit(ctx)
}

// splitTable splits "schema.table".
func splitTable(table string) (schema, name string) {
	if s, n, ok := strings.Cut(table, "."); ok {
		return s, n
	}
	return "", table
}

// columnsOf returns the column names of a table.
func columnsOf(ctx context.Context, tx Tx, d *dialect, table string) (map[string]bool, error) {
	schema, name := splitTable(table)
	var q string
	var args []any
	if d.name == Postgres {
		q = "SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE($1::text, current_schema()) AND table_name = $2"
		var s any
		if schema != "" {
			s = schema
		}
		args = []any{s, name}
	} else {
		if schema == "" {
			schema = "main"
		}
		q = "SELECT name FROM pragma_table_info(?, ?)"
		args = []any{name, schema}
	}
	cols := map[string]bool{}
	err := tx.Query(ctx, q, args, func(scan func(...any) error) error {
		var c string
		if err := scan(&c); err != nil {
			return err
		}
		cols[c] = true
		return nil
	})
	return cols, err
}

// tableExists reports whether a table exists.
func tableExists(ctx context.Context, tx Tx, d *dialect, table string) (bool, error) {
	var q string
	var args []any
	if d.name == Postgres {
		q, args = "SELECT to_regclass($1) IS NOT NULL", []any{quoteIdent(table)}
	} else {
		schema, name := splitTable(table)
		master := "sqlite_master"
		if schema != "" {
			master = quoteIdent(schema) + ".sqlite_master"
		}
		q, args = "SELECT count(*) > 0 FROM "+master+" WHERE type = 'table' AND name = ?", []any{name}
	}
	var exists bool
	err := tx.Query(ctx, q, args, func(scan func(...any) error) error { return scan(&exists) })
	return exists, err
}

// ExecInput is the input of Exec.
type ExecInput struct {
	// URL names the database (see UpsertInput.URL).
	URL string
	// Statements are SQL statements, run in order.
	Statements []string
	// NoTransaction runs each statement on its own instead of all in one
	// transaction; needed for statements such as Postgres's CREATE INDEX
	// CONCURRENTLY or VACUUM.
	NoTransaction bool
}

// ExecOutput is the output of Exec.
type ExecOutput struct {
	// RowsAffected is the sum of the rows affected by the statements, as
	// the database reports them.
	RowsAffected int64
}

// ExecWith runs SQL statements on the engine drv (the nodes sqlite.Exec,
// postgres.Exec and sql.Exec call it), by default in one transaction (all or
// nothing), for maintenance such as rebuilding indexes after a reindex:
//
//	[[step]]
//	id = "reindexed"
//	call = "sql.Exec"
//	[step.with]
//	URL        = "${env.WAREHOUSE_URL}"
//	Statements = ["REINDEX TABLE jira_issues", "ANALYZE jira_issues"]
func ExecWith(ctx context.Context, drv Driver, in ExecInput) (ExecOutput, error) {
	var out ExecOutput
	h, err := open(drv, in.URL, "Exec")
	if h != nil {
		defer h.setEnsured("", false) // statements may drop or alter tables
	}
	if err != nil {
		return out, err
	}
	for i, st := range in.Statements {
		if strings.TrimSpace(st) == "" {
			return out, permanentf("statement %d is empty", i+1)
		}
	}
	if in.NoTransaction {
		for i, st := range in.Statements {
			n, err := h.conn.ExecNoTx(ctx, st)
			if err != nil {
				return out, h.wrap(err, fmt.Sprintf("statement %d", i+1))
			}
			out.RowsAffected += n
		}
		return out, nil
	}
	tx, err := h.conn.Begin(ctx)
	if err != nil {
		return out, h.wrap(err, "begin")
	}
	defer tx.Rollback(ctx)
	for i, st := range in.Statements {
		n, err := tx.ExecCount(ctx, st)
		if err != nil {
			return ExecOutput{}, h.wrap(err, fmt.Sprintf("statement %d", i+1))
		}
		out.RowsAffected += n
	}
	if err := tx.Commit(ctx); err != nil {
		return ExecOutput{}, h.wrap(err, "commit")
	}
	return out, nil
}

// TruncateInput is the input of Truncate.
type TruncateInput struct {
	// URL names the database (see UpsertInput.URL).
	URL string
	// Table is the table to empty, optionally schema-qualified.
	Table string
	// IfExists makes a missing table not an error.
	IfExists bool
}

// TruncateOutput is the output of Truncate.
type TruncateOutput struct {
	// Truncated is false when the table did not exist (with IfExists).
	Truncated bool
}

// TruncateWith deletes every row of a table on the engine drv (the nodes
// sqlite.Truncate, postgres.Truncate and sql.Truncate call it): TRUNCATE on
// Postgres, DELETE FROM on SQLite, for a full reindex:
//
//	[[step]]
//	id = "cleared"
//	call = "sql.Truncate"
//	[step.with]
//	URL      = "${env.WAREHOUSE_URL}"
//	Table    = "jira_issues"
//	IfExists = true
func TruncateWith(ctx context.Context, drv Driver, in TruncateInput) (TruncateOutput, error) {
	if err := validTable(in.Table); err != nil {
		return TruncateOutput{}, permanentf("%v", err)
	}
	h, err := open(drv, in.URL, "Truncate")
	if h != nil {
		defer h.setEnsured("", false)
	}
	if err != nil {
		return TruncateOutput{}, err
	}
	tx, err := h.conn.Begin(ctx)
	if err != nil {
		return TruncateOutput{}, h.wrap(err, "table "+in.Table+": truncate")
	}
	defer tx.Rollback(ctx)
	if in.IfExists {
		ok, err := tableExists(ctx, tx, h.d, in.Table)
		if err != nil {
			return TruncateOutput{}, h.wrap(err, "table "+in.Table+": truncate")
		}
		if !ok {
			return TruncateOutput{Truncated: false}, nil
		}
	}
	stmt := "DELETE FROM " + quoteIdent(in.Table)
	if h.d.name == Postgres {
		stmt = "TRUNCATE TABLE " + quoteIdent(in.Table)
	}
	if _, err := tx.Exec(ctx, stmt); err != nil {
		return TruncateOutput{}, h.wrap(err, "table "+in.Table+": truncate")
	}
	if err := tx.Commit(ctx); err != nil {
		return TruncateOutput{}, h.wrap(err, "table "+in.Table+": truncate")
	}
	return TruncateOutput{Truncated: true}, nil
}
