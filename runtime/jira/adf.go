package jira

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// adfNode is a node of an Atlassian Document Format document.
type adfNode struct {
	Type    string         `json:"type"`
	Text    string         `json:"text"`
	Attrs   map[string]any `json:"attrs"`
	Content []adfNode      `json:"content"`
}

// FlattenADF returns the plain text of an Atlassian Document Format (ADF)
// document: paragraphs, headings, code blocks and list items each on their
// own line (list items prefixed with "- " or "1. "), table cells separated by
// " | ", mentions, emoji, dates, statuses and links by their text. A JSON
// string (a Jira Server/Data Center plain-text description) is returned as
// is; null or malformed input gives "".
func FlattenADF(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var doc adfNode
	if json.Unmarshal(raw, &doc) != nil {
		return ""
	}
	var f flattener
	f.node(&doc)
	return strings.TrimRight(f.b.String(), " \n")
}

type flattener struct {
	b      strings.Builder
	prefix []string // list markers of enclosing list items
}

// newline ends the current line, if any text is on it.
func (f *flattener) newline() {
	s := f.b.String()
	if len(s) > 0 && s[len(s)-1] != '\n' {
		f.b.WriteByte('\n')
	}
}

func (f *flattener) children(n *adfNode) {
	for i := range n.Content {
		f.node(&n.Content[i])
	}
}

func (f *flattener) node(n *adfNode) {
	switch n.Type {
	case "text":
		f.b.WriteString(n.Text)
	case "hardBreak":
		f.b.WriteByte('\n')
	case "mention", "status":
		f.b.WriteString(attr(n, "text"))
	case "emoji":
		if t := attr(n, "text"); t != "" {
			f.b.WriteString(t)
		} else {
			f.b.WriteString(attr(n, "shortName"))
		}
	case "inlineCard", "blockCard", "embedCard":
		f.b.WriteString(attr(n, "url"))
	case "date":
		f.b.WriteString(adfDate(attr(n, "timestamp")))
	case "media", "mediaGroup", "mediaSingle", "mediaInline", "rule", "placeholder":
		// No text.
	case "bulletList", "orderedList":
		for i := range n.Content {
			marker := "- "
			if n.Type == "orderedList" {
				marker = strconv.Itoa(i+1) + ". "
			}
			f.prefix = append(f.prefix, marker)
			f.node(&n.Content[i])
			f.prefix = f.prefix[:len(f.prefix)-1]
		}
	case "listItem", "taskItem", "decisionItem":
		f.newline()
		if len(f.prefix) > 0 {
			f.b.WriteString(strings.Repeat("  ", len(f.prefix)-1))
			f.b.WriteString(f.prefix[len(f.prefix)-1])
		}
		// The first paragraph continues the marker's line.
		for i := range n.Content {
			c := &n.Content[i]
			if i == 0 && c.Type == "paragraph" {
				f.children(c)
				continue
			}
			f.node(c)
		}
		f.newline()
	case "tableRow":
		f.newline()
		for i := range n.Content {
			if i > 0 {
				f.b.WriteString(" | ")
			}
			var cell flattener
			cell.children(&n.Content[i])
			f.b.WriteString(strings.Join(strings.Fields(cell.b.String()), " "))
		}
		f.newline()
	case "doc", "table", "taskList", "decisionList", "extension", "bodiedExtension", "layoutSection", "layoutColumn":
		f.children(n)
	default:
		// paragraph, heading, codeBlock, blockquote, panel, expand and
		// unknown block types: their own lines.
		if len(n.Content) == 0 && n.Text != "" {
			f.b.WriteString(n.Text)
			return
		}
		f.newline()
		f.children(n)
		f.newline()
	}
}

func attr(n *adfNode, name string) string {
	switch v := n.Attrs[name].(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// adfDate formats a date node's timestamp (epoch milliseconds) as yyyy-mm-dd.
func adfDate(ms string) string {
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return ms
	}
	return time.UnixMilli(n).UTC().Format(time.DateOnly)
}
