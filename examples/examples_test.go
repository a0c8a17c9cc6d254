// Package examples_test generates, builds and runs every example against
// the in-repo fake of Jira (jiratest) and a real SQLite warehouse, and checks
// what each one promises: rows in the table, cursors, dead letters, logs.
package examples_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite"

	"github.com/resolute/resolute-gen/gen"
	"github.com/resolute/resolute-gen/runtime/confluence/confluencetest"
	"github.com/resolute/resolute-gen/runtime/github/githubtest"
	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

const (
	email = "sync-bot@example.com"
	token = "s3cr3t-api-token-value"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// examples lists the example directories; each builds to a binary of the
// same name.
var examples = []string{
	"quickstart", "jira-sync", "pagination", "multi-source", "dead-letter",
	"on-error", "rollback", "full-reindex", "metrics", "postgres", "redis-cursors",
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// program generates every example once, builds them with one go build, and
// returns the path of the named example's binary.
func program(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() { binDir, buildErr = buildAll() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, name)
}

func buildAll() (string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return "", err
	}
	src, err := os.MkdirTemp(root, "examplebuild")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(src)
	bins, err := os.MkdirTemp("", "resolute-examples")
	if err != nil {
		return "", err
	}
	for _, ex := range examples {
		specs, _ := filepath.Glob(filepath.Join(ex, "*.toml"))
		out, err := gen.Generate(specs, gen.Config{Dir: ex, Version: "(examples test)"})
		if err != nil {
			return "", fmt.Errorf("generating example %s:\n%v", ex, err)
		}
		dir := filepath.Join(src, ex)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), out, 0o644); err != nil {
			return "", err
		}
	}
	cmd := exec.Command("go", "build", "-o", bins+string(filepath.Separator), "./"+filepath.Base(src)+"/...")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the examples: %v\n%s", err, out)
	}
	return bins, nil
}

// site is a fake Jira with issues in the given projects.
func site(t *testing.T, perProject map[string]int) *jiratest.Server {
	t.Helper()
	srv := jiratest.NewServer()
	t.Cleanup(srv.Close)
	srv.RequireBasic(email, token)
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for project, n := range perProject {
		for i, is := range jiratest.Seed(n, start) {
			is.Key = fmt.Sprintf("%s-%d", project, i+1)
			is.ProjectName = strings.ToLower(project)
			srv.Put(is)
		}
	}
	return srv
}

// env is what every Jira example reads, pointed at srv and a fresh SQLite
// file in dir.
func env(srv *jiratest.Server, dir string) []string {
	return []string{
		"JIRA_BASE_URL=" + srv.URL,
		"JIRA_EMAIL=" + email,
		"JIRA_API_TOKEN=" + token,
		"WAREHOUSE_URL=sqlite://" + filepath.Join(dir, "warehouse.db"),
	}
}

// runProgram runs bin with args in dir and returns its output and exit code.
func runProgram(t *testing.T, bin, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("%s %v: %v", bin, args, err)
	return "", 0
}

func mustSucceed(t *testing.T, bin, dir string, env []string, args ...string) string {
	t.Helper()
	out, code := runProgram(t, bin, dir, env, args...)
	if code != 0 {
		t.Fatalf("%s %v: exit %d\n%s", filepath.Base(bin), args, code, out)
	}
	return out
}

func cursorOf(t *testing.T, bin, dir string, env []string, name string) string {
	t.Helper()
	return strings.TrimSpace(mustSucceed(t, bin, dir, env, "cursor", "get", name))
}

func openDB(t *testing.T, dir string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "warehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatalf("counting %s: %v", table, err)
	}
	return n
}

func lineCount(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "\n")
}

// noSecret checks that the token appears in no output and no state file.
func noSecret(t *testing.T, dir string, outputs ...string) {
	t.Helper()
	for _, out := range outputs {
		if strings.Contains(out, token) {
			t.Fatalf("the API token appears in the program's output:\n%s", out)
		}
	}
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		data, _ := os.ReadFile(path)
		if bytes.Contains(data, []byte(token)) {
			t.Errorf("the API token appears in %s", path)
		}
		return nil
	})
}

