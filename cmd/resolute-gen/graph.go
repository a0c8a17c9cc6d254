package main

import (
	"io"

	"github.com/resolute/resolute-gen/internal/graph"
	"github.com/resolute/resolute-gen/spec"
)

const graphHelp = `Usage: resolute-gen graph SPEC... [--format mermaid|dot]

Draws the flows of the spec files: steps, if and while decisions, loop
bodies with their back-edges, for_each bodies, parallel branches, cursor
reads and advances, and error handlers. Mermaid (the default) renders on
GitHub inside a mermaid code block, so a pull request that changes a spec
can carry its picture; dot is Graphviz's language (dot -Tsvg).

The diagram comes from the specs alone: no Go package is loaded, so it
works on a spec that does not type-check yet (but not on one with syntax
errors).

Flags:
  --format mermaid|dot   the output language (default mermaid)
`

func cmdGraph(args []string, stdout, stderr io.Writer) error {
	format := "mermaid"
	paths, err := flags(args, map[string]*string{"format": &format}, nil, graphHelp, stdout)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageErr("graph needs at least one spec file\n\n%s", graphHelp)
	}
	if format != "mermaid" && format != "dot" {
		return usageErr("--format is mermaid or dot, not %q%s", format, spec.DidYouMean(format, []string{"mermaid", "dot"}))
	}
	var files []*spec.File
	var errs spec.ErrorList
	for _, p := range paths {
		f, err := spec.ParseFile(p)
		if err != nil {
			if list, ok := err.(spec.ErrorList); ok {
				errs = append(errs, list...)
				continue
			}
			return err
		}
		files = append(files, f)
	}
	if len(errs) > 0 {
		return errs
	}
	g := graph.New(files...)
	if format == "dot" {
		_, err = io.WriteString(stdout, g.DOT())
	} else {
		_, err = io.WriteString(stdout, g.Mermaid())
	}
	return err
}
