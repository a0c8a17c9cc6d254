package resolutegen

import (
	"io/fs"
	"os/exec"
	"strings"
	"testing"
)

// TestSourceHoldsNoTests: the CLI carries the runtime's sources, not its
// tests, test fakes or test data.
func TestSourceHoldsNoTests(t *testing.T) {
	n, size := 0, 0
	err := fs.WalkDir(Source, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, "_test.go") || strings.Contains(path, "testdata") || strings.Contains(path, "test/") {
			t.Errorf("Source embeds %s, which no generated program needs", path)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n, size = n+1, size+int(info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go.mod", "go.sum", "runtime/doc.go", "runtime/internal/statelock/lock_other.go", "runtime/jira/jira.go"} {
		if _, err := fs.Stat(Source, want); err != nil {
			t.Errorf("Source lacks %s: %v", want, err)
		}
	}
	t.Logf("Source embeds %d files, %d bytes", n, size)
}

// TestSourceEmbedListFresh: source_embed.go lists what internal/embedlist
// finds today (a runtime file added or removed without go generate . fails
// here, or, for a removed one, fails to build).
func TestSourceEmbedListFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "run", "./internal/embedlist", "-check").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}
