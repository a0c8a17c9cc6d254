package gen

import (
	"maps"
	"path/filepath"
	"slices"
	"sort"

	"github.com/resolute/resolute-gen/gen/internal/golang"
	"github.com/resolute/resolute-gen/spec"
)

// ProviderPackages returns every package of this module that a generated
// program may import: the runtime, the transform helpers, the built-in
// node packages and the cursor stores, sorted.
func ProviderPackages() []string {
	all := []string{RuntimePath, TransformPath}
	for _, p := range builtins {
		all = append(all, p)
	}
	for _, p := range golang.CursorStorePackages {
		all = append(all, p)
	}
	return sortedUnique(all)
}

// ModuleImports returns the packages of this module that the program of
// the spec files at paths imports: the runtime and transform helpers, the
// built-in node packages its calls name, and its cursor store's package.
// Files that do not parse are read as far as they go.
func ModuleImports(paths ...string) []string {
	all := []string{RuntimePath, TransformPath}
	var files []*spec.File
	for _, path := range paths {
		f, _ := spec.ParseFile(path)
		if f == nil {
			continue
		}
		files = append(files, f)
		if p, ok := golang.CursorStorePackages[f.CursorStore.Value]; ok {
			all = append(all, p)
		}
	}
	forEachCall(files, func(f *spec.File, call spec.String) {
		ref, err := parseCall(call, filepath.Dir(f.Path))
		// Only the provider packages: a call of another package path
		// under this module (one that does not exist, or an internal one)
		// is the checker's to report, not a missing dependency.
		if err == nil && slices.Contains(slices.Collect(maps.Values(builtins)), ref.pattern) {
			all = append(all, ref.pattern)
		}
	})
	return sortedUnique(all)
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
