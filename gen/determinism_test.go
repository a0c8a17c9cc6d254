package gen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/resolute/resolute-gen/gen"
)

// TestGenerateIsDeterministic generates every valid case twice, with
// separate package loads, and requires identical bytes: generated code is
// reviewed in pull requests, so regenerating must not churn it.
func TestGenerateIsDeterministic(t *testing.T) {
	var valid []goldenCase
	for _, c := range goldenCases(t) {
		if _, err := os.Stat(filepath.Join(c.dir, "expected.go")); err == nil {
			valid = append(valid, c)
		}
	}
	run := func() map[string][]byte {
		pkgs := gen.NewPackages(gen.Config{Dir: goldenDir})
		out := map[string][]byte{}
		for _, c := range valid {
			src, err := gen.Generate(c.specs, gen.Config{Dir: c.dir, Packages: pkgs})
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			out[c.name] = src
		}
		return out
	}
	first, second := run(), run()
	for _, c := range valid {
		if !bytes.Equal(first[c.name], second[c.name]) {
			t.Errorf("%s: two generations differ", c.name)
		}
	}
}

// BenchmarkGenerate measures resolute-gen gen on the largest golden case,
// package loading included (go list's build cache warm), as a user's
// go generate pays it:
//
//	go test -run '^$' -bench Generate ./gen
func BenchmarkGenerate(b *testing.B) {
	specs := []string{filepath.Join(goldenDir, "nested_control_flow", "sync.toml")}
	for b.Loop() {
		if _, err := gen.Generate(specs, gen.Config{Dir: filepath.Dir(specs[0])}); err != nil {
			b.Fatal(err)
		}
	}
}
