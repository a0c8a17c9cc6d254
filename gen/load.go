package gen

import (
	"fmt"
	"go/types"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/go/packages"

	"github.com/resolute/resolute-gen/spec"
)

// ModulePath is the import path of this module; generated programs import
// its runtime and provider packages.
const ModulePath = "github.com/resolute/resolute-gen"

// RuntimePath is the package every generated program imports.
const RuntimePath = ModulePath + "/runtime"

// builtins maps the short package names usable in `call` to this module's
// provider packages: call = "jira.FetchIssues".
var builtins = map[string]string{
	"jira":       ModulePath + "/runtime/jira",
	"sql":        ModulePath + "/runtime/sqlsink/anysql",
	"sqlite":     ModulePath + "/runtime/sqlsink/sqlite",
	"postgres":   ModulePath + "/runtime/sqlsink/postgres",
	"github":     ModulePath + "/runtime/github",
	"confluence": ModulePath + "/runtime/confluence",
	"deadletter": ModulePath + "/runtime/deadletter",
}

// TransformPath is the package of the pure helpers (unique, merge).
const TransformPath = ModulePath + "/runtime/transform"

// callRef is a parsed `call` value: a package to load and a function in it.
type callRef struct {
	pattern string // what to hand to go/packages: an import path or an absolute directory
	pkg     string // the package as the spec wrote it: jira, ./nodes, example.com/m/nodes
	name    string // the function
	nameOff int    // byte offset of the function name in the call value
}

// callForms says what a call may look like, for messages.
const callForms = `a built-in like "jira.FetchIssues", an import path like "example.com/m/nodes.Fetch" or a path relative to the spec like "./nodes.Fetch"`

// parseCall splits a `call` value into package and function. Three forms:
// a built-in short name ("jira.FetchIssues"), a full import path
// ("example.com/m/nodes.Fetch") and a path relative to the spec file's
// directory ("./nodes.Fetch").
func parseCall(s spec.String, specDir string) (callRef, error) {
	v := s.Value
	slash := strings.LastIndex(v, "/")
	dot := strings.LastIndex(v, ".")
	if dot <= slash || dot == len(v)-1 || dot == 0 {
		return callRef{}, fmt.Errorf("call %q is not of the form package.Function; expected %s", v, callForms)
	}
	pkg, fn := v[:dot], v[dot+1:]
	if strings.Contains(pkg, "...") {
		return callRef{}, fmt.Errorf("call %q: ... is a wildcard of the go command, which a call cannot use; name one package, %s", v, callForms)
	}
	if i := strings.IndexFunc(pkg, func(r rune) bool { return r <= ' ' || strings.ContainsRune("\"'`\\:;*?<>|", r) || r == 0x7f }); i >= 0 {
		return callRef{}, fmt.Errorf("call %q: the package path holds %q, which no Go package path does; expected %s", v, pkg[i:i+1], callForms)
	}
	if !isIdent(fn) {
		return callRef{}, fmt.Errorf("call %q: %q is not a Go function name", v, fn)
	}
	ref := callRef{pkg: pkg, name: fn, nameOff: dot + 1}
	switch {
	case strings.HasPrefix(pkg, "./") || strings.HasPrefix(pkg, "../") || pkg == ".":
		abs, err := filepath.Abs(filepath.Join(specDir, filepath.FromSlash(pkg)))
		if err != nil {
			return callRef{}, err
		}
		ref.pattern = abs
	case !strings.Contains(pkg, "/"):
		path, ok := builtins[pkg]
		if !ok {
			names := sortedKeys(builtins)
			if s := spec.Suggest(pkg, names); s != "" {
				return callRef{}, fmt.Errorf("unknown built-in package %q in call %q; did you mean %q?", pkg, v, s)
			}
			return callRef{}, fmt.Errorf("unknown built-in package %q in call %q; the built-ins are %s; other packages are named by import path (\"example.com/m/nodes.Fetch\") or by a path relative to the spec (\"./nodes.Fetch\")",
				pkg, v, joinAnd(names))
		}
		ref.pattern = path
	default:
		ref.pattern = pkg
	}
	return ref, nil
}

// joinAnd formats "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

// loadError says in one line why the package of a call did not load: a
// path in the user's own module that names no package gets the nearest
// one; a dependency that would not load gets the go command's reason (a
// missing go.sum entry) and the command that fixes it.
func (l *loaded) loadError(ref callRef, msgs []string) string {
	if msg := l.ownModuleMiss(ref); msg != "" {
		return msg
	}
	var more []string
	for _, m := range msgs {
		for _, sub := range couldNotImport.FindAllStringSubmatch(m, -1) {
			if why := l.listError(sub[1]); why != "" {
				more = append(more, why)
			}
		}
	}
	if len(more) > 0 {
		msgs = more
	}
	return loadError(ref, msgs)
}

