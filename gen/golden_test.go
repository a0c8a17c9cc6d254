package gen_test

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/resolute/resolute-gen/gen"
)

var update = flag.Bool("update", false, "rewrite the expected output of the golden cases")

// goldenDir holds one directory per case: its spec files (*.toml), and
// either expected.go (the case is valid) or expected.err (it is not: one
// file:line:col: message per line).
const goldenDir = "../testdata/golden"

type goldenCase struct {
	name  string
	dir   string
	specs []string
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(goldenDir, e.Name())
		specs, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
		sort.Strings(specs)
		if len(specs) == 0 {
			t.Errorf("golden case %s has no .toml spec", e.Name())
			continue
		}
		cases = append(cases, goldenCase{name: e.Name(), dir: dir, specs: specs})
	}
	return cases
}

// TestGolden generates every case and compares with its expectation. Run
// `go test ./gen -update` to rewrite the expectations after a deliberate
// change, then review the diff.
func TestGolden(t *testing.T) {
	cases := goldenCases(t)
	// One go/packages call for every case: loading is what costs.
	pkgs := gen.NewPackages(gen.Config{Dir: goldenDir})
	var all []string
	for _, c := range cases {
		all = append(all, c.specs...)
	}
	if err := pkgs.Preload(all...); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := gen.Generate(c.specs, gen.Config{Version: "(golden)", Packages: pkgs})
			goPath := filepath.Join(c.dir, "expected.go")
			errPath := filepath.Join(c.dir, "expected.err")
			if err != nil {
				got := strings.ReplaceAll(err.Error(), c.dir+string(filepath.Separator), "") + "\n"
				compare(t, errPath, got, goPath)
				return
			}
			compare(t, goPath, string(out), errPath)
		})
	}
}

// compare checks got against the file at path (or writes it with -update);
// other is the expectation file of the other outcome, which must not exist.
func compare(t *testing.T, path, got, other string) {
	t.Helper()
	if *update {
		os.Remove(other)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		if _, e := os.Stat(other); e == nil {
			t.Fatalf("expected %s, but got:\n%s", filepath.Base(other), got)
		}
		t.Fatalf("no expectation (%v); run go test ./gen -update to write it:\n%s", err, got)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestGoldenCompiles builds every valid case's expected.go and runs go vet
// on it, in one go command for speed.
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every golden program; skipped in -short mode")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	build, err := os.MkdirTemp(root, "goldenbuild")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(build)
	n := 0
	for _, c := range goldenCases(t) {
		src, err := os.ReadFile(filepath.Join(c.dir, "expected.go"))
		if err != nil {
			continue
		}
		dir := filepath.Join(build, c.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no valid golden case to compile")
	}
	cmd := exec.Command("go", "vet", "./"+filepath.Base(build)+"/...")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet of %d golden programs failed: %v\n%s", n, err, out)
	}
	t.Logf("compiled and vetted %d golden programs", n)
}
