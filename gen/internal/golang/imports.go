package golang

import (
	"go/types"
	"path/filepath"

	"github.com/dave/jennifer/jen"
	"github.com/resolute/resolute-gen/gen/ir"
)

// Import paths of the packages generated programs use.
const (
	// ModulePath is resolute-gen's module.
	ModulePath = "github.com/resolute/resolute-gen"
	// RuntimePath is the runtime every standalone program imports.
	RuntimePath = ModulePath + "/runtime"
	// TransformPath holds the helpers of pure steps (UniqueBy, Concat).
	TransformPath = ModulePath + "/runtime/transform"
	// TemporalPath is the Temporal runtime support package.
	TemporalPath = ModulePath + "/temporal/tprt"

	temporalSDKWorkflow = "go.temporal.io/sdk/workflow"
	temporalSDKTemporal = "go.temporal.io/sdk/temporal"
)

// reservedNames are the names the generated code itself declares (the
// locals r, ctx, err, herr; main, program) or imports: the name of a step's
// variable must not be one.
var reservedNames = []string{
	"r", "ctx", "err", "herr", "main", "program",
	"runtime", "context", "time", "strconv", "transform", "fmt",
	"pgstore", "redisstore",
}

// CursorStorePackages maps a cursor_store to the package whose Open
// opens it.
var CursorStorePackages = map[string]string{
	"postgres": ModulePath + "/runtime/cursorstore/pgstore",
	"redis":    ModulePath + "/runtime/cursorstore/redisstore",
}

// rt is a runtime identifier, tp a Temporal runtime one, wf one of the
// Temporal SDK's workflow package.
func rt(name string) *jen.Statement { return jen.Qual(RuntimePath, name) }
func tp(name string) *jen.Statement { return jen.Qual(TemporalPath, name) }
func wf(name string) *jen.Statement { return jen.Qual(temporalSDKWorkflow, name) }

// importNames maps every package path the output may import to its
// package name, so jennifer writes `jira`, not an alias guessed from the
// path: the runtime's packages, and the node packages with everything they
// import.
func importNames(p *ir.Program) map[string]string {
	names := map[string]string{
		RuntimePath:   "runtime",
		TransformPath: "transform",
	}
	for _, path := range CursorStorePackages {
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
	for _, pkg := range p.Packages {
		walk(pkg)
	}
	return names
}
