package main

// The first-time path of a new user (issue 9, item 1): a brand-new module,
// set up only with the commands the README's "Using it in your module"
// section gives, checks, generates and builds a spec that calls every
// built-in node and a node of its own, with go generate and with
// resolute-gen build, and the program runs.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/gen"
	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

// sqlNodes are the built-in SQL node packages with the warehouse URL their
// steps use; each gets an Upsert, an Exec and a Truncate step. A new SQL
// prefix is one more line here.
var sqlNodes = []struct{ prefix, url string }{
	{"sql", "sqlite://${env.OUT_DIR}/warehouse.db"},
	{"sqlite", "sqlite://${env.OUT_DIR}/warehouse-sqlite.db"},
}

// firstTimeSpec calls every built-in node (jira., deadletter., and each of
// sqlNodes) and the module's own node ./nodes.Summarize.
func firstTimeSpec() string {
	var b strings.Builder
	b.WriteString(`version = 1
flow = "first-sync"
description = "Every built-in node and one of our own."

[env]
JIRA_BASE_URL = { required = true }
OUT_DIR       = { required = true }

[cursor.since]
initial = "0"

[[step]]
id = "issues"
call = "jira.FetchIssues"
advance = { cursor = "since", to = "issues.MaxUpdated" }
with = { BaseURL = "${env.JIRA_BASE_URL}", JQL = "project = DEMO AND updated >= ${cursor.since} ORDER BY updated ASC" }

[[step]]
id = "page"
call = "jira.FetchPage"
with = { BaseURL = "${env.JIRA_BASE_URL}", JQL = "project = DEMO ORDER BY key ASC", PageSize = 2 }

[[step]]
id = "rows"
map = "issues.Items"
[step.fields]
issue_key = "it.Key"
summary   = "it.Summary"

[[step]]
id = "summary"
call = "./nodes.Summarize"
with = { Issues = "${len(issues.Items)}", OnFirstPage = "${len(page.Items)}" }

[[step]]
id = "dead"
call = "deadletter.Write"
with = { Path = "${env.OUT_DIR}/dead.jsonl", Step = "demo", Error = "${summary.Text}", Items = "${rows}" }
`)
	for _, n := range sqlNodes {
		fmt.Fprintf(&b, `
[[step]]
id = "%[1]s_upserted"
call = "%[1]s.Upsert"
with = { URL = "%[2]s", Table = "issues_%[1]s", Rows = "${rows}", CreateTable = true }

[[step]]
id = "%[1]s_indexed"
call = "%[1]s.Exec"
with = { URL = "%[2]s", Statements = ["CREATE INDEX IF NOT EXISTS summary_%[1]s ON issues_%[1]s (summary)"] }

[[step]]
id = "%[1]s_emptied"
call = "%[1]s.Truncate"
with = { URL = "%[2]s", Table = "issues_%[1]s" }
`, n.prefix, n.url)
	}
	return b.String()
}

const firstTimeNodes = `// Package nodes is the module's own node package.
package nodes

import (
	"context"
	"fmt"
)

// SummarizeIn is what Summarize counts.
type SummarizeIn struct {
	Issues      int
	OnFirstPage int
}

// SummarizeOut is a line of text.
type SummarizeOut struct {
	Text string
}

// Summarize says how many issues were read.
func Summarize(ctx context.Context, in SummarizeIn) (SummarizeOut, error) {
	return SummarizeOut{Text: fmt.Sprintf("%d issues, %d on the first page", in.Issues, in.OnFirstPage)}, nil
}
`

const firstTimeGenerate = `package main

//go:generate go tool resolute-gen gen -o sync_gen.go sync.toml
`

// offlineEnv is the environment of every go command run in a new user
// module: no network (GOPROXY=off; GOSUMDB=off because the checksum
// database is reached through the proxy; go.sum lines come from the module
// cache), no go.work, and no GOFLAGS, so that the go command is read-only
// about go.mod and go.sum as it is for a user: -mod=mod would let the
// checker's own go list quietly add the missing go.sum lines and hide the
// very failure this test is about.
var offlineEnv = []string{"GOPROXY=off", "GOSUMDB=off", "GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local"}

var warmOnce sync.Once

