package gen

import (
	"bytes"
	"encoding/json"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"

	"github.com/resolute/resolute-gen/gen/internal/builtintypes"
)

// Loading without go/packages.
//
// Most of the time `resolute-gen gen` took was the go list that go/packages
// runs to load the built-in providers: they pull in pgx and a pure Go
// SQLite, whose thousands of files the go command stats and hashes on
// every call. The built-ins are this module's own packages, so their
// types are computed at development time and embedded in the binary (see
// package builtintypes); a spec that calls only built-ins now spawns no go
// command at all.
//
// Node packages of the user's module still need the go command, but only
// for themselves: one `go list -export` of those packages, whose export
// data is read into the same map as the embedded packages, so that a node
// package that mentions time.Time, context.Context or a provider's types
// sees the very objects the built-ins use (gcexportdata.Read completes a
// package it finds in the map instead of making another). go/packages is
// not used on that path because it cannot be handed packages already
// loaded, and it runs a second go command to learn the Go version.
//
// The fast path is taken only when it is known to give what go/packages
// would: the copy of this module that the spec's module resolves (itself,
// a replace directory, or the module cache) has the source the embedded
// data was made from (same fingerprint), the user's go.mod and go.sum
// provide every module the used built-ins need (otherwise the go command
// would fail, and the checker must report that as it always did), no
// workspace, vendor directory or packages driver is involved, and every
// node package loads without error. Anything else, including every load
// error, goes through go/packages as before, so messages do not change.

var (
	embeddedOnce   sync.Once
	embeddedHeader *builtintypes.Header
	embeddedPaths  map[string]bool
)

func embedded() *builtintypes.Header {
	embeddedOnce.Do(func() {
		h, _, err := builtintypes.Data()
		if err != nil {
			return
		}
		embeddedHeader = h
		embeddedPaths = map[string]bool{}
		for _, p := range h.Packages {
			embeddedPaths[p.Path] = true
		}
	})
	return embeddedHeader
}

// loadFast loads patterns as loadPackages does, from the embedded types
// and, for other packages, one go list; nil when it cannot stand for
// go/packages here (see above).
func loadFast(dir string, env []string, patterns []string) *loaded {
	h := embedded()
	if h == nil {
		return nil
	}
	builtin := []string{"time", "context", TransformPath}
	var user []string
	for _, pat := range patterns {
		switch {
		case slices.Contains(builtin, pat):
			// go/packages reports these as not found; leave that to it.
			return nil
		case embeddedPaths[pat]:
			builtin = append(builtin, pat)
		default:
			user = append(user, pat)
		}
	}
	if !embeddedUsable(h, dir, env, builtin) {
		return nil
	}
	var listed []listedPackage
	if len(user) > 0 {
		var ok bool
		if listed, ok = listExport(dir, env, user); !ok {
			return nil
		}
	}

	fset := token.NewFileSet()
	view := map[string]*types.Package{}
	tpkgs, err := builtintypes.Read(fset, view, builtin)
	if err != nil {
		return nil
	}
	l := &loaded{byPattern: map[string]*packages.Package{}, errors: map[string][]string{}, dir: dir, env: env, fast: true}
	l.time, l.context, l.transform = tpkgs["time"], tpkgs["context"], tpkgs[TransformPath]
	for _, pat := range builtin[3:] {
		t := tpkgs[pat]
		l.byPattern[pat] = &packages.Package{ID: pat, Name: t.Name(), PkgPath: pat, Types: t}
	}
	for _, lp := range listed {
		t, err := readExport(fset, view, lp.Export, lp.ImportPath)
		if err != nil {
			return nil
		}
		p := &packages.Package{ID: lp.ImportPath, Name: lp.Name, PkgPath: lp.ImportPath, Types: t, ExportFile: lp.Export}
		for _, f := range lp.GoFiles {
			p.GoFiles = append(p.GoFiles, filepath.Join(lp.Dir, f))
		}
		for _, pat := range user {
			if pat == lp.ImportPath || (filepath.IsAbs(pat) && filepath.Clean(lp.Dir) == pat) {
				l.byPattern[pat] = p
			}
		}
	}
	for _, pat := range user {
		if l.byPattern[pat] == nil {
			return nil
		}
	}
	return l
}

// readExport reads the export data of package path from file into view.
func readExport(fset *token.FileSet, view map[string]*types.Package, file, path string) (*types.Package, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(f)
	if err != nil {
		return nil, err
	}
	return gcexportdata.Read(r, fset, view, path)
}

// listedPackage is what listExport reads of go list's output.
type listedPackage struct {
	ImportPath string
	Name       string
	Dir        string
	GoFiles    []string
	Export     string
	Incomplete bool
	Error      *struct{ Err string }
	DepsErrors []*struct{ Err string }
}

