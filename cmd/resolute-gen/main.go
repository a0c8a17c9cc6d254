// Command resolute-gen compiles TOML flow specs into plain, standalone Go
// programs that run durable, incremental data syncs.
//
// Usage:
//
//	resolute-gen gen SPEC... [-o FILE]     write the generated Go program
//	resolute-gen check SPEC...             type-check only
//	resolute-gen build SPEC... -o BIN      generate and compile a binary
//	resolute-gen diff SPEC... -o FILE      fail with a diff if FILE is stale
//	resolute-gen init [DIR]                scaffold a module
//	resolute-gen graph SPEC...             draw the flows (Mermaid or DOT)
//	resolute-gen schema                    print the spec format's JSON Schema
//	resolute-gen version                   print the version
//
// Several spec files form one program (for example a scheduled sync flow
// and a manual full-reindex flow that share cursors).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/resolute/resolute-gen/spec"
)

const usage = `resolute-gen compiles TOML flow specs into standalone Go programs that run
durable, incremental data syncs.

Usage:
  resolute-gen gen SPEC... [-o FILE]    write the generated Go program (stdout by default)
  resolute-gen check SPEC...            type-check the specs; print file:line:col: message per problem
  resolute-gen build SPEC... -o BIN     generate and compile a binary
  resolute-gen diff SPEC... -o FILE     exit 1 with a diff if FILE is not what gen would write
  resolute-gen init [DIR]               scaffold a module with a flow, a node and a test
  resolute-gen graph SPEC... [--format mermaid|dot]  draw the flows
  resolute-gen schema [-o FILE]         print the JSON Schema of the spec format (for TOML editors)
  resolute-gen version                  print the version
  resolute-gen help [COMMAND]           show help

Several spec files given together form one program: their flows share the
[env] and [cursor.*] declarations and one state directory.

Exit codes: 0 success, 1 the specs have problems (or the build failed),
2 usage error.

Run 'resolute-gen COMMAND --help' for a command's flags.
`

// exitError carries an exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usageErr(format string, args ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "gen":
		err = cmdGen(rest, stdout, stderr)
	case "check":
		err = cmdCheck(rest, stdout, stderr)
	case "build":
		err = cmdBuild(rest, stdout, stderr)
	case "diff":
		err = cmdDiff(rest, stdout, stderr)
	case "init":
		err = cmdInit(rest, stdout, stderr)
	case "graph":
		err = cmdGraph(rest, stdout, stderr)
	case "schema":
		err = cmdSchema(rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "resolute-gen", version())
		return 0
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			return run([]string{rest[0], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "resolute-gen: unknown command %q%s\n\n%s", cmd,
			spec.DidYouMean(cmd, []string{"gen", "check", "build", "diff", "init", "graph", "schema", "version", "help"}), usage)
		return 2
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	var list spec.ErrorList
	if errors.As(err, &list) {
		fmt.Fprintln(stderr, list.Error())
		return 1
	}
	var ee *exitError
	if errors.As(err, &ee) {
		fmt.Fprintln(stderr, "resolute-gen:", ee.msg)
		return ee.code
	}
	fmt.Fprintln(stderr, "resolute-gen:", err)
	return 1
}

// version is the module version this binary was built from.
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

var errHelp = errors.New("help shown")

// flags parses args with flags allowed anywhere among the positional
// arguments, as `gen sync.toml -o out.go` needs. valueFlags take a value.
func flags(args []string, valueFlags map[string]*string, boolFlags map[string]*bool, help string, stdout io.Writer) ([]string, error) {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			fmt.Fprint(stdout, help)
			return nil, errHelp
		}
		if p, ok := valueFlags[name]; ok {
			if !hasVal {
				if i+1 >= len(args) {
					return nil, usageErr("flag -%s needs a value\n\n%s", name, help)
				}
				i++
				val = args[i]
			}
			*p = val
			continue
		}
		if p, ok := boolFlags[name]; ok {
			*p = !hasVal || val == "true"
			continue
		}
		var known []string
		for k := range valueFlags {
			known = append(known, k)
		}
		for k := range boolFlags {
			known = append(known, k)
		}
		hint := ""
		if len(name) > 2 { // a one- or two-letter typo has no meaningful neighbour
			hint = spec.DidYouMean(name, known)
		}
		return nil, usageErr("unknown flag %s%s\n\n%s", a, hint, help)
	}
	return pos, nil
}
