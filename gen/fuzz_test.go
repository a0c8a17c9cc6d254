package gen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/tools/go/packages"

	"github.com/resolute/resolute-gen/spec"
)

// The fuzzers hold the checker to its promise: any spec `check` accepts
// generates a Go file that parses, is gofmt-stable and type-checks against
// the real packages it imports; a spec it rejects gets positioned errors
// only; nothing panics. Run one with
//
//	go test -run '^$' -fuzz '^FuzzCheckGenerate$' -fuzztime 10m ./gen
//	go test -run '^$' -fuzz '^FuzzCheckExpr$' -fuzztime 10m ./gen
//
// Without -fuzz, `go test ./gen` runs their seeds (every golden and
// example spec) and the corpus under testdata/fuzz as ordinary tests.

// fuzzSpecDirs are the directories whose specs seed the fuzzers. An input
// is checked as a file in one of them (the input picks which), so that
// relative calls (./nodes.X) resolve as they do for the seeds.
var fuzzSpecGlobs = []string{"../testdata/golden/*/*.toml", "../examples/*/*.toml"}

// fuzzEnv is what every fuzz input shares: the seeds, the loaded node
// packages, and the packages generated files import, for type-checking.
type fuzzEnv struct {
	dirs  []string // absolute directories an input may be checked in
	seeds []fuzzSeed
	pkgs  *Packages

	imported map[string]*types.Package // import path -> package, one consistent load
}

type fuzzSeed struct {
	dir int // index in dirs
	src []byte
}

var (
	fuzzOnce sync.Once
	fuzzE    *fuzzEnv
	fuzzErr  error
)

func loadFuzzEnv() (*fuzzEnv, error) {
	fuzzOnce.Do(func() {
		e := &fuzzEnv{imported: map[string]*types.Package{}}
		var specs []string
		for _, g := range fuzzSpecGlobs {
			m, _ := filepath.Glob(g)
			specs = append(specs, m...)
		}
		sort.Strings(specs)
		dirIndex := map[string]int{}
		for _, s := range specs {
			abs, err := filepath.Abs(s)
			if err != nil {
				fuzzErr = err
				return
			}
			d := filepath.Dir(abs)
			if _, ok := dirIndex[d]; !ok {
				dirIndex[d] = len(e.dirs)
				e.dirs = append(e.dirs, d)
			}
			src, err := os.ReadFile(s)
			if err != nil {
				fuzzErr = err
				return
			}
			if len(src) > 64<<10 {
				continue // the 500 nested blocks: a golden case; too slow to mutate
			}
			e.seeds = append(e.seeds, fuzzSeed{dir: dirIndex[d], src: src})
		}
		e.pkgs = NewPackages(Config{Dir: "../testdata/golden"})
		if err := e.pkgs.Preload(specs...); err != nil {
			fuzzErr = err
			return
		}
		// The packages generated programs import, loaded once with their
		// dependencies so that type identities agree.
		fuzzErr = e.loadImports([]string{
			"context", "errors", "fmt", "os", "strconv", "strings", "time", "encoding/json",
			RuntimePath, TransformPath, RuntimePath + "/cursorstore/pgstore", RuntimePath + "/cursorstore/redisstore",
			ModulePath + "/internal/testnodes",
		})
		if fuzzErr == nil {
			var more []string
			for _, v := range builtins {
				more = append(more, v)
			}
			for pat := range e.pkgs.patterns {
				if p := e.pkgs.l.byPattern[pat]; p != nil && len(p.Errors) == 0 && p.PkgPath != "" {
					more = append(more, p.PkgPath)
				}
			}
			fuzzErr = e.loadImports(more)
		}
		fuzzE = e
	})
	return fuzzE, fuzzErr
}