// newUserModule makes an empty module at dir as `go mod init` would, with
// a replace directive that stands for the published module. The module
// cache is first filled with this repository's requirements (a no-op when
// it holds them, as after any build of this repository), so that the
// commands in the new module need nothing beyond the cache.
func newUserModule(t *testing.T, name string) string {
	t.Helper()
	tool(t) // sets repoRoot
	warmOnce.Do(func() {
		mustRun(t, repoRoot, []string{"GOFLAGS=", "GOWORK=off"}, "go", "mod", "download")
	})
	dir := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustRun(t, dir, offlineEnv, "go", "mod", "init", "example.com/"+name)
	mustRun(t, dir, offlineEnv, "go", "mod", "edit", "-replace", gen.ModulePath+"="+repoRoot)
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFirstTimeModule follows the README in a new module, offline.
func TestFirstTimeModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with SQLite")
	}
	dir := newUserModule(t, "mysync")
	// The README: go get -tool github.com/resolute/resolute-gen/cmd/resolute-gen@latest
	// (the version comes from the replace directive here).
	mustRun(t, dir, offlineEnv, "go", "get", "-tool", toolPackage)
	writeFiles(t, dir, map[string]string{
		"sync.toml":      firstTimeSpec(),
		"nodes/nodes.go": firstTimeNodes,
		"generate.go":    firstTimeGenerate,
	})
	// Nothing imports the providers yet, and go mod tidy must keep them.
	mustRun(t, dir, offlineEnv, "go", "mod", "tidy", "-e")
	gomod := mustRead(t, filepath.Join(dir, "go.mod"))
	for _, want := range []string{"tool " + toolPackage, "github.com/jackc/pgx/v5", "modernc.org/sqlite"} {
		if !strings.Contains(gomod, want) {
			t.Fatalf("go.mod after go get -tool and go mod tidy lacks %q:\n%s", want, gomod)
		}
	}

	mustRun(t, dir, offlineEnv, "go", "tool", "resolute-gen", "check", "sync.toml")
	mustRun(t, dir, offlineEnv, "go", "generate", "./...")
	mustRun(t, dir, offlineEnv, "go", "vet", "./...")
	mustRun(t, dir, offlineEnv, "go", "build", "-o", "bin/sync", ".")
	mustRun(t, dir, offlineEnv, "go", "tool", "resolute-gen", "build", "sync.toml", "-o", "bin/sync2")
	// After generation, tidy keeps what the generated code imports.
	mustRun(t, dir, offlineEnv, "go", "mod", "tidy", "-e")
	mustRun(t, dir, offlineEnv, "go", "build", "-o", "bin/sync", ".")

	srv := jiratest.NewServer()
	defer srv.Close()
	for i, is := range jiratest.Seed(3, time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) {
		is.Key = fmt.Sprintf("DEMO-%d", i+1)
		srv.Put(is)
	}
	out := t.TempDir()
	env := []string{"JIRA_BASE_URL=" + srv.URL, "OUT_DIR=" + out}
	for _, bin := range []string{"bin/sync", "bin/sync2"} {
		state := filepath.Join(out, "state-"+filepath.Base(bin))
		mustRun(t, dir, env, filepath.Join(dir, bin), "run", "--once", "--state-dir", state)
		if got := strings.TrimSpace(mustRun(t, dir, env, filepath.Join(dir, bin), "cursor", "get", "since", "--state-dir", state)); got == "0" {
			t.Errorf("%s: the cursor did not advance", bin)
		}
	}
	if n := lines(t, filepath.Join(out, "dead.jsonl")); n != 6 {
		t.Fatalf("the two runs dead-lettered %d rows, want 3 each", n)
	}
}

// TestMissingDependencyAdvice: a module that required resolute-gen
// without adding it as a tool lacks the providers' dependencies; every
// command says so in one line, with the go get command that adds them.
func TestMissingDependencyAdvice(t *testing.T) {
	bin := tool(t)
	dir := newUserModule(t, "bare")
	mustRun(t, dir, offlineEnv, "go", "get", gen.ModulePath)
	writeFiles(t, dir, map[string]string{"sync.toml": firstTimeSpec(), "nodes/nodes.go": firstTimeNodes})
	for _, args := range [][]string{
		{"check", "sync.toml"},
		{"gen", "sync.toml"},
		{"build", "sync.toml", "-o", "bin/sync"},
	} {
		out, code := runCmd(t, dir, offlineEnv, bin, args...)
		want := "go get -tool " + toolPackage
		if code != 1 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, want) || !strings.Contains(out, "github.com/jackc/pgx/v5") {
			t.Errorf("resolute-gen %s in a module without the providers' dependencies: exit %d, want 1 and one line naming pgx and %q:\n%s",
				strings.Join(args, " "), code, want, out)
		}
	}
	// The advice works.
	mustRun(t, dir, offlineEnv, "go", "get", "-tool", toolPackage)
	mustRun(t, dir, offlineEnv, bin, "check", "sync.toml")
}

// TestProvidersListed: providers.go imports every package a generated
// program may import from this module, so that go get -tool records all
// of their dependencies.
func TestProvidersListed(t *testing.T) {
	data, err := os.ReadFile("providers.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range gen.ProviderPackages() {
		if !strings.Contains(string(data), `_ "`+p+`"`) {
			t.Errorf("providers.go does not import %s: add the line\n\t_ %q", p, p)
		}
	}
	// The file is never compiled into the tool.
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "modernc.org/sqlite") {
		t.Error("resolute-gen links SQLite: providers.go lost its build constraint")
	}
}
