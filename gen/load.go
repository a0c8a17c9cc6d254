package gen

import (
	"fmt"
	"go/types"
	"path/filepath"
	"sort"
	"strings"

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
	"sql":        ModulePath + "/runtime/sqlsink",
	"deadletter": ModulePath + "/runtime/deadletter",
}

// TransformPath is the package of the pure helpers (unique, merge).
const TransformPath = ModulePath + "/runtime/transform"

// callRef is a parsed `call` value: a package to load and a function in it.
type callRef struct {
	pattern string // what to hand to go/packages: an import path or an absolute directory
	name    string // the function
}

// parseCall splits a `call` value into package and function. Three forms:
// a built-in short name ("jira.FetchIssues"), a full import path
// ("example.com/m/nodes.Fetch") and a path relative to the spec file's
// directory ("./nodes.Fetch").
func parseCall(s spec.String, specDir string) (callRef, error) {
	v := s.Value
	slash := strings.LastIndex(v, "/")
	dot := strings.LastIndex(v, ".")
	if dot <= slash || dot == len(v)-1 || dot == 0 {
		return callRef{}, fmt.Errorf("call %q is not of the form package.Function; expected a built-in like \"jira.FetchIssues\", an import path like \"example.com/m/nodes.Fetch\" or a relative path like \"./nodes.Fetch\"", v)
	}
	pkg, fn := v[:dot], v[dot+1:]
	if !isIdent(fn) {
		return callRef{}, fmt.Errorf("call %q: %q is not a Go function name", v, fn)
	}
	switch {
	case strings.HasPrefix(pkg, "./") || strings.HasPrefix(pkg, "../") || pkg == ".":
		abs, err := filepath.Abs(filepath.Join(specDir, filepath.FromSlash(pkg)))
		if err != nil {
			return callRef{}, err
		}
		return callRef{pattern: abs, name: fn}, nil
	case !strings.Contains(pkg, "/"):
		path, ok := builtins[pkg]
		if !ok {
			names := make([]string, 0, len(builtins))
			for n := range builtins {
				names = append(names, n)
			}
			sort.Strings(names)
			return callRef{}, fmt.Errorf("unknown built-in package %q in call %q%s; built-ins are %s, other packages are named by import path (example.com/m/nodes.Fetch) or relative path (./nodes.Fetch)",
				pkg, v, spec.DidYouMean(pkg, names), strings.Join(names, ", "))
		}
		return callRef{pattern: path, name: fn}, nil
	default:
		return callRef{pattern: pkg, name: fn}, nil
	}
}

// loaded is the result of loading every package a program's calls name,
// plus the standard packages the checker needs, in one go/packages call so
// that type identities agree.
type loaded struct {
	byPattern map[string]*packages.Package
	time      *types.Package
	context   *types.Package
	transform *types.Package      // nil until the transform package loads
	errors    map[string][]string // pattern -> load errors
}

// loadPackages loads the patterns from dir (a directory inside the module
// that resolves them).
func loadPackages(dir string, patterns []string) (*loaded, error) {
	want := append([]string{"time", "context", TransformPath}, patterns...)
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedTypes,
		Dir:  dir,
	}
	pkgs, err := packages.Load(cfg, want...)
	if err != nil {
		return nil, fmt.Errorf("loading Go packages: %v", err)
	}
	l := &loaded{byPattern: map[string]*packages.Package{}, errors: map[string][]string{}}
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
			l.errors[pat] = append(l.errors[pat], e.Msg)
		}
	}
	if l.time == nil || l.context == nil {
		return nil, fmt.Errorf("loading Go packages: the standard library is not available from %s", dir)
	}
	return l, nil
}

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
	shape := "a node is func(context.Context, In) (Out, error) with struct In and Out"
	if sig.Params().Len() != 2 || sig.Results().Len() != 2 || sig.Variadic() {
		return nil, fmt.Sprintf("has signature %s; %s", types.TypeString(sig, qualifier(nil)), shape)
	}
	if !isContext(sig.Params().At(0).Type()) {
		return nil, fmt.Sprintf("takes %s as its first parameter; %s", types.TypeString(sig.Params().At(0).Type(), qualifier(nil)), shape)
	}
	if !isError(sig.Results().At(1).Type()) {
		return nil, fmt.Sprintf("returns %s as its second result; %s", types.TypeString(sig.Results().At(1).Type(), qualifier(nil)), shape)
	}
	in, out := sig.Params().At(1).Type(), sig.Results().At(0).Type()
	if _, ok := in.Underlying().(*types.Struct); !ok {
		return nil, fmt.Sprintf("takes %s as input; %s", types.TypeString(in, qualifier(nil)), shape)
	}
	if _, ok := out.Underlying().(*types.Struct); !ok {
		return nil, fmt.Sprintf("returns %s as output; %s", types.TypeString(out, qualifier(nil)), shape)
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
