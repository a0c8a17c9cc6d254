package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitScaffold: init in a new module (offline, as in
// TestFirstTimeModule) makes a module that vets, builds, passes its test
// and runs; its generated file is current.
func TestInitScaffold(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program with SQLite")
	}
	bin := tool(t)
	dir := newUserModule(t, "orders")
	out := mustRun(t, dir, offlineEnv, bin, "init")
	if !strings.Contains(out, "go build -o bin/orders .") {
		t.Fatalf("init did not say what to do next:\n%s", out)
	}
	if gomod := mustRead(t, filepath.Join(dir, "go.mod")); !strings.Contains(gomod, "module example.com/orders") || !strings.Contains(gomod, "tool "+toolPackage) {
		t.Fatalf("go.mod after init:\n%s", gomod)
	}
	mustRun(t, dir, offlineEnv, "go", "vet", "./...")
	if out := mustRun(t, dir, offlineEnv, "go", "test", "-v", "./..."); !strings.Contains(out, "--- PASS: TestSync") {
		t.Fatalf("the scaffold's flow test did not run:\n%s", out)
	}
	mustRun(t, dir, offlineEnv, "go", "tool", "resolute-gen", "diff", "sync.toml", "-o", "sync_gen.go")
	mustRun(t, dir, offlineEnv, "go", "build", "-o", "bin/orders", ".")
	prog := filepath.Join(dir, "bin", "orders")
	mustRun(t, dir, nil, prog, "run", "--once")
	if got := strings.TrimSpace(mustRun(t, dir, nil, prog, "cursor", "get", "seq")); got != "3" {
		t.Fatalf("cursor after the scaffold's first run = %q, want 3", got)
	}
	// go generate rewrites the same file (but for the generator version).
	before := mustRead(t, filepath.Join(dir, "sync_gen.go"))
	mustRun(t, dir, offlineEnv, "go", "generate", "./...")
	if after := mustRead(t, filepath.Join(dir, "sync_gen.go")); string(sameHeader([]byte(before), []byte(after))) != before {
		t.Fatalf("go generate changed the file init generated:\n%s", unifiedDiff("init", "generate", before, after))
	}
	// A second init overwrites nothing.
	o, code := runCmd(t, dir, offlineEnv, bin, "init")
	if code != 1 || !strings.Contains(o, "sync.toml already exists") {
		t.Fatalf("init over an existing scaffold: exit %d, want 1 naming sync.toml\n%s", code, o)
	}
}

func TestInitRefusals(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/a\n\ngo 1.26\n"), 0o644)
	var out, errOut bytes.Buffer
	if code := run([]string{"init", dir, "--module", "example.com/b"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "already declares module example.com/a, not example.com/b") {
		t.Fatalf("init with another module path: exit %d\n%s", code, errOut.String())
	}
	if code := run([]string{"init", "a", "b"}, &out, &errOut); code != 2 {
		t.Fatalf("init a b: exit %d, want 2", code)
	}
	for in, want := range map[string]string{"My Sync!": "my-sync", "2026": "sync-2026", "...": "sync", "orders_sync": "orders_sync"} {
		if got := flowName(in); got != want {
			t.Errorf("flowName(%q) = %q, want %q", in, got, want)
		}
	}
}