// couldNotImport matches the type checker's report of a dependency that
// did not load, which hides the reason.
var couldNotImport = regexp.MustCompile(`could not import (\S+) \(invalid package name: ""\)`)

// listError asks the go command why package path does not load; "" if
// it does not say.
func (l *loaded) listError(path string) string {
	cmd := exec.Command("go", "list", "-e", "-f", "{{if .Error}}{{.Error.Err}}{{end}}", path)
	cmd.Dir, cmd.Env = l.dir, l.env
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out))
}

// ownModuleMiss explains an import path inside the module being checked
// in that names no package there, suggesting the nearest package of the
// module; "" if the path is elsewhere or names a directory.
func (l *loaded) ownModuleMiss(ref callRef) string {
	if filepath.IsAbs(ref.pattern) || !strings.Contains(ref.pattern, "/") {
		return ""
	}
	dir, err := filepath.Abs(l.dir)
	if err != nil {
		return ""
	}
	root := moduleRoot(dir)
	if root == "" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return ""
	}
	mod := modfile.ModulePath(data)
	if mod == "" || !strings.HasPrefix(ref.pattern, mod+"/") {
		return ""
	}
	rel := strings.TrimPrefix(ref.pattern, mod+"/")
	if fi, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err == nil && fi.IsDir() {
		return ""
	}
	var pkgs []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module
				}
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			r, _ := filepath.Rel(root, filepath.Dir(path))
			p := mod + "/" + filepath.ToSlash(r)
			if r == "." {
				p = mod
			}
			if len(pkgs) == 0 || pkgs[len(pkgs)-1] != p {
				pkgs = append(pkgs, p)
			}
		}
		return nil
	})
	msg := fmt.Sprintf("module %s has no package %s", mod, rel)
	if s := spec.Suggest(ref.pattern, pkgs); s != "" {
		return msg + fmt.Sprintf("; did you mean %q?", s)
	}
	return msg + fmt.Sprintf(" (the module has no directory %s)", rel)
}

