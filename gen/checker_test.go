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
