package runtime

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"syscall"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/internal/journal"
	"github.com/resolute/resolute-gen/runtime/internal/metrics"
	"github.com/resolute/resolute-gen/runtime/internal/redact"
	"github.com/resolute/resolute-gen/runtime/internal/statelock"
	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// Main is the whole main function of a generated program: it parses
// os.Args, runs the command and exits with status 0 (success), 1 (a run
// failed), 2 (usage, configuration or state error), or 130/143 when SIGINT
// or SIGTERM stopped `run --once`. See the package
// documentation, or run the program with --help, for the commands.
func Main(p Program) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Stop(sigs) // a second signal kills the process the default way
		if sig, ok := s.(syscall.Signal); ok {
			cancel(interrupted{sig})
		} else {
			cancel(interrupted{syscall.SIGINT})
		}
	}()
	code := runMain(ctx, p, os.Args, os.Getenv, os.Stdout, os.Stderr)
	signal.Stop(sigs)
	cancel(nil)
	os.Exit(code)
}

// invocation is a parsed command line.
type invocation struct {
	cmd        string   // run, status, cursor, help
	args       []string // positional arguments after the command
	once       bool
	fresh      bool
	force      bool // cursor set: skip the check of the value's kind
	help       bool
	stateDir   string
	logFormat  string
	logLevel   string
	jsonOut    bool // status --json
	durability string
	// cursorStore and cursorNamespace configure a Program.CursorStore.
	cursorStore     string
	cursorNamespace string
	metricsAddr     string
	metricsFile     string
	webhookAddr     string
	given           map[string]bool // flags present on the command line
}

// parseArgs parses the command line; flags may come before or after the
// command and its arguments, and "--" ends the flags.
func parseArgs(name string, args []string) (*invocation, error) {
	inv := &invocation{given: map[string]bool{}}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&inv.once, "once", false, "")
	fs.BoolVar(&inv.fresh, "fresh", false, "")
	fs.BoolVar(&inv.force, "force", false, "")
	fs.BoolVar(&inv.help, "help", false, "")
	fs.BoolVar(&inv.help, "h", false, "")
	fs.StringVar(&inv.stateDir, "state-dir", "", "")
	fs.StringVar(&inv.logFormat, "log-format", "text", "")
	fs.StringVar(&inv.logLevel, "log-level", "info", "")
	fs.BoolVar(&inv.jsonOut, "json", false, "")
	fs.StringVar(&inv.durability, "durability", string(journal.Fsync), "")
	fs.StringVar(&inv.cursorStore, "cursor-store", "", "")
	fs.StringVar(&inv.cursorNamespace, "cursor-namespace", "", "")
	fs.StringVar(&inv.metricsAddr, "metrics-addr", "", "")
	fs.StringVar(&inv.metricsFile, "metrics-file", "", "")
	fs.StringVar(&inv.webhookAddr, "webhook-addr", "", "")

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
	fs.Visit(func(f *flag.Flag) { inv.given[f.Name] = true })
	if len(pos) > 0 {
		inv.cmd, inv.args = pos[0], pos[1:]
	}
	if inv.logFormat != "text" && inv.logFormat != "json" {
		return nil, fmt.Errorf("--log-format must be text or json, not %q", inv.logFormat)
	}
	if _, ok := logLevels[inv.logLevel]; !ok {
		return nil, fmt.Errorf("--log-level must be debug, info, warn or error, not %q", inv.logLevel)
	}
	if inv.durability != string(journal.Fsync) && inv.durability != string(journal.Batch) {
		return nil, fmt.Errorf("--durability must be fsync or batch, not %q", inv.durability)
	}
	if inv.help || inv.cmd == "help" {
		return inv, nil
	}
	for _, f := range []string{"once", "fresh", "durability", "metrics-addr", "metrics-file", "webhook-addr"} {
		if inv.given[f] && inv.cmd != "run" {
			return nil, fmt.Errorf("--%s only applies to the run command", f)
		}
	}
	if inv.given["webhook-addr"] && inv.once {
		return nil, errors.New("--webhook-addr applies to run without --once: webhooks start runs beside the schedule")
	}
	if inv.jsonOut && inv.cmd != "status" {
		return nil, errors.New("--json only applies to the status command")
	}
	if inv.force && (inv.cmd != "cursor" || len(inv.args) == 0 || inv.args[0] != "set") {
		return nil, errors.New("--force only applies to cursor set")
	}
	switch inv.cmd {
	case "":
		return nil, errors.New("no command given")
	case "run":
		if len(inv.args) > 0 && !inv.once {
			return nil, fmt.Errorf("run without --once takes no flow name; to run flow %q now use: %s run --once %s", inv.args[0], name, inv.args[0])
		}
		if len(inv.args) > 1 {
			return nil, fmt.Errorf("run --once takes one flow name, got %d", len(inv.args))
		}
	case "status", "version":
		if len(inv.args) > 0 {
			return nil, fmt.Errorf("%s takes no arguments", inv.cmd)
		}
	case "check":
		if len(inv.args) > 1 {
			return nil, fmt.Errorf("check takes at most one flow name, got %d", len(inv.args))
		}
	case "cursor":
		want := map[string]int{"get": 2, "set": 3, "reset": 2}
		if len(inv.args) == 0 || want[inv.args[0]] == 0 {
			return nil, errors.New("usage: cursor get NAME | cursor set NAME VALUE | cursor reset NAME")
		}
		if len(inv.args) != want[inv.args[0]] {
			if inv.args[0] == "set" {
				return nil, errors.New("usage: cursor set NAME VALUE")
			}
			return nil, fmt.Errorf("usage: cursor %s NAME", inv.args[0])
		}
	default:
		return nil, fmt.Errorf("unknown command %q", inv.cmd)
	}
	return inv, nil
}

