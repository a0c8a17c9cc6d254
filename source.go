// Package resolutegen carries this module's own source for the resolute-gen
// command: `resolute-gen build` outside any Go module writes it to a
// temporary module (with a replace directive) so that the build never
// downloads this module, only the dependencies already in the module cache.
//
// The tool itself lives in cmd/resolute-gen; the code generator in gen; the
// spec reader in spec; what generated programs import in runtime.
package resolutegen

import "embed"

// Source holds go.mod, go.sum and the runtime tree (the packages generated
// programs import).
//
//go:embed go.mod go.sum runtime
var Source embed.FS
