package pgstore_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/cursorstore/internal/storetest"
	"github.com/resolute/resolute-gen/runtime/cursorstore/pgstore"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// baseURL returns $RESOLUTE_TEST_POSTGRES or skips the test.
func baseURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("RESOLUTE_TEST_POSTGRES")
	if u == "" {
		t.Skip("RESOLUTE_TEST_POSTGRES is not set (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable); skipping the PostgreSQL cursor store tests")
	}
	return u
}

// tableURL returns the test database's URL with a new table of this test,
// dropped when the test ends.
func tableURL(t *testing.T) (string, string) {
	t.Helper()
	base := baseURL(t)
	table := storetest.Unique("cursors_test_")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("cursor_table", table)
	u.RawQuery = q.Encode()
	t.Cleanup(func() { exec(t, base, `DROP TABLE IF EXISTS `+table) })
	return u.String(), table
}

func exec(t *testing.T, base, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func opener(u string) storetest.Opener {
	return func(t *testing.T, ns string) cursorstore.Store {
		t.Helper()
		s, err := pgstore.Open(context.Background(), cursorstore.Config{URL: u, Namespace: ns, Program: "prog"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.(*pgstore.Store).Close() })
		return s
	}
}

func TestContract(t *testing.T) {
	u, _ := tableURL(t)
	storetest.Contract(t, opener(u))
}

// One bad value makes the whole commit fail: the other value of the same
// commit is not visible either.
func TestCommitIsOneTransaction(t *testing.T) {
	u, _ := tableURL(t)
	s := opener(u)(t, "ns")
	ctx := context.Background()
	if err := s.Commit(ctx, map[string]string{"a": "1", "b": "1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, map[string]string{"a": "2", "b": "bad\x00"}, nil); err == nil {
		t.Fatal("a value PostgreSQL rejects (NUL) was committed")
	}
	m, err := s.Load(ctx)
	if err != nil || m["a"] != "1" || m["b"] != "1" {
		t.Errorf("after a failed commit: %v %v, want a=1 b=1", m, err)
	}
}

func TestOpenCreatesTableAndDescribesStore(t *testing.T) {
	u, table := tableURL(t)
	s := opener(u)(t, "sync")
	desc := s.(*pgstore.Store).String()
	if !strings.Contains(desc, "table "+table+`, namespace "sync"`) || strings.Contains(desc, "cursor_table") {
		t.Errorf("description %q", desc)
	}
	// A second Open on the existing table works.
	opener(u)(t, "sync")
}

func TestForeignTable(t *testing.T) {
	u, table := tableURL(t)
	exec(t, baseURL(t), `CREATE TABLE `+table+` (id int)`)
	_, err := pgstore.Open(context.Background(), cursorstore.Config{URL: u, Namespace: "ns", Program: "prog"})
	if err == nil {
		t.Fatal("Open accepted a table that is not a cursor table")
	}
	for _, s := range []string{table, "is not a cursor table", "cursor_table=NAME"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not contain %q: %v", s, err)
		}
	}
}

func TestNullValueIsAStateError(t *testing.T) {
	u, table := tableURL(t)
	s := opener(u)(t, "ns")
	exec(t, baseURL(t), `ALTER TABLE `+table+` ALTER COLUMN value DROP NOT NULL; INSERT INTO `+table+` (namespace, name, value) VALUES ('ns', 'c', NULL)`)
	_, err := s.Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "holds a row this program cannot read") || !strings.Contains(err.Error(), "prog cursor set NAME VALUE") {
		t.Fatalf("Load: %v", err)
	}
	// A state error: the program exits with status 2.
	m := storetest.NewMachine(t, "TP_STORE=postgres", "RESOLUTE_CURSOR_STORE="+u, "RESOLUTE_CURSOR_NAMESPACE=ns")
	r := m.Run(nil, "run", "--once", "sync")
	if r.Code != 2 || !strings.Contains(r.Stderr, "testprog cursor set NAME VALUE") {
		t.Errorf("run over a bad row: exit %d, want 2\n%s", r.Code, r.Stderr)
	}
}

func TestBadURL(t *testing.T) {
	for _, u := range []string{"mysql://x/y", "host=localhost dbname=x", "postgres://x/y?cursor_table=drop;table"} {
		if _, err := pgstore.New(cursorstore.Config{URL: u, Namespace: "ns"}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

func TestProgram(t *testing.T) {
	u, _ := tableURL(t)
	storetest.Program(t, opener(u), []string{"TP_STORE=postgres", "RESOLUTE_CURSOR_STORE=" + u},
		"postgres://etl:s3cret-pw@127.0.0.1:1/x?connect_timeout=5", "postgres://")
}

func TestShapes(t *testing.T) {
	u, _ := tableURL(t)
	storetest.Shapes(t, opener(u), []string{"TP_STORE=postgres", "RESOLUTE_CURSOR_STORE=" + u})
}
