package gen_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/gen"
)

// A rate limit paces a step's attempts without changing what they do:
// changing the limit or the step's rate_limit keeps the flow hash, so an
// unfinished run resumes under the new pace.
func TestRateLimitEditKeepsFlowHash(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(goldenDir, "rate_limit_shared", "sync.toml"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs := gen.NewPackages(gen.Config{Dir: goldenDir})
	dir := t.TempDir()
	var hashes []string
	var steps [][]string
	for i, edit := range []func(string) string{
		func(s string) string { return s },
		func(s string) string {
			return strings.Replace(s, `rate = "10/s", burst = 5`, `rate = "600/m", burst = 2`, 1)
		},
		func(s string) string {
			return strings.Replace(s, "  rate_limit = \"jira\"\n  retry", "  rate_limit = \"slow\"\n  retry", 1)
		},
	} {
		path := filepath.Join(dir, "v"+string(rune('0'+i)), "sync.toml")
		os.MkdirAll(filepath.Dir(path), 0o755)
		edited := edit(string(src))
		if i > 0 && edited == string(src) {
			t.Fatalf("edit %d changed nothing", i)
		}
		if err := os.WriteFile(path, []byte(edited), 0o644); err != nil {
			t.Fatal(err)
		}
		prog, err := gen.Check([]string{path}, gen.Config{Packages: pkgs})
		if err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, prog.Flows[0].Hash)
		steps = append(steps, prog.Flows[0].StepHashes)
	}
	for i := 1; i < len(hashes); i++ {
		if hashes[i] != hashes[0] || !slices.Equal(steps[i], steps[0]) {
			t.Errorf("edit %d changed the flow hash: %s %v, was %s %v", i, hashes[i], steps[i], hashes[0], steps[0])
		}
	}
}
