package sqlsink_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // for sql.Open("sqlite") of a second connection

	"github.com/resolute/resolute-gen/runtime/sqlsink"
	"github.com/resolute/resolute-gen/runtime/sqlsink/anysql"
	"github.com/resolute/resolute-gen/runtime/sqlsink/postgres"
	"github.com/resolute/resolute-gen/runtime/sqlsink/sqlite"
)

// The tests run the core through sql.* (package anysql), which picks the
// driver package from the URL.
type (
	UpsertInput[T any] = sqlsink.UpsertInput[T]
	UpsertOutput       = sqlsink.UpsertOutput
	ExecInput          = sqlsink.ExecInput
	TruncateInput      = sqlsink.TruncateInput
)

var (
	Exec        = anysql.Exec
	Truncate    = anysql.Truncate
	quoteIdent  = sqlsink.QuoteIdent
	snakeCase   = sqlsink.SnakeCase
	closeHandle = sqlsink.CloseHandle
)

func Upsert[T any](ctx context.Context, in UpsertInput[T]) (UpsertOutput, error) {
	return anysql.Upsert(ctx, in)
}

// driverOf returns the driver package's engine for a URL.
func driverOf(url string) sqlsink.Driver {
	if strings.HasPrefix(url, "postgres") {
		return postgres.Driver
	}
	return sqlite.Driver
}

// engine is a database to run a test against.
type engine struct {
	name string
	url  string
}

// engines returns SQLite (a fresh file) and Postgres (url "" when
// RESOLUTE_TEST_POSTGRES is not set).
func engines(t testing.TB) []engine {
	t.Helper()
	url := "sqlite://" + filepath.Join(t.TempDir(), "wh.db")
	t.Cleanup(func() { closeHandle(url) })
	return []engine{{"sqlite", url}, {"postgres", os.Getenv("RESOLUTE_TEST_POSTGRES")}}
}

const pgSkip = "Postgres not tested: set RESOLUTE_TEST_POSTGRES (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run against a real server"

// forEngine runs f for each engine with a table name unique to the test,
// dropped afterwards.
func forEngine(t *testing.T, f func(t *testing.T, e engine, table string)) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			if e.url == "" {
				t.Skip(pgSkip)
			}
			table := uniqueTable(t)
			t.Cleanup(func() {
				Exec(context.Background(), ExecInput{URL: e.url, Statements: []string{"DROP TABLE IF EXISTS " + quoteIdent(table)}})
			})
			f(t, e, table)
		})
	}
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

func uniqueTable(t testing.TB) string {
	name := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 30 {
		name = name[:30]
	}
	return fmt.Sprintf("t_%s_%d", name, time.Now().UnixNano()%1e9)
}

