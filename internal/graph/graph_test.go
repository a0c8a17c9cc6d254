package graph

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/spec"
)

var update = flag.Bool("update", false, "rewrite the expected diagrams")

// TestGolden draws testdata/CASE/spec.toml and compares with
// expected.mmd and expected.dot; -update rewrites them.
func TestGolden(t *testing.T) {
	dirs, err := filepath.Glob("testdata/*/spec.toml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, path := range dirs {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			f, err := spec.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string]string{"expected.mmd": New(f).Mermaid(), "expected.dot": New(f).DOT()} {
				want := filepath.Join(dir, name)
				if *update {
					if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				data, err := os.ReadFile(want)
				if err != nil {
					t.Fatalf("%v (run go test -update)", err)
				}
				if string(data) != got {
					t.Errorf("%s differs; got:\n%s", want, got)
				}
			}
		})
	}
}

// TestDeterministic: the same spec draws the same text every time (no map
// order leaks in).
func TestDeterministic(t *testing.T) {
	f, err := spec.ParseFile("testdata/cursors/spec.toml")
	if err != nil {
		t.Fatal(err)
	}
	first := New(f).Mermaid() + New(f).DOT()
	for i := 0; i < 20; i++ {
		if got := New(f).Mermaid() + New(f).DOT(); got != first {
			t.Fatal("two drawings of one spec differ")
		}
	}
}

// TestEscaping: quotes and angle brackets in expressions do not break
// either format.
func TestEscaping(t *testing.T) {
	f, err := spec.ParseFile("testdata/sequence/spec.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := New(f).Mermaid()
	if !strings.Contains(m, `where it.Status != #quot;Done#quot;`) {
		t.Errorf("mermaid does not escape quotes:\n%s", m)
	}
	d := New(f).DOT()
	if !strings.Contains(d, `where it.Status != \"Done\"`) {
		t.Errorf("dot does not escape quotes:\n%s", d)
	}
}
