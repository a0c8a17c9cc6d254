package runtime

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/resolute/resolute-gen/runtime/internal/cli"
	"github.com/resolute/resolute-gen/runtime/internal/journal"
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
	inv, err := cli.Parse(name, argv[1:])
	if errors.Is(err, flag.ErrHelp) || err == nil && (inv.Help || inv.Cmd == "help") {
		fmt.Fprint(stdout, cli.Usage(p.help(), name))
		return 0
	}
	if err != nil {
		return fail(2, fmt.Errorf("%v\nRun '%s help' for usage.", err, name), nil)
	}

	dir := inv.StateDir
	if dir == "" {
		dir = getenv("RESOLUTE_STATE_DIR")
	}
	if dir == "" {
		dir = ".resolute"
	}
	env, _ := p.resolveEnv(getenv) // missing variables are reported per flow (missingEnv)
	if inv.Cmd == "version" {
		fmt.Fprintf(stdout, "%s\n", versionText(p, name))
		return 0
	}
	e := newEngine(p, name, dir, env, getenv, func(red *redact.Redactor) *slog.Logger {
		return redact.NewLogger(stderr, inv.LogFormat, cli.LogLevels[inv.LogLevel], red)
	})
	e.mode = journal.Durability(inv.Durability)
	storeCfg, err := storeConfig(p, inv, name, getenv, e.red)
	if err != nil {
		return fail(2, fmt.Errorf("%v\nRun '%s help' for usage.", err, name), e.red)
	}

	// Read-only commands take no lock and never create the state dir.
	readOnly := inv.Cmd == "status" || inv.Cmd == "check" || inv.Cmd == "cursor" && inv.Args[0] == "get"
	if readOnly && storeCfg != nil {
		if err := e.openStore(ctx, *storeCfg); err != nil {
			if inv.Cmd != "status" {
				return fail(2, err, e.red)
			}
			e.store = errStore{err}
		}
		defer e.closeStore()
	}
	switch {
	case inv.Cmd == "status":
		return statusCommand(ctx, e, inv.JSON, stdout)
	case inv.Cmd == "check":
		return checkCommand(ctx, e, inv, stdout, stderr)
	case readOnly:
		if err := cursorCommand(ctx, e, inv.Args, false, stdout, stderr); err != nil {
			return fail(exitCode(err), err, e.red)
		}
		return 0
	}
	if inv.Cmd == "run" {
		// run --once FLOW needs the variables that flow reads; the
		// scheduler needs every flow's.
		var flows []Flow
		if inv.Once && len(inv.Args) == 1 {
			flows, _ = p.flowsFor(inv.Args)
		} else if inv.Once && len(p.Flows) == 1 || !inv.Once {
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
	if inv.Cmd == "run" {
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
	if inv.WebhookAddr != "" {
		var stop func()
		if hooks, stop, err = e.serveWebhooks(inv.WebhookAddr); err != nil {
			return fail(2, err, e.red)
		}
		defer stop()
	}

	switch {
	case inv.Cmd == "cursor":
		err = cursorCommand(ctx, e, inv.Args, inv.Force, stdout, stderr)
	case inv.Once:
		err = runOnce(ctx, e, inv)
	default:
		err = e.schedule(ctx, inv.Fresh, hooks)
	}
	if err != nil {
		return fail(exitCode(err), err, e.red)
	}
	return 0
}

func runOnce(ctx context.Context, e *engine, inv *cli.Invocation) error {
	var name string
	switch {
	case len(inv.Args) == 1:
		name = inv.Args[0]
	case len(e.prog.Flows) == 1:
		name = e.prog.Flows[0].Name
	default:
		return configError("the program has several flows; name one: %s run --once FLOW (flows: %s)", e.name, quoteList(e.prog.flowNames()))
	}
	flow, ok := e.prog.flow(name)
	if !ok {
		return configError("unknown flow %q; flows: %s", name, quoteList(e.prog.flowNames()))
	}
	sum, err := e.runFlow(ctx, flow, inv.Fresh)
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

// help is what the help text shows of p.
func (p *Program) help() cli.Program {
	h := cli.Program{Store: p.CursorStore != nil}
	for _, f := range p.Flows {
		h.Flows = append(h.Flows, cli.Flow{Name: f.Name, Description: f.Description, Schedule: f.Schedule})
	}
	for _, e := range p.Env {
		h.Env = append(h.Env, cli.Env{Name: e.Name, Required: e.Required, Secret: e.Secret, Default: e.Default})
	}
	for _, c := range p.Cursors {
		h.Cursors = append(h.Cursors, cli.Cursor{Name: c.Name, Initial: c.Initial})
	}
	return h
}