// loadImports adds paths (and everything already loaded) to e.imported, in
// one load so that a package's identity is the same in every import.
func (e *fuzzEnv) loadImports(paths []string) error {
	want := slicesUnion(paths, e.importedPaths())
	// NeedExportFile: with NeedDeps and without it, go/packages type-checks
	// every dependency from source (20s per fuzz worker, which left the
	// 20s fuzz runs of .ci/run gathering their baseline until time ran out).
	cfg := &packages.Config{Mode: packages.NeedName | packages.NeedTypes | packages.NeedImports | packages.NeedDeps | packages.NeedExportFile, Dir: "../testdata/golden"}
	roots, err := packages.Load(cfg, want...)
	if err != nil {
		return err
	}
	all := map[string]*types.Package{}
	packages.Visit(roots, nil, func(p *packages.Package) {
		if p.Types != nil {
			all[p.PkgPath] = p.Types
		}
	})
	for _, p := range want {
		if all[p] == nil {
			// Directories that do not exist (a provider that is not in
			// this branch) are left out.
			if _, err := os.Stat(strings.TrimPrefix(p, ModulePath+"/")); err == nil || !strings.HasPrefix(p, ModulePath) {
				return fmt.Errorf("could not load %s for type-checking generated code", p)
			}
		}
	}
	e.imported = all
	return nil
}

func (e *fuzzEnv) importedPaths() []string {
	var out []string
	for p := range e.imported {
		out = append(out, p)
	}
	return out
}

