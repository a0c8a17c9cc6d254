// Package torture_test is the crash-and-fault harness of the seed's data
// sync (examples/jira-sync): it builds the generated program, serves a fake
// Jira (jiratest) whose issues change while the program runs, kills the
// program with SIGKILL at random moments, and then checks that after the
// run completes, and at most one more run, the warehouse holds every issue
// of the source in its latest version. It counts the pages the kills made
// the program read again.
//
// By default a short version runs (a few kills over a small backlog), on
// SQLite and, when RESOLUTE_TEST_POSTGRES is set, on PostgreSQL. The full
// one is documented in the README:
//
//	go test ./internal/torture -run Torture -v -torture.kills 50 -torture.issues 20000 -timeout 30m
//	go test ./internal/torture -run Torture -v -torture.faults
package torture_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/resolute/resolute-gen/gen"
	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

var (
	flagKills     = flagInt("torture.kills", 4, "SIGKILLs during the first run")
	flagIssues    = flagInt("torture.issues", 1500, "issues in the fake Jira at the start")
	flagFaults    = flagBool("torture.faults", false, "also inject faults while killing: 503, 429 with Retry-After, dropped and hanging connections, HTML bodies")
	flagMaxReread = flagFloat("torture.max-reread", 0, "fail if the issues read in all, over the issues at the start plus the changes made during the run, exceed this ratio (0: only report)")
	flagSeed      = flagUint("torture.seed", 0, "random seed (0: from the clock; the seed is logged)")
)

const (
	email   = "torture@example.com"
	token   = "torture-api-token-4f0b9c"
	project = "PLATFORM"
	table   = "jira_issues"
)

// hostile summaries: quotes, unicode, SQL and placeholder-looking text.
var hostile = []string{
	`O'Brien said "hi"; DROP TABLE jira_issues; --`,
	"naïve ünïcödé ✓ 日本語 \u2028 line sep",
	"[REDACTED:JIRA_API_TOKEN] [REDACTED] \\u005bREDACTED",
	"tab\tand\nnewline and \\ backslash",
	"${env.JIRA_API_TOKEN} $${x} %s %v",
}

func TestTortureSQLite(t *testing.T) {
	torture(t, "sqlite", func() string { return "sqlite://" + filepath.Join(t.TempDir(), "warehouse.db") })
}

func TestTorturePostgres(t *testing.T) {
	base := os.Getenv("RESOLUTE_TEST_POSTGRES")
	if base == "" {
		t.Skip("RESOLUTE_TEST_POSTGRES is not set; skipping the PostgreSQL torture run")
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	// Each warehouse is a schema of its own.
	torture(t, "postgres", func() string {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		schema := fmt.Sprintf("torture_%d_%d", os.Getpid(), rand.IntN(1_000_000_000))
		if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c, err := pgx.Connect(context.Background(), base)
			if err == nil {
				c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
				c.Close(context.Background())
			}
		})
		return base + sep + "search_path=" + schema
	})
}

// source is what the test believes the fake holds: the latest version of
// every issue that matches the flow's query.
type source struct {
	mu     sync.Mutex
	issues map[string]jiratest.Issue // key -> latest, in project PLATFORM only
	last   time.Time                 // newest Updated handed out
	next   int                       // next new issue number
}

// stamp returns a new Updated time, strictly after every earlier one at
// millisecond precision (Jira's).
func (s *source) stamp() time.Time {
	now := time.Now().UTC().Truncate(time.Millisecond)
	if !now.After(s.last) {
		now = s.last.Add(time.Millisecond)
	}
	s.last = now
	return now
}

