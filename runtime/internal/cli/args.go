// Package cli parses the command line of a generated program: its
// commands, flags and their combinations, and writes its help text.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"

	"github.com/resolute/resolute-gen/runtime/internal/journal"
)

// Invocation is a parsed command line.
type Invocation struct {
	Cmd        string   // run, status, cursor, help
	Args       []string // positional arguments after the command
	Once       bool     // run --once
	Fresh      bool     // run --fresh
	Force      bool     // cursor set: skip the check of the value's kind
	Help       bool
	StateDir   string
	LogFormat  string
	LogLevel   string
	JSON       bool // status --json
	Durability string
	// CursorStore and CursorNamespace configure a Program.CursorStore.
	CursorStore     string
	CursorNamespace string
	MetricsAddr     string
	MetricsFile     string
	WebhookAddr     string
	Given           map[string]bool // flags present on the command line
}

// Parse parses the command line; flags may come before or after the
// command and its arguments, and "--" ends the flags.
func Parse(name string, args []string) (*Invocation, error) {
	inv := &Invocation{Given: map[string]bool{}}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&inv.Once, "once", false, "")
	fs.BoolVar(&inv.Fresh, "fresh", false, "")
	fs.BoolVar(&inv.Force, "force", false, "")
	fs.BoolVar(&inv.Help, "help", false, "")
	fs.BoolVar(&inv.Help, "h", false, "")
	fs.StringVar(&inv.StateDir, "state-dir", "", "")
	fs.StringVar(&inv.LogFormat, "log-format", "text", "")
	fs.StringVar(&inv.LogLevel, "log-level", "info", "")
	fs.BoolVar(&inv.JSON, "json", false, "")
	fs.StringVar(&inv.Durability, "durability", string(journal.Fsync), "")
	fs.StringVar(&inv.CursorStore, "cursor-store", "", "")
	fs.StringVar(&inv.CursorNamespace, "cursor-namespace", "", "")
	fs.StringVar(&inv.MetricsAddr, "metrics-addr", "", "")
	fs.StringVar(&inv.MetricsFile, "metrics-file", "", "")
	fs.StringVar(&inv.WebhookAddr, "webhook-addr", "", "")

	var rest []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	var pos []string
	for len(args) > 0 {
		// A negative number is a value (cursor set NAME -5), not a flag.
		if negativeNumber.MatchString(args[0]) {
			pos, args = append(pos, args[0]), args[1:]
			continue
		}
		end := slices.IndexFunc(args, negativeNumber.MatchString)
		if end < 0 {
			end = len(args)
		}
		seg := args[:end]
		args = args[end:]
		for {
			if err := fs.Parse(seg); err != nil {
				return nil, err
			}
			if fs.NArg() == 0 {
				break
			}
			pos = append(pos, fs.Arg(0))
			seg = fs.Args()[1:]
		}
	}
	pos = append(pos, rest...)
	fs.Visit(func(f *flag.Flag) { inv.Given[f.Name] = true })
	if len(pos) > 0 {
		inv.Cmd, inv.Args = pos[0], pos[1:]
	}
	if inv.LogFormat != "text" && inv.LogFormat != "json" {
		return nil, fmt.Errorf("--log-format must be text or json, not %q", inv.LogFormat)
	}
	if _, ok := LogLevels[inv.LogLevel]; !ok {
		return nil, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", inv.LogLevel)
	}
	if inv.Durability != string(journal.Fsync) && inv.Durability != string(journal.Batch) {
		return nil, fmt.Errorf("--durability must be fsync or batch, not %q", inv.Durability)
	}
	if inv.Help || inv.Cmd == "help" {
		return inv, nil
	}
	for _, f := range []string{"once", "fresh", "durability", "metrics-addr", "metrics-file", "webhook-addr"} {
		if inv.Given[f] && inv.Cmd != "run" {
			return nil, fmt.Errorf("--%s only applies to the run command", f)
		}
	}
	if inv.Given["webhook-addr"] && inv.Once {
		return nil, errors.New("--webhook-addr applies to run without --once: webhooks start runs beside the schedule")
	}
	if inv.JSON && inv.Cmd != "status" {
		return nil, errors.New("--json only applies to the status command")
	}
	if inv.Force && (inv.Cmd != "cursor" || len(inv.Args) == 0 || inv.Args[0] != "set") {
		return nil, errors.New("--force only applies to cursor set")
	}
	switch inv.Cmd {
	case "":
		return nil, errors.New("no command given")
	case "run":
		if len(inv.Args) > 0 && !inv.Once {
			return nil, fmt.Errorf("run without --once takes no flow name; to run flow %q now use: %s run --once %s", inv.Args[0], name, inv.Args[0])
		}
		if len(inv.Args) > 1 {
			return nil, fmt.Errorf("run --once takes one flow name, got %d", len(inv.Args))
		}
	case "status", "version":
		if len(inv.Args) > 0 {
			return nil, fmt.Errorf("%s takes no arguments", inv.Cmd)
		}
	case "check":
		if len(inv.Args) > 1 {
			return nil, fmt.Errorf("check takes at most one flow name, got %d", len(inv.Args))
		}
	case "cursor":
		want := map[string]int{"get": 2, "set": 3, "reset": 2}
		if len(inv.Args) == 0 || want[inv.Args[0]] == 0 {
			return nil, errors.New("usage: cursor get NAME | cursor set NAME VALUE | cursor reset NAME")
		}
		if len(inv.Args) != want[inv.Args[0]] {
			if inv.Args[0] == "set" {
				return nil, errors.New("usage: cursor set NAME VALUE")
			}
			return nil, fmt.Errorf("usage: cursor %s NAME", inv.Args[0])
		}
	default:
		return nil, fmt.Errorf("unknown command %q", inv.Cmd)
	}
	return inv, nil
}

// LogLevels are the values of --log-level.
var LogLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// negativeNumber matches an argument that is a negative number, not a flag.
var negativeNumber = regexp.MustCompile(`^-[0-9][0-9.]*$`)