// logLevels are the values of --log-level.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// runMain is Main without the process around it.
func runMain(ctx context.Context, p Program, argv []string, getenv func(string) string, stdout, stderr io.Writer) int {
	name := filepath.Base(argv[0])
	fail := func(code int, err error, red *redact.Redactor) int {
		fmt.Fprintf(stderr, "%s: %s\n", name, red.Error(err))
		return code
	}
	if err := p.validate(); err != nil {
		return fail(2, err, nil)
	}
	inv, err := parseArgs(name, argv[1:])
	if errors.Is(err, flag.ErrHelp) || err == nil && (inv.help || inv.cmd == "help") {
		fmt.Fprint(stdout, usage(p, name))
		return 0
	}
	if err != nil {
		return fail(2, fmt.Errorf("%v\nRun '%s help' for usage.", err, name), nil)
	}

	dir := inv.stateDir
	if dir == "" {
		dir = getenv("RESOLUTE_STATE_DIR")
	}
	if dir == "" {
		dir = ".resolute"
	}
	env, _ := p.resolveEnv(getenv) // missing variables are reported per flow (missingEnv)
	if inv.cmd == "version" {
		fmt.Fprintf(stdout, "%s\n", versionText(p, name))
		return 0
	}
	e := newEngine(p, name, dir, env, getenv, func(red *redact.Redactor) *slog.Logger {
		return redact.NewLogger(stderr, inv.logFormat, logLevels[inv.logLevel], red)
	})
	e.mode = journal.Durability(inv.durability)
	storeCfg, err := storeConfig(p, inv, name, getenv, e.red)
	if err != nil {
		return fail(2, fmt.Errorf("%v\nRun '%s help' for usage.", err, name), e.red)
	}

	// Read-only commands take no lock and never create the state dir.
	readOnly := inv.cmd == "status" || inv.cmd == "check" || inv.cmd == "cursor" && inv.args[0] == "get"
	if readOnly && storeCfg != nil {
		if err := e.openStore(ctx, *storeCfg); err != nil {
			if inv.cmd != "status" {
				return fail(2, err, e.red)
			}
			e.store = errStore{err}
		}
		defer e.closeStore()
	}
	switch {
	case inv.cmd == "status" && inv.jsonOut:
		return statusJSON(ctx, e, stdout)
	case inv.cmd == "status":
		return status(ctx, e, stdout)
	case inv.cmd == "check":
		return checkCommand(ctx, e, inv, stdout, stderr)
	case readOnly:
		if err := cursorCommand(ctx, e, inv.args, false, stdout, stderr); err != nil {
			return fail(exitCode(err), err, e.red)
		}
		return 0
	}
	if inv.cmd == "run" {
		// run --once FLOW needs the variables that flow reads; the
		// scheduler needs every flow's.
		var flows []Flow
		if inv.once && len(inv.args) == 1 {
			flows, _ = p.flowsFor(inv.args)
		} else if inv.once && len(p.Flows) == 1 || !inv.once {
			flows = p.Flows
		}
		if err := p.missingEnv(env, flows); err != nil {
			return fail(2, err, e.red)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(2, fmt.Errorf("create state dir: %w", err), e.red)
	}
	release, err := statelock.Lock(dir)
	if err != nil {
		return fail(2, err, e.red)
	}
	defer release()
	if storeCfg != nil {
		if err := e.openStore(ctx, *storeCfg); err != nil {
			return fail(2, err, e.red)
		}
		defer e.closeStore()
	}
	if inv.cmd == "run" {
		for _, n := range e.red.ShortNames() {
			e.log.Warn(fmt.Sprintf("secret environment variable %s is shorter than %d bytes, too short to be redacted reliably: logs hide it only where it stands as a whole word, and a step output is refused only when one of its strings is exactly the value", n, redact.ShortSecret), "name", n)
		}
		if storeCfg == nil && getenv(envCursorStore) != "" {
			e.log.Warn(envCursorStore + " is set, but this program keeps its cursors in its state directory; ignoring it")
		}
		stop, err := e.prepareRun(ctx, inv)
		if err != nil {
			return fail(2, err, e.red)
		}
		defer stop()
	}
	var hooks *webhooks
	if inv.webhookAddr != "" {
		var stop func()
		if hooks, stop, err = e.serveWebhooks(inv.webhookAddr); err != nil {
			return fail(2, err, e.red)
		}
		defer stop()
	}

	switch {
	case inv.cmd == "cursor":
		err = cursorCommand(ctx, e, inv.args, inv.force, stdout, stderr)
	case inv.once:
		err = runOnce(ctx, e, inv)
	default:
		err = e.schedule(ctx, inv.fresh, hooks)
	}
	if err != nil {
		return fail(exitCode(err), err, e.red)
	}
	return 0
}

func runOnce(ctx context.Context, e *engine, inv *invocation) error {
	var name string
	switch {
	case len(inv.args) == 1:
		name = inv.args[0]
	case len(e.prog.Flows) == 1:
		name = e.prog.Flows[0].Name
	default:
		return configError("the program has several flows; name one: %s run --once FLOW (flows: %s)", e.name, quoteList(e.prog.flowNames()))
	}
	flow, ok := e.prog.flow(name)
	if !ok {
		return configError("unknown flow %q; flows: %s", name, quoteList(e.prog.flowNames()))
	}
	sum, err := e.runFlow(ctx, flow, inv.fresh)
	if err == nil {
		return nil
	}
	var intr interrupted
	if errors.As(context.Cause(ctx), &intr) {
		return &exitError{128 + int(intr.Signal), fmt.Errorf("flow %q %v: the run stopped unfinished (%v). Its progress is kept: `%s run --once %s` resumes it (completed steps are not run again); add --fresh to discard it",
			flow.Name, intr, err, e.name, flow.Name)}
	}
	var xe *exitError
	if errors.As(err, &xe) || cursorstore.IsStateError(err) {
		return err
	}
	if nodeerr.IsConfiguration(err) {
		next := fmt.Sprintf("Nothing was done: fix the configuration and run `%s run --once %s` again", e.name, flow.Name)
		if sum != nil && sum.Steps+sum.Replayed > 0 {
			next = fmt.Sprintf("Fix the configuration, then `%s run --once %s` resumes the run at the failed step (completed steps are not run again)", e.name, flow.Name)
		}
		return &exitError{2, fmt.Errorf("flow %q stopped on a configuration error (credentials or permissions; retrying cannot help): %w\n%s", flow.Name, err, next)}
	}
	return fmt.Errorf("flow %q failed: %w\nIts progress is kept: `%s run --once %s` resumes it (completed steps are not run again); add --fresh to discard it",
		flow.Name, err, e.name, flow.Name)
}

// negativeNumber matches an argument that is a negative number, not a flag.
var negativeNumber = regexp.MustCompile(`^-[0-9][0-9.]*$`)

func cursorCommand(ctx context.Context, e *engine, args []string, force bool, stdout, stderr io.Writer) error {
	sub, name := args[0], args[1]
	spec, ok := e.prog.cursor(name)
	if !ok {
		return configError("unknown cursor %q; cursors: %s", name, quoteList(e.prog.cursorNames()))
	}
	load := e.loadCursors
	if sub != "get" {
		// set and reset repair a store of the wrong shape: read it as is.
		load = e.store.Load
	}
	committed, err := load(ctx)
	if err != nil {
		return err
	}
	old, ok := committed[name]
	if !ok {
		old = spec.Initial
	}
	value := spec.Initial
	switch sub {
	case "get":
		fmt.Fprintln(stdout, old)
		return nil
	case "set":
		value = args[2]
		if err := spec.check(value); err != nil && !force {
			return configError("cursor %s: %v; nothing was changed (add --force to set it anyway)", name, err)
		}
	}
	if err := e.commitCursors(ctx, map[string]string{name: value}, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cursor %s = %s (was %s)\n", name, value, old)
	for _, f := range e.prog.Flows {
		if recs, _, _ := journal.Read(e.journalPath(f.Name)); len(recs) > 0 {
			if v, ok := recs[0].Cursors[name]; ok && v != value {
				fmt.Fprintf(stderr, "note: flow %q has an unfinished run that started with %s = %s; it resumes with that value, and if it advances %s it will refuse to commit (a run only commits a cursor nobody changed since it began); `%s run --once %s --fresh` discards it\n",
					f.Name, name, v, name, e.name, f.Name)
			}
		}
	}
	return nil
}

// prepareRun prepares the run command: it reads the committed cursors (so
// that a store that cannot be read stops the program now, not at the first
// scheduled run) and the last runs, so that the metrics are complete before
// the first run; it writes the metrics file once (so that a bad path fails
// now, not after a run) and starts serving /metrics. stop stops serving.
func (e *engine) prepareRun(ctx context.Context, inv *invocation) (stop func(), err error) {
	committed, err := e.loadCursors(ctx)
	if err != nil {
		return nil, err
	}
	e.metrics.SetCursors(committed)
	e.restoreMetrics()
	if inv.metricsFile != "" {
		e.metricsFile = inv.metricsFile
		if err := e.writeMetricsFile(); err != nil {
			return nil, configError("--metrics-file: %v", err)
		}
	}
	if inv.metricsAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", inv.metricsAddr)
	if err != nil {
		return nil, configError("--metrics-addr: %v", err)
	}
	e.log.Info("serving metrics", "url", "http://"+ln.Addr().String()+"/metrics")
	return metrics.Serve(ln, e.metrics), nil
}
