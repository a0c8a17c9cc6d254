package gen_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/resolute/resolute-gen/gen"
)

// TestCheckSameFileTwice: a file named twice on the command line is one
// file, not a flow defined at itself.
func TestCheckSameFileTwice(t *testing.T) {
	path := filepath.Join(goldenDir, "call_without_with", "sync.toml")
	if _, err := gen.Check([]string{path, "./" + path}, gen.Config{Dir: goldenDir}); err != nil {
		t.Fatalf("check of one file named twice: %v", err)
	}
}

// writeFiles writes name -> content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRelativeCallOutsideModule: a spec outside any module whose calls name
// a relative node package is told, once and positioned, that a go.mod is
// needed and how to make one.
func TestRelativeCallOutsideModule(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"nodes/n.go": "package nodes\n\nimport \"context\"\n\ntype In struct{}\ntype Out struct{ N int }\n\nfunc X(ctx context.Context, in In) (Out, error) { return Out{}, nil }\n",
		"sync.toml":  "version = 1\nflow = \"o\"\n\n[[step]]\nid = \"a\"\ncall = \"./nodes.X\"\n\n[[step]]\nid = \"b\"\ncall = \"./nodes.X\"\n",
	})
	spec := filepath.Join(dir, "sync.toml")
	_, err := gen.Check([]string{spec}, gen.Config{Dir: goldenDir})
	if err == nil {
		t.Fatal("check passed")
	}
	want := spec + ":6:8: cannot load package ./nodes: directory ./nodes is not inside a Go module, and a node package of your own must be: create one where the spec and its nodes live, with go mod init example.com/yourname/flows (any module path) and go get github.com/resolute/resolute-gen@latest"
	if got := err.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestMissingGoSumEntry: a node package whose module lacks a go.sum entry
// for a dependency gets one line naming the command that adds it, not a
// dump of the go command's errors; a wrong package path inside the user's
// own module suggests the nearest package of that module, not go get.
func TestMissingGoSumEntry(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":     "module example.com/acme\n\ngo 1.22\n\nrequire github.com/dave/jennifer v1.7.1\n",
		"nodes/n.go": "package nodes\n\nimport (\n\t\"context\"\n\n\t\"github.com/dave/jennifer/jen\"\n)\n\ntype In struct{}\ntype Out struct{ N string }\n\nfunc X(ctx context.Context, in In) (Out, error) { return Out{N: jen.Id(\"x\").GoString()}, nil }\n",
		"sync.toml":  "version = 1\nflow = \"o\"\n\n[[step]]\nid = \"a\"\ncall = \"example.com/acme/nodes.X\"\n\n[[step]]\nid = \"b\"\ncall = \"example.com/acme/node.X\"\n",
	})
	env := append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off", "GOWORK=off")
	spec := filepath.Join(dir, "sync.toml")
	_, err := gen.Check([]string{spec}, gen.Config{Dir: dir, Env: env})
	if err == nil {
		t.Fatal("check passed")
	}
	want := spec + ":6:8: cannot load package example.com/acme/nodes: missing go.sum entry for the module providing package github.com/dave/jennifer/jen; run go mod download github.com/dave/jennifer in the module to add it\n" +
		spec + ":10:8: cannot load package example.com/acme/node: module example.com/acme has no package node; did you mean \"example.com/acme/nodes\"?"
	if got := err.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