func TestQuickstart(t *testing.T) {
	bin := program(t, "quickstart")
	dir := t.TempDir()
	data, _ := filepath.Abs("quickstart/data/issues.json")
	e := []string{"ISSUES_FILE=" + data, "WAREHOUSE_URL=sqlite://" + filepath.Join(dir, "warehouse.db")}
	mustSucceed(t, bin, dir, e, "run", "--once")

	db := openDB(t, dir)
	if n := count(t, db, "issues"); n != 3 {
		t.Fatalf("issues has %d rows, want 3 (PLAT-2 appears twice in the export)", n)
	}
	var summary string
	if err := db.QueryRow("SELECT summary FROM issues WHERE issue_key = 'PLAT-2'").Scan(&summary); err != nil {
		t.Fatal(err)
	}
	if summary != "Sync Jira hourly (resumable)" {
		t.Fatalf("PLAT-2 summary = %q: the later update must win", summary)
	}
	want := strconv.FormatInt(time.Date(2026, 3, 4, 11, 45, 0, 0, time.UTC).UnixMilli(), 10)
	if got := cursorOf(t, bin, dir, e, "issues"); got != want {
		t.Fatalf("cursor = %q, want %s (the newest issue)", got, want)
	}
	// A second run re-reads only the issue at the cursor, and changes nothing.
	mustSucceed(t, bin, dir, e, "run", "--once")
	if n := count(t, db, "issues"); n != 3 {
		t.Fatalf("after a second run issues has %d rows, want 3", n)
	}
}

func TestJiraSync(t *testing.T) {
	bin := program(t, "jira-sync")
	srv := site(t, map[string]int{"PLATFORM": 120, "OTHER": 5})
	dir := t.TempDir()
	e := env(srv, dir)
	out1 := mustSucceed(t, bin, dir, e, "run", "--once")

	db := openDB(t, dir)
	if n := count(t, db, "jira_issues"); n != 120 {
		t.Fatalf("jira_issues has %d rows, want the 120 PLATFORM issues", n)
	}
	first := cursorOf(t, bin, dir, e, "jira_sync")

	// An issue changes upstream: the next run fetches from the cursor on,
	// updates that row, and moves the cursor to its timestamp.
	is := jiratest.Seed(1, time.Now())[0]
	is.Key, is.Summary, is.Updated = "PLATFORM-7", "Changed upstream", time.Now().UTC().Truncate(time.Millisecond)
	srv.Put(is)
	out2 := mustSucceed(t, bin, dir, e, "run", "--once")
	var summary string
	if err := db.QueryRow("SELECT summary FROM jira_issues WHERE issue_key = 'PLATFORM-7'").Scan(&summary); err != nil {
		t.Fatal(err)
	}
	if summary != "Changed upstream" {
		t.Fatalf("PLATFORM-7 summary = %q after the second run", summary)
	}
	second := cursorOf(t, bin, dir, e, "jira_sync")
	if second != strconv.FormatInt(is.Updated.UnixMilli(), 10) || second == first {
		t.Fatalf("cursor went from %s to %s, want %d", first, second, is.Updated.UnixMilli())
	}
	if n := count(t, db, "jira_issues"); n != 120 {
		t.Fatalf("jira_issues has %d rows after the update, want 120", n)
	}
	noSecret(t, dir, out1, out2)
}

func TestPagination(t *testing.T) {
	bin := program(t, "pagination")
	srv := site(t, map[string]int{"PLATFORM": 35})
	dir := t.TempDir()
	e := env(srv, dir)
	out := mustSucceed(t, bin, dir, e, "run", "--once")
	db := openDB(t, dir)
	if n := count(t, db, "issues"); n != 35 {
		t.Fatalf("issues has %d rows, want 35\n%s", n, out)
	}
	// 35 issues in pages of 10: four pages with issues; the loop then ends
	// without a fifth request.
	searches := 0
	for _, r := range srv.Requests() {
		if strings.HasSuffix(r.Path, "/search/jql") {
			searches++
		}
	}
	if searches != 4 {
		t.Fatalf("%d search requests, want 4 pages", searches)
	}
	if !strings.Contains(out, `msg="stream completed" flow=paginated-sync`) || !strings.Contains(out, "pages=4 items=35") {
		t.Fatalf("the log does not show the stream's four pages:\n%s", out)
	}
}

