package spec

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// This file builds a positioned document tree from go-toml's unstable
// parser: the same tables, arrays and values the TOML decoder would build,
// but every key and value keeps where it was written. It is the only file
// that knows the library's unstable API, and the file is parsed once: the
// builder itself checks what the decoder would (duplicate keys, integers
// that overflow, impossible dates), so no second, decoding pass is needed.

// scalarKind is the kind of a scalar value.
type scalarKind int

const (
	sString scalarKind = iota + 1
	sInteger
	sFloat
	sBool
	sDateTime      // 1979-05-27T07:32:00Z
	sLocalDateTime // 1979-05-27T07:32:00
	sLocalDate     // 1979-05-27
	sLocalTime     // 07:32:00
)

var scalarKinds = map[unstable.Kind]scalarKind{
	unstable.String:        sString,
	unstable.Integer:       sInteger,
	unstable.Float:         sFloat,
	unstable.Bool:          sBool,
	unstable.DateTime:      sDateTime,
	unstable.LocalDateTime: sLocalDateTime,
	unstable.LocalDate:     sLocalDate,
	unstable.LocalTime:     sLocalTime,
}

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
	sk   scalarKind
	raw  string    // source text
	data string    // decoded string value
	i    int64     // sInteger
	f    float64   // sFloat
	t    time.Time // date and time kinds (a local time on 0000-01-01 UTC)

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
	errs  ErrorList // duplicate keys, redefined tables
	// valueErrs are scalars the TOML decoder would refuse: the document
	// parses, but a value cannot be represented.
	valueErrs ErrorList
	root      *tnode
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
			sk:     scalarKinds[n.Kind],
			pos:    b.pos(start),
			keyPos: keyPos,
			raw:    string(b.p.Raw(n.Raw)),
			data:   string(n.Data),
		}
		if off, err := v.decode(); err != nil {
			b.valueErrs.Add(b.pos(start+off), "%s", err)
		}
		return v, start + int(n.Raw.Length)
	}
}

// decode converts the text of a number or a date/time scalar into its
// value, rejecting what the TOML decoder rejects: an integer out of the
// int64 range, a float out of range, an impossible date or time. off is
// where in the value's text the problem is.
func (v *tnode) decode() (off int, err error) {
	switch v.sk {
	case sInteger:
		// TOML and Go agree on 0x, 0o, 0b and _; the parser has already
		// refused what Go would read differently (leading zeros).
		v.i, err = strconv.ParseInt(v.raw, 0, 64)
		if err != nil {
			return 0, fmt.Errorf("integer %s does not fit in a 64-bit signed integer", v.raw)
		}
	case sFloat:
		v.f, err = strconv.ParseFloat(strings.ReplaceAll(v.raw, "_", ""), 64)
		if err != nil {
			return 0, fmt.Errorf("float %s is out of range", v.raw)
		}
	case sDateTime, sLocalDateTime, sLocalDate, sLocalTime:
		// The library's decoder knows every form and range TOML allows; it
		// reads just this one value.
		const prefix = "V = "
		var doc struct{ V any }
		if err := toml.Unmarshal([]byte(prefix+v.raw), &doc); err != nil {
			var de *toml.DecodeError
			if errors.As(err, &de) {
				_, col := de.Position()
				off = max(0, min(col-1-len(prefix), len(v.raw)))
			}
			return off, errors.New(strings.TrimPrefix(err.Error(), "toml: "))
		}
		switch t := doc.V.(type) {
		case time.Time:
			v.t = t
		case toml.LocalDateTime:
			v.t = t.AsTime(time.UTC)
		case toml.LocalDate:
			v.t = t.AsTime(time.UTC)
		case toml.LocalTime:
			v.t = time.Date(0, 1, 1, t.Hour, t.Minute, t.Second, t.Nanosecond, time.UTC)
		}
	}
	return 0, nil
}

// parseError converts an error of the TOML parser into an Error at the
// place it names.
func (b *builder) parseError(err error) *Error {
	var pe *unstable.ParserError
	if errors.As(err, &pe) && pe.Highlight != nil {
		off := cap(b.src) - cap(pe.Highlight)
		if off >= 0 && off <= len(b.src) {
			return Errorf(b.pos(off), "%s", pe.Message)
		}
	}
	return Errorf(Pos{File: b.file, Line: 1, Col: 1}, "%s", strings.TrimPrefix(err.Error(), "toml: "))
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
	case sString:
		return "a string"
	case sInteger:
		return "an integer"
	case sFloat:
		return "a float"
	case sBool:
		return "a boolean"
	case sDateTime:
		return "a date-time"
	case sLocalDateTime:
		return "a local date-time"
	case sLocalDate:
		return "a local date"
	case sLocalTime:
		return "a local time"
	}
	return "a value"
}