func torture(t *testing.T, kind string, newWarehouse func() string) {
	warehouseURL := newWarehouse()
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (rerun with -torture.seed %d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x70_72_74))

	bin := build(t, kind)

	srv := jiratest.NewServer()
	t.Cleanup(srv.Close)
	srv.RequireBasic(email, token)
	src := &source{issues: map[string]jiratest.Issue{}}
	start := time.Now().UTC().Add(-30 * 24 * time.Hour).Truncate(time.Millisecond)
	for i, is := range jiratest.Seed(*flagIssues, start) {
		is.Key = fmt.Sprintf("%s-%d", project, i+1)
		if i%97 == 0 {
			is.Summary = hostile[i%len(hostile)]
		}
		src.issues[is.Key] = is
		src.last = is.Updated.UTC().Truncate(time.Millisecond)
	}
	src.next = *flagIssues + 1
	for _, is := range src.issues {
		srv.Put(is)
	}

	state := t.TempDir()
	env := []string{
		"JIRA_BASE_URL=" + srv.URL, "JIRA_EMAIL=" + email, "JIRA_API_TOKEN=" + token,
		"WAREHOUSE_URL=" + warehouseURL, "RESOLUTE_STATE_DIR=" + state,
	}

	// Calibrate: how long does a clean first run take, and how many
	// requests does it make? A throwaway state dir and warehouse.
	calDir := t.TempDir()
	calEnv := []string{
		"JIRA_BASE_URL=" + srv.URL, "JIRA_EMAIL=" + email, "JIRA_API_TOKEN=" + token,
		"WAREHOUSE_URL=" + newWarehouse(), "RESOLUTE_STATE_DIR=" + filepath.Join(calDir, "state"),
	}
	t0 := time.Now()
	if out, code := runOnce(t, bin, calEnv, 0); code != 0 {
		t.Fatalf("calibration run failed (exit %d):\n%s", code, out)
	}
	clean := time.Since(t0)
	cleanRequests := srv.RequestCount()
	srv.ResetRequests()
	t.Logf("clean first run: %v, %d requests for %d issues", clean.Round(time.Millisecond), cleanRequests, *flagIssues)

	// Mutate the source while the program runs.
	stop := make(chan struct{})
	var mutators sync.WaitGroup
	mutations := 0
	mutators.Add(1)
	go func() {
		defer mutators.Done()
		mrng := rand.New(rand.NewPCG(seed, 2))
		tick := time.NewTicker(15 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			mutate(srv, src, mrng, &mutations)
		}
	}()

	if *flagFaults {
		// Every kind of fault a real Jira, its proxies and the network
		// produce: the program retries the transient ones under the step's
		// policy, fails at once on an HTML page (permanent), and the next
		// start resumes.
		srv.SetFaults(jiratest.Faults{ServerError: 0.03, RateLimit: 0.03, RetryAfter: "1",
			Drop: 0.02, Hang: 0.01, HTML: 0.005, Seed: seed})
	}

	// Kill the first run at random moments; each start resumes it.
	kills, finished := 0, false
	// Spread the kills over about one clean run's worth of work: a run that
	// resumes makes progress, so kills must come faster than a whole run.
	maxDelay := 2*clean/time.Duration(max(*flagKills, 1)) + 20*time.Millisecond
	for kills < *flagKills {
		delay := time.Duration(rng.Int64N(int64(maxDelay))) + 5*time.Millisecond
		out, code := runOnce(t, bin, env, delay)
		switch code {
		case -9:
			kills++
			continue
		case 0:
			finished = true
		default:
			if !*flagFaults {
				t.Fatalf("run failed (exit %d) with no faults injected:\n%s", code, out)
			}
			continue // a fault exhausted the retries: the next start resumes
		}
		break
	}
	close(stop)
	mutators.Wait()
	srv.SetFaults(jiratest.Faults{})

	// Finish: the run (resumed), then at most one more.
	runs := 0
	for !finished || runs < 1 {
		out, code := runOnce(t, bin, env, 0)
		if code != 0 {
			t.Fatalf("run after the kills failed (exit %d):\n%s", code, out)
		}
		finished = true
		runs++
	}
	out, code := runOnce(t, bin, env, 0)
	if code != 0 {
		t.Fatalf("the extra run failed (exit %d):\n%s", code, out)
	}

	got := warehouse(t, kind, warehouseURL)
	missing, stale := 0, 0
	var examples []string
	for key, want := range src.issues {
		row, ok := got[key]
		switch {
		case !ok:
			missing++
			if len(examples) < 5 {
				examples = append(examples, key+" missing")
			}
		case row.summary != want.Summary || !row.updated.Equal(want.Updated.UTC().Truncate(time.Millisecond)):
			stale++
			if len(examples) < 5 {
				examples = append(examples, fmt.Sprintf("%s: have %q at %v, want %q at %v", key, row.summary, row.updated, want.Summary, want.Updated.UTC()))
			}
		}
	}
	reqs := srv.Requests()
	searches, issuesRead := 0, 0
	for _, r := range reqs {
		if strings.HasSuffix(r.Path, "/search/jql") {
			searches++
			issuesRead += r.Issues
		}
	}
	t.Logf("%s: %d kills, %d mutations, %d source issues, %d search requests (a clean first run made %d), %d issues read in all",
		kind, kills, mutations, len(src.issues), searches, cleanRequests, issuesRead)
	if c := srv.Counts(); *flagFaults {
		t.Logf("%s: faults served: %d 5xx, %d 429, %d dropped, %d hung, %d HTML", kind, c.ServerErrors, c.RateLimited, c.Dropped, c.Hung, c.HTML)
	}
	// Every change made during the run is read once more by a run that is
	// never killed too (the walk meets the changed issue again at its new
	// place); the kills' cost is what is read beyond that.
	ratio := float64(issuesRead) / float64(*flagIssues+mutations)
	t.Logf("%s: issues read / (issues at the start + changes during the run) = %.2f (over the issues stored: %.2f)",
		kind, ratio, float64(issuesRead)/float64(len(src.issues)))
	if missing+stale > 0 {
		t.Fatalf("%s: warehouse != source after the run and one more: %d missing, %d stale; e.g. %s",
			kind, missing, stale, strings.Join(examples, "; "))
	}
	if *flagMaxReread > 0 && ratio > *flagMaxReread {
		t.Fatalf("%s: read %.2fx the data set, more than -torture.max-reread %.2f", kind, ratio, *flagMaxReread)
	}
}

