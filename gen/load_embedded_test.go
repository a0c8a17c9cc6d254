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
