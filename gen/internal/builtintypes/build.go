package builtintypes

import (
	"bytes"
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
)

// Build loads Paths from the module at root and returns the content of
// types.bin. The types are loaded as package gen loads packages
// (NeedName|NeedFiles|NeedTypes: the compiler's export data), in one call
// so that identities agree; the dependency graph comes from a second,
// untyped load.
func Build(root string) ([]byte, error) {
	fset := token.NewFileSet()
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedFiles | packages.NeedTypes, Dir: root, Fset: fset}
	roots, err := packages.Load(cfg, Paths...)
	if err != nil {
		return nil, err
	}
	byPath := map[string]*packages.Package{}
	for _, p := range roots {
		if len(p.Errors) > 0 {
			return nil, fmt.Errorf("loading %s: %v", p.PkgPath, p.Errors[0])
		}
		byPath[p.PkgPath] = p
	}
	graph, err := packages.Load(&packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports | packages.NeedDeps | packages.NeedModule,
		Dir:  root,
	}, Paths...)
	if err != nil {
		return nil, err
	}
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	h := &Header{Go: runtime.Version()}
	dirs := map[string]bool{}
	modules := map[string][]string{}
	for _, g := range graph {
		mods := map[string]bool{}
		packages.Visit([]*packages.Package{g}, nil, func(p *packages.Package) {
			switch {
			case p.Module == nil:
				// The standard library.
			case p.Module.Path == ModulePath:
				if len(p.GoFiles) == 0 {
					return
				}
				rel, err := filepath.Rel(absRoot, filepath.Dir(p.GoFiles[0]))
				if err == nil {
					dirs[filepath.ToSlash(rel)] = true
				}
			default:
				mods[p.Module.Path] = true
			}
		})
		modules[g.PkgPath] = sortedKeys(mods)
	}
	h.Dirs = sortedKeys(dirs)
	if h.Fingerprint, err = Fingerprint(root, h.Dirs); err != nil {
		return nil, err
	}

	// Positions in export data name files by absolute path; name them
	// relative to the module root, GOROOT or the module cache instead, so
	// that the file does not depend on where the module is checked out.
	out := renamedFileSet(fset, absRoot)
	var export [][]byte
	for _, path := range Paths {
		p := byPath[path]
		if p == nil || p.Types == nil {
			return nil, fmt.Errorf("go/packages returned no types for %s", path)
		}
		var buf bytes.Buffer
		if err := gcexportdata.Write(&buf, out, p.Types); err != nil {
			return nil, fmt.Errorf("writing %s: %v", path, err)
		}
		var imports [][2]string
		for _, imp := range p.Types.Imports() {
			imports = append(imports, [2]string{imp.Path(), imp.Name()})
		}
		h.Packages = append(h.Packages, Package{
			Path:    path,
			Name:    p.Types.Name(),
			Imports: imports,
			Modules: modules[path],
			Size:    buf.Len(),
		})
		export = append(export, buf.Bytes())
	}
	var b bytes.Buffer
	if err := encode(&b, h, export); err != nil {
		return nil, err
	}
	// Read it back: what the binary cannot read must not be written.
	if _, err := Decode(b.Bytes(), Paths); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Decode reads paths from the content of a types.bin, into a new map.
func Decode(content []byte, paths []string) (map[string]*types.Package, error) {
	return read(content, token.NewFileSet(), map[string]*types.Package{}, paths)
}

// renamedFileSet returns a copy of fset whose files have the same bases,
// sizes and lines and names that do not depend on this machine.
func renamedFileSet(fset *token.FileSet, root string) *token.FileSet {
	goroot := runtime.GOROOT()
	out := token.NewFileSet()
	fset.Iterate(func(f *token.File) bool {
		name := filepath.ToSlash(f.Name())
		for _, pre := range []struct{ dir, as string }{
			{root, "$MODULE"},
			{goroot, "$GOROOT"},
		} {
			if d := filepath.ToSlash(pre.dir); d != "" && strings.HasPrefix(name, d+"/") {
				name = pre.as + name[len(d):]
			}
		}
		if i := strings.Index(name, "/pkg/mod/"); i >= 0 && !strings.HasPrefix(name, "$") {
			name = "$GOMODCACHE" + name[i+len("/pkg/mod"):]
		}
		nf := out.AddFile(name, f.Base(), f.Size())
		nf.SetLines(f.Lines())
		return true
	})
	return out
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