// TestMultiSource syncs the three fakes (Jira, Confluence in a +05:30
// profile time zone, GitHub) into one table, then checks that a second run
// fetches only what changed in each source and that a failing source keeps
// every cursor where the stored data is.
func TestMultiSource(t *testing.T) {
	bin := program(t, "multi-source")
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	jsrv := site(t, map[string]int{"PLATFORM": 20, "OTHER": 3})
	csrv := confluencetest.NewServer()
	t.Cleanup(csrv.Close)
	csrv.RequireBasic(email, token)
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	csrv.SetTimeZone(kolkata)
	csrv.Put(confluencetest.Seed("ENG", 15, start)...)
	csrv.Put(confluencetest.Page{SpaceKey: "OPS", Title: "not synced", LastModified: start})
	gsrv := githubtest.NewServer()
	t.Cleanup(gsrv.Close)
	gsrv.RequireToken(token)
	gsrv.Put(githubtest.Seed("octo/hello", 12, start)...)

	dir := t.TempDir()
	e := append(env(jsrv, dir),
		"CONFLUENCE_BASE_URL="+csrv.URL, "CONFLUENCE_EMAIL="+email, "CONFLUENCE_API_TOKEN="+token,
		"CONFLUENCE_TIME_ZONE=Asia/Kolkata",
		"GITHUB_API_URL="+gsrv.URL, "GITHUB_TOKEN="+token, "GITHUB_OWNER=octo", "GITHUB_REPO=hello")
	out := mustSucceed(t, bin, dir, e, "run", "--once")
	db := openDB(t, dir)
	bySource := func() map[string]int {
		t.Helper()
		rows, err := db.Query("SELECT source, count(*) FROM records GROUP BY source")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var s string
			var n int
			rows.Scan(&s, &n)
			m[s] = n
		}
		return m
	}
	if got := bySource(); got["jira"] != 20 || got["confluence"] != 15 || got["github"] != 12 || len(got) != 3 {
		t.Fatalf("rows by source %v, want jira 20, confluence 15, github 12\n%s", got, out)
	}
	cursors := func() [3]string {
		return [3]string{cursorOf(t, bin, dir, e, "jira_sync"), cursorOf(t, bin, dir, e, "confluence_sync"), cursorOf(t, bin, dir, e, "github_sync")}
	}
	first := cursors()
	for i, c := range first {
		if c == "" || c == "0" {
			t.Fatalf("cursor %d did not advance: %v", i, first)
		}
	}

	// One change in each source: the second run reads it (and the
	// boundary items its inclusive query repeats), nothing else.
	later := start.Add(24 * time.Hour)
	jsrv.Put(jiratest.Issue{Key: "PLATFORM-3", Summary: "changed in jira", Updated: later})
	p, _ := csrv.Get("100004")
	p.Title, p.Version, p.LastModified = "changed in confluence", 0, later.Add(time.Minute).In(kolkata)
	csrv.Put(p)
	g, _ := gsrv.Get("octo/hello", 5)
	g.Title, g.Updated = "changed in github", later.Add(2*time.Minute)
	gsrv.Put(g)
	jsrv.ResetRequests()
	csrv.ResetRequests()
	gsrv.ResetRequests()
	mustSucceed(t, bin, dir, e, "run", "--once")
	// What each server sent: the change plus the items its inclusive
	// query repeats at the cursor (Jira's seed ends on a tie, Confluence
	// repeats the cursor's minute, which the node then drops).
	var fetched [3]int
	for _, r := range jsrv.Requests() {
		fetched[0] += r.Issues
	}
	for _, r := range csrv.Requests() {
		fetched[1] += r.Results
		if !strings.Contains(r.CQL, "lastmodified >= ") {
			t.Fatalf("confluence query without the cursor: %s", r.CQL)
		}
	}
	for _, r := range gsrv.Requests() {
		fetched[2] += r.Issues
		if r.Query.Get("since") == "" {
			t.Fatalf("github request without since: %v", r.Query)
		}
	}
	if fetched[0] > 3 || fetched[1] > 3 || fetched[2] > 2 {
		t.Fatalf("the second run fetched %v items (jira, confluence, github); want the change and the boundary repeats only", fetched)
	}
	var titles []string
	rows, err := db.Query("SELECT title FROM records WHERE title LIKE 'changed in %' ORDER BY title")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		titles = append(titles, s)
	}
	rows.Close()
	if strings.Join(titles, ",") != "changed in confluence,changed in github,changed in jira" {
		t.Fatalf("changed rows %v", titles)
	}
	second := cursors()
	for i := range second {
		if second[i] == first[i] {
			t.Fatalf("cursor %d did not move on the second run: %v -> %v", i, first, second)
		}
	}

	// GitHub refuses the token: the run fails, and although Jira and
	// Confluence were read, no cursor moves past what was stored.
	jsrv.Put(jiratest.Issue{Key: "PLATFORM-4", Summary: "changed again", Updated: later.Add(time.Hour)})
	gsrv.FailNext(1, 401, "")
	if out, code := runProgram(t, bin, dir, e, "run", "--once"); code == 0 {
		t.Fatalf("the run succeeded with GitHub failing:\n%s", out)
	}
	if got := cursors(); got != second {
		t.Fatalf("cursors moved in a failed run: %v -> %v", second, got)
	}
	if n := count(t, db, "records"); n != 47 {
		t.Fatalf("%d rows", n)
	}
	mustSucceed(t, bin, dir, e, "run", "--once")
	if got := cursors(); got[0] == second[0] || got[2] != second[2] {
		t.Fatalf("after recovery: %v -> %v", second, got)
	}
	var title string
	db.QueryRow("SELECT title FROM records WHERE canonical_id = 'jira:PLATFORM-4'").Scan(&title)
	if title != "changed again" {
		t.Fatalf("PLATFORM-4 title %q", title)
	}
}

