package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/resolute/resolute-gen/gen"
)

const initHelp = `Usage: resolute-gen init [DIR] [--module PATH]

Scaffolds a module in DIR (default: the current directory) that builds and
passes its test as created:

  go.mod             the module, with resolute-gen as a tool (go get -tool)
  sync.toml          a flow: a node of the module, a map, an upsert into SQLite
  nodes/nodes.go     the node, func(context.Context, In) (Out, error)
  nodes/nodes_test.go its test
  sync_test.go       a flow test: the flow run in process (runtime/flowtest)
  generate.go        the go:generate line
  sync_gen.go        the generated program
  data/items.jsonl   the node's sample input

A go.mod already in DIR is kept (resolute-gen is added to it as a tool);
otherwise the module path is PATH or example.com/ followed by DIR's name.
Existing files are never overwritten. Adding the tool needs the network
unless the module cache holds what it needs.

Flags:
  --module PATH   the module path of a new go.mod
`

func cmdInit(args []string, stdout, stderr io.Writer) error {
	var module string
	pos, err := flags(args, map[string]*string{"module": &module}, nil, initHelp, stdout)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageErr("init takes at most one directory\n\n%s", initHelp)
	}
	dir := "."
	if len(pos) == 1 {
		dir = pos[0]
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	name := flowName(filepath.Base(abs))
	files := scaffold(name)
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(abs, f.name)); err == nil {
			return fmt.Errorf("%s already exists; init writes only into a directory without it", filepath.Join(dir, f.name))
		}
	}

	gomod := filepath.Join(abs, "go.mod")
	data, err := os.ReadFile(gomod)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if module == "" {
			module = "example.com/" + name
		}
		if err := goCmd(abs, stderr, "mod", "init", module); err != nil {
			return err
		}
	case err != nil:
		return err
	case module != "" && module != modulePath(data):
		return usageErr("%s already declares module %s, not %s", gomod, modulePath(data), module)
	}
	data, _ = os.ReadFile(gomod)
	if !strings.Contains(string(data), "tool "+toolPackage) && !strings.Contains(string(data), "\t"+toolPackage+"\n") {
		target := toolPackage
		if v := version(); strings.HasPrefix(v, "v") {
			target += "@" + v
		}
		if err := goCmd(abs, stderr, "get", "-tool", target); err != nil {
			return err
		}
	}

	for _, f := range files {
		path := filepath.Join(abs, f.name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(f.content), 0o644); err != nil {
			return err
		}
	}
	ws := &workspace{dir: abs, root: abs}
	specs := []string{filepath.Join(abs, "sync.toml")}
	src, err := gen.Generate(specs, gen.Config{Dir: abs, Version: version()})
	if err != nil {
		return firstErr(ws.missingDeps(specs), err)
	}
	if err := writeFileAtomic(filepath.Join(abs, "sync_gen.go"), src); err != nil {
		return err
	}
	fmt.Fprintf(stdout, `Created flow %q in %s. Next:
  go test ./...
  go build -o bin/%s . && ./bin/%s run --once && ./bin/%s status
Edit sync.toml and nodes/, then go generate ./... (go tool resolute-gen check sync.toml checks without writing).
`, name, abs, name, name, name)
	return nil
}

// goCmd runs the go command in dir, its output going to w.
func goCmd(dir string, w io.Writer, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, strings.TrimSpace(buf.String()))
	}
	return nil
}

var notFlowChar = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// flowName makes a directory name a flow and program name.
func flowName(base string) string {
	n := strings.Trim(notFlowChar.ReplaceAllString(strings.ToLower(base), "-"), "-_")
	switch {
	case n == "":
		return "sync"
	case n[0] < 'a' || n[0] > 'z':
		return "sync-" + n
	}
	return n
}

type scaffoldFile struct{ name, content string }

func scaffold(name string) []scaffoldFile {
	return []scaffoldFile{
		{"sync.toml", strings.ReplaceAll(scaffoldSpec, "NAME", name)},
		{"generate.go", scaffoldGenerate},
		{"nodes/nodes.go", scaffoldNodes},
		{"nodes/nodes_test.go", scaffoldNodesTest},
		{"sync_test.go", strings.ReplaceAll(scaffoldFlowTest, "NAME", name)},
		{"data/items.jsonl", scaffoldData},
	}
}

