package examples_test

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// TestStreamResumesAfterSIGKILL kills the pagination example (a stream of
// jira.FetchPage, read_ahead = 1, pages of 10) at a random page and runs it
// again: the table ends equal to the source, and the two runs together
// fetched at most one page twice. The request the kill lands on is held
// by a proxy and never reaches the source; the page whose body was running
// and the page read ahead come back from the stream's page cache, so here
// no page is fetched twice at all.
func TestStreamResumesAfterSIGKILL(t *testing.T) {
	const issues, pageSize, readAhead = 300, 10, 1
	bin := program(t, "pagination")
	srv := site(t, map[string]int{"PLATFORM": issues})
	dir := t.TempDir()

	// A clean run against the same source counts the page requests of an
	// uninterrupted walk (seek pages re-read the issue at their boundary, so
	// it is not issues/pageSize).
	cleanDir := t.TempDir()
	mustSucceed(t, bin, cleanDir, env(srv, cleanDir), "run", "--once")
	pages := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/search/jql") {
			pages++
		}
	}
	srv.ResetRequests()

	// A proxy in front of the fake holds search request number stopAt until
	// the process is dead, so the kill lands on a known page.
	stopAt := 3 + rand.IntN(issues/pageSize-5)
	t.Logf("killing the run at its page request %d", stopAt)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	searches := 0
	reached, release := make(chan struct{}), make(chan struct{})
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/search/jql") {
			mu.Lock()
			searches++
			n := searches
			mu.Unlock()
			if n == stopAt {
				close(reached)
				<-release
				http.Error(w, "gone", http.StatusBadGateway)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	var e []string
	for _, kv := range env(srv, dir) {
		if strings.HasPrefix(kv, "JIRA_BASE_URL=") {
			kv = "JIRA_BASE_URL=" + front.URL
		}
		e = append(e, kv)
	}

	cmd := exec.Command(bin, "run", "--once")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), e...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-reached
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(release)
	journal, err := os.ReadFile(filepath.Join(dir, ".resolute", "journal", "paginated-sync.jsonl"))
	if err != nil {
		t.Fatalf("no journal after the kill: %v", err)
	}
	done := strings.Count(string(journal), `"type":"page"`)
	if done == 0 || done >= pages {
		t.Fatalf("%d page records after the kill at request %d", done, stopAt)
	}
	if strings.Contains(string(journal), "Seeded issue") {
		t.Errorf("the journal holds page items:\n%s", journal)
	}

	out := mustSucceed(t, bin, dir, e, "run", "--once")
	if !strings.Contains(out, "resumed=true") {
		t.Errorf("the second run did not resume:\n%s", out)
	}
	db := openDB(t, dir)
	var rows, keys int
	if err := db.QueryRow("SELECT count(*), count(DISTINCT issue_key) FROM issues").Scan(&rows, &keys); err != nil {
		t.Fatal(err)
	}
	if rows != issues || keys != issues {
		t.Fatalf("issues has %d rows (%d keys), want the %d issues of the source", rows, keys, issues)
	}
	fetched := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/search/jql") {
			fetched++
		}
	}
	if again := fetched - pages; again > 1 {
		t.Errorf("the source served %d page requests for %d pages: %d pages fetched again, want at most 1 (read_ahead = %d)", fetched, pages, again, readAhead)
	}
	if !strings.Contains(out, "stream page read from the page cache") {
		t.Errorf("the second run read no page from the page cache:\n%s", out)
	}
	if pagesDir := filepath.Join(dir, ".resolute", "pages"); dirEntries(pagesDir) != 0 {
		t.Errorf("%s holds files after the run succeeded", pagesDir)
	}
	t.Logf("killed after %d page records; %d page requests for %d pages", done, fetched, pages)
}

// dirEntries counts the files under dir (0 when it does not exist).
func dirEntries(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}
