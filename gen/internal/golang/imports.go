package golang

import "github.com/dave/jennifer/jen"

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

// ReservedNames are the names the generated code itself declares (the
// locals r, ctx, err, herr; main, program) or imports: the name of a step's
// variable must not be one.
var ReservedNames = []string{
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
