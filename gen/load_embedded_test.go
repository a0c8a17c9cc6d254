package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/gen/internal/builtintypes"
	"github.com/resolute/resolute-gen/spec"
)

// TestEmbeddedTypesFresh fails when the type information embedded for the
// built-in packages no longer matches their source: after a change to a
// provider's API (or to anything the built-ins import from this module,
// or go.mod), run go generate ./gen/... to rewrite it. Until then the
// checker does not use the stale data (the fingerprint differs) and loads
// the built-ins with go/packages, which is correct but slow.
func TestEmbeddedTypesFresh(t *testing.T) {
	h, _, err := builtintypes.Data()
	if err != nil {
		t.Fatal(err)
	}
	const fix = "gen/internal/builtintypes/types.bin is stale; run go generate ./gen/..."
	fp, err := builtintypes.Fingerprint("..", h.Dirs)
	if err != nil {
		t.Fatal(err)
	}
	if fp != h.Fingerprint {
		t.Fatalf("%s (the source of the built-in packages changed)", fix)
	}
	if testing.Short() {
		t.Skip("loads the built-in packages with go/packages")
	}
	if v := runtime.Version(); v != h.Go {
		t.Skipf("the embedded types were made with %s, this is %s: the standard packages' export data differs", h.Go, v)
	}
	got, err := builtintypes.Build("..")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("internal", "builtintypes", builtintypes.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal(fix)
	}
}

// TestEmbeddedTypesCoverBuiltins: the embedded packages are the built-ins,
// the transform package and the standard packages the checker needs.
func TestEmbeddedTypesCoverBuiltins(t *testing.T) {
	want := []string{"time", "context", TransformPath}
	for _, p := range builtins {
		want = append(want, p)
	}
	got := slices.Clone(builtintypes.Paths)
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("builtintypes.Paths = %v, want %v", got, want)
	}
}

// TestGoldenFastPath generates the golden cases whose packages all load
// through the fast path (embedded built-ins and one go list of the node
// packages) and compares with their expectations, as TestGolden does
// through go/packages (the golden cases as a whole include node packages
// that do not compile, so TestGolden loads through go/packages).
func TestGoldenFastPath(t *testing.T) {
	const dir = "../testdata/golden"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	type gcase struct {
		dir      string
		specs    []string
		patterns []string
	}
	var cases []gcase
	var all []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		c := gcase{dir: filepath.Join(dir, e.Name())}
		c.specs, _ = filepath.Glob(filepath.Join(c.dir, "*.toml"))
		sort.Strings(c.specs)
		var files []*spec.File
		for _, s := range c.specs {
			if f, _ := spec.ParseFile(s); f != nil {
				files = append(files, f)
			}
		}
		c.patterns = callPatterns(files)
		cases = append(cases, c)
		all = append(all, c.patterns...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	// The packages that load without error through go/packages.
	l, err := loadGoPackages(dir, nil, all)
	if err != nil {
		t.Fatal(err)
	}
	var good []string
	for _, pat := range all {
		if p := l.byPattern[pat]; p != nil && len(l.errors[pat]) == 0 && p.Types != nil {
			good = append(good, pat)
		}
	}
	pkgs := NewPackages(Config{Dir: dir})
	if _, err := pkgs.load(good); err != nil {
		t.Fatal(err)
	}
	if !pkgs.l.fast {
		t.Fatal("the packages of the golden cases did not load through the fast path")
	}
	n := 0
	for _, c := range cases {
		if !isSubset(c.patterns, good) {
			continue
		}
		n++
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			out, err := Generate(c.specs, Config{Version: "(golden)", Packages: pkgs})
			want, got := "expected.go", string(out)
			if err != nil {
				want, got = "expected.err", strings.ReplaceAll(err.Error(), c.dir+string(filepath.Separator), "")+"\n"
			}
			b, rerr := os.ReadFile(filepath.Join(c.dir, want))
			if rerr != nil {
				t.Fatalf("no %s; got:\n%s", want, got)
			}
			if string(b) != got {
				t.Errorf("%s differs through the fast path; got:\n%s", want, got)
			}
		})
	}
	if n < len(cases)/2 {
		t.Errorf("only %d of %d golden cases load through the fast path", n, len(cases))
	}
}

func isSubset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// TestEmbeddedUsable: the embedded types stand for the built-ins only
// where the go command would load the same source and could load it.
func TestEmbeddedUsable(t *testing.T) {
	h := embedded()
	if h == nil {
		t.Fatal("no embedded types")
	}
	// A copy of what the fingerprint covers, as a replace directory.
	src := t.TempDir()
	copyFile := func(rel string) {
		b, err := os.ReadFile(filepath.Join("..", rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, rel), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile("go.mod")
	for _, d := range h.Dirs {
		names, _ := filepath.Glob(filepath.Join("..", d, "*.go"))
		for _, n := range names {
			if !strings.HasSuffix(n, "_test.go") {
				copyFile(filepath.Join(d, filepath.Base(n)))
			}
		}
	}
	user := t.TempDir()
	gomod := "module example.com/u\n\ngo 1.26\n\nrequire " + ModulePath + " v0.0.0\n\nreplace " + ModulePath + " => " + src + "\n"
	if err := os.WriteFile(filepath.Join(user, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	jira := []string{"time", "context", TransformPath, builtins["jira"]}
	env := []string{"GOWORK=off", "GOFLAGS="}
	if !embeddedUsable(h, user, env, jira) {
		t.Fatal("not usable in a module that replaces this one with an identical copy")
	}
	if embeddedUsable(h, user, env, append(jira, builtins["sqlite"])) {
		t.Error("usable for sqlite in a module whose go.mod does not require its dependencies")
	}
	if embeddedUsable(h, user, []string{"GOWORK=off", "GOFLAGS=-tags=x"}, jira) {
		t.Error("usable with build tags")
	}
	if err := os.WriteFile(filepath.Join(user, "go.work"), []byte("go 1.26\n\nuse .\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if embeddedUsable(h, user, []string{"GOFLAGS="}, jira) {
		t.Error("usable in a workspace")
	}
	f := filepath.Join(src, "runtime", "jira", "jira.go")
	b, _ := os.ReadFile(f)
	if err := os.WriteFile(f, append(b, "\n// changed\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if embeddedUsable(h, user, env, jira) {
		t.Error("usable with a changed copy of the built-ins' source")
	}
}
