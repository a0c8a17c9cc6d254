// Package gen type-checks resolute-gen flow specs against the Go packages
// their steps call, and writes the Go program that runs them.
//
// Checking resolves every `call` to a Go function with go/packages, checks
// `with` keys against the node's input struct, and type-checks every
// expression with go/types in a scope of earlier step outputs, env.NAME,
// cursor.NAME and now(). Problems are reported all at once, each at the
// file:line:col of the spec key or value at fault.
//
// The pipeline has three parts that meet only at data: this package (the
// checker) turns spec files into an ir.Program (package gen/ir: types,
// expressions as go/ast with typed references, literals as data), and the
// emitters (package gen/internal/golang, both targets) write Go from it
// with jennifer. The checker writes no Go and the emitters call no checker;
// a test in gen/internal/golang keeps it so.
//
// The checker's files, one concept each, as go/types arranges its own:
//
//	gen.go           the entry points: Check, Generate, GenerateTemporal
//	check.go         the driver: a program, its flows, blocks and steps
//	decl.go          program declarations: env, cursors, descriptions
//	scope.go         binding step ids, and when they are visible
//	call.go          node calls, their with values, on_error, advance, retry
//	infer.go         type inference of generic nodes, assignability
//	pure.go          map (and its row types), filter, unique, merge
//	control.go       if, while, parallel, for_each
//	stream.go        paged sources
//	expr.go          expressions
//	literal.go       TOML literals as Go values of a field's type
//	types.go         type names and kinds in messages
//	warn.go          warnings
//	ratelimit.go     [rate_limit] entries and triggers
//	selectfields.go  inferring the fields a paged node must fetch
//	temporal_secrets.go what the Temporal target refuses of secrets
//	hash.go          flow and spec hashes
//	load.go          loading the node packages
//	providers.go     the built-in providers' packages
package gen

import (
	"path/filepath"

	"github.com/resolute/resolute-gen/gen/internal/golang"
	"github.com/resolute/resolute-gen/gen/ir"
	"github.com/resolute/resolute-gen/spec"
)

// Config says how to check and generate.
type Config struct {
	// Dir is where Go packages are resolved: a directory inside a module
	// that can import this module's runtime and the specs' node packages.
	// Empty means the current directory.
	Dir string
	// Version is written in the generated file's header.
	Version string
	// Env is the environment of the go command that loads packages, as
	// in os/exec (nil: this process's environment).
	Env []string
	// Packages, if not nil, is a cache of loaded Go packages shared with
	// other checks (tests check many programs); Dir and Env are then
	// ignored.
	Packages *Packages
}

// Check parses and type-checks the spec files that form one program. All
// problems are reported together: those of the spec reader, and the type
// errors of every part of the files that it could read.
func Check(paths []string, cfg Config) (*ir.Program, error) {
	var files []*spec.File
	var errs spec.ErrorList
	seen := map[string]bool{}
	for _, p := range paths {
		// A file named twice (check a.toml a.toml) is one file.
		key := filepath.Clean(p)
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		f, err := spec.ParseFile(p)
		if err != nil {
			list, ok := err.(spec.ErrorList)
			if !ok {
				return nil, err
			}
			errs = append(errs, list...)
		}
		// A file that did not parse as TOML has no flow to check.
		if f != nil && f.Flow.Set() {
			files = append(files, f)
		}
	}
	prog, err := check(files, cfg)
	if err != nil {
		list, ok := err.(spec.ErrorList)
		if !ok {
			return nil, err
		}
		errs = append(errs, list...)
	}
	if len(errs) > 0 {
		return nil, errs.Sort()
	}
	return prog, nil
}

// Generate checks the spec files and returns the generated program's
// source, gofmt'd. The same input always gives the same bytes.
func Generate(paths []string, cfg Config) ([]byte, error) {
	p, err := Check(paths, cfg)
	if err != nil {
		return nil, err
	}
	return golang.Generate(p, cfg.Version)
}

// Program is a checked program (see package ir).
type Program = ir.Program

// Flow is one checked flow (see package ir).
type Flow = ir.Flow

// The Temporal target: the same checked program emitted as a Temporal
// worker. Flows become workflow functions, call steps activities, pure
// steps run inside the workflow; the support code is the nested module
// github.com/resolute/resolute-gen/temporal (package tprt), which the root
// module never imports.

// TemporalPath is the import path of the Temporal runtime support package.
const TemporalPath = golang.TemporalPath

// GenerateTemporal checks the spec files and returns the source of a
// Temporal worker running the same flows, gofmt'd. The program compiles in
// a module that requires github.com/resolute/resolute-gen/temporal.
func GenerateTemporal(paths []string, cfg Config) ([]byte, error) {
	p, err := Check(paths, cfg)
	if err != nil {
		return nil, err
	}
	if err := temporalSecretErrors(p); err != nil {
		return nil, err
	}
	return golang.GenerateTemporal(p, cfg.Version)
}

// RuntimeAPIVersion is the version of the runtime's API (runtime.APIVersion)
// that generated programs are written for; every program declares it (the
// version lock), so that building one against a runtime of another version
// fails at once with an error naming both versions.
const RuntimeAPIVersion = golang.RuntimeAPIVersion
