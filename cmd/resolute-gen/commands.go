package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/resolute/resolute-gen/gen"
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

const checkHelp = `Usage: resolute-gen check SPEC...

Type-checks the spec files without writing anything. Each problem is printed
as file:line:col: message; the exit code is 1 if there is any.
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
	specs, ws, cfg, err := setup("check", args, nil, checkHelp, stdout)
	if err != nil {
		return err
	}
	defer ws.cleanup()
	if _, err = gen.Check(specs, cfg); err != nil {
		return firstErr(ws.missingDeps(specs), err)
	}
	return nil
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
