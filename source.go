// Package resolutegen carries this module's own source for the resolute-gen
// command: `resolute-gen build` outside any Go module writes it to a
// temporary module (with a replace directive) so that the build never
// downloads this module, only the dependencies already in the module cache.
//
// The tool itself lives in cmd/resolute-gen; the code generator in gen; the
// spec reader in spec; what generated programs import in runtime.
package resolutegen

// Source is declared in source_embed.go, which lists the files it embeds:
// regenerate it after adding, moving or removing a runtime source file.
//
//go:generate go run ./internal/embedlist
