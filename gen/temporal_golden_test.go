package gen_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/resolute/resolute-gen/gen"
)

// goldenTemporalDir holds the expected Temporal workers: one directory per
// case, named after a case of testdata/golden whose specs it compiles, with
// expected.go. They are compiled by the nested module's tests
// (temporal/e2e, TestGoldenTemporalCompiles), since this module lacks the Temporal SDK.
const goldenTemporalDir = "../testdata/golden_temporal"

// TestGoldenTemporal generates the Temporal target of each case and
// compares it with expected.go (`go test ./gen -update` rewrites it).
func TestGoldenTemporal(t *testing.T) {
	entries, err := os.ReadDir(goldenTemporalDir)
	if err != nil {
		t.Fatal(err)
	}
	type tcase struct {
		name  string
		specs []string
	}
	var cases []tcase
	var all []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		specs, _ := filepath.Glob(filepath.Join(goldenDir, e.Name(), "*.toml"))
		sort.Strings(specs)
		if len(specs) == 0 {
			t.Errorf("temporal golden case %s names no case of %s", e.Name(), goldenDir)
			continue
		}
		cases = append(cases, tcase{e.Name(), specs})
		all = append(all, specs...)
	}
	if len(cases) == 0 {
		t.Fatal("no temporal golden case")
	}
	pkgs := gen.NewPackages(gen.Config{Dir: goldenDir})
	if err := pkgs.Preload(all...); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := gen.GenerateTemporal(c.specs, gen.Config{Version: "(golden)", Packages: pkgs})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(goldenTemporalDir, c.name, "expected.go")
			compare(t, path, string(out), filepath.Join(goldenTemporalDir, c.name, "expected.err"))
		})
	}
}
