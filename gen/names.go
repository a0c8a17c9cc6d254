package gen

import (
	"go/types"
	"path/filepath"
	"sort"
	"strings"

	"github.com/resolute/resolute-gen/gen/internal/golang"
)

// nodePackages lists the node packages the calls name, as loaded, in
// pattern order (Program.Packages): the emitter keeps locals clear of their
// names.
func (l *loaded) nodePackages() []*types.Package {
	var pkgs []*types.Package
	for _, k := range sortedKeys(l.byPattern) {
		if p := l.byPattern[k]; p.Types != nil {
			pkgs = append(pkgs, p.Types)
		}
	}
	return pkgs
}

// rowTypeName derives a type name from a step id: rows -> Row,
// issues -> Issue, transformed -> TransformedRow.
func rowTypeName(id string) string {
	n := golang.ExportedName(id)
	switch {
	case strings.HasSuffix(n, "ies") && len(n) > 3:
		return n[:len(n)-3] + "y"
	case strings.HasSuffix(n, "ss"):
		return n + "Row"
	case strings.HasSuffix(n, "s") && len(n) > 1:
		return n[:len(n)-1]
	}
	return n + "Row"
}

// importNames maps every package path the output may import to its
// package name, so jennifer writes `jira`, not an alias guessed from the path.
func (c *checker) importNames() map[string]string {
	names := map[string]string{
		RuntimePath:   "runtime",
		TransformPath: "transform",
	}
	for _, path := range golang.CursorStorePackages {
		names[path] = filepath.Base(path)
	}
	seen := map[*types.Package]bool{}
	var walk func(p *types.Package)
	walk = func(p *types.Package) {
		if p == nil || seen[p] {
			return
		}
		seen[p] = true
		names[p.Path()] = p.Name()
		for _, imp := range p.Imports() {
			walk(imp)
		}
	}
	paths := make([]string, 0, len(c.pkgs.byPattern))
	for k := range c.pkgs.byPattern {
		paths = append(paths, k)
	}
	sort.Strings(paths)
	for _, k := range paths {
		if p := c.pkgs.byPattern[k]; p.Types != nil {
			walk(p.Types)
		}
	}
	return names
}
