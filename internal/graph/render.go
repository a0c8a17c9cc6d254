package graph

import (
	"fmt"
	"strings"
)

// Mermaid renders the graph as a Mermaid flowchart.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	g.walkClusters(-1, 1, &b, func(n *node, indent string) {
		open, close := mermaidShape(n.shape)
		fmt.Fprintf(&b, "%s%s%s\"%s\"%s\n", indent, n.id, open, mermaidText(strings.Join(n.label, "\n")), close)
	}, func(c cluster, indent string) {
		fmt.Fprintf(&b, "%ssubgraph %s [\"%s\"]\n", indent, c.id, mermaidText(c.label))
	}, func(indent string) {
		fmt.Fprintf(&b, "%send\n", indent)
	})
	for _, e := range g.edges {
		arrow := map[int][2]string{flow: {"--", "-->"}, back: {"--", "-->"}, data: {"-.", ".->"}, failure: {"==", "==>"}}[e.style]
		if e.label == "" {
			fmt.Fprintf(&b, "  %s %s %s\n", e.from, arrow[1], e.to)
			continue
		}
		fmt.Fprintf(&b, "  %s %s \"%s\" %s %s\n", e.from, arrow[0], mermaidText(e.label), arrow[1], e.to)
	}
	return b.String()
}

func mermaidShape(s shape) (string, string) {
	switch s {
	case shapeStart, shapeEnd:
		return "([", "])"
	case shapePure:
		return "(", ")"
	case shapeDecision:
		return "{", "}"
	case shapeLoop:
		return "{{", "}}"
	case shapeFork:
		return "((", "))"
	case shapeCursor:
		return "[(", ")]"
	case shapeHandler:
		return "[[", "]]"
	}
	return "[", "]"
}

// mermaidText escapes a label for a quoted Mermaid string.
func mermaidText(s string) string {
	return strings.NewReplacer("&", "#amp;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", "<br/>").Replace(s)
}

// DOT renders the graph in Graphviz's DOT language.
func (g *Graph) DOT() string {
	var b strings.Builder
	b.WriteString("digraph flow {\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n")
	g.walkClusters(-1, 1, &b, func(n *node, indent string) {
		fmt.Fprintf(&b, "%s%s [label=%s%s];\n", indent, n.id, dotText(strings.Join(n.label, "\n")), dotShape(n.shape))
	}, func(c cluster, indent string) {
		fmt.Fprintf(&b, "%ssubgraph cluster_%s {\n%s  label=%s;\n", indent, c.id, indent, dotText(c.label))
	}, func(indent string) {
		fmt.Fprintf(&b, "%s}\n", indent)
	})
	for _, e := range g.edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dotText(e.label))
		}
		switch e.style {
		case back:
			attrs = append(attrs, "constraint=false")
		case data:
			attrs = append(attrs, "style=dashed")
		case failure:
			attrs = append(attrs, "style=bold", "color=red")
		}
		a := ""
		if len(attrs) > 0 {
			a = " [" + strings.Join(attrs, ", ") + "]"
		}
		fmt.Fprintf(&b, "  %s -> %s%s;\n", e.from, e.to, a)
	}
	b.WriteString("}\n")
	return b.String()
}

func dotShape(s shape) string {
	switch s {
	case shapeStart, shapeEnd:
		return ", shape=box, style=\"rounded,bold\""
	case shapePure:
		return ", shape=box, style=rounded"
	case shapeDecision:
		return ", shape=diamond"
	case shapeLoop:
		return ", shape=hexagon"
	case shapeFork:
		return ", shape=circle"
	case shapeCursor:
		return ", shape=cylinder"
	case shapeHandler:
		return ", shape=box, peripheries=2"
	}
	return ", shape=box"
}

func dotText(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// walkClusters prints the nodes of cluster c (-1: the top level) and,
// nested, its child clusters, in the order they were made.
func (g *Graph) walkClusters(c, depth int, b *strings.Builder, nodeFn func(*node, string), openFn func(cluster, string), closeFn func(string)) {
	indent := strings.Repeat("  ", depth)
	for _, n := range g.nodes {
		if n.cluster == c {
			nodeFn(n, indent)
		}
	}
	for i, cl := range g.clusters {
		if cl.parent == c {
			openFn(cl, indent)
			g.walkClusters(i, depth+1, b, nodeFn, openFn, closeFn)
			closeFn(indent)
		}
	}
}