// mutate updates, creates or moves one issue, as people do while a sync runs.
func mutate(srv *jiratest.Server, src *source, rng *rand.Rand, n *int) {
	src.mu.Lock()
	defer src.mu.Unlock()
	*n++
	switch r := rng.IntN(20); {
	case r < 14: // update an existing issue
		key := fmt.Sprintf("%s-%d", project, 1+rng.IntN(src.next-1))
		is, ok := src.issues[key]
		if !ok {
			return
		}
		is.Summary = fmt.Sprintf("edited %d: %s", *n, hostile[*n%len(hostile)])
		is.Updated = src.stamp()
		src.issues[key] = is
		srv.Put(is)
	case r < 18: // create one
		key := fmt.Sprintf("%s-%d", project, src.next)
		src.next++
		is := jiratest.Issue{Key: key, ProjectName: "Platform", Summary: "created " + key, Status: "To Do", Updated: src.stamp()}
		src.issues[key] = is
		srv.Put(is)
	default: // move one out of the project (it leaves the query)
		key := fmt.Sprintf("%s-%d", project, 1+rng.IntN(src.next-1))
		if _, ok := src.issues[key]; !ok {
			return
		}
		delete(src.issues, key)
		srv.Delete(key)
		srv.Put(jiratest.Issue{Key: fmt.Sprintf("OTHER-%d", *n), ProjectName: "Other", Summary: "moved " + key, Updated: src.stamp()})
	}
}

// runOnce runs `prog run --once`; with a delay, it sends SIGKILL after it
// (exit code -9 when the kill landed).
func runOnce(t *testing.T, bin string, env []string, kill time.Duration) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, "run", "--once")
	cmd.Env = append(os.Environ(), env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if kill > 0 {
		timer := time.AfterFunc(kill, func() { cmd.Process.Signal(syscall.SIGKILL) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	if err == nil {
		return out.String(), 0
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return out.String(), -int(ws.Signal())
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// build generates examples/jira-sync for the warehouse kind and builds it.
func build(t *testing.T, kind string) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(root, "examples/jira-sync/sync.toml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(spec)
	// A hanging connection (fault mode) times out in 2s, not Jira's 60s.
	text = strings.Replace(text, "\nPageSize = 100\n", "\nPageSize = 100\nRequestTimeout = \"2s\"\n", 1)
	if !strings.Contains(text, "RequestTimeout") {
		t.Fatal("examples/jira-sync/sync.toml no longer has the line PageSize = 100 that the harness extends")
	}
	if kind == "postgres" {
		text = strings.ReplaceAll(text, `"sqlite.`, `"postgres.`)
	}
	src, err := os.MkdirTemp(root, "torturebuild")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(src)
	specPath := filepath.Join(src, "sync.toml")
	if err := os.WriteFile(specPath, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	code, err := gen.Generate([]string{specPath}, gen.Config{Dir: src, Version: "(torture test)"})
	if err != nil {
		t.Fatalf("generating the jira-sync example:\n%v", err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), code, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "sync")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the jira-sync example: %v\n%s", err, out)
	}
	return bin
}

type row struct {
	summary string
	updated time.Time
}

// warehouse reads the table: key -> summary and updated_at.
func warehouse(t *testing.T, kind, url string) map[string]row {
	t.Helper()
	driver, dsn := "sqlite", strings.TrimPrefix(url, "sqlite://")
	if kind == "postgres" {
		driver, dsn = "pgx", url
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT issue_key, summary, updated_at FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]row{}
	for rows.Next() {
		var key, summary string
		var updated any
		if err := rows.Scan(&key, &summary, &updated); err != nil {
			t.Fatal(err)
		}
		var ts time.Time
		switch v := updated.(type) {
		case time.Time:
			ts = v
		case string:
			ts, err = time.Parse(time.RFC3339Nano, v)
			if err != nil {
				t.Fatalf("updated_at %q of %s: %v", v, key, err)
			}
		default:
			t.Fatalf("updated_at of %s has type %T", key, updated)
		}
		out[key] = row{summary: summary, updated: ts.UTC().Truncate(time.Millisecond)}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