func TestDeadLetter(t *testing.T) {
	bin := program(t, "dead-letter")
	srv := site(t, map[string]int{"PLATFORM": 12})
	dir := t.TempDir()
	e := append(env(srv, dir), "DEAD_LETTERS="+filepath.Join(dir, "dlq.jsonl"))
	out := mustSucceed(t, bin, dir, e, "run", "--once")
	// Seeded issues 1 and 7 have no story points: the table's NOT NULL
	// rejects those two rows, which go to the dead-letter file; the other
	// ten are stored.
	if n := lineCount(t, filepath.Join(dir, "dlq.jsonl")); n != 2 {
		t.Fatalf("dead-letter file has %d lines, want 2\n%s", n, out)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "dlq.jsonl"))
	for _, want := range []string{`"step":"upserted"`, `"issue_key":"PLATFORM-1"`, `"issue_key":"PLATFORM-7"`} {
		if !strings.Contains(string(data), want) {
			t.Fatalf("dead letters lack %s:\n%s", want, data)
		}
	}
	if !strings.Contains(strings.ToLower(string(data)), "not null") {
		t.Fatalf("dead letters lack the database's error:\n%s", data)
	}
	if n := count(t, openDB(t, dir), "estimated"); n != 10 {
		t.Fatalf("estimated has %d rows, want the 10 good ones", n)
	}
	status := mustSucceed(t, bin, dir, e, "status")
	if !strings.Contains(status, "upserted") {
		t.Fatalf("status does not report the continued failures:\n%s", status)
	}
}

func TestOnErrorFallback(t *testing.T) {
	bin := program(t, "on-error")
	srv := site(t, map[string]int{"PLATFORM": 8})
	dir := t.TempDir()
	e := append(env(srv, dir), "FAILED_LOG="+filepath.Join(dir, "failed.jsonl"))
	out, code := runProgram(t, bin, dir, e, "run", "--once")
	if code != 1 {
		t.Fatalf("the run exited %d, want 1 (on_error then = fail)\n%s", code, out)
	}
	if n := lineCount(t, filepath.Join(dir, "failed.jsonl")); n != 8 {
		t.Fatalf("the handler logged %d records, want 8\n%s", n, out)
	}
	if strings.Count(out, "attempt") < 2 {
		t.Fatalf("the log does not show the retries:\n%s", out)
	}
	if got := cursorOf(t, bin, dir, e, "fallback"); got != "0" {
		t.Fatalf("cursor = %q after a failed run, want 0", got)
	}
}

