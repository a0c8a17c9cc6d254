package cursorstore_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/cursorstore/internal/storetest"
)

// The file store passes the contract every store passes; each namespace is
// a file of its own.
func TestContract(t *testing.T) {
	dir := t.TempDir()
	storetest.Contract(t, func(t *testing.T, ns string) cursorstore.Store {
		return &cursorstore.File{Path: filepath.Join(dir, ns+".json"), Prog: "prog"}
	})
}

func TestFileCommit(t *testing.T) {
	dir := t.TempDir()
	s := &cursorstore.File{Path: filepath.Join(dir, "cursors.json"), Prog: "prog"}
	ctx := context.Background()
	if c, err := s.Load(ctx); err != nil || len(c) != 0 {
		t.Fatalf("missing file: %v %v", c, err)
	}
	if err := s.Commit(ctx, map[string]string{"a": "1", "b": "x"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, map[string]string{"a": "2"}, nil); err != nil {
		t.Fatal(err)
	}
	c, err := s.Load(ctx)
	if err != nil || c["a"] != "2" || c["b"] != "x" {
		t.Fatalf("got %v %v", c, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("a temp file was left behind: %v", entries)
	}
	if st, _ := os.Stat(s.Path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v", st.Mode())
	}
}

func TestFileCorrupt(t *testing.T) {
	for name, content := range map[string]string{
		"truncated":     `{"version":1,"cursors":{"a":"1"`,
		"wrong type":    `{"version":1,"cursors":{"a":1}}`,
		"empty":         ``,
		"trailing junk": `{"version":1,"cursors":{}} {}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := &cursorstore.File{Path: filepath.Join(t.TempDir(), "cursors.json"), Prog: "prog"}
			os.WriteFile(s.Path, []byte(content), 0o600)
			_, err := s.Load(context.Background())
			if !cursorstore.IsStateError(err) {
				t.Fatalf("err = %v, want a state error", err)
			}
			for _, want := range []string{s.Path, "corrupt", "prog cursor set NAME VALUE"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if s.Commit(context.Background(), map[string]string{"a": "2"}, nil) == nil {
				t.Fatal("commit over a corrupt file must fail, not drop the other cursors")
			}
		})
	}
}