// query runs a SELECT through the package's own connection.
func query(t *testing.T, url, q string, args ...any) [][]any {
	t.Helper()
	var out [][]any
	var cols int
	if i := strings.Index(q, " FROM "); i > 0 {
		cols = strings.Count(q[:i], ",") + 1
	}
	err := sqlsink.Query(driverOf(url), url, q, args, func(scan func(...any) error) error {
		row := make([]any, cols)
		ptrs := make([]any, cols)
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := scan(ptrs...); err != nil {
			return err
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func count(t *testing.T, url, table string) int64 {
	t.Helper()
	rows := query(t, url, "SELECT count(*) FROM "+quoteIdent(table))
	return rows[0][0].(int64)
}

func permanentErr(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// Row is shaped like the generated example's row type.
type Row struct {
	IssueKey      string    `db:"issue_key"`
	Project       string    `db:"project"`
	Summary       string    `db:"summary"`
	StoryPoints   *float64  `db:"story_points"`
	Labels        []string  `db:"labels"`
	UpdatedAt     time.Time `db:"updated_at"`
	SyncTimestamp time.Time `db:"sync_timestamp"`
}

func fp(f float64) *float64 { return &f }

func TestUpsertCounts(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		rows := []Row{
			{IssueKey: "PLAT-1", Project: "PLAT", Summary: "one", StoryPoints: fp(3), Labels: []string{"a"}, UpdatedAt: at},
			{IssueKey: "PLAT-2", Project: "PLAT", Summary: "two", UpdatedAt: at},
			{IssueKey: "PLAT-3", Project: "PLAT", Summary: "three", UpdatedAt: at},
		}
		out, err := Upsert(ctx, UpsertInput[Row]{URL: e.url, Table: table, Rows: rows, CreateTable: true})
		if err != nil {
			t.Fatal(err)
		}
		if out.Inserted != 3 || out.Updated != 0 || out.Failed != 0 {
			t.Fatalf("first upsert: %+v", out)
		}
		rows[0].Summary = "one, edited"
		rows[1].StoryPoints = fp(5)
		rows[2] = Row{IssueKey: "PLAT-4", Project: "PLAT", Summary: "four", UpdatedAt: at}
		out, err = Upsert(ctx, UpsertInput[Row]{URL: e.url, Table: table, Rows: rows, CreateTable: true})
		if err != nil {
			t.Fatal(err)
		}
		if out.Inserted != 1 || out.Updated != 2 || out.Failed != 0 {
			t.Fatalf("second upsert: %+v, want 1 inserted, 2 updated", out)
		}
		if n := count(t, e.url, table); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}
		got := query(t, e.url, "SELECT summary, story_points FROM "+quoteIdent(table)+" WHERE issue_key = 'PLAT-1'")
		if got[0][0] != "one, edited" {
			t.Fatalf("PLAT-1 = %v", got[0])
		}
		got = query(t, e.url, "SELECT story_points, labels FROM "+quoteIdent(table)+" WHERE issue_key = 'PLAT-2'")
		if got[0][0] != 5.0 {
			t.Fatalf("PLAT-2 story_points = %#v", got[0][0])
		}
	})
}

// Types covers every supported column type.
type Types struct {
	ID       int64 `db:"id"`
	Name     string
	Small    int8
	Count    uint16
	Ratio    float32
	Score    float64
	Points   *float64
	NoPoints *float64
	Active   bool
	When     time.Time
	MaybeAt  *time.Time
	Labels   []string
	NoLabels []string
	Attrs    map[string]int
	Nested   struct{ A, B string }
	Blob     []byte
	Raw      json.RawMessage
	Note     sql.NullString
	NoNote   sql.NullString
	Count64  sql.NullInt64
	Any      any
	Skipped  string `db:"-"`
	private  string
	Embedded
}

// Embedded fields are flattened.
type Embedded struct {
	Source string `db:"source"`
}

func TestTypesRoundTrip(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		when := time.Date(2026, 3, 1, 9, 46, 8, 304123000, time.FixedZone("", 5*3600+1800))
		in := Types{
			ID: 1, Name: "x", Small: -3, Count: 65000, Ratio: 0.5, Score: 2.25, Points: fp(3.5),
			Active: true, When: when, Labels: []string{"auth", "web"}, Attrs: map[string]int{"a": 1},
			Nested: struct{ A, B string }{"p", "q"}, Blob: []byte{0, 1, 2}, Raw: json.RawMessage(`{"k":[1,2]}`),
			Note: sql.NullString{String: "hi", Valid: true}, Count64: sql.NullInt64{Int64: 7, Valid: true},
			Any: map[string]any{"z": true}, Skipped: "no", private: "no", Embedded: Embedded{Source: "jira"},
		}
		if _, err := Upsert(ctx, UpsertInput[Types]{URL: e.url, Table: table, Rows: []Types{in}, CreateTable: true}); err != nil {
			t.Fatal(err)
		}
		cols := "id, name, small, count, ratio, score, points, no_points, active, when, maybe_at, labels, no_labels, attrs, nested, blob, raw, note, no_note, count64, any, source"
		q := "SELECT " + strings.ReplaceAll(strings.ReplaceAll(cols, "when", `"when"`), "any", `"any"`) + " FROM " + quoteIdent(table)
		got := query(t, e.url, q)
		if len(got) != 1 {
			t.Fatalf("%d rows", len(got))
		}
		r := got[0]
		m := map[string]any{}
		for i, c := range strings.Split(cols, ", ") {
			m[c] = r[i]
		}
		str := func(v any) string {
			switch x := v.(type) {
			case []byte:
				return string(x)
			case string:
				return x
			}
			b, _ := json.Marshal(v) // pgx decodes jsonb
			return string(b)
		}
		jsonEq := func(col, want string) {
			var a, b any
			if err := json.Unmarshal([]byte(str(m[col])), &a); err != nil {
				t.Fatalf("%s = %#v: %v", col, m[col], err)
			}
			json.Unmarshal([]byte(want), &b)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("%s = %s, want %s", col, str(m[col]), want)
			}
		}
		if m["id"] != int64(1) || m["name"] != "x" || m["small"] != int64(-3) || m["count"] != int64(65000) {
			t.Errorf("ints/strings: %v", r)
		}
		if m["score"] != 2.25 || m["points"] != 3.5 || m["no_points"] != nil || fmt.Sprint(m["ratio"]) != "0.5" {
			t.Errorf("floats: score %#v points %#v no_points %#v ratio %#v", m["score"], m["points"], m["no_points"], m["ratio"])
		}
		jsonEq("labels", `["auth","web"]`)
		jsonEq("no_labels", `[]`)
		jsonEq("attrs", `{"a":1}`)
		jsonEq("nested", `{"A":"p","B":"q"}`)
		jsonEq("raw", `{"k":[1,2]}`)
		jsonEq("any", `{"z":true}`)
		if !reflect.DeepEqual(m["blob"], []byte{0, 1, 2}) {
			t.Errorf("blob = %#v", m["blob"])
		}
		if str(m["note"]) != "hi" || m["no_note"] != nil || m["count64"] != int64(7) || m["source"] != "jira" || m["maybe_at"] != nil {
			t.Errorf("nullables: note %#v no_note %#v count64 %#v source %#v maybe_at %#v", m["note"], m["no_note"], m["count64"], m["source"], m["maybe_at"])
		}
		switch e.name {
		case "sqlite":
			if m["active"] != int64(1) {
				t.Errorf("active = %#v", m["active"])
			}
			if m["when"] != "2026-03-01T04:16:08.304123000Z" {
				t.Errorf("when = %#v, want fixed-width RFC 3339 UTC text", m["when"])
			}
		case "postgres":
			if m["active"] != true {
				t.Errorf("active = %#v", m["active"])
			}
			if w, ok := m["when"].(time.Time); !ok || !w.Equal(when) {
				t.Errorf("when = %#v, want %v", m["when"], when)
			}
			types := query(t, e.url, "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position", table)
			want := map[string]string{
				"id": "bigint NO", "name": "text NO", "score": "double precision NO", "points": "double precision YES",
				"active": "boolean NO", "when": "timestamp with time zone NO", "labels": "jsonb NO", "blob": "bytea NO",
				"raw": "jsonb YES", "note": "text YES", "count64": "bigint YES", "any": "jsonb YES",
			}
			for _, row := range types {
				if w, ok := want[row[0].(string)]; ok && w != row[1].(string)+" "+row[2].(string) {
					t.Errorf("column %s: %s %s, want %s", row[0], row[1], row[2], w)
				}
			}
		}
	})
}