func TestRollback(t *testing.T) {
	bin := program(t, "rollback")
	srv := site(t, map[string]int{"PLATFORM": 8})
	dir := t.TempDir()
	e := env(srv, dir)
	out := mustSucceed(t, bin, dir, e, "run", "--once")
	if got := cursorOf(t, bin, dir, e, "jira_sync"); got != "0" {
		t.Fatalf("cursor = %q: the failed step's rollback must keep it at 0\n%s", got, out)
	}
	// Once the bad issues are fixed upstream, the next run takes them all
	// and the cursor moves.
	for i, is := range jiratest.Seed(8, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) {
		p := 3.0
		is.Key, is.StoryPoints = fmt.Sprintf("PLATFORM-%d", i+1), &p
		srv.Put(is)
	}
	mustSucceed(t, bin, dir, e, "run", "--once")
	if got := cursorOf(t, bin, dir, e, "jira_sync"); got == "0" {
		t.Fatal("cursor did not move after a clean run")
	}
	if n := count(t, openDB(t, dir), "estimated"); n != 8 {
		t.Fatalf("estimated has %d rows, want 8", n)
	}
}

func TestFullReindex(t *testing.T) {
	bin := program(t, "full-reindex")
	srv := site(t, map[string]int{"PLATFORM": 60})
	dir := t.TempDir()
	e := env(srv, dir)
	mustSucceed(t, bin, dir, e, "run", "--once", "jira-warehouse-sync")
	db := openDB(t, dir)
	if n := count(t, db, "jira_issues"); n != 60 {
		t.Fatalf("after the sync jira_issues has %d rows, want 60", n)
	}
	synced := cursorOf(t, bin, dir, e, "jira_sync")

	// A row that should not be there: the reindex clears the table first.
	if _, err := db.Exec("INSERT INTO jira_issues (issue_key, summary, status, updated_at) VALUES ('GONE-1', 'deleted upstream', 'Done', '2020-01-01T00:00:00Z')"); err != nil {
		t.Fatal(err)
	}
	srv.Delete("PLATFORM-60")
	mustSucceed(t, bin, dir, e, "run", "--once", "full-reindex")
	if n := count(t, db, "jira_issues"); n != 59 {
		t.Fatalf("after the reindex jira_issues has %d rows, want the 59 issues left upstream", n)
	}
	var idx int
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'jira_issues_updated'").Scan(&idx); err != nil || idx != 1 {
		t.Fatalf("the reindex did not rebuild the index (%v)", err)
	}
	if got := cursorOf(t, bin, dir, e, "jira_sync"); got == "" || got == "0" || got > synced {
		t.Fatalf("cursor after the reindex = %q (was %s)", got, synced)
	}
	// Without a flow name, a program of two flows refuses run --once.
	if out, code := runProgram(t, bin, dir, e, "run", "--once"); code != 2 {
		t.Fatalf("run --once without a flow: exit %d, want 2\n%s", code, out)
	}
}

func TestMetrics(t *testing.T) {
	bin := program(t, "metrics")
	srv := site(t, map[string]int{"PLATFORM": 25})
	dir := t.TempDir()
	prom := filepath.Join(dir, "sync.prom")
	e := append(env(srv, dir), "METRICS_FILE="+prom)
	mustSucceed(t, bin, dir, e, "run", "--once")
	data, err := os.ReadFile(prom)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sync_source_records 25", "sync_processed 25", "sync_inserted 25", "sync_updated 0", "sync_failed 0"} {
		if !strings.Contains(string(data), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, data)
		}
	}
	mustSucceed(t, bin, dir, e, "run", "--once")
	data, _ = os.ReadFile(prom)
	// The second run re-fetches the issues at the cursor (>=): they update.
	if !strings.Contains(string(data), "sync_inserted 0\n") {
		t.Errorf("second run's metrics:\n%s", data)
	}
}

