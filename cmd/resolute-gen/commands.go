package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"

	"github.com/resolute/resolute-gen/gen"
	"github.com/resolute/resolute-gen/spec"
)

const genHelp = `Usage: resolute-gen gen SPEC... [-o FILE]

Type-checks the spec files and writes the generated Go program (package
main) to FILE, or to standard output. Relative node paths in call
("./nodes.Fetch") resolve against each spec file's directory, so the command
works from go generate:

  //go:generate go tool resolute-gen gen -o sync_gen.go sync.toml

The module the specs live in must have resolute-gen as a tool:
  go get -tool github.com/resolute/resolute-gen/cmd/resolute-gen@latest

Flags:
  -o FILE   write to FILE instead of standard output (replaced atomically)
` + targetHelp

const checkHelp = `Usage: resolute-gen check SPEC... [--format text|json] [--strict]

Type-checks the spec files without writing anything. Each problem is printed
as file:line:col: message; the exit code is 1 if there is any. Warnings (a
paged node in a loop without its termination field, a secret inside a
larger string, data journaled but never read) are printed as
file:line:col: warning: message and do not fail the check.

Flags:
  --format json  print one JSON object per line on standard output:
                 {"file", "line", "column", "severity" ("error" or
                 "warning"), "message", "suggestion" (if any)}
  --strict       warnings fail the check too (exit code 1)
`

const buildHelp = `Usage: resolute-gen build SPEC... -o BIN

Generates the program and compiles it to BIN with the go command.

Inside a Go module that requires github.com/resolute/resolute-gen (or in this
repository), the program is built within that module, so the specs may call
the module's own node packages. Outside any module, the program is built in a
temporary module from the runtime source carried inside resolute-gen itself:
nothing is downloaded but the dependencies missing from the module cache, and
only built-in nodes (jira., sql., deadletter.) can be called.

Flags:
  -o BIN    the binary to write (required)
` + targetHelp

// setup is what every command does first: read its flags, require spec
// files, and find the workspace that resolves their Go packages. The
// caller must call ws.cleanup.
func setup(cmd string, args []string, valueFlags map[string]*string, help string, stdout io.Writer) ([]string, *workspace, gen.Config, error) {
	specs, err := flags(args, valueFlags, nil, help, stdout)
	if err != nil {
		return nil, nil, gen.Config{}, err
	}
	if len(specs) == 0 {
		return nil, nil, gen.Config{}, usageErr("%s needs at least one spec file\n\n%s", cmd, help)
	}
	ws, err := workspaceFor(specs)
	if err != nil {
		return nil, nil, gen.Config{}, err
	}
	return specs, ws, gen.Config{Dir: ws.dir, Env: ws.env(), Version: version()}, nil
}

func cmdGen(args []string, stdout, stderr io.Writer) error {
	var out, target string
	specs, ws, cfg, err := setup("gen", args, map[string]*string{"o": &out, "target": &target}, genHelp, stdout)
	if err != nil {
		return err
	}
	defer ws.cleanup()
	if err := targetWorkspace(target, ws, &cfg); err != nil {
		return err
	}
	src, err := generateFor(target, specs, cfg)
	if err != nil {
		return firstErr(ws.missingDeps(specs), err)
	}
	if out == "" {
		_, err := stdout.Write(src)
		return err
	}
	return writeFileAtomic(out, src)
}

func cmdCheck(args []string, stdout, stderr io.Writer) error {
	format, strict := "text", false
	specs, err := flags(args, map[string]*string{"format": &format}, map[string]*bool{"strict": &strict}, checkHelp, stdout)
	if err != nil {
		return err
	}
	if format != "text" && format != "json" {
		return usageErr("unknown --format %q; expected text or json\n\n%s", format, checkHelp)
	}
	specs, ws, cfg, err := setup("check", specs, nil, checkHelp, stdout)
	if err != nil {
		return err
	}
	defer ws.cleanup()
	prog, err := gen.Check(specs, cfg)
	var problems, warnings spec.ErrorList
	if err != nil {
		if !errors.As(err, &problems) || format != "json" {
			return firstErr(ws.missingDeps(specs), err)
		}
	} else {
		warnings = prog.Warnings
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		for _, p := range problems {
			enc.Encode(diagnostic(p, "error"))
		}
		for _, w := range warnings {
			enc.Encode(diagnostic(w, "warning"))
		}
	} else {
		for _, w := range warnings {
			fmt.Fprintf(stderr, "%s: warning: %s\n", w.Pos, w.Msg)
		}
	}
	switch {
	case len(problems) > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d problems", len(problems))}
	case strict && len(warnings) > 0:
		return &exitError{code: 1, msg: fmt.Sprintf("%d warnings, and --strict makes them fail the check", len(warnings))}
	}
	return nil
}

// checkDiagnostic is one problem of check --format json: one JSON object
// per line.
type checkDiagnostic struct {
	File       string `json:"file"`
	Line       int    `json:"line"`
	Column     int    `json:"column"`
	Severity   string `json:"severity"` // "error" or "warning"
	Message    string `json:"message"`
	Suggestion string `json:"suggestion,omitempty"` // the "did you mean" replacement, if any
}

var didYouMean = regexp.MustCompile(`did you mean "([^"]*)"\?`)

func diagnostic(e *spec.Error, severity string) checkDiagnostic {
	d := checkDiagnostic{File: e.Pos.File, Line: e.Pos.Line, Column: e.Pos.Col, Severity: severity, Message: e.Msg}
	if m := didYouMean.FindStringSubmatch(e.Msg); m != nil {
		d.Suggestion = m[1]
	}
	return d
}

func cmdBuild(args []string, stdout, stderr io.Writer) error {
	var out, target string
	specs, ws, cfg, err := setup("build", args, map[string]*string{"o": &out, "target": &target}, buildHelp, stdout)
	if err != nil {
		return err
	}
	defer ws.cleanup()
	if err := targetWorkspace(target, ws, &cfg); err != nil {
		return err
	}
	if out == "" {
		return usageErr("build needs -o BIN, the binary to write\n\n%s", buildHelp)
	}
	if _, err := exec.LookPath("go"); err != nil {
		return fmt.Errorf("build needs the go command on PATH: %v", err)
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	src, err := generateFor(target, specs, cfg)
	if err != nil {
		return firstErr(ws.missingDeps(specs), err)
	}
	pkgDir, err := ws.mainDir()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(pkgDir, "main.go"), src, 0o644); err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-o", absOut, ".")
	cmd.Dir = pkgDir
	cmd.Env = ws.env()
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		if e := ws.missingDeps(specs); e != nil {
			return e
		}
		return fmt.Errorf("go build of the generated program failed: %v\n%s", err, buf.String())
	}
	return nil
}

// writeFileAtomic replaces path with data: a reader never sees half a file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %v", path, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