func TestCreateTableIdempotentAndAddsColumns(t *testing.T) {
	type V1 struct {
		Key  string `db:"key"`
		Name string `db:"name"`
	}
	type V2 struct {
		Key   string   `db:"key"`
		Name  string   `db:"name"`
		Extra *float64 `db:"extra"`
		Tags  []string `db:"tags"`
	}
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		for range 2 {
			if _, err := Upsert(ctx, UpsertInput[V1]{URL: e.url, Table: table, CreateTable: true}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Upsert(ctx, UpsertInput[V1]{URL: e.url, Table: table, Rows: []V1{{"a", "A"}}, CreateTable: true}); err != nil {
			t.Fatal(err)
		}
		out, err := Upsert(ctx, UpsertInput[V2]{URL: e.url, Table: table, Rows: []V2{{"a", "A2", fp(1), nil}, {"b", "B", nil, []string{"x"}}}, CreateTable: true})
		if err != nil {
			t.Fatal(err)
		}
		if out.Inserted != 1 || out.Updated != 1 {
			t.Fatalf("%+v", out)
		}
		got := query(t, e.url, "SELECT key, extra FROM "+quoteIdent(table)+" ORDER BY key")
		if len(got) != 2 || got[0][1] != 1.0 || got[1][1] != nil {
			t.Fatalf("rows %v", got)
		}
	})
}

func TestBatchBoundaries(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		var rows []Row
		for i := range 1234 {
			rows = append(rows, Row{IssueKey: fmt.Sprintf("K-%d", i), Summary: "v1"})
		}
		out, err := Upsert(ctx, UpsertInput[Row]{URL: e.url, Table: table, Rows: rows, CreateTable: true, BatchSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		if out.Inserted != 1234 || out.Updated != 0 {
			t.Fatalf("%+v", out)
		}
		// Keys repeated within a batch and across batches count as if the
		// rows were upserted one by one; the last value wins.
		rows = []Row{
			{IssueKey: "K-0", Summary: "v2"}, {IssueKey: "NEW-1", Summary: "first"}, {IssueKey: "NEW-1", Summary: "second"}, // batch 1
			{IssueKey: "K-0", Summary: "v3"}, {IssueKey: "NEW-2", Summary: "x"}, {IssueKey: "NEW-1", Summary: "third"}, // batch 2
			{IssueKey: "K-5", Summary: "v2"}, // batch 3
		}
		out, err = Upsert(ctx, UpsertInput[Row]{URL: e.url, Table: table, Rows: rows, BatchSize: 3})
		if err != nil {
			t.Fatal(err)
		}
		if out.Inserted != 2 || out.Updated != 5 {
			t.Fatalf("%+v, want 2 inserted (NEW-1, NEW-2), 5 updated", out)
		}
		got := query(t, e.url, "SELECT issue_key, summary FROM "+quoteIdent(table)+" WHERE issue_key IN ('K-0', 'NEW-1', 'K-5') ORDER BY issue_key")
		if fmt.Sprint(got) != "[[K-0 v3] [K-5 v2] [NEW-1 third]]" {
			t.Fatalf("rows %v", got)
		}
		if n := count(t, e.url, table); n != 1236 {
			t.Fatalf("%d rows", n)
		}
	})
}