// loadError says in one line why the package of a call did not load.
func loadError(ref callRef, msgs []string) string {
	if filepath.IsAbs(ref.pattern) {
		if fi, err := os.Stat(ref.pattern); err != nil || !fi.IsDir() {
			return fmt.Sprintf("directory %s does not exist (paths in call are relative to the spec file)", ref.pkg)
		}
		if len(msgs) == 0 || msgs[0] == "package not found" {
			return fmt.Sprintf("directory %s holds no Go package", ref.pkg)
		}
		if strings.Contains(strings.Join(msgs, " "), "outside main module") {
			if root := moduleRoot(ref.pattern); root == "" {
				return fmt.Sprintf("directory %s is not inside a Go module, and a node package of your own must be: create one where the spec and its nodes live, with go mod init example.com/yourname/flows (any module path) and go get %s@latest", ref.pkg, ModulePath)
			} else {
				return fmt.Sprintf("directory %s is in the module at %s, which is not the module the spec is checked in; keep the spec inside the module of its node packages", ref.pkg, root)
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range msgs {
		for _, line := range strings.Split(m, "\n") {
			line = strings.TrimSpace(line)
			if m := goFilePos.FindStringSubmatch(line); m != nil {
				// go list puts a relative path in its messages, the type
				// checker's are named by base name: one error, one line.
				line = filepath.Base(m[1]) + m[2] + line[len(m[0]):]
			}
			if line == "" || strings.HasPrefix(line, "# ") || seen[line] {
				continue
			}
			seen[line] = true
			out = append(out, line)
		}
	}
	msg := strings.Join(out, " ")
	if m := goSumMissing.FindStringSubmatch(msg); m != nil {
		what := "the go.mod file of " + m[1]
		if m[2] != "" {
			what = "the module providing package " + m[2]
		}
		return fmt.Sprintf("missing go.sum entry for %s; run %s in the module to add it", what, strings.TrimSpace(m[3]))
	}
	// The go command's advice spans two lines; keep it on one.
	msg = strings.Replace(msg, "; to add it: go get ", "; add it to the module with go get ", 1)
	return msg
}

// moduleRoot returns the directory of the go.mod that holds dir, or "".
func moduleRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// loaded is the result of loading every package a program's calls name,
// plus the standard packages the checker needs, into one map of packages
// (one go/packages call, or the embedded built-ins and one go list: see
// load_embedded.go) so that type identities agree.
type loaded struct {
	byPattern map[string]*packages.Package
	time      *types.Package
	context   *types.Package
	transform *types.Package      // nil until the transform package loads
	errors    map[string][]string // pattern -> load errors
	dir       string              // where the packages were loaded from
	env       []string            // the go command's environment
	fast      bool                // loaded by loadFast, not go/packages
}

// Packages keeps the Go packages loaded for checks, so that several checks
// share one go/packages call: the loader, not the checking, is what costs.
// Every check that uses a Packages resolves import paths from its directory
// (Config.Dir is then ignored), so share one only between programs of one
// module, and only while their node packages do not change.
type Packages struct {
	dir      string
	env      []string
	mu       sync.Mutex
	l        *loaded
	patterns map[string]bool
}

// NewPackages returns an empty cache that resolves packages from cfg.Dir
// with the go command's environment cfg.Env.
func NewPackages(cfg Config) *Packages {
	return &Packages{dir: cfg.Dir, env: cfg.Env, patterns: map[string]bool{}}
}

// Preload loads, in one go/packages call, every package that the calls of
// the spec files at paths name. Files that do not parse are read as far as
// they go. Later checks that need no other package load nothing.
func (p *Packages) Preload(paths ...string) error {
	var files []*spec.File
	for _, path := range paths {
		if f, _ := spec.ParseFile(path); f != nil {
			files = append(files, f)
		}
	}
	_, err := p.load(callPatterns(files))
	return err
}

// load returns the packages of patterns, loading them (with every pattern
// loaded before, so that type identities agree) if any is new.
func (p *Packages) load(patterns []string) (*loaded, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fresh := p.l == nil
	for _, pat := range patterns {
		if !p.patterns[pat] {
			fresh = true
		}
	}
	if fresh {
		all := slices.Clone(patterns)
		for pat := range p.patterns {
			if !slices.Contains(all, pat) {
				all = append(all, pat)
			}
		}
		sort.Strings(all)
		l, err := loadPackages(p.dir, p.env, all)
		if err != nil {
			return nil, err
		}
		p.l = l
		for _, pat := range all {
			p.patterns[pat] = true
		}
	}
	return p.l.only(patterns), nil
}

// only returns the view of l that holds patterns alone: a program's
// reserved and imported names must not depend on what else was loaded.
func (l *loaded) only(patterns []string) *loaded {
	v := *l
	v.byPattern = map[string]*packages.Package{}
	v.errors = map[string][]string{}
	for _, pat := range patterns {
		if p, ok := l.byPattern[pat]; ok {
			v.byPattern[pat] = p
		}
		if msgs, ok := l.errors[pat]; ok {
			v.errors[pat] = msgs
		}
	}
	return &v
}

// callPatterns lists, in order of first use, the packages the calls of
// files name (calls that do not parse are reported when checked).
func callPatterns(files []*spec.File) []string {
	var patterns []string
	seen := map[string]bool{}
	forEachCall(files, func(f *spec.File, call spec.String) {
		ref, err := parseCall(call, filepath.Dir(f.Path))
		if err != nil {
			return
		}
		if !seen[ref.pattern] {
			seen[ref.pattern] = true
			patterns = append(patterns, ref.pattern)
		}
	})
	return patterns
}

// loadPackages loads the patterns from dir (a directory inside the module
// that resolves them): from the types embedded in the binary and one go
// list when that gives what go/packages would (see load_embedded.go),
// otherwise with go/packages.
func loadPackages(dir string, env []string, patterns []string) (*loaded, error) {
	if l := loadFast(dir, env, patterns); l != nil {
		return l, nil
	}
	return loadGoPackages(dir, env, patterns)
}

// loadGoPackages loads the patterns with go/packages, in one call so that
// type identities agree.
func loadGoPackages(dir string, env []string, patterns []string) (*loaded, error) {
	want := append([]string{"time", "context", TransformPath}, patterns...)
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedTypes,
		Dir:  dir,
		Env:  env,
	}
	pkgs, err := packages.Load(cfg, want...)
	if err != nil {
		return nil, fmt.Errorf("loading Go packages: %v", err)
	}
	l := &loaded{byPattern: map[string]*packages.Package{}, errors: map[string][]string{}, dir: dir, env: env}
	// go/packages returns the root packages in no promised order; match them
	// back to patterns by import path or by directory.
	for _, p := range pkgs {
		switch p.PkgPath {
		case "time":
			l.time = p.Types
			continue
		case "context":
			l.context = p.Types
			continue
		case TransformPath:
			if len(p.Errors) == 0 {
				l.transform = p.Types
			}
			continue
		}
		for _, pat := range patterns {
			if pat == p.PkgPath || (filepath.IsAbs(pat) && pkgDir(p) == pat) || p.ID == pat {
				l.byPattern[pat] = p
			}
		}
	}
	for _, pat := range patterns {
		p, ok := l.byPattern[pat]
		if !ok {
			l.errors[pat] = append(l.errors[pat], "package not found")
			continue
		}
		for _, e := range p.Errors {
			msg := e.Msg
			if e.Pos != "" && e.Pos != "-" {
				// Name the Go file by its base name: the directory is the
				// package's, already in the message.
				msg = filepath.Base(e.Pos) + ": " + msg
			}
			l.errors[pat] = append(l.errors[pat], msg)
		}
	}
	if l.time == nil || l.context == nil {
		var msgs []string
		for _, p := range pkgs {
			for _, e := range p.Errors {
				msgs = append(msgs, e.Msg)
			}
		}
		if len(msgs) == 0 {
			msgs = append(msgs, "the go command did not return the standard library (is GOROOT or GOFLAGS set oddly?)")
		}
		return nil, fmt.Errorf("loading Go packages from %s failed: %s", dir, strings.Join(msgs, "; "))
	}
	return l, nil
}

// goSumMissing matches the go command's report of a missing go.sum entry
// and the command it advises.
var goSumMissing = regexp.MustCompile(`(?:^|: |\s)(?:(\S+): )?missing go\.sum entry (?:for go\.mod file|for module providing package (\S+)[^;]*); to add(?: it)?: (go [^;]+)`)

// goFilePos matches a Go file position at the start of a message.
var goFilePos = regexp.MustCompile(`^([^\s:]+\.go)(:\d+(?::\d+)?: )`)

func pkgDir(p *packages.Package) string {
	files := p.GoFiles
	if len(files) == 0 {
		files = p.CompiledGoFiles
	}
	if len(files) == 0 {
		return ""
	}
	return filepath.Dir(files[0])
}

// node is a resolved node function.
type node struct {
	fn      *types.Func
	sig     *types.Signature // possibly generic
	in      types.Type       // the In parameter's type (may mention type parameters)
	out     types.Type
	generic bool
}

// checkNode checks that fn has the node shape func(context.Context, In) (Out, error).
func checkNode(fn *types.Func, ctxPkg *types.Package) (*node, string) {
	sig := fn.Type().(*types.Signature)
	if sig.Recv() != nil {
		return nil, "is a method; a node is a package-level function"
	}
	q := qualifier(nil)
	shape := "a node is func(context.Context, In) (Out, error) with struct In and Out"
	if sig.Params().Len() != 2 || sig.Results().Len() != 2 || sig.Variadic() {
		return nil, fmt.Sprintf("has signature %s; %s", types.TypeString(sig, q), shape)
	}
	if p := sig.Params().At(0).Type(); !isContext(p) {
		return nil, fmt.Sprintf("takes %s as its first parameter, not context.Context; a node is func(context.Context, In) (Out, error)", types.TypeString(p, q))
	}
	if r := sig.Results().At(1).Type(); !isError(r) {
		return nil, fmt.Sprintf("returns %s as its second result, not error; a node is func(context.Context, In) (Out, error)", types.TypeString(r, q))
	}
	in, out := sig.Params().At(1).Type(), sig.Results().At(0).Type()
	if ptr, ok := in.Underlying().(*types.Pointer); ok {
		if _, ok := ptr.Elem().Underlying().(*types.Struct); ok {
			return nil, fmt.Sprintf("takes %s as input; a node takes its input struct by value: func(context.Context, %s) (Out, error)", types.TypeString(in, q), types.TypeString(ptr.Elem(), q))
		}
	}
	if _, ok := in.Underlying().(*types.Struct); !ok {
		return nil, fmt.Sprintf("takes %s as input, not a struct; %s", types.TypeString(in, q), shape)
	}
	if ptr, ok := out.Underlying().(*types.Pointer); ok {
		if _, ok := ptr.Elem().Underlying().(*types.Struct); ok {
			return nil, fmt.Sprintf("returns %s as output; a node returns its output struct by value: func(context.Context, In) (%s, error)", types.TypeString(out, q), types.TypeString(ptr.Elem(), q))
		}
	}
	if _, ok := out.Underlying().(*types.Struct); !ok {
		return nil, fmt.Sprintf("returns %s as output, not a struct; %s", types.TypeString(out, q), shape)
	}
	return &node{fn: fn, sig: sig, in: in, out: out, generic: sig.TypeParams().Len() > 0}, ""
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isError(t types.Type) bool {
	return types.Identical(t, types.Universe.Lookup("error").Type())
}

// nodeNames lists the functions of pkg that have the node shape, for
// suggestions.
func nodeNames(pkg *types.Package) []string {
	var names []string
	for _, name := range pkg.Scope().Names() {
		fn, ok := pkg.Scope().Lookup(name).(*types.Func)
		if !ok || !fn.Exported() {
			continue
		}
		if _, bad := checkNode(fn, nil); bad == "" {
			names = append(names, name)
		}
	}
	return names
}

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
