package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGoldenTemporalCompiles builds and vets every expected.go of
// testdata/golden_temporal (the root module's golden test checks the
// text; only this module has the Temporal SDK to compile it).
func TestGoldenTemporalCompiles(t *testing.T) {
	cases, err := filepath.Glob(filepath.Join(repoRoot, "testdata", "golden_temporal", "*", "expected.go"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no temporal golden case (%v)", err)
	}
	build, err := os.MkdirTemp(moduleRoot, "golden_tmp")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(build)
	for _, c := range cases {
		src, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(build, filepath.Base(filepath.Dir(c)))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "vet", "./"+filepath.Base(build)+"/...")
	cmd.Dir = moduleRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet of %d temporal golden programs failed: %v\n%s", len(cases), err, out)
	}
	t.Logf("compiled and vetted %d temporal golden programs", len(cases))
}