func TestCompositeKeyAndPointerRows(t *testing.T) {
	type Metric struct {
		Day     string `db:"day"`
		Project string `db:"project"`
		Value   int    `db:"value"`
	}
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		in := UpsertInput[*Metric]{URL: e.url, Table: table, Key: []string{"day", "project"}, CreateTable: true,
			Rows: []*Metric{{"2026-03-01", "PLAT", 1}, {"2026-03-01", "OPS", 2}, {"2026-03-02", "PLAT", 3}}}
		if out, err := Upsert(ctx, in); err != nil || out.Inserted != 3 {
			t.Fatalf("%+v %v", out, err)
		}
		in.Rows = []*Metric{{"2026-03-01", "PLAT", 10}, {"2026-03-03", "PLAT", 4}}
		if out, err := Upsert(ctx, in); err != nil || out.Inserted != 1 || out.Updated != 1 {
			t.Fatalf("%+v %v", out, err)
		}
		in.Rows = []*Metric{nil}
		if _, err := Upsert(ctx, in); !permanentErr(err) || !strings.Contains(err.Error(), "nil pointer") {
			t.Fatalf("nil row: %v", err)
		}
	})
}

func TestExecAndTruncate(t *testing.T) {
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		rows := []Row{{IssueKey: "A", Project: "P"}, {IssueKey: "B", Project: "P"}, {IssueKey: "C", Project: "Q"}}
		if _, err := Upsert(ctx, UpsertInput[Row]{URL: e.url, Table: table, Rows: rows, CreateTable: true}); err != nil {
			t.Fatal(err)
		}
		qt := quoteIdent(table)
		out, err := Exec(ctx, ExecInput{URL: e.url, Statements: []string{
			"CREATE INDEX IF NOT EXISTS " + quoteIdent(table+"_project") + " ON " + qt + " (project)",
			"UPDATE " + qt + " SET summary = 'x' WHERE project = 'P'",
		}})
		if err != nil {
			t.Fatal(err)
		}
		if out.RowsAffected != 2 {
			t.Fatalf("RowsAffected = %d", out.RowsAffected)
		}
		// All or nothing: a failing statement rolls back the others.
		_, err = Exec(ctx, ExecInput{URL: e.url, Statements: []string{"DELETE FROM " + qt, "SELEC nonsense"}})
		if !permanentErr(err) || !strings.Contains(err.Error(), "statement 2") {
			t.Fatalf("syntax error: %v", err)
		}
		if n := count(t, e.url, table); n != 3 {
			t.Fatalf("rolled back delete left %d rows", n)
		}
		if _, err := Exec(ctx, ExecInput{URL: e.url, NoTransaction: true, Statements: []string{"UPDATE " + qt + " SET summary = 'y'"}}); err != nil {
			t.Fatal(err)
		}

		tr, err := Truncate(ctx, TruncateInput{URL: e.url, Table: table})
		if err != nil || !tr.Truncated {
			t.Fatalf("%+v %v", tr, err)
		}
		if n := count(t, e.url, table); n != 0 {
			t.Fatalf("%d rows after truncate", n)
		}
		tr, err = Truncate(ctx, TruncateInput{URL: e.url, Table: table + "_missing", IfExists: true})
		if err != nil || tr.Truncated {
			t.Fatalf("missing with IfExists: %+v %v", tr, err)
		}
		_, err = Truncate(ctx, TruncateInput{URL: e.url, Table: table + "_missing"})
		if !permanentErr(err) {
			t.Fatalf("missing: %v", err)
		}
	})
}