const scaffoldSpec = `# A flow: read what changed since the cursor with a node of this module,
# map it to rows, upsert them into SQLite, and move the cursor.
# The spec language: https://github.com/resolute/resolute-gen#the-spec-language
version = 1
flow = "NAME"
description = "Copy the items changed since the last run into the warehouse."
# schedule = "@every 15m"            # then 'run' (without --once) runs it on schedule

[env]
SOURCE_FILE   = { default = "data/items.jsonl" }
WAREHOUSE_URL = { default = "sqlite://warehouse.db" }

[cursor.seq]
initial = "0"

[[step]]
id = "fetched"
call = "./nodes.Fetch"               # nodes/nodes.go
advance = { cursor = "seq", to = "fetched.MaxSeq" }
with = { Path = "${env.SOURCE_FILE}", Since = "${cursor.seq}" }

[[step]]
id = "rows"
map = "fetched.Items"
as = "it"
[step.fields]
id   = "it.ID"
seq  = "it.Seq"
name = "it.Name"

[[step]]
id = "upserted"
call = "sql.Upsert"
with = { URL = "${env.WAREHOUSE_URL}", Table = "items", Rows = "${rows}", CreateTable = true }
`

const scaffoldGenerate = `package main

//go:generate go tool resolute-gen gen -o sync_gen.go sync.toml
`

const scaffoldNodes = `// Package nodes holds this module's nodes: functions
// func(context.Context, In) (Out, error) with struct In and Out that a spec
// calls by name ("./nodes.Fetch"). Outputs are journaled as JSON.
package nodes

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
)

// Item is one record of the source.
type Item struct {
	ID   string ` + "`json:\"id\"`" + `
	Seq  int64  ` + "`json:\"seq\"`" + `
	Name string ` + "`json:\"name\"`" + `
}

// FetchIn says where the source is and how far the last run got.
type FetchIn struct {
	Path  string
	Since string // the cursor: the largest Seq already copied
}

// FetchOut is what changed since the cursor.
type FetchOut struct {
	Items  []Item
	MaxSeq int64 // 0 when nothing changed: the cursor then stays
}

// Fetch reads the JSON-lines file at Path and returns the items with a Seq
// above Since.
func Fetch(ctx context.Context, in FetchIn) (FetchOut, error) {
	since, err := strconv.ParseInt(in.Since, 10, 64)
	if err != nil {
		return FetchOut{}, fmt.Errorf("cursor %q is not a number", in.Since)
	}
	f, err := os.Open(in.Path)
	if err != nil {
		return FetchOut{}, err
	}
	defer f.Close()
	var out FetchOut
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var it Item
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return FetchOut{}, fmt.Errorf("%s:%d: %v", in.Path, line, err)
		}
		if it.Seq > since {
			out.Items = append(out.Items, it)
			out.MaxSeq = max(out.MaxSeq, it.Seq)
		}
	}
	return out, sc.Err()
}
`

const scaffoldNodesTest = `package nodes

import (
	"context"
	"testing"
)

func TestFetchSince(t *testing.T) {
	out, err := Fetch(context.Background(), FetchIn{Path: "../data/items.jsonl", Since: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Items) != 2 || out.MaxSeq != 3 {
		t.Fatalf("Fetch since 1 = %d items up to %d, want 2 up to 3", len(out.Items), out.MaxSeq)
	}
	out, err = Fetch(context.Background(), FetchIn{Path: "../data/items.jsonl", Since: "3"})
	if err != nil || len(out.Items) != 0 || out.MaxSeq != 0 {
		t.Fatalf("Fetch since 3 = %+v, %v; want nothing", out, err)
	}
}
`

const scaffoldFlowTest = `package main

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/resolute/resolute-gen/runtime/flowtest"
)

// TestSync runs the flow in this process, with a temporary state directory
// and warehouse, on the sample data; then again, incrementally. Point the
// flow's environment variables at fakes the same way (a jiratest server for
// jira.* nodes). To catch a spec change that takes another path, record a
// run and replay it: see flowtest.Replay.
func TestSync(t *testing.T) {
	db := filepath.Join(t.TempDir(), "warehouse.db")
	f := flowtest.New(t, program, "NAME", flowtest.Env{
		"SOURCE_FILE":   "data/items.jsonl",
		"WAREHOUSE_URL": "sqlite://" + db,
	})

	res := f.Run()
	var fetched struct{ Items []struct{ ID string } }
	res.Output(t, "fetched", &fetched)
	if len(fetched.Items) != 3 {
		t.Fatalf("fetched %d items, want 3", len(fetched.Items))
	}
	if got := res.Cursor("seq"); got != "3" {
		t.Fatalf("cursor seq = %s, want 3", got)
	}
	w, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var n int
	if err := w.QueryRow("SELECT count(*) FROM items").Scan(&n); err != nil || n != 3 {
		t.Fatalf("the warehouse holds %d items (%v), want 3", n, err)
	}

	// Nothing new since the cursor: the second run reads nothing.
	again := f.Run()
	again.Output(t, "fetched", &fetched)
	if len(fetched.Items) != 0 || again.Cursor("seq") != "3" {
		t.Fatalf("second run: %d items, cursor %s; want 0 and 3", len(fetched.Items), again.Cursor("seq"))
	}
}
`

const scaffoldData = `{"id":"a","seq":1,"name":"alpha"}
{"id":"b","seq":2,"name":"beta"}
{"id":"c","seq":3,"name":"gamma"}
`
