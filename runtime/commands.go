package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/resolute/resolute-gen/runtime/internal/cli"
	"github.com/resolute/resolute-gen/runtime/internal/journal"
)

// versionText is what `prog version` prints. The runtime's version comes
// from the build (the module version of github.com/resolute/resolute-gen
// the program was built with), not from the generated code, so that
// regenerating with another resolute-gen changes nothing but the header.
func versionText(p Program, name string) string {
	v := runtimeVersion()
	var b strings.Builder
	fmt.Fprintf(&b, "%s: runtime %s, built with %s\nspec %s", name, v, goruntime.Version(), p.SpecHash)
	for _, f := range p.Flows {
		if f.SpecHash != "" {
			fmt.Fprintf(&b, "\nflow %s %s", f.Name, f.SpecHash)
		}
	}
	return b.String()
}

// flowsFor returns the flows a command acts on: the named one, or every flow.
func (p *Program) flowsFor(args []string) ([]Flow, error) {
	if len(args) == 0 {
		return p.Flows, nil
	}
	f, ok := p.flow(args[0])
	if !ok {
		return nil, configError("unknown flow %q; flows: %s", args[0], quoteList(p.flowNames()))
	}
	return []Flow{f}, nil
}

// missingEnv lists the required environment variables that the given flows
// read and that are unset. A flow whose Env is nil reads every declared
// variable.
func (p *Program) missingEnv(env map[string]string, flows []Flow) error {
	used := map[string]bool{}
	for _, f := range flows {
		if f.Env == nil {
			for _, v := range p.Env {
				used[v.Name] = true
			}
		}
		for _, n := range f.Env {
			used[n] = true
		}
	}
	var missing []string
	for _, v := range p.Env {
		if used[v.Name] && v.Required && env[v.Name] == "" {
			missing = append(missing, v.Name)
		}
	}
	if len(missing) > 0 {
		names := make([]string, len(flows))
		for i, f := range flows {
			names[i] = f.Name
		}
		return configError("missing required environment variables: %s (read by %s %s)", strings.Join(missing, ", "), plural(len(flows), "flow", "flows"), quoteList(names))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// checkCommand checks the configuration a run of the given flow (or of every
// flow) needs, without running anything, taking the lock or creating the
// state dir: the environment, the state dir, the cursors (file or store)
// and the unfinished runs' journals. It prints what it checked and returns
// 0, or 2 after listing every problem.
func checkCommand(ctx context.Context, e *engine, inv *cli.Invocation, stdout, stderr io.Writer) int {
	var problems []string
	flows, err := e.prog.flowsFor(inv.Args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", e.name, e.red.Error(err))
		return 2
	}
	if err := e.prog.missingEnv(e.env, flows); err != nil {
		problems = append(problems, err.Error())
	} else {
		fmt.Fprintf(stdout, "environment: ok (%d variables declared)\n", len(e.prog.Env))
	}
	switch st, err := os.Stat(e.dir); {
	case errors.Is(err, fs.ErrNotExist):
		fmt.Fprintf(stdout, "state dir %s: does not exist yet; the first run creates it\n", e.dir)
	case err != nil:
		problems = append(problems, fmt.Sprintf("state dir: %v", err))
	case !st.IsDir():
		problems = append(problems, fmt.Sprintf("state dir %s is not a directory", e.dir))
	default:
		fmt.Fprintf(stdout, "state dir %s: ok\n", e.dir)
	}
	if _, err := e.loadCursors(ctx); err != nil {
		problems = append(problems, err.Error())
	} else {
		fmt.Fprintf(stdout, "cursors (%s): ok\n", e.storeString())
	}
	for _, f := range flows {
		recs, _, err := journal.Read(e.journalPath(f.Name))
		switch {
		case err != nil:
			problems = append(problems, e.corruptJournal(f.Name, err).Error())
		case len(recs) > 0 && recs[0].SpecHash != e.prog.hash(f):
			problems = append(problems, fmt.Sprintf("flow %q has an unfinished run that began under a different definition of the flow (%s); the next run refuses it: `%s run --once %s --fresh` discards it",
				f.Name, whatChanged(recs[0], f, e.prog.hash(f)), e.name, f.Name))
		case len(recs) > 0:
			fmt.Fprintf(stdout, "flow %s: an unfinished run (%s, %d completed steps) will be resumed\n", f.Name, recs[0].RunID, journalSteps(recs))
		default:
			fmt.Fprintf(stdout, "flow %s: ok\n", f.Name)
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "%s: %s\n", e.name, e.red.String(p))
		}
		return 2
	}
	fmt.Fprintln(stdout, "configuration ok; nothing was run")
	return 0
}

// runtimeVersion is the version of this module in the running binary's
// build information.
func runtimeVersion() string {
	const mod = "github.com/resolute/resolute-gen"
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version)"
	}
	if bi.Main.Path == mod {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == mod {
			if d.Replace != nil {
				return d.Version + " (replaced by " + d.Replace.Path + ")"
			}
			return d.Version
		}
	}
	return "(unknown version)"
}
