// Package graph draws flow specs as diagrams: Mermaid (which GitHub renders
// in Markdown, so a pull request that changes a spec can carry its picture)
// and Graphviz DOT. The diagram is built from the parsed spec alone, so it
// needs no Go packages, and is deterministic: nodes and edges come in the
// order of the spec.
package graph

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/resolute/resolute-gen/spec"
)

// shape is how a node is drawn.
type shape int

const (
	shapeStart    shape = iota // the flow: a stadium
	shapeCall                  // a node call: a box
	shapePure                  // map, filter, unique, merge: a rounded box
	shapeDecision              // if, while: a diamond
	shapeLoop                  // for_each and other loop heads: a hexagon
	shapeFork                  // parallel fork and join: a circle
	shapeCursor                // a cursor: a cylinder
	shapeHandler               // an error handler: a subroutine box
	shapeEnd                   // done: a stadium
)

type node struct {
	id      string
	label   []string // lines
	shape   shape
	cluster int // index into graph.clusters; -1 at top level
}

// edge styles.
const (
	flow    = iota // control flow
	back           // a loop's back-edge
	data           // a cursor read or write
	failure        // to an error handler
)

type edge struct {
	from, to string
	label    string
	style    int
}

type cluster struct {
	id     string
	label  string
	parent int
}

// Graph is a drawn flow: nodes, edges and the clusters (loop bodies,
// parallel blocks) that group nodes.
type Graph struct {
	nodes    []*node
	edges    []edge
	clusters []cluster
	cursors  map[string]bool
	cur      int // the cluster new nodes go into
	n        int
}

// exit is a loose end of a block: the node control leaves from, with the
// label of that edge ("no" from a while).
type exit struct {
	from, label string
}

// New draws the flows of the spec files, in order, in one graph (cursors
// that several flows share are one node).
func New(files ...*spec.File) *Graph {
	g := &Graph{cursors: map[string]bool{}, cur: -1}
	for _, f := range files {
		label := []string{f.Flow.Value}
		if f.Schedule.Value != "" {
			label = append(label, "schedule "+f.Schedule.Value)
		}
		start := g.add(shapeStart, label...)
		exits := g.steps(f.Steps, []exit{{from: start}})
		end := g.add(shapeEnd, "done")
		g.connect(exits, end)
	}
	return g
}

func (g *Graph) add(s shape, label ...string) string {
	g.n++
	id := fmt.Sprintf("n%d", g.n)
	g.nodes = append(g.nodes, &node{id: id, label: label, shape: s, cluster: g.cur})
	return id
}

func (g *Graph) edge(from, to, label string, style int) {
	g.edges = append(g.edges, edge{from: from, to: to, label: label, style: style})
}

func (g *Graph) connect(exits []exit, to string) {
	for _, e := range exits {
		g.edge(e.from, to, e.label, flow)
	}
}

// open starts a cluster; close ends it.
func (g *Graph) open(label string) {
	g.clusters = append(g.clusters, cluster{id: fmt.Sprintf("c%d", len(g.clusters)+1), label: label, parent: g.cur})
	g.cur = len(g.clusters) - 1
}

func (g *Graph) close() { g.cur = g.clusters[g.cur].parent }

// cursor returns the node of cursor name, adding it at the top level.
func (g *Graph) cursor(name string) string {
	id := "cursor_" + name
	if !g.cursors[name] {
		g.cursors[name] = true
		g.nodes = append(g.nodes, &node{id: id, label: []string{"cursor " + name}, shape: shapeCursor, cluster: -1})
	}
	return id
}

// steps draws a block and returns its loose ends.
func (g *Graph) steps(steps []*spec.Step, in []exit) []exit {
	for _, s := range steps {
		in = g.step(s, in)
	}
	return in
}

func title(s *spec.Step, what string) []string {
	if s.ID.Value != "" {
		return []string{s.ID.Value, what}
	}
	return []string{what}
}

