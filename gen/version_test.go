package gen_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/gen"
	"github.com/resolute/resolute-gen/runtime"
)

// TestRuntimeAPIVersion: the generator writes programs for the runtime it
// ships with.
func TestRuntimeAPIVersion(t *testing.T) {
	if gen.RuntimeAPIVersion != runtime.APIVersion {
		t.Fatalf("gen.RuntimeAPIVersion = %d but runtime.APIVersion = %d", gen.RuntimeAPIVersion, runtime.APIVersion)
	}
}

// TestVersionLock builds the version lock of a generated program (taken
// from a golden file) against the runtime's version.go, as it is and with
// its version bumped, in a throwaway module: the first builds, the second
// fails with an error that names both versions.
func TestVersionLock(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go command")
	}
	generated, err := os.ReadFile(filepath.Join(goldenDir, "seed_sync", "expected.go"))
	if err != nil {
		t.Fatal(err)
	}
	lock := regexp.MustCompile(`(?m)^var _ interface\{ GeneratedForAPIVersion\d+\(\) \} = runtime\.ThisAPIVersion$`).Find(generated)
	if lock == nil {
		t.Fatal("seed_sync/expected.go has no version lock")
	}
	version, err := os.ReadFile("../runtime/version.go")
	if err != nil {
		t.Fatal(err)
	}
	this := fmt.Sprint(runtime.APIVersion)
	next := fmt.Sprint(runtime.APIVersion + 1)
	bumped := strings.ReplaceAll(strings.ReplaceAll(string(version), "APIVersion = "+this, "APIVersion = "+next), "APIVersion"+this, "APIVersion"+next)
	build := func(versionGo string) (string, error) {
		dir := t.TempDir()
		files := map[string]string{
			"go.mod":             "module example.com/lock\n\ngo 1.21\n",
			"runtime/version.go": versionGo,
			"main.go":            "package main\n\nimport \"example.com/lock/runtime\"\n\n" + string(lock) + "\n\nfunc main() {}\n",
		}
		for name, text := range files {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command("go", "build", "-o", os.DevNull, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := build(string(version)); err != nil {
		t.Fatalf("the lock does not build against its own runtime version: %v\n%s", err, out)
	}
	out, err := build(bumped)
	if err == nil {
		t.Fatalf("the lock of a program generated for version %s builds against version %s", this, next)
	}
	for _, want := range []string{"GeneratedForAPIVersion" + this, "runtime.APIVersion" + next} {
		if !strings.Contains(out, want) {
			t.Errorf("the build error does not name %s:\n%s", want, out)
		}
	}
	t.Logf("building a version %s program against runtime version %s:\n%s", this, next, out)
}
