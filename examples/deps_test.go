package examples_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDriverDependencies: a program that writes only to SQLite
// (sqlite.Upsert, cursors in files) does not link pgx, and one that writes
// only to PostgreSQL (postgres.Upsert, cursors in PostgreSQL) does not link
// modernc SQLite, as `go version -m` reports the modules of a binary.
func TestDriverDependencies(t *testing.T) {
	for _, tc := range []struct {
		example, has, hasNot string
	}{
		{"quickstart", "modernc.org/sqlite", "github.com/jackc/pgx"},
		{"postgres", "github.com/jackc/pgx", "modernc.org/sqlite"},
	} {
		bin := program(t, tc.example)
		out, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
		if err != nil {
			t.Fatalf("go version -m %s: %v\n%s", tc.example, err, out)
		}
		mods := string(out)
		if !strings.Contains(mods, "\tdep\t"+tc.has+"\t") && !strings.Contains(mods, "\tdep\t"+tc.has+"/") {
			t.Errorf("%s: %s not linked:\n%s", tc.example, tc.has, mods)
		}
		if strings.Contains(mods, tc.hasNot) {
			t.Errorf("%s links %s:\n%s", tc.example, tc.hasNot, mods)
		}
	}
}