// TestPostgres runs Jira into a real PostgreSQL warehouse with the cursors
// in PostgreSQL; two state directories (two machines) share the cursor.
func TestPostgres(t *testing.T) {
	url := os.Getenv("RESOLUTE_TEST_POSTGRES")
	if url == "" {
		t.Skip("set RESOLUTE_TEST_POSTGRES (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable) to run against PostgreSQL")
	}
	bin := program(t, "postgres")
	srv := site(t, map[string]int{"PLATFORM": 40})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	suffix := strconv.FormatInt(time.Now().UnixNano(), 36)
	issues, cursors := "ex_issues_"+suffix, "ex_cursors_"+suffix
	t.Cleanup(func() {
		conn.Exec(ctx, "DROP TABLE IF EXISTS "+issues)
		conn.Exec(ctx, "DROP TABLE IF EXISTS "+cursors)
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	e := append(env(srv, t.TempDir()),
		"WAREHOUSE_URL="+url, "ISSUES_TABLE="+issues,
		"RESOLUTE_CURSOR_STORE="+url+sep+"cursor_table="+cursors, "RESOLUTE_CURSOR_NAMESPACE=example-"+suffix)

	first := t.TempDir()
	mustSucceed(t, bin, first, e, "run", "--once")
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+issues).Scan(&n); err != nil || n != 40 {
		t.Fatalf("%s has %d rows (%v), want 40", issues, n, err)
	}
	var value string
	if err := conn.QueryRow(ctx, "SELECT value FROM "+cursors+" WHERE name = 'jira_sync'").Scan(&value); err != nil || value == "0" {
		t.Fatalf("the cursor in %s is %q (%v)", cursors, value, err)
	}
	// Another machine, with a state dir of its own, reads the same cursor.
	second := t.TempDir()
	if got := cursorOf(t, bin, second, e, "jira_sync"); got != value {
		t.Fatalf("a second state dir reads cursor %q, want %q from PostgreSQL", got, value)
	}
}

// TestRedisCursors keeps the cursors in a real Redis.
func TestRedisCursors(t *testing.T) {
	url := os.Getenv("RESOLUTE_TEST_REDIS")
	if url == "" {
		t.Skip("set RESOLUTE_TEST_REDIS (e.g. redis://127.0.0.1:6379/0) to run against Redis")
	}
	bin := program(t, "redis-cursors")
	srv := site(t, map[string]int{"PLATFORM": 15})
	dir := t.TempDir()
	ns := "example-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	t.Cleanup(func() { rdb.Del(context.Background(), "resolute:cursors:"+ns) })
	e := append(env(srv, dir), "RESOLUTE_CURSOR_STORE="+url, "RESOLUTE_CURSOR_NAMESPACE="+ns)
	mustSucceed(t, bin, dir, e, "run", "--once")
	if n := count(t, openDB(t, dir), "issues"); n != 15 {
		t.Fatalf("issues has %d rows, want 15", n)
	}
	value, err := rdb.HGet(context.Background(), "resolute:cursors:"+ns, "jira_sync").Result()
	if err != nil || value == "" || value == "0" {
		t.Fatalf("the cursor in Redis is %q (%v)", value, err)
	}
	if got := cursorOf(t, bin, dir, e, "jira_sync"); got != value {
		t.Fatalf("cursor get = %q, Redis holds %q", got, value)
	}
}

// An issue summary holding placeholder text goes through a run that fails
// at the upsert and a resumed run that replays the fetch from the journal:
// the warehouse gets exactly the bytes Jira sent, and the API token reaches
// neither the warehouse nor any state file (issue 6, item 1).
func TestPlaceholderTextSurvivesResumeByteExact(t *testing.T) {
	// The hourly flow of full-reindex journals FetchIssues' whole output (the
	// seed's jira-sync streams pages, which are never journaled).
	bin := program(t, "full-reindex")
	summaries := []string{
		"[REDACTED:JIRA_API_TOKEN] Document rate limiter", "[REDACTED]", "[REDACTED:", "REDACTED:JIRA_API_TOKEN]",
		"[REDACTED:JIRA_API_TOKEN", `\"[REDACTED:JIRA_API_TOKEN]\"`, `\u005bREDACTED:JIRA_API_TOKEN\u005d`,
		`"[REDACTED:JIRA_API_TOKEN]"`, "[REDACTED:JIRA_EMAIL]", "a<[REDACTED:JIRA_API_TOKEN]&>b\n\t[REDACTED:WAREHOUSE_URL]",
	}
	srv := site(t, map[string]int{"PLATFORM": len(summaries)})
	for i, s := range summaries {
		is := jiratest.Seed(1, time.Date(2026, 3, 2, 9, i, 0, 0, time.UTC))[0]
		is.Key, is.Summary = fmt.Sprintf("PLATFORM-%d", i+1), s
		srv.Put(is)
	}
	dir := t.TempDir()
	e := env(srv, dir)
	// A table with a NOT NULL column the rows lack makes the upsert fail for good.
	db := openDB(t, dir)
	if _, err := db.Exec("CREATE TABLE jira_issues (issue_key TEXT PRIMARY KEY, blocker TEXT NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	out1, code := runProgram(t, bin, dir, e, "run", "--once", "jira-warehouse-sync")
	if code != 1 || !strings.Contains(out1, `step "upserted" failed`) {
		t.Fatalf("exit %d, want the upsert to fail:\n%s", code, out1)
	}
	if _, err := db.Exec("DROP TABLE jira_issues"); err != nil {
		t.Fatal(err)
	}
	requests := srv.RequestCount()
	out2 := mustSucceed(t, bin, dir, e, "run", "--once", "jira-warehouse-sync")
	if srv.RequestCount() != requests {
		t.Fatalf("the resumed run fetched again (%d requests); it must replay the journal", srv.RequestCount()-requests)
	}
	for i, want := range summaries {
		var got string
		if err := db.QueryRow("SELECT summary FROM jira_issues WHERE issue_key = ?", fmt.Sprintf("PLATFORM-%d", i+1)).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PLATFORM-%d summary = %q, Jira sent %q", i+1, got, want)
		}
	}
	noSecret(t, dir, out1, out2)
}

// The generated program knows jira_sync holds integers (its advance is
// MaxUpdated, an int64): cursor set refuses text that would end up in the
// JQL, and takes a negative number as a value (issue 6, item 8).
func TestCursorSetRefusesJQLInjection(t *testing.T) {
	bin := program(t, "jira-sync")
	dir := t.TempDir()
	out, code := runProgram(t, bin, dir, nil, "cursor", "set", "jira_sync", "abc OR project = X")
	if code != 2 || !strings.Contains(out, "is not an integer") {
		t.Fatalf("exit %d, want 2:\n%s", code, out)
	}
	if got := cursorOf(t, bin, dir, nil, "jira_sync"); got != "0" {
		t.Fatalf("cursor = %q after a refused set", got)
	}
	mustSucceed(t, bin, dir, nil, "cursor", "set", "jira_sync", "-5")
	if got := cursorOf(t, bin, dir, nil, "jira_sync"); got != "-5" {
		t.Fatalf("cursor = %q, want -5", got)
	}
}

// A rejected API token is a configuration error: exit 2, no retries, and
// no promise that progress is kept (issue 6, item 5).
func TestUnauthorizedIsAConfigurationError(t *testing.T) {
	bin := program(t, "jira-sync")
	srv := site(t, map[string]int{"PLATFORM": 3})
	dir := t.TempDir()
	e := append(env(srv, dir), "JIRA_API_TOKEN=wrong-token-value")
	out, code := runProgram(t, bin, dir, e, "run", "--once")
	if code != 2 || !strings.Contains(out, "configuration error") || !strings.Contains(out, "401") || strings.Contains(out, "progress is kept") {
		t.Fatalf("exit %d, want 2 for a 401:\n%s", code, out)
	}
	if n := srv.RequestCount(); n != 1 {
		t.Fatalf("%d requests, want 1: a 401 is not retried", n)
	}
}