// step draws one step entered from in; a new step kind is one case here.
func (g *Graph) step(s *spec.Step, in []exit) []exit {
	switch s.Kind {
	case spec.StepCall:
		label := title(s, "call "+s.Call.Value)
		if s.Retry != nil && s.Retry.Attempts.Set() {
			label = append(label, fmt.Sprintf("retry %d", s.Retry.Attempts.Value))
		}
		n := g.add(shapeCall, label...)
		g.connect(in, n)
		g.reads(n, s)
		g.advance(n, s)
		return g.onError(n, s)
	case spec.StepMap:
		return g.pure(s, in, "map "+s.Source.Value)
	case spec.StepFilter:
		return g.pure(s, in, "filter "+s.Source.Value, "where "+s.Where.Value)
	case spec.StepUnique:
		return g.pure(s, in, "unique "+s.Source.Value, "by "+s.Key.Value)
	case spec.StepMerge:
		var parts []string
		for _, m := range s.Merge {
			parts = append(parts, m.Value)
		}
		return g.pure(s, in, "merge "+strings.Join(parts, ", "))
	case spec.StepResetCursor:
		n := g.add(shapePure, title(s, "reset_cursor "+s.ResetCursor.Value)...)
		g.connect(in, n)
		g.edge(n, g.cursor(s.ResetCursor.Value), "resets", data)
		return []exit{{from: n}}
	case spec.StepIf:
		n := g.add(shapeDecision, title(s, "if "+s.Cond.Value)...)
		g.connect(in, n)
		g.reads(n, s)
		out := g.steps(s.Then, []exit{{from: n, label: "yes"}})
		if len(s.Else) > 0 {
			return append(out, g.steps(s.Else, []exit{{from: n, label: "no"}})...)
		}
		return append(out, exit{from: n, label: "no"})
	case spec.StepWhile:
		n := g.add(shapeDecision, title(s, fmt.Sprintf("while %s", s.Cond.Value))...)
		g.connect(in, n)
		g.reads(n, s)
		g.open(fmt.Sprintf("at most %d iterations", s.MaxIterations.Value))
		body := g.steps(s.Do, []exit{{from: n, label: "yes"}})
		g.close()
		g.loopBack(body, n, "next")
		return []exit{{from: n, label: "no"}}
	case spec.StepForEach:
		what := fmt.Sprintf("for_each %s as %s", s.Source.Value, orDefault(s.As.Value, "it"))
		n := g.add(shapeLoop, title(s, what)...)
		g.connect(in, n)
		g.reads(n, s)
		label := "each item"
		if s.Concurrency.Set() && s.Concurrency.Value > 1 {
			label = fmt.Sprintf("each item, %d at a time", s.Concurrency.Value)
		}
		g.open(label)
		body := g.steps(s.Do, []exit{{from: n, label: "item"}})
		g.close()
		g.loopBack(body, n, "next item")
		return []exit{{from: n, label: "done"}}
	case spec.StepStream:
		n := g.add(shapeLoop, title(s, "stream "+s.Stream.Value+" as "+orDefault(s.As.Value, "page"))...)
		g.connect(in, n)
		g.reads(n, s)
		g.advance(n, s)
		ahead := int64(1)
		if s.ReadAhead.Set() {
			ahead = s.ReadAhead.Value
		}
		g.open(fmt.Sprintf("each page, %d read ahead; one journal record per page", ahead))
		body := g.steps(s.Do, []exit{{from: n, label: "page"}})
		g.close()
		g.loopBack(body, n, "next page")
		return []exit{{from: n, label: "last page done"}}
	case spec.StepParallel:
		g.open(orDefault(s.ID.Value, "parallel"))
		fork := g.add(shapeFork, "fork")
		g.connect(in, fork)
		var ends []exit
		for _, b := range s.Branches {
			ends = append(ends, g.step(b, []exit{{from: fork}})...)
		}
		join := g.add(shapeFork, "join")
		g.close()
		g.connect(ends, join)
		return []exit{{from: join}}
	case spec.StepSequence:
		return g.steps(s.Do, in)
	}
	// A kind this package does not know yet is still drawn.
	n := g.add(shapeCall, title(s, s.Kind.String())...)
	g.connect(in, n)
	return []exit{{from: n}}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (g *Graph) pure(s *spec.Step, in []exit, what ...string) []exit {
	n := g.add(shapePure, append(title(s, what[0]), what[1:]...)...)
	g.connect(in, n)
	g.reads(n, s)
	return []exit{{from: n}}
}

// loopBack draws a loop body's back-edges; an empty body loops on head.
func (g *Graph) loopBack(body []exit, head, label string) {
	for _, e := range body {
		g.edge(e.from, head, label, back)
	}
}

func (g *Graph) advance(n string, s *spec.Step) {
	if s.Advance != nil && s.Advance.Cursor.Value != "" {
		g.edge(n, g.cursor(s.Advance.Cursor.Value), "advances", data)
	}
}

// onError draws a call's error handling and returns the call's loose ends.
func (g *Graph) onError(n string, s *spec.Step) []exit {
	out := []exit{{from: n}}
	for _, c := range s.RollbackCursor {
		g.edge(n, g.cursor(c.Value), "rolls back on error", data)
	}
	if s.OnError == nil {
		return out
	}
	action := orDefault(s.OnError.Action.Value, "fail")
	if s.OnError.Call.Value == "" {
		if action == "continue" {
			out[0].label = "ok or error"
		}
		return out
	}
	h := g.add(shapeHandler, "on_error", "call "+s.OnError.Call.Value, "then "+action)
	g.edge(n, h, "error", failure)
	if action == "continue" {
		out = append(out, exit{from: h})
	} else {
		fail := g.add(shapeEnd, "run fails")
		g.edge(h, fail, "", flow)
	}
	return out
}

var cursorRef = regexp.MustCompile(`\bcursor\.([A-Za-z_][A-Za-z0-9_]*)`)

// reads draws an edge from every cursor that the step's own expressions
// read (not those of nested blocks, which draw their own).
func (g *Graph) reads(n string, s *spec.Step) {
	var texts []string
	add := func(ss ...spec.String) {
		for _, x := range ss {
			texts = append(texts, x.Value)
		}
	}
	add(s.Cond, s.Source, s.Where, s.Collect)
	add(s.Merge...)
	var fields func([]*spec.Field)
	var value func(*spec.Value)
	value = func(v *spec.Value) {
		if v == nil {
			return
		}
		switch v.Kind {
		case spec.KindString:
			add(v.Str)
		case spec.KindArray:
			for _, e := range v.Array {
				value(e)
			}
		case spec.KindTable:
			fields(v.Fields)
		}
	}
	fields = func(fs []*spec.Field) {
		for _, f := range fs {
			value(f.Value)
		}
	}
	fields(s.With)
	fields(s.Fields)
	seen := map[string]bool{}
	for _, t := range texts {
		for _, m := range cursorRef.FindAllStringSubmatch(t, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				g.edge(g.cursor(m[1]), n, "reads", data)
			}
		}
	}
}
