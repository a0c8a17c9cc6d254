package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	resolutegen "github.com/resolute/resolute-gen"
	"github.com/resolute/resolute-gen/gen"
)

// workspace is where Go packages are resolved and the program is built:
// the user's module, or a temporary module made from the embedded source.
type workspace struct {
	dir     string // where go/packages and go build run
	root    string // module root
	temp    bool   // a temporary module, removed by cleanup
	buildIn string // a temporary package directory inside the user's module
}

func (w *workspace) cleanup() {
	if w.temp {
		os.RemoveAll(w.root)
	}
	if w.buildIn != "" {
		os.RemoveAll(w.buildIn)
	}
}

// mainDir returns a directory for the generated main package.
func (w *workspace) mainDir() (string, error) {
	if w.temp {
		return w.root, nil
	}
	dir, err := os.MkdirTemp(w.root, "resolute_build_")
	if err != nil {
		return "", err
	}
	w.buildIn = dir
	return dir, nil
}

// env is the environment of the go commands run in the workspace (go list
// through go/packages, go build). In a temporary module the replace
// directive points at the embedded copy and go.sum comes along, so
// -mod=mod only fills gaps from the module cache; no go.work of the caller
// applies. In the user's module, the user's own environment rules.
func (w *workspace) env() []string {
	if !w.temp {
		return nil
	}
	return append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
}

// workspaceFor finds the module of the specs. A module that requires this
// one (or is this one) is used as it is. Outside any module, checking and
// building happen in a temporary module. A module that does not require
// resolute-gen is an error with the command that fixes it.
func workspaceFor(specs []string) (*workspace, error) {
	specDir, err := filepath.Abs(filepath.Dir(specs[0]))
	if err != nil {
		return nil, err
	}
	root, modPath := findModule(specDir)
	if root != "" {
		if modPath == gen.ModulePath || requires(filepath.Join(root, "go.mod"), gen.ModulePath) {
			return &workspace{dir: specDir, root: root}, nil
		}
		return nil, fmt.Errorf("module %s (%s) does not require %s, which generated programs import; run: go get -tool %s@latest",
			modPath, filepath.Join(root, "go.mod"), gen.ModulePath, toolPackage)
	}
	return tempModule()
}

// findModule walks up from dir to the nearest go.mod.
func findModule(dir string) (root, modPath string) {
	for d := dir; ; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			return d, modulePath(data)
		}
		if filepath.Dir(d) == d {
			return "", ""
		}
	}
}

func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(strings.NewReader(string(gomod)))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

func requires(gomod, path string) bool {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			for _, w := range f {
				if w == path {
					return true
				}
			}
		}
	}
	return false
}

// tempModule writes a module that imports the embedded copy of this one.
func tempModule() (*workspace, error) {
	root, err := os.MkdirTemp("", "resolute-build-")
	if err != nil {
		return nil, err
	}
	ws := &workspace{dir: root, root: root, temp: true}
	src := filepath.Join(root, "resolute-gen")
	err = fs.WalkDir(resolutegen.Source, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(src, filepath.FromSlash(path))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := fs.ReadFile(resolutegen.Source, path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		ws.cleanup()
		return nil, fmt.Errorf("writing the embedded runtime source: %v", err)
	}
	// The temporary module requires what this module requires, at the same
	// versions, so the module cache that built resolute-gen builds it too.
	ourMod, _ := fs.ReadFile(resolutegen.Source, "go.mod")
	ourSum, _ := fs.ReadFile(resolutegen.Source, "go.sum")
	var gomod strings.Builder
	gomod.WriteString("module resolute.build/program\n\ngo 1.26\n\n")
	fmt.Fprintf(&gomod, "require %s v0.0.0\n\nreplace %s => ./resolute-gen\n\n", gen.ModulePath, gen.ModulePath)
	gomod.WriteString(requireBlock(string(ourMod)))
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte(gomod.String()), 0o644); err != nil {
		ws.cleanup()
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(root, "go.sum"), ourSum, 0o644); err != nil {
		ws.cleanup()
		return nil, err
	}
	return ws, nil
}

// requireBlock returns the require directives of a go.mod.
func requireBlock(gomod string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(gomod, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "require ("):
			in = true
			b.WriteString("require (\n")
		case in && t == ")":
			in = false
			b.WriteString(")\n")
		case in:
			b.WriteString(line + "\n")
		case strings.HasPrefix(t, "require "):
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
