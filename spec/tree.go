package spec

import (
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// This file builds a positioned document tree from go-toml's unstable
// parser: the same tables, arrays and values the TOML decoder would build,
// but every key and value keeps where it was written.

type tkind int

const (
	tScalar tkind = iota + 1
	tArray
	tTable
)

// How a table came to exist; TOML allows different ways of adding to it
// depending on this.
type tdef int

const (
	defImplicit tdef = iota + 1 // a prefix of a [header] or [[header]]
	defHeader                   // [header] or an element of [[header]]
	defDotted                   // a prefix of a dotted key
	defInline                   // { ... }
)

// tnode is a value in the document tree.
type tnode struct {
	kind   tkind
	pos    Pos // first byte of the value; for header tables the '['
	keyPos Pos // the key that holds it (for [[x]] elements, that header's key)

	// tScalar
	sk   unstable.Kind
	raw  string // source text
	data string // decoded string value

	// tArray
	elems []*tnode
	aot   bool // built by [[header]]s

	// tTable
	entries []*tentry
	index   map[string]*tentry
	def     tdef
	sealed  bool // an inline table: complete as written
}

// tentry is one key of a table.
type tentry struct {
	key    string
	keyPos Pos
	val    *tnode
}

func newTable(def tdef, pos, keyPos Pos) *tnode {
	return &tnode{kind: tTable, def: def, pos: pos, keyPos: keyPos, index: map[string]*tentry{}}
}

func (t *tnode) get(key string) *tentry { return t.index[key] }

func (t *tnode) add(key string, keyPos Pos, v *tnode) *tentry {
	e := &tentry{key: key, keyPos: keyPos, val: v}
	t.entries = append(t.entries, e)
	t.index[key] = e
	return e
}

// keyPart is one part of a (possibly dotted) key.
type keyPart struct {
	name string
	pos  Pos
	off  int // offset of the part's source text
	end  int // offset just past it
}

// builder turns the parser's expressions into a tree.
type builder struct {
	file  string
	src   []byte
	lines []int // offsets at which lines start
	p     *unstable.Parser
	errs  ErrorList
	root  *tnode
}

func newBuilder(file string, src []byte) *builder {
	b := &builder{file: file, src: src, lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			b.lines = append(b.lines, i+1)
		}
	}
	return b
}

// pos converts a byte offset into a position.
func (b *builder) pos(off int) Pos {
	i := sort.Search(len(b.lines), func(i int) bool { return b.lines[i] > off }) - 1
	return Pos{File: b.file, Line: i + 1, Col: off - b.lines[i] + 1}
}

// build parses the whole document. It returns the parser's error for
// malformed TOML; problems such as duplicate keys go to b.errs, and the tree
// stays usable (the later definition is dropped).
func (b *builder) build() (*tnode, error) {
	b.p = &unstable.Parser{}
	b.p.Reset(b.src)
	b.root = newTable(defHeader, b.pos(0), Pos{})
	cur := b.root
	for b.p.NextExpression() {
		e := b.p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			b.keyValue(cur, e)
		case unstable.Table:
			cur = b.header(e, false)
		case unstable.ArrayTable:
			cur = b.header(e, true)
		}
	}
	return b.root, b.p.Error()
}

func (b *builder) keyParts(n *unstable.Node) []keyPart {
	var parts []keyPart
	it := n.Key()
	for it.Next() {
		k := it.Node()
		off := int(k.Raw.Offset)
		parts = append(parts, keyPart{name: string(k.Data), pos: b.pos(off), off: off, end: off + int(k.Raw.Length)})
	}
	return parts
}

func joinKey(parts []keyPart) string {
	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = p.name
	}
	return strings.Join(names, ".")
}

// header handles [a.b] and [[a.b]], returning the table that the following
// key/values fill.
func (b *builder) header(n *unstable.Node, array bool) *tnode {
	parts := b.keyParts(n)
	// The header starts at the '[' before the first key part; only blanks
	// may separate them.
	off := parts[0].off - 1
	for off > 0 && (b.src[off] == ' ' || b.src[off] == '\t') {
		off--
	}
	if array && off > 0 {
		off--
	}
	hpos := b.pos(off)
	name := joinKey(parts)
	detached := newTable(defHeader, hpos, parts[len(parts)-1].pos)

	t := b.root
	for i, part := range parts[:len(parts)-1] {
		e := t.get(part.name)
		if e == nil {
			t = t.add(part.name, part.pos, newTable(defImplicit, part.pos, part.pos)).val
			continue
		}
		v := e.val
		switch {
		case v.kind == tTable && v.sealed:
			b.errs.Add(part.pos, "cannot add to %s: it was written as an inline table at %s", joinKey(parts[:i+1]), v.pos)
			return detached
		case v.kind == tTable:
			t = v
		case v.kind == tArray && v.aot && len(v.elems) > 0:
			t = v.elems[len(v.elems)-1]
		default:
			b.errs.Add(part.pos, "cannot add to %s: it is %s set at %s", joinKey(parts[:i+1]), describe(v), e.keyPos)
			return detached
		}
	}

	last := parts[len(parts)-1]
	e := t.get(last.name)
	if array {
		if e == nil {
			e = t.add(last.name, last.pos, &tnode{kind: tArray, aot: true, pos: hpos, keyPos: last.pos})
		}
		v := e.val
		if v.kind != tArray || !v.aot {
			if v.kind == tTable && v.def != defInline {
				b.errs.Add(hpos, "cannot make %s an array of tables: it is already a table (%s)", name, v.pos)
			} else {
				b.errs.Add(hpos, "cannot make %s an array of tables: it is already %s set at %s", name, describe(v), e.keyPos)
			}
			return detached
		}
		el := newTable(defHeader, hpos, last.pos)
		v.elems = append(v.elems, el)
		return el
	}
	if e == nil {
		return t.add(last.name, last.pos, newTable(defHeader, hpos, last.pos)).val
	}
	v := e.val
	switch {
	case v.kind == tTable && v.def == defImplicit:
		v.def = defHeader
		v.pos = hpos
		return v
	case v.kind == tTable && v.def == defHeader:
		b.errs.Add(hpos, "duplicate table [%s]; first defined at %s", name, v.pos)
	case v.kind == tTable && v.def == defDotted:
		b.errs.Add(hpos, "duplicate table [%s]; already defined by dotted keys at %s", name, e.keyPos)
	case v.kind == tTable:
		b.errs.Add(hpos, "duplicate table [%s]; already written as an inline table at %s", name, v.pos)
	case v.kind == tArray && v.aot:
		b.errs.Add(hpos, "%s is an array of tables (first at %s); write [[%s]] to add an element", name, v.pos, name)
	default:
		b.errs.Add(hpos, "cannot make %s a table: it is already %s set at %s", name, describe(v), e.keyPos)
	}
	return detached
}