func TestErrors(t *testing.T) {
	type Bad struct {
		Key string         `db:"key"`
		Fn  map[string]any `db:"labels"`
	}
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		// No table and no CreateTable.
		_, err := Upsert(ctx, UpsertInput[Row]{URL: e.url, Table: table, Rows: []Row{{IssueKey: "A"}}})
		if !permanentErr(err) || !strings.Contains(err.Error(), "CreateTable") || !strings.HasPrefix(err.Error(), "sqlsink: table "+table+": ") {
			t.Fatalf("missing table: %v", err)
		}
		// A value that cannot be encoded names table, row and column.
		_, err = Upsert(ctx, UpsertInput[Bad]{URL: e.url, Table: table, CreateTable: true, Rows: []Bad{{"a", map[string]any{"f": func() {}}}}})
		if !permanentErr(err) || !strings.HasPrefix(err.Error(), "sqlsink: table "+table+": row 0: column labels: json: unsupported type") {
			t.Fatalf("encode: %v", err)
		}
		// A table without a unique key on Key.
		other := table + "_nokey"
		if _, err := Exec(ctx, ExecInput{URL: e.url, Statements: []string{"CREATE TABLE " + quoteIdent(other) + " (issue_key TEXT, project TEXT, summary TEXT, story_points REAL, labels TEXT, updated_at TEXT, sync_timestamp TEXT)"}}); err != nil {
			t.Fatal(err)
		}
		defer Exec(ctx, ExecInput{URL: e.url, Statements: []string{"DROP TABLE " + quoteIdent(other)}})
		_, err = Upsert(ctx, UpsertInput[Row]{URL: e.url, Table: other, Rows: []Row{{IssueKey: "A"}}})
		if !permanentErr(err) || !strings.Contains(err.Error(), "primary key or unique index") {
			t.Fatalf("no unique key: %v", err)
		}
	})
	ctx := context.Background()
	for _, tc := range []struct {
		in   UpsertInput[Row]
		want string
	}{
		{UpsertInput[Row]{URL: "sqlite://never-opened.db", Table: "bad name"}, "not a valid name"},
		{UpsertInput[Row]{URL: "sqlite://never-opened.db", Table: `x"; DROP TABLE y; --`}, "not a valid name"},
		{UpsertInput[Row]{URL: "sqlite://never-opened.db", Table: "a.b.c"}, "schema.table"},
		{UpsertInput[Row]{URL: "sqlite://never-opened.db", Table: "t", Key: []string{"nope"}}, `Key column "nope" is not a column`},
		{UpsertInput[Row]{URL: "sqlite://never-opened.db", Table: "t", BatchSize: -1}, "BatchSize"},
		{UpsertInput[Row]{URL: "mysql://x/y", Table: "t"}, "unsupported scheme"},
		{UpsertInput[Row]{URL: "", Table: "t"}, "want sqlite://"},
	} {
		_, err := Upsert(ctx, tc.in)
		if !permanentErr(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want permanent %q", tc.in, err, tc.want)
		}
	}
	type Chan struct{ C chan int }
	if _, err := Upsert(ctx, UpsertInput[Chan]{URL: "sqlite://never-opened.db", Table: "t"}); !permanentErr(err) || !strings.Contains(err.Error(), "column c: unsupported Go type chan int") {
		t.Errorf("chan: %v", err)
	}
	if _, err := Upsert(ctx, UpsertInput[int]{URL: "sqlite://never-opened.db", Table: "t"}); !permanentErr(err) || !strings.Contains(err.Error(), "not a struct") {
		t.Errorf("int rows: %v", err)
	}
}

func TestSkipFailedRows(t *testing.T) {
	type Checked struct {
		Key   string `db:"key"`
		Value int    `db:"value"`
	}
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		if _, err := Exec(ctx, ExecInput{URL: e.url, Statements: []string{
			"CREATE TABLE " + quoteIdent(table) + " (key TEXT PRIMARY KEY, value INTEGER NOT NULL CHECK (value >= 0))",
		}}); err != nil {
			t.Fatal(err)
		}
		rows := []Checked{{"a", 1}, {"b", -1}, {"c", 3}, {"d", -4}}
		_, err := Upsert(ctx, UpsertInput[Checked]{URL: e.url, Table: table, Rows: rows})
		if !permanentErr(err) || !strings.Contains(err.Error(), "rows 0-3") {
			t.Fatalf("check violation: %v", err)
		}
		if n := count(t, e.url, table); n != 0 {
			t.Fatalf("failed batch left %d rows", n)
		}
		out, err := Upsert(ctx, UpsertInput[Checked]{URL: e.url, Table: table, Rows: rows, SkipFailedRows: true})
		if err != nil {
			t.Fatal(err)
		}
		if out.Inserted != 2 || out.Failed != 2 || len(out.Errors) != 2 || !strings.HasPrefix(out.Errors[0], "row 1: ") {
			t.Fatalf("%+v", out)
		}
		if n := count(t, e.url, table); n != 2 {
			t.Fatalf("%d rows", n)
		}
	})
}

func TestTransientErrors(t *testing.T) {
	ctx := context.Background()
	// Postgres that is not listening: transient, and the password stays out
	// of the message.
	url := "postgres://postgres:hunter2-secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"
	_, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: "t", Rows: []Row{{IssueKey: "A"}}, CreateTable: true})
	if err == nil || permanentErr(err) {
		t.Fatalf("connection refused: err = %v, want transient", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("password in error: %v", err)
	}
	closeHandle(url)

	// SQLite locked by another process (here: another connection holding
	// the write lock) past the busy timeout: transient.
	path := filepath.Join(t.TempDir(), "locked.db")
	url = "sqlite://" + path + "?_busy_timeout=50"
	defer closeHandle(url)
	if _, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: "t", CreateTable: true}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	_, err = Upsert(ctx, UpsertInput[Row]{URL: url, Table: "t", Rows: []Row{{IssueKey: "A"}}})
	if err == nil || permanentErr(err) {
		t.Fatalf("busy: err = %v, want transient", err)
	}
	conn.ExecContext(ctx, "ROLLBACK")
	if _, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: "t", Rows: []Row{{IssueKey: "A"}}}); err != nil {
		t.Fatalf("after the lock is released: %v", err)
	}
}

