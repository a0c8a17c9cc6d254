package gen

import (
	"fmt"
	"go/token"
	"go/types"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/resolute/resolute-gen/gen/internal/golang"
	"github.com/resolute/resolute-gen/spec"
)

// rowTypeNames lists the names of the row types the map steps of files
// generate, so that no local variable takes one.
func rowTypeNames(files []*spec.File) map[string]bool {
	names := map[string]bool{}
	for _, f := range files {
		forEachStep(f.Steps, func(st *spec.Step) {
			switch {
			case st.Kind != spec.StepMap:
			case st.Type.Set():
				names[st.Type.Value] = true
			case st.ID.Set():
				names[rowTypeName(st.ID.Value)] = true
			}
		})
	}
	return names
}

// reservedNames lists the Go names a local variable must not take in the
// generated file: the names the emitter uses (golang.ReservedNames) and
// every package name of the node packages.
func (c *checker) reservedNames() map[string]bool {
	r := map[string]bool{}
	for _, n := range golang.ReservedNames {
		r[n] = true
	}
	for _, p := range c.pkgs.byPattern {
		if p.Types == nil {
			continue
		}
		r[p.Types.Name()] = true
		for _, imp := range p.Types.Imports() {
			r[imp.Name()] = true
		}
	}
	return r
}

// newName takes a fresh local name for generated code: base, base2,
// base3..., skipping the names of step variables.
func (c *checker) newName(base string) string {
	name, n := c.nextName(base)
	c.counter[base] = n
	c.goNames[name] = "(generated)"
	c.takeLocal(name)
	return name
}

// peekName returns the name newName(base) would return, without taking it.
func (c *checker) peekName(base string) string {
	name, _ := c.nextName(base)
	return name
}

func (c *checker) nextName(base string) (string, int) {
	for n := c.counter[base] + 1; ; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s%d", base, n)
		}
		if c.goNames[name] == "" {
			return name, n
		}
	}
}

// takeNow allocates the now variable that peekName("now") announced, if the
// expressions checked with it called now().
func (c *checker) takeNow(used bool) string {
	if !used {
		return ""
	}
	return c.newName("now")
}

// goName is the Go variable for a step id: the id in Go's mixedCaps
// (github_open -> githubOpen), renamed if it would shadow a package or
// clash with another step's variable.
func (c *checker) goName(id string) string {
	name := lowerCamel(id)
	if c.reserved[name] || c.rowNames[name] || token.IsKeyword(name) || types.Universe.Lookup(name) != nil {
		name += "Result" // not "Out": time would become timeOut
	}
	for base, n := name, 2; c.goNames[name] != "" && c.goNames[name] != id; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	c.goNames[name] = id
	c.takeLocal(name)
	return name
}

// takeLocal records a local name of some flow.
func (c *checker) takeLocal(name string) {
	if c.everyLocal == nil {
		c.everyLocal = map[string]bool{}
	}
	c.everyLocal[name] = true
}

// localName takes a Go local name that no step id gave: name, or name2,
// name3... if a step's variable already has it. owner says who holds it.
func (c *checker) localName(name, owner string) string {
	base := name
	for n := 2; c.goNames[name] != "" && c.goNames[name] != owner; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	c.goNames[name] = owner
	c.takeLocal(name)
	return name
}

// lowerCamel turns issue_key into issueKey; ids without underscores are kept.
func lowerCamel(id string) string {
	if !strings.Contains(id, "_") || strings.Trim(id, "_") == "" {
		return id
	}
	e := golang.ExportedName(id)
	r := []rune(e)
	// Lower the leading initialism as a whole: URLList -> urlList.
	i := 0
	for i < len(r) && unicode.IsUpper(r[i]) {
		i++
	}
	if i > 1 && i < len(r) {
		i--
	}
	for j := 0; j < i || j == 0; j++ {
		r[j] = unicode.ToLower(r[j])
	}
	return string(r)
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
