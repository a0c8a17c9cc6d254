package examples_test

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

// TestStreamCrashAt90PercentRefetchesOnePage kills the seed's data sync
// (examples/jira-sync: a stream of jira.FetchPage, pages of 100, read_ahead
// 1) with SIGKILL at 90% of a first run, up to 30 ms after the source
// starts answering a page request (the answer may be on the wire, being
// decoded and cached, or in the body), then starts it again: the source serves at most one page twice over the
// two runs. The pages the dead process had fetched but not finished come
// back from the stream's page cache; only a page whose answer was on the
// wire may be asked for again.
//
// RESOLUTE_CRASH_ISSUES sets the size of the backlog (default 10,000; the
// figure in the README is for 100,000).
func TestStreamCrashAt90PercentRefetchesOnePage(t *testing.T) {
	issues := 10_000
	if v := os.Getenv("RESOLUTE_CRASH_ISSUES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			t.Fatalf("RESOLUTE_CRASH_ISSUES=%q: want a number >= 1000", v)
		}
		issues = n
	}
	if testing.Short() {
		issues = 2_000
	}
	const pageSize = 100
	bin := program(t, "jira-sync")
	srv := site(t, map[string]int{"PLATFORM": issues})
	dir := t.TempDir()
	e := env(srv, dir)

	stopAt := issues / pageSize * 9 / 10 // 0-based search request number
	cmd := exec.Command(bin, "run", "--once")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), e...)
	var once sync.Once
	killed := make(chan struct{})
	srv.BeforeSearch(func(n int, _ jiratest.Request) {
		if n == stopAt {
			once.Do(func() {
				// Up to a page's time later: while the answer is on the
				// wire, being decoded, cached, or handled by the body.
				time.AfterFunc(time.Duration(rand.IntN(30))*time.Millisecond, func() {
					cmd.Process.Signal(syscall.SIGKILL)
					close(killed)
				})
			})
		}
	})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	select {
	case <-killed:
	case <-time.After(5 * time.Second):
		t.Fatalf("the first run ended before its search request %d: %v", stopAt, err)
	}
	srv.BeforeSearch(nil)
	journal, err := os.ReadFile(filepath.Join(dir, ".resolute", "journal", "jira-warehouse-sync.jsonl"))
	if err != nil {
		t.Fatalf("no journal after the kill: %v", err)
	}
	done := strings.Count(string(journal), `"type":"page"`)
	first := len(srv.Requests())

	out := mustSucceed(t, bin, dir, e, "run", "--once")
	if !strings.Contains(out, "resumed=true") {
		t.Errorf("the second run did not resume:\n%s", out)
	}
	db := openDB(t, dir)
	var rows int
	if err := db.QueryRow("SELECT count(DISTINCT issue_key) FROM jira_issues").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != issues {
		t.Fatalf("jira_issues has %d keys, want the %d issues of the source", rows, issues)
	}

	// A page is a request: its JQL (a seek walk's changes with each page),
	// Jira's token, fields and size. Asked for twice, it was fetched again.
	seen := map[string]int{}
	searches := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/search/jql") {
			searches++
			seen[r.JQL+"\x00"+r.NextPageToken+"\x00"+r.Fields+"\x00"+r.MaxResults]++
		}
	}
	again := searches - len(seen)
	t.Logf("%d issues; killed at search request %d (%d page records journaled); the source served %d page requests for %d pages (%d before the kill): %d fetched again; page cache hits: %d",
		issues, stopAt, done, searches, len(seen), first, again, strings.Count(out, "stream page read from the page cache"))
	if again > 1 {
		t.Errorf("%d pages were fetched again after the kill, want at most 1", again)
	}
	if pagesDir := filepath.Join(dir, ".resolute", "pages"); dirEntries(pagesDir) != 0 {
		t.Errorf("%s holds files after the run succeeded", pagesDir)
	}
}
