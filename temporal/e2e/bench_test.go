package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
	"github.com/resolute/resolute-gen/temporal/tprt"
)

const benchPages = 10 // of 100 issues

// BenchmarkPagedSync runs the jira-sync example (a stream of 10 pages of
// 100 issues, each page mapped, de-duplicated and upserted into SQLite)
// from the initial cursor, on each target. One op is one whole sync: a
// process of the standalone program, a workflow on a warm Temporal worker.
//
//	cd temporal/e2e && go test -run '^$' -bench PagedSync -benchtime 10x
func BenchmarkPagedSync(b *testing.B) {
	fake := jiratest.NewServer()
	defer fake.Close()
	fake.Generate(benchPages*100, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))

	b.Run("standalone", func(b *testing.B) {
		bin := build(b, "bench-standalone", generate(b, "standalone", jiraSpec))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dir := b.TempDir()
			b.StartTimer()
			run(b, bin, jiraEnv(fake, dir), "run", "--once", "--state-dir", dir)
		}
	})

	b.Run("temporal", func(b *testing.B) {
		bin := build(b, "bench-temporal", generate(b, "temporal", jiraSpec))
		ts := temporaltest.NewServer()
		defer ts.Stop()
		dir := b.TempDir()
		startWorker(b, bin, jiraEnv(fake, dir), append(connArgs(ts, "bench"), "--state-dir", dir)...)
		cl := ts.GetDefaultClient()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			os.Remove(filepath.Join(dir, "cursors.json")) // from the initial cursor again
			b.StartTimer()
			wr, err := cl.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: fmt.Sprintf("bench-%d", i), TaskQueue: "bench"}, "jira-warehouse-sync", tprt.Input{})
			if err != nil {
				b.Fatal(err)
			}
			if err := wr.Get(context.Background(), nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
