package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/resolute/resolute-gen/gen"
)

// temporalModule is the nested module that Temporal workers import.
const temporalModule = gen.ModulePath + "/temporal"

const targetHelp = `
  --target T  standalone (the default): a program with its own state directory;
              temporal: a Temporal worker (each flow a workflow, each call step an
              activity). It builds in a module that requires
              ` + temporalModule + `
              (go get ` + temporalModule + `), or in this repository.
`

// generateFor generates the program of the given target.
func generateFor(target string, specs []string, cfg gen.Config) ([]byte, error) {
	switch target {
	case "", "standalone":
		return gen.Generate(specs, cfg)
	case "temporal":
		return gen.GenerateTemporal(specs, cfg)
	}
	return nil, usageErr("unknown --target %q; expected standalone or temporal", target)
}

// targetWorkspace adapts ws to the target: a Temporal worker builds in a
// module that has the Temporal SDK through the nested module; in this
// repository, that is the nested module itself.
func targetWorkspace(target string, ws *workspace, cfg *gen.Config) error {
	switch target {
	case "", "standalone":
		return nil
	case "temporal":
	default:
		return usageErr("unknown --target %q; expected standalone or temporal", target)
	}
	if ws.temp {
		return usageErr("--target temporal builds inside a Go module that requires %s; create one (go mod init) and run: go get %s", temporalModule, temporalModule)
	}
	nested := filepath.Join(ws.root, "temporal")
	if _, modPath := findModule(ws.root); modPath == gen.ModulePath {
		if _, err := os.Stat(filepath.Join(nested, "go.mod")); err == nil {
			ws.root, ws.dir = nested, nested
			cfg.Dir = nested
			return nil
		}
	}
	if !requires(filepath.Join(ws.root, "go.mod"), temporalModule) {
		return fmt.Errorf("module at %s does not require %s, which Temporal workers import; run: go get %s", ws.root, temporalModule, temporalModule)
	}
	return nil
}