func TestConcurrentUpserts(t *testing.T) {
	ctx := context.Background()
	for _, url := range []string{"sqlite://" + filepath.Join(t.TempDir(), "c.db")} {
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := UpsertOutput{}
		for w := range 8 {
			wg.Go(func() {
				var rows []Row
				for i := range 50 {
					rows = append(rows, Row{IssueKey: fmt.Sprintf("K-%d", (w*25+i)%200)})
				}
				out, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: "conc", Rows: rows, CreateTable: true, BatchSize: 10})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				total.Inserted += out.Inserted
				total.Updated += out.Updated
				mu.Unlock()
			})
		}
		wg.Wait()
		if total.Inserted != 200 || total.Updated != 200 {
			t.Fatalf("%s: %+v, want 200 inserted and 200 updated", url, total)
		}
		if n := count(t, url, "conc"); n != 200 {
			t.Fatalf("%s: %d rows", url, n)
		}
		closeHandle(url)
	}
}

func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"IssueKey": "issue_key", "ID": "id", "HTTPServer": "http_server", "StoryPoints": "story_points",
		"UpdatedAt": "updated_at", "Field2": "field2", "APIToken": "api_token", "userID": "user_id", "A": "a",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSQLiteURLs(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	abs := "sqlite://" + filepath.Join(dir, "nested", "dir", "abs.db") // sqlite:///tmp/...
	defer closeHandle(abs)
	if _, err := Upsert(ctx, UpsertInput[Row]{URL: abs, Table: "t", Rows: []Row{{IssueKey: "A"}}, CreateTable: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nested", "dir", "abs.db")); err != nil {
		t.Fatal(err)
	}
	mode := query(t, abs, "SELECT journal_mode FROM pragma_journal_mode")
	if mode[0][0] != "wal" {
		t.Fatalf("journal_mode %v", mode)
	}
	t.Chdir(dir)
	rel := "sqlite://rel.db"
	defer closeHandle(rel)
	if _, err := Upsert(ctx, UpsertInput[Row]{URL: rel, Table: "t", Rows: []Row{{IssueKey: "A"}}, CreateTable: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rel.db")); err != nil {
		t.Fatal(err)
	}
}

func TestOutputRoundTripsJSON(t *testing.T) {
	out := UpsertOutput{Inserted: 1, Updated: 2, Failed: 1, Errors: []string{"row 3: x"}}
	b, _ := json.Marshal(out)
	var back UpsertOutput
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, out) {
		t.Fatalf("%s -> %+v %v", b, back, err)
	}
}

func benchRows(n int) []Row {
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	rows := make([]Row, n)
	for i := range rows {
		rows[i] = Row{
			IssueKey: fmt.Sprintf("PLAT-%d", i+1), Project: "PLAT", Summary: fmt.Sprintf("Issue number %d", i+1),
			StoryPoints: fp(float64(i % 8)), Labels: []string{"backend", "p1"}, UpdatedAt: at.Add(time.Duration(i) * time.Second), SyncTimestamp: at,
		}
	}
	return rows
}

// benchUpsert measures 10k-row upserts: "insert" into an empty table and
// "update" of existing keys. It reports ns/row.
func benchUpsert(b *testing.B, url string) {
	ctx := context.Background()
	rows := benchRows(10_000)
	table := uniqueTable(b)
	b.Cleanup(func() {
		Exec(ctx, ExecInput{URL: url, Statements: []string{"DROP TABLE IF EXISTS " + quoteIdent(table)}})
	})
	if _, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: table, CreateTable: true}); err != nil {
		b.Fatal(err)
	}
	b.Run("insert", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			if _, err := Truncate(ctx, TruncateInput{URL: url, Table: table}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			out, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: table, Rows: rows})
			if err != nil || out.Inserted != len(rows) {
				b.Fatal(out, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
	})
	b.Run("update", func(b *testing.B) {
		for b.Loop() {
			out, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: table, Rows: rows})
			if err != nil || out.Updated != len(rows) {
				b.Fatal(out, err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
	})
}

func BenchmarkUpsertSQLite(b *testing.B) {
	url := "sqlite://" + filepath.Join(b.TempDir(), "bench.db")
	b.Cleanup(func() { closeHandle(url) })
	benchUpsert(b, url)
}

func BenchmarkUpsertPostgres(b *testing.B) {
	url := os.Getenv("RESOLUTE_TEST_POSTGRES")
	if url == "" {
		b.Skip(pgSkip)
	}
	benchUpsert(b, url)
}