// listExport runs go list -export over patterns from dir; ok is false
// when the go command fails or any package has an error, which
// go/packages must then load and explain.
func listExport(dir string, env []string, patterns []string) (pkgs []listedPackage, ok bool) {
	args := append([]string{"list", "-e", "-json=ImportPath,Name,Dir,GoFiles,Export,Incomplete,Error,DepsErrors",
		"-export", "-buildvcs=false", "-pgo=off", "--"}, patterns...)
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, false
	}
	if env == nil {
		env = os.Environ()
	}
	cmd := exec.Command("go", args...)
	// PWD as go/packages sets it: the go command then names directories
	// under the path the caller used, symbolic links and all.
	cmd.Dir, cmd.Env = abs, append(slices.Clip(env), "PWD="+abs)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		return nil, false
	}
	dec := json.NewDecoder(&stdout)
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, false
		}
		if p.Incomplete || p.Error != nil || len(p.DepsErrors) > 0 || p.Export == "" || p.ImportPath == "" {
			return nil, false
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, len(pkgs) > 0
}

// embeddedUsable reports whether the embedded types of paths are what the
// go command would load from dir (see the comment at the top).
func embeddedUsable(h *builtintypes.Header, dir string, env []string, paths []string) bool {
	if env == nil {
		env = os.Environ()
	}
	get := goEnv(env)
	if d := get("GOPACKAGESDRIVER"); d != "" && d != "off" {
		return false
	}
	// Flags that change which files or modules the go command reads.
	flags := get("GOFLAGS")
	for _, f := range []string{"-mod=vendor", "-modfile", "-tags", "-overlay"} {
		if strings.Contains(flags, f) {
			return false
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	root := moduleRoot(abs)
	if root == "" {
		return false
	}
	switch w := get("GOWORK"); w {
	case "off":
	case "":
		for d := abs; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
				return false
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	default:
		return false
	}
	if _, err := os.Stat(filepath.Join(root, "vendor", "modules.txt")); err == nil {
		return false
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return false
	}
	mf, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil || mf.Module == nil {
		return false
	}
	gosum, _ := os.ReadFile(filepath.Join(root, "go.sum"))

	// resolve returns the version of module path the go command uses: a
	// directory (dir != "") or a module version that go.sum must hold.
	resolve := func(path string) (v module.Version, dir string, ok bool) {
		var req *module.Version
		for _, r := range mf.Require {
			if r.Mod.Path == path {
				req = &r.Mod
			}
		}
		if req == nil {
			return v, "", false
		}
		v = *req
		for _, r := range mf.Replace {
			if r.Old.Path == path && (r.Old.Version == "" || r.Old.Version == req.Version) {
				if r.New.Version == "" {
					d := r.New.Path
					if !filepath.IsAbs(d) {
						d = filepath.Join(root, d)
					}
					return v, d, true
				}
				v = r.New
			}
		}
		return v, "", hasSum(gosum, v)
	}

	src := root
	if mf.Module.Mod.Path != ModulePath {
		v, d, ok := resolve(ModulePath)
		if !ok {
			return false
		}
		if src = d; src == "" {
			cache := modCache(get)
			p, err1 := module.EscapePath(v.Path)
			ver, err2 := module.EscapeVersion(v.Version)
			if cache == "" || err1 != nil || err2 != nil {
				return false
			}
			src = filepath.Join(cache, p+"@"+ver)
		}
	}
	if fp, err := builtintypes.Fingerprint(src, h.Dirs); err != nil || fp != h.Fingerprint {
		return false
	}
	for _, p := range h.Packages {
		if !slices.Contains(paths, p.Path) {
			continue
		}
		for _, m := range p.Modules {
			if _, _, ok := resolve(m); !ok {
				return false
			}
		}
	}
	return true
}

// hasSum reports whether go.sum holds the hashes of v and of its go.mod.
func hasSum(gosum []byte, v module.Version) bool {
	sum := append([]byte{'\n'}, gosum...)
	prefix := "\n" + v.Path + " " + v.Version
	return bytes.Contains(sum, []byte(prefix+" h1:")) && bytes.Contains(sum, []byte(prefix+"/go.mod h1:"))
}

// goEnv returns a lookup of the go command's variables: the environment
// first (last value wins), then the user's go env file.
func goEnv(env []string) func(string) string {
	vars := map[string]string{}
	if cfg, err := os.UserConfigDir(); err == nil {
		if b, err := os.ReadFile(filepath.Join(cfg, "go", "env")); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
					vars[k] = v
				}
			}
		}
	}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	return func(k string) string { return vars[k] }
}

// modCache returns the module cache directory as the go command finds it,
// or "".
func modCache(get func(string) string) string {
	if c := get("GOMODCACHE"); c != "" {
		return c
	}
	gopath := get("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	list := filepath.SplitList(gopath)
	if len(list) == 0 || list[0] == "" {
		return ""
	}
	return filepath.Join(list[0], "pkg", "mod")
}
