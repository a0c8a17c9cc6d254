package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/resolute/resolute-gen/gen"
)

// toolPackage is what `go get -tool` names: the generator, whose go.mod
// entry also keeps every dependency of what generated programs import
// (see providers.go).
const toolPackage = gen.ModulePath + "/cmd/resolute-gen"

// missingGoSum matches the go command's report of a package whose module
// is not in go.sum (or not required at all).
var missingGoSum = regexp.MustCompile(`(?:missing go\.sum entry for module providing package|no required module provides package) ([^ ;:]+)`)

// missingDeps is called when a command failed in the user's module: if
// the packages the specs' program imports from this module cannot be
// loaded because their dependencies are missing from go.mod or go.sum
// (nothing imported them before the program was generated), it returns one
// error that says so and gives the command that adds them. Otherwise nil,
// and the command's own error stands.
func (w *workspace) missingDeps(specs []string) error {
	if w.temp {
		return nil
	}
	args := append([]string{"list", "-e", "-deps", "-f", "{{with .Error}}{{.Err}}{{end}}"}, gen.ModuleImports(specs...)...)
	cmd := exec.Command("go", args...)
	cmd.Dir = w.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.Run() // the exit code says nothing -e did not; the text is what counts
	seen := map[string]bool{}
	var pkgs []string
	for _, m := range missingGoSum.FindAllStringSubmatch(out.String(), -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			pkgs = append(pkgs, m[1])
		}
	}
	if len(pkgs) == 0 {
		return nil
	}
	sort.Strings(pkgs)
	return fmt.Errorf("the module's go.mod and go.sum lack dependencies of the code resolute-gen generates (%s); add resolute-gen as a tool, which records them all: go get -tool %s%s",
		strings.Join(pkgs, ", "), toolPackage, w.versionSuffix())
}

// versionSuffix is "@VERSION" for the version of this module the user's
// go.mod requires, so that the advice does not upgrade it; empty when it
// is replaced by a directory or not required.
func (w *workspace) versionSuffix() string {
	data, err := os.ReadFile(filepath.Join(w.root, "go.mod"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == gen.ModulePath && strings.HasPrefix(f[1], "v") && !strings.HasPrefix(f[1], "v0.0.0-00010101000000-") {
			return "@" + f[1]
		}
	}
	return ""
}
