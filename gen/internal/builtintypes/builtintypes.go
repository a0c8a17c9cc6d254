// Package builtintypes carries, inside the resolute-gen binary, the type
// information of the module's built-in provider packages (runtime/jira,
// the SQL sinks, github, confluence, deadletter), of runtime/transform
// and of the standard packages the checker needs (time, context), so that
// checking a spec that calls only built-in nodes spawns no go command.
//
// Why embedded export data. Loading those packages with go/packages runs
// `go list -export -deps` over them and their dependencies (pgx, the pure
// Go SQLite: thousands of files to stat and hash), which was most of the
// time `resolute-gen gen` took. The packages come from this very module,
// at the version of the binary, so their types can be computed once, at
// development time: go generate (see mk) loads them exactly as the checker
// did (one go/packages call, types from the compiler's export data),
// writes each with gcexportdata.Write into types.bin, and the binary reads
// them back with gcexportdata.Read in a few milliseconds.
//
// The checker needs nothing else from these packages: it reads types,
// struct tags and package names and imports (types.Package.Imports, which
// the file records as go/packages produced it, so that the generated code's
// reserved names do not change); it never reads syntax, doc comments or
// the source positions of Go declarations.
//
// The data is only used where it provably describes the source the go
// command would load: the file records a fingerprint of that source (the
// non-test Go files of every package of this module the built-ins depend
// on, and go.mod) and the modules outside this one each package needs; the
// caller (package gen) compares the fingerprint with the copy of this
// module the spec's module resolves, and falls back to go/packages when
// they differ. TestFresh fails when the file is stale.
package builtintypes

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/token"
	"go/types"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/gcexportdata"
)

//go:generate go run ./mk

// ModulePath is the module whose packages the file describes.
const ModulePath = "github.com/resolute/resolute-gen"

// Paths are the packages the file holds, loaded in one go/packages call
// as the checker loads them: the built-in providers, runtime/transform,
// and the standard packages the checker looks types up in.
var Paths = []string{
	"context",
	"time",
	ModulePath + "/runtime/confluence",
	ModulePath + "/runtime/deadletter",
	ModulePath + "/runtime/github",
	ModulePath + "/runtime/jira",
	ModulePath + "/runtime/sqlsink/anysql",
	ModulePath + "/runtime/sqlsink/postgres",
	ModulePath + "/runtime/sqlsink/sqlite",
	ModulePath + "/runtime/transform",
}

// FileName is the file, beside this one, that holds the data.
const FileName = "types.bin"

//go:embed types.bin
var data []byte

// Header describes the data; it is the first line of the file, in JSON.
type Header struct {
	// Go is the version of Go whose export data the packages were read
	// from: the standard packages' types are that version's.
	Go string `json:"go"`
	// Fingerprint hashes the source the packages were loaded from: go.mod
	// and the non-test Go files of Dirs (see Fingerprint).
	Fingerprint string   `json:"fingerprint"`
	Dirs        []string `json:"dirs"`
	// Packages are in the order their data follows the header.
	Packages []Package `json:"packages"`
}

// Package is one package of the file.
type Package struct {
	Path string `json:"path"`
	Name string `json:"name"`
	// Imports are the path and name of each package that
	// types.Package.Imports listed when go/packages loaded it.
	Imports [][2]string `json:"imports,omitempty"`
	// Modules are the modules other than this one whose packages this
	// package imports, directly or not: the user's go.mod and go.sum must
	// provide them for the go command to load it.
	Modules []string `json:"modules,omitempty"`
	// Size is the length of the package's export data.
	Size int `json:"size"`
}

// Data returns the header of the embedded file and the export data of
// each of its packages, by path.
func Data() (*Header, map[string][]byte, error) {
	return parse(data)
}

func parse(b []byte) (*Header, map[string][]byte, error) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return nil, nil, fmt.Errorf("builtintypes: %s has no header", FileName)
	}
	var h Header
	if err := json.Unmarshal(b[:nl], &h); err != nil {
		return nil, nil, fmt.Errorf("builtintypes: %s: %v", FileName, err)
	}
	rest := b[nl+1:]
	byPath := make(map[string][]byte, len(h.Packages))
	for _, p := range h.Packages {
		if p.Size > len(rest) {
			return nil, nil, fmt.Errorf("builtintypes: %s is truncated", FileName)
		}
		byPath[p.Path] = rest[:p.Size:p.Size]
		rest = rest[p.Size:]
	}
	return &h, byPath, nil
}

// Read restores the packages at paths (and the packages their types
// mention, incomplete) into imports, which maps import paths to packages
// as gcexportdata.Read's does: a package already there is completed, not
// replaced, so that objects keep one identity across the packages read
// into one map. Each package's Imports are set as go/packages set them.
func Read(fset *token.FileSet, imports map[string]*types.Package, paths []string) (map[string]*types.Package, error) {
	return read(data, fset, imports, paths)
}

func read(content []byte, fset *token.FileSet, imports map[string]*types.Package, paths []string) (map[string]*types.Package, error) {
	h, byPath, err := parse(content)
	if err != nil {
		return nil, err
	}
	meta := map[string]Package{}
	for _, p := range h.Packages {
		meta[p.Path] = p
	}
	out := make(map[string]*types.Package, len(paths))
	for _, path := range paths {
		b, ok := byPath[path]
		if !ok {
			return nil, fmt.Errorf("builtintypes: %s holds no package %s", FileName, path)
		}
		pkg, err := gcexportdata.Read(bytes.NewReader(b), fset, imports, path)
		if err != nil {
			return nil, fmt.Errorf("builtintypes: %v", err)
		}
		out[path] = pkg
	}
	for _, path := range paths {
		var list []*types.Package
		for _, imp := range meta[path].Imports {
			p := imports[imp[0]]
			if p == nil {
				p = types.NewPackage(imp[0], imp[1])
				imports[imp[0]] = p
			}
			list = append(list, p)
		}
		out[path].SetImports(list)
	}
	return out, nil
}

// Fingerprint hashes go.mod at root and the non-test Go files of each of
// dirs (slash-separated, relative to root), file names included, in
// order: two copies of the module with one fingerprint hold the same
// source for those packages. A file that cannot be read is an error.
func Fingerprint(root string, dirs []string) (string, error) {
	h := sha256.New()
	add := func(rel string) error {
		b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %d\n", rel, len(b))
		h.Write(b)
		return nil
	}
	if err := add("go.mod"); err != nil {
		return "", err
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			return "", err
		}
		var names []string
		for _, e := range entries {
			n := e.Name()
			if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") && !e.IsDir() {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			if err := add(path.Join(dir, n)); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// encode writes the header and the export data.
func encode(w io.Writer, h *Header, export [][]byte) error {
	line, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return err
	}
	for _, b := range export {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
