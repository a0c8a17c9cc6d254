package sqlsink_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkUpsertSQLitePage measures what a streamed sync does per page:
// one Upsert call of 100 rows (one transaction) into a SQLite file, on the
// process's cached connection. "insert" writes new keys, "update" rewrites
// the same page. ns/op and allocs/op are per page.
func BenchmarkUpsertSQLitePage(b *testing.B) {
	ctx := context.Background()
	url := "sqlite://" + filepath.Join(b.TempDir(), "page.db")
	b.Cleanup(func() { closeHandle(url) })
	page := benchRows(100)
	if _, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: "pages", Rows: page, CreateTable: true}); err != nil {
		b.Fatal(err)
	}
	n := 0 // across the framework's calls of the sub-benchmark: keys stay new
	b.Run("insert", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n++
			for i := range page {
				page[i].IssueKey = "P" + strconv.Itoa(n) + "-" + strconv.Itoa(i)
			}
			out, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: "pages", Rows: page})
			if err != nil || out.Inserted != len(page) {
				b.Fatal(out, err)
			}
		}
	})
	b.Run("update", func(b *testing.B) {
		page := benchRows(100) // the keys written above
		b.ReportAllocs()
		for b.Loop() {
			out, err := Upsert(ctx, UpsertInput[Row]{URL: url, Table: "pages", Rows: page})
			if err != nil || out.Updated != len(page) {
				b.Fatal(out, err)
			}
		}
	})
}