// keyValue adds key = value to table t.
func (b *builder) keyValue(t *tnode, n *unstable.Node) {
	parts := b.keyParts(n)
	for i, part := range parts[:len(parts)-1] {
		e := t.get(part.name)
		if e == nil {
			t = t.add(part.name, part.pos, newTable(defDotted, part.pos, part.pos)).val
			continue
		}
		v := e.val
		switch {
		case v.kind == tTable && v.def == defDotted:
			t = v
		case v.kind == tTable && v.sealed:
			b.errs.Add(part.pos, "cannot add to %s: it was written as an inline table at %s", joinKey(parts[:i+1]), v.pos)
			return
		case v.kind == tTable:
			b.errs.Add(part.pos, "cannot add to table %s with a dotted key: it is defined by a header at %s", joinKey(parts[:i+1]), v.pos)
			return
		default:
			b.errs.Add(part.pos, "duplicate key %s; first set at %s", part.name, e.keyPos)
			return
		}
	}
	last := parts[len(parts)-1]
	// The value starts after the key, blanks, '=' and blanks.
	off := last.end
	for off < len(b.src) && (b.src[off] == ' ' || b.src[off] == '\t' || b.src[off] == '=') {
		off++
	}
	v, _ := b.value(n.Value(), off, last.pos)
	if e := t.get(last.name); e != nil {
		b.errs.Add(last.pos, "duplicate key %s; first set at %s", last.name, e.keyPos)
		return
	}
	t.add(last.name, last.pos, v)
}

// value converts the value node n, which starts at offset start, and returns
// it with the offset just past it.
func (b *builder) value(n *unstable.Node, start int, keyPos Pos) (*tnode, int) {
	switch n.Kind {
	case unstable.Array:
		arr := &tnode{kind: tArray, pos: b.pos(start), keyPos: keyPos}
		off := start + 1
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			off = b.skipFill(off)
			el, end := b.value(c, off, keyPos)
			arr.elems = append(arr.elems, el)
			off = end
		}
		return arr, b.closing(off, ']')
	case unstable.InlineTable:
		start = int(n.Raw.Offset)
		t := newTable(defInline, b.pos(start), keyPos)
		off := start + 1
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind != unstable.KeyValue {
				continue
			}
			b.keyValue(t, c)
			off = int(c.Raw.Offset + c.Raw.Length)
		}
		t.sealed = true
		return t, b.closing(off, '}')
	default:
		start = int(n.Raw.Offset)
		v := &tnode{
			kind:   tScalar,
			sk:     n.Kind,
			pos:    b.pos(start),
			keyPos: keyPos,
			raw:    string(b.p.Raw(n.Raw)),
			data:   string(n.Data),
		}
		return v, start + int(n.Raw.Length)
	}
}

// skipFill skips what may separate array elements: blanks, newlines,
// commas and comments.
func (b *builder) skipFill(off int) int {
	for off < len(b.src) {
		switch b.src[off] {
		case ' ', '\t', '\r', '\n', ',':
			off++
		case '#':
			for off < len(b.src) && b.src[off] != '\n' {
				off++
			}
		default:
			return off
		}
	}
	return off
}

// closing returns the offset just past the closing bracket or brace that
// follows off.
func (b *builder) closing(off int, c byte) int {
	off = b.skipFill(off)
	if off < len(b.src) && b.src[off] == c {
		off++
	}
	return off
}

// describe names the kind of a tree value with an article, for messages.
func describe(v *tnode) string {
	switch v.kind {
	case tArray:
		if v.aot {
			return "an array of tables"
		}
		return "an array"
	case tTable:
		return "a table"
	}
	switch v.sk {
	case unstable.String:
		return "a string"
	case unstable.Integer:
		return "an integer"
	case unstable.Float:
		return "a float"
	case unstable.Bool:
		return "a boolean"
	case unstable.DateTime:
		return "a date-time"
	case unstable.LocalDateTime:
		return "a local date-time"
	case unstable.LocalDate:
		return "a local date"
	case unstable.LocalTime:
		return "a local time"
	}
	return "a value"
}