func slicesUnion(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string{}, a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// Import resolves the generated file's imports from e.imported.
func (e *fuzzEnv) Import(path string) (*types.Package, error) {
	if p := e.imported[path]; p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("package %s not found", path)
}

// ensureImports loads the imports of file that e.imported lacks (rare:
// every seed's packages are loaded up front), all again in one load.
func (e *fuzzEnv) ensureImports(file *ast.File) error {
	var missing []string
	for _, imp := range file.Imports {
		if p, err := strconv.Unquote(imp.Path.Value); err == nil && e.imported[p] == nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return e.loadImports(missing)
}

// positioned matches one line of a checker error: file:line:col: message.
var positioned = regexp.MustCompile(`^[^\n]+?:[1-9][0-9]*:[1-9][0-9]*: [^\n]+$`)

// checkGenerate runs the pipeline on src as a spec file in directory dir
// and fails t if the promise does not hold.
func (e *fuzzEnv) checkGenerate(t *testing.T, dir int, src []byte) {
	if len(e.dirs) == 0 {
		t.Skip("no spec directories")
	}
	d := e.dirs[int(uint(dir)%uint(len(e.dirs)))]
	// Only the packages the seeds named: a new package means a go list
	// run per input, which is not what is being fuzzed.
	if f, _ := spec.Parse(filepath.Join(d, "fuzz.toml"), src); f != nil {
		for _, pat := range callPatterns([]*spec.File{f}) {
			if !e.pkgs.patterns[pat] {
				t.Skip("calls a package no seed loads")
			}
		}
	}
	tmp, err := os.CreateTemp(d, ".fuzz-*.toml.tmp")
	if err != nil {
		t.Fatal(err)
	}
	path := tmp.Name()
	defer os.Remove(path)
	if _, err := tmp.Write(src); err != nil {
		t.Fatal(err)
	}
	tmp.Close()

	out, err := Generate([]string{path}, Config{Version: "(fuzz)", Packages: e.pkgs})
	if err != nil {
		list, ok := err.(spec.ErrorList)
		if !ok {
			t.Fatalf("error is not a list of positioned spec errors: %v", err)
		}
		for _, line := range strings.Split(list.Error(), "\n") {
			if !positioned.MatchString(line) {
				t.Fatalf("error without a position: %q", line)
			}
		}
		return
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "main.go", out, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("check accepted the spec, but the generated code does not parse: %v\n%s", err, out)
	}
	again, err := format.Source(out)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("check accepted the spec, but the generated code is not gofmt-stable (%v)", err)
	}
	if err := e.ensureImports(file); err != nil {
		t.Fatal(err)
	}
	conf := types.Config{Importer: e, Error: func(error) {}}
	if _, err := conf.Check("main", fset, []*ast.File{file}, nil); err != nil {
		t.Fatalf("check accepted the spec, but the generated code does not type-check: %v\n%s", err, out)
	}
}

// FuzzCheckGenerate fuzzes whole spec files.
func FuzzCheckGenerate(f *testing.F) {
	e, err := loadFuzzEnv()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range e.seeds {
		f.Add(uint8(s.dir), s.src)
	}
	f.Fuzz(func(t *testing.T, dir uint8, src []byte) {
		e.checkGenerate(t, int(dir), src)
	})
}

// exprSlots finds the places in a spec where an expression goes: the
// inside of each ${...}, and the values of the keys that take a bare
// expression (where, if, while, collect, map, filter, ...; the fields of
// a map step). Each slot is a byte range of src.
func exprSlots(src []byte) [][2]int {
	var slots [][2]int
	s := string(src)
	for i := 0; i+1 < len(s); i++ {
		if s[i] != '$' || s[i+1] != '{' || (i > 0 && s[i-1] == '$') {
			continue
		}
		depth := 1
		j := i + 2
		for ; j < len(s) && depth > 0 && s[j] != '"' && s[j] != '\n'; j++ {
			switch s[j] {
			case '{':
				depth++
			case '}':
				depth--
			}
		}
		if depth == 0 {
			slots = append(slots, [2]int{i + 2, j - 1})
		}
	}
	inFields := false
	off := 0
	for _, line := range strings.SplitAfter(s, "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "[") {
			inFields = strings.HasSuffix(trim, ".fields]")
		}
		if m := bareKey.FindStringSubmatchIndex(line); m != nil && (inFields || bareKeys[line[m[2]:m[3]]]) {
			if !strings.Contains(line[m[4]:m[5]], "${") {
				slots = append(slots, [2]int{off + m[4], off + m[5]})
			}
		}
		off += len(line)
	}
	return slots
}

var bareKey = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:#.*)?$`)

var bareKeys = map[string]bool{
	"where": true, "if": true, "while": true, "collect": true, "map": true, "filter": true,
	"for_each": true, "unique": true, "to": true,
}

// tomlBasic escapes s for the inside of a TOML basic string.
func tomlBasic(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FuzzCheckExpr puts a fuzzed expression into one expression slot of a
// valid seed spec: every expression position is fuzzed with the rest of
// the spec well-formed.
func FuzzCheckExpr(f *testing.F) {
	e, err := loadFuzzEnv()
	if err != nil {
		f.Fatal(err)
	}
	for i, s := range e.seeds {
		if len(s.src) > 4096 {
			continue // the deep and long seeds: slow to parse, one slot like another
		}
		slots := exprSlots(s.src)
		// A few slots per seed: the fuzzer moves the rest.
		for j := 0; j < len(slots); j += 1 + len(slots)/3 {
			f.Add(uint16(i), uint8(j), string(s.src[slots[j][0]:slots[j][1]]))
		}
	}
	for _, x := range []string{"nil", "len", "it.Updated.Unix", "[]func(){nil}", "new", "min", "rows[0]", `"a"+"b"`, "1<<70", "struct{A int}{1}"} {
		f.Add(uint16(0), uint8(0), x)
	}
	f.Fuzz(func(t *testing.T, seed uint16, slot uint8, x string) {
		if !utf8.ValidString(x) || len(e.seeds) == 0 {
			t.Skip()
		}
		s := e.seeds[int(seed)%len(e.seeds)]
		if len(s.src) > 4096 {
			t.Skip()
		}
		slots := exprSlots(s.src)
		if len(slots) == 0 {
			t.Skip()
		}
		sl := slots[int(slot)%len(slots)]
		src := append(append(append([]byte{}, s.src[:sl[0]]...), tomlBasic(x)...), s.src[sl[1]:]...)
		e.checkGenerate(t, s.dir, src)
	})
}

// TestExprSlots: the slots of a spec are the expressions in it.
func TestExprSlots(t *testing.T) {
	src := []byte("[[step]]\nid = \"a\"\nwhere = \"it.X > 1\"\nwith = { Name = \"p-${env.A}\" }\n[step.fields]\nkey = \"it.ID\"\n")
	var got []string
	for _, sl := range exprSlots(src) {
		got = append(got, string(src[sl[0]:sl[1]]))
	}
	want := []string{"env.A", "it.X > 1", "it.ID"}
	if strconv.Quote(strings.Join(got, "|")) != strconv.Quote(strings.Join(want, "|")) {
		t.Errorf("slots %q, want %q", got, want)
	}
}