// TestURLsThatLoseData: URLs that would write into an in-memory database
// (gone at exit) or somewhere the user did not name are permanent errors
// that quote the URL and say what was expected. `sqlite://$DB` with DB
// unset used to open an in-memory database: exit 0, every row "inserted",
// the cursor advanced, the rows gone.
func TestURLsThatLoseData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct{ url, want string }{
		{"sqlite://", "sqlite://path/to/file.db"},
		{"sqlite:", "sqlite://path/to/file.db"},
		{"sqlite3://", "sqlite://path/to/file.db"},
		{"sqlite:// ", "sqlite://path/to/file.db"},
		{"sqlite://?_busy_timeout=5", "sqlite://path/to/file.db"},
		{"sqlite::memory:", "in-memory"},
		{"sqlite://:memory:", "in-memory"},
		{"sqlite://file::memory:", "in-memory"},
		{"sqlite://file::memory:?cache=shared", "in-memory"},
		{"sqlite://file:wh.db?mode=memory", "in-memory"},
		{"sqlite://wh.db?mode=memory", "in-memory"},
		{"sqlite://wh.db?vfs=memdb", "in-memory"},
		{"sqlite:wh.db", "sqlite://wh.db"},
		{"sqlite://" + dir, "is a directory"},
		{"sqlite://" + dir + "/", "is a directory"},
		{"postgres://postgres@127.0.0.1:5432", "no database name"},
		{"postgres://postgres@127.0.0.1:5432/", "no database name"},
		{"postgresql://postgres@127.0.0.1/?sslmode=disable", "no database name"},
	} {
		// A unique table: before the fix the Postgres URLs wrote into the
		// server's default database.
		_, err := Upsert(ctx, UpsertInput[Row]{URL: tc.url, Table: uniqueTable(t), Rows: []Row{{IssueKey: "A"}}, CreateTable: true})
		closeHandle(tc.url)
		if err == nil {
			t.Errorf("%q: no error; the rows went to a database that does not outlive the process (or that the URL did not name)", tc.url)
			continue
		}
		if !permanentErr(err) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), strings.TrimSpace(tc.url)) {
			t.Errorf("%q: err = %v, want a permanent error quoting the URL and saying %q", tc.url, err, tc.want)
		}
	}
	// The same through Exec and Truncate.
	if _, err := Exec(ctx, ExecInput{URL: "sqlite://", Statements: []string{"SELECT 1"}}); !permanentErr(err) {
		t.Errorf("Exec sqlite://: %v", err)
	}
	if _, err := Truncate(ctx, TruncateInput{URL: "sqlite://", Table: "t", IfExists: true}); !permanentErr(err) {
		t.Errorf("Truncate sqlite://: %v", err)
	}
}

// TestDriverPackagesRefuseTheOtherScheme: sqlite.Upsert given a postgres://
// URL (or the reverse) fails permanently, naming the node to call, before
// connecting anywhere.
func TestDriverPackagesRefuseTheOtherScheme(t *testing.T) {
	ctx := context.Background()
	pg := "postgres://etl:hunter2@127.0.0.1:1/wh"
	lite := "sqlite://" + filepath.Join(t.TempDir(), "wh.db")
	rows := []Row{{IssueKey: "A"}}
	type check struct {
		name string
		err  error
		want string
	}
	var checks []check
	_, err := sqlite.Upsert(ctx, UpsertInput[Row]{URL: pg, Table: "t", Rows: rows})
	checks = append(checks, check{"sqlite.Upsert", err, "call postgres.Upsert"})
	_, err = sqlite.Exec(ctx, ExecInput{URL: pg, Statements: []string{"SELECT 1"}})
	checks = append(checks, check{"sqlite.Exec", err, "call postgres.Exec"})
	_, err = postgres.Upsert(ctx, UpsertInput[Row]{URL: lite, Table: "t", Rows: rows})
	checks = append(checks, check{"postgres.Upsert", err, "call sqlite.Upsert"})
	_, err = postgres.Truncate(ctx, TruncateInput{URL: lite, Table: "t"})
	checks = append(checks, check{"postgres.Truncate", err, "call sqlite.Truncate"})
	for _, c := range checks {
		if !permanentErr(c.err) || !strings.Contains(c.err.Error(), c.want) || strings.Contains(c.err.Error(), "hunter2") {
			t.Errorf("%s: err = %v, want a permanent error saying %q (and no password)", c.name, c.err, c.want)
		}
	}
	if _, err := os.Stat(strings.TrimPrefix(lite, "sqlite://")); !os.IsNotExist(err) {
		t.Errorf("postgres.* created the SQLite file: %v", err)
	}
	// The driver packages write on their own engine.
	if out, err := sqlite.Upsert(ctx, UpsertInput[Row]{URL: lite, Table: "t", Rows: rows, CreateTable: true}); err != nil || out.Inserted != 1 {
		t.Fatalf("sqlite.Upsert: %+v %v", out, err)
	}
	closeHandle(lite)
}

// TestSQLiteTimesSortAsTimes: SQLite stores time columns as text; ORDER BY
// on them must be time order, also within a second. RFC 3339 with trailing
// zeros trimmed put '...:00Z' after '...:00.001Z'.
func TestSQLiteTimesSortAsTimes(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "times.db")
	defer closeHandle(url)
	type Event struct {
		ID    int          `db:"id"`
		At    time.Time    `db:"at"`
		Maybe sql.NullTime `db:"maybe"`
	}
	base := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	offsets := []time.Duration{0, time.Millisecond, 100 * time.Millisecond, 123456789, 10 * time.Microsecond, 999999999, time.Second, time.Second + 1, -1}
	var rows []Event
	for i, d := range offsets {
		at := base.Add(d).In(time.FixedZone("", -5*3600)) // the zone must not matter
		rows = append(rows, Event{ID: i, At: at, Maybe: sql.NullTime{Time: at, Valid: true}})
	}
	if _, err := sqlite.Upsert(ctx, UpsertInput[Event]{URL: url, Table: "events", Rows: rows, CreateTable: true}); err != nil {
		t.Fatal(err)
	}
	want := append([]Event(nil), rows...)
	slices.SortFunc(want, func(a, b Event) int { return a.At.Compare(b.At) })
	for _, col := range []string{"at", "maybe"} {
		got := query(t, url, "SELECT id, "+col+" FROM events ORDER BY "+col)
		for i, r := range got {
			if r[0] != int64(want[i].ID) {
				t.Fatalf("ORDER BY %s: %v, want the order of %v", col, got, want)
			}
			s := r[1].(string)
			if len(s) != len("2006-01-02T15:04:05.000000000Z") {
				t.Errorf("%s = %q: not fixed width", col, s)
			}
			back, err := time.Parse(time.RFC3339Nano, s)
			if err != nil || !back.Equal(want[i].At) {
				t.Errorf("%s = %q reads back as %v, %v; want %v", col, s, back, err, want[i].At)
			}
		}
	}
}

// TestSQLiteOldTimeFormat: rows written by the previous encoding (RFC 3339,
// trailing zeros trimmed) still read back, and the documented UPDATE turns
// them into the fixed-width form so that a mixed table sorts by time.
func TestSQLiteOldTimeFormat(t *testing.T) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(t.TempDir(), "old.db")
	defer closeHandle(url)
	type Event struct {
		ID int       `db:"id"`
		At time.Time `db:"at"`
	}
	if _, err := sqlite.Exec(ctx, ExecInput{URL: url, Statements: []string{
		"CREATE TABLE events (id INTEGER NOT NULL PRIMARY KEY, at TEXT NOT NULL)",
		"INSERT INTO events VALUES (1, '2026-01-05T10:00:00Z'), (2, '2026-01-05T10:00:00.5Z'), (3, '2026-01-05T10:00:01.123456789Z')",
	}}); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	// New rows next to the old ones.
	if _, err := sqlite.Upsert(ctx, UpsertInput[Event]{URL: url, Table: "events", CreateTable: true,
		Rows: []Event{{4, base.Add(time.Millisecond)}, {5, base.Add(time.Second)}}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range query(t, url, "SELECT id, at FROM events") {
		if _, err := time.Parse(time.RFC3339Nano, r[1].(string)); err != nil {
			t.Errorf("row %v: %v", r, err)
		}
	}
	// The fix from the package documentation.
	if _, err := sqlite.Exec(ctx, ExecInput{URL: url, Statements: []string{sqlsink.FixSQLiteTimes("events", "at")}}); err != nil {
		t.Fatal(err)
	}
	got := query(t, url, "SELECT id, at FROM events ORDER BY at")
	if fmt.Sprint(got) != "[[1 2026-01-05T10:00:00.000000000Z] [4 2026-01-05T10:00:00.001000000Z] [2 2026-01-05T10:00:00.500000000Z] [5 2026-01-05T10:00:01.000000000Z] [3 2026-01-05T10:00:01.123456789Z]]" {
		t.Fatalf("after the fix: %v", got)
	}
}

// TestCreateTableRememberedUntilExec: an upsert with CreateTable makes sure
// of its table once per process (not once per page), and a statement run
// through Exec or Truncate, which may drop the table, makes the next upsert
// make sure again.
func TestCreateTableRememberedUntilExec(t *testing.T) {
	type R struct {
		Key string `db:"key"`
	}
	forEngine(t, func(t *testing.T, e engine, table string) {
		ctx := context.Background()
		up := func(key string) {
			t.Helper()
			if _, err := Upsert(ctx, UpsertInput[R]{URL: e.url, Table: table, Rows: []R{{key}}, CreateTable: true}); err != nil {
				t.Fatal(err)
			}
		}
		up("a")
		up("b")
		if _, err := Exec(ctx, ExecInput{URL: e.url, Statements: []string{"DROP TABLE " + quoteIdent(table)}}); err != nil {
			t.Fatal(err)
		}
		up("c") // the table is created again
		if n := count(t, e.url, table); n != 1 {
			t.Fatalf("%d rows after the drop and one upsert, want 1", n)
		}
	})
}
