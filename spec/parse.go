package spec

import (
	"bytes"
	"fmt"
	"go/token"
	"go/types"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ParseFile reads and parses the spec file at path. See Parse.
func ParseFile(path string) (*File, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse parses the spec in src, naming it path in positions, and checks its
// structure: known keys, value kinds, required keys, one kind per step.
//
// The error, if any, is an ErrorList sorted by position holding every
// problem found. Malformed TOML is reported as one error at the place the
// TOML decoder gave up. Even with errors, Parse returns the File as far as
// it could be read, as go/parser does.
func Parse(path string, src []byte) (*File, error) {
	// A UTF-8 byte order mark, which some editors write, is not part of
	// the TOML document.
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	f := &File{Path: path, Source: src}
	if err := textError(path, src); err != nil {
		return nil, ErrorList{err}
	}

	b := newBuilder(path, src)
	root, parseErr := b.build()
	if parseErr != nil {
		// Malformed TOML: the parser's message and place.
		return f, ErrorList{b.parseError(parseErr)}
	}
	if len(b.valueErrs) > 0 {
		// Values no Go program could hold (an impossible date, an integer
		// out of range): reported with the structural problems, and the
		// file is not checked further, which would only cascade.
		return f, append(b.errs, b.valueErrs...).Sort().Err()
	}

	// Duplicate keys and redefined tables: our own messages name both
	// places.
	c := &checker{path: path, errs: b.errs}
	c.file(root, f)
	return f, c.errs.Sort().Err()
}

// textError reports a file that is not UTF-8 text (a binary file, or one
// in another encoding) at its first offending byte; nil if it is text.
func textError(path string, src []byte) *Error {
	bad := -1
	what := ""
	if i := bytes.IndexByte(src, 0); i >= 0 {
		bad, what = i, "a NUL byte"
	}
	for i := 0; i < len(src) && (bad < 0 || i < bad); {
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n == 1 {
			bad, what = i, fmt.Sprintf("the byte 0x%02x, which is not UTF-8", src[i])
			break
		}
		i += n
	}
	if bad < 0 {
		return nil
	}
	line, col := 1, 1
	for _, c := range src[:bad] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return Errorf(Pos{File: path, Line: line, Col: col}, "the file holds %s here; a spec is a TOML text file in UTF-8", what)
}

// checker maps the document tree onto the syntax tree, recording every
// problem it finds.
type checker struct {
	path string
	errs ErrorList
}

var topKeys = []string{"version", "flow", "description", "schedule", "cursor_store", "env", "cursor", "step", "rate_limit", "trigger"}

// CursorStores are the values of cursor_store: where committed cursors live.
var CursorStores = []string{"file", "postgres", "redis"}

func (c *checker) file(root *tnode, f *File) {
	for _, e := range root.entries {
		switch e.key {
		case "version":
			if v, ok := c.integer(e); ok {
				f.Version = v
				if v.Value != 1 {
					c.errs.Add(v.Pos, "unsupported spec version %d; this resolute-gen reads version 1", v.Value)
				}
			}
		case "flow":
			if s, ok := c.str(e); ok {
				f.Flow = s
				if !isFlowName(s.Value) {
					c.errs.Add(s.Pos, "flow name %q must start with a letter and hold only letters, digits, '-' and '_'", s.Value)
				}
			}
		case "description":
			f.Description, _ = c.str(e)
		case "schedule":
			f.Schedule, _ = c.str(e)
		case "cursor_store":
			if s, ok := c.str(e); ok {
				f.CursorStore = s
				if !slices.Contains(CursorStores, s.Value) {
					c.errs.Add(s.Pos, "cursor_store must be one of %s, not %q%s", joinList(quoteAll(CursorStores), "or"), s.Value, DidYouMean(s.Value, CursorStores))
				}
			}
		case "env":
			f.Env = c.env(e)
		case "cursor":
			f.Cursors = c.cursors(e)
		case "step":
			f.Steps = c.steps(e, "step")
		case "rate_limit":
			f.RateLimits = c.rateLimits(e)
		case "trigger":
			f.Trigger = c.trigger(e)
		default:
			c.unknown(e, "", topKeys)
		}
	}
	start := Pos{File: c.path, Line: 1, Col: 1}
	if root.get("version") == nil {
		c.errs.Add(start, "missing version; add version = 1 at the top of the file")
	}
	if root.get("flow") == nil {
		c.errs.Add(start, "missing flow; add flow = \"name\", the name of the flow")
	}
}

func isFlowName(s string) bool {
	if s == "" || !isASCIILetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if ch := s[i]; !isASCIILetter(ch) && !(ch >= '0' && ch <= '9') && ch != '-' && ch != '_' {
			return false
		}
	}
	return true
}

func isASCIILetter(ch byte) bool { return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' }

var envKeys = []string{"required", "secret", "default"}

func (c *checker) env(e *tentry) []*EnvVar {
	t, ok := c.table(e)
	if !ok {
		return nil
	}
	var out []*EnvVar
	for _, ve := range t.entries {
		ev := &EnvVar{Name: ve.key, Pos: ve.keyPos}
		out = append(out, ev)
		c.exprName(ve.key, ve.keyPos, "env name", "env.NAME")
		vt := ve.val
		if vt.kind != tTable {
			c.errs.Add(vt.pos, "env %s must be a table such as { required = true } or {}, not %s", ve.key, describe(vt))
			continue
		}
		for _, k := range vt.entries {
			switch k.key {
			case "required":
				ev.Required, _ = c.boolean(k)
			case "secret":
				ev.Secret, _ = c.boolean(k)
			case "default":
				ev.Default, _ = c.str(k)
			default:
				c.unknown(k, " in env "+ve.key, envKeys)
			}
		}
		if ev.Required.Value && ev.Default.Set() {
			c.errs.Add(ev.Default.KeyPos, "env %s cannot be both required and have a default; a default makes it optional", ve.key)
		}
	}
	return out
}

var cursorKeys = []string{"initial", "format"}

func (c *checker) cursors(e *tentry) []*Cursor {
	t, ok := c.table(e)
	if !ok {
		return nil
	}
	var out []*Cursor
	for _, ce := range t.entries {
		cur := &Cursor{Name: ce.key, Pos: ce.keyPos}
		out = append(out, cur)
		c.exprName(ce.key, ce.keyPos, "cursor name", "cursor.NAME")
		ct := ce.val
		if ct.kind != tTable {
			c.errs.Add(ct.pos, "cursor %s must be a table ([cursor.%s] with initial = \"...\"), not %s", ce.key, ce.key, describe(ct))
			continue
		}
		for _, k := range ct.entries {
			switch k.key {
			case "initial":
				cur.Initial, _ = c.str(k)
			case "format":
				if f, ok := c.str(k); ok {
					cur.Format = f
					if !isTimeLayout(f.Value) {
						c.errs.Add(f.Pos, "format %q is not a Go time layout; write the reference time Mon Jan 2 15:04:05 MST 2006 in the form you want, such as \"2006-01-02T15:04:05Z07:00\" or \"2006-01-02 15:04\"", f.Value)
					}
				}
			default:
				c.unknown(k, " in cursor "+ce.key, cursorKeys)
			}
		}
	}
	return out
}

// Value accessors. Each reports a wrong kind at the value and returns false.

func (c *checker) wrongKind(e *tentry, want string) {
	c.errs.Add(e.val.pos, "%s must be %s, not %s", e.key, want, describe(e.val))
}

func (c *checker) str(e *tentry) (String, bool) {
	if e.val.kind != tScalar || e.val.sk != sString {
		c.wrongKind(e, "a string")
		return String{}, false
	}
	return makeString(e.val, e.keyPos), true
}

// expr reads a string that must not be empty (an expression or a name).
func (c *checker) expr(e *tentry) (String, bool) {
	s, ok := c.str(e)
	if ok && strings.TrimSpace(s.Value) == "" {
		c.errs.Add(s.Pos, "%s must not be empty", e.key)
		return s, false
	}
	return s, ok
}

func (c *checker) integer(e *tentry) (Int, bool) {
	if e.val.kind != tScalar || e.val.sk != sInteger {
		c.wrongKind(e, "an integer")
		return Int{}, false
	}
	v := makeValue(e.val, e.keyPos)
	return Int{Value: v.Int, Pos: v.Pos, KeyPos: e.keyPos}, true
}

func (c *checker) boolean(e *tentry) (Bool, bool) {
	if e.val.kind != tScalar || e.val.sk != sBool {
		c.wrongKind(e, "a boolean")
		return Bool{}, false
	}
	return Bool{Value: e.val.raw == "true", Pos: e.val.pos, KeyPos: e.keyPos}, true
}

func (c *checker) table(e *tentry) (*tnode, bool) {
	if e.val.kind != tTable {
		c.wrongKind(e, "a table")
		return nil, false
	}
	return e.val, true
}

// duration reads a positive Go duration such as "30s".
func (c *checker) duration(e *tentry) (String, time.Duration, bool) {
	if e.val.kind == tScalar && (e.val.sk == sInteger || e.val.sk == sFloat) {
		c.errs.Add(e.val.pos, "%s must be a duration string such as \"%ss\" or \"5m\", not a number", e.key, e.val.raw)
		return String{}, 0, false
	}
	s, ok := c.str(e)
	if !ok {
		return s, 0, false
	}
	d, err := time.ParseDuration(s.Value)
	if err != nil && s.Value != "" && strings.Trim(s.Value, "0123456789") == "" {
		c.errs.Add(s.Pos, "%s must be a Go duration with a unit, such as \"%ss\" or \"%sm\", not %q", e.key, s.Value, s.Value, s.Value)
		return s, 0, false
	}
	if err != nil {
		c.errs.Add(s.Pos, "%s must be a Go duration such as \"30s\" or \"5m\", not %q", e.key, s.Value)
		return s, 0, false
	}
	if d <= 0 {
		c.errs.Add(s.Pos, "%s must be greater than 0, not %q", e.key, s.Value)
		return s, 0, false
	}
	return s, d, true
}

// misspelt reports whether some key of t that is not in known looks like a
// misspelling of want: then "needs want" would only repeat the unknown-key
// error, which already says "did you mean want?".
func misspelt(t *tnode, want string, known []string) bool {
	for _, e := range t.entries {
		if !slices.Contains(known, e.key) && Suggest(e.key, known) == want {
			return true
		}
	}
	return false
}

// unknown reports an unknown key, suggesting the nearest known one, or
// listing the known ones when there are few.
func (c *checker) unknown(e *tentry, where string, known []string) {
	msg := fmt.Sprintf("unknown key %q%s", e.key, where)
	if s := Suggest(e.key, known); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	} else if len(known) <= 8 {
		msg += "; expected one of " + strings.Join(known, ", ")
	}
	c.errs.Add(e.keyPos, "%s", msg)
}

// isTimeLayout reports whether layout formats times: it must name at least
// a year and change with the time it formats.
func isTimeLayout(layout string) bool {
	a := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).Format(layout)
	b := time.Date(2009, 10, 11, 12, 13, 14, 0, time.UTC).Format(layout)
	return layout != "" && a != b && strings.Contains(a, "2001")
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = fmt.Sprintf("%q", w)
	}
	return out
}

// andList formats "a", "a and b", "a, b and c".
func andList(words []string) string {
	return joinList(words, "and")
}

func joinList(words []string, conj string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " " + conj + " " + words[len(words)-1]
}

// exprName checks a name used after a dot in expressions (env.NAME,
// cursor.NAME): it must be a Go identifier, and not a keyword.
func (c *checker) exprName(name string, pos Pos, what, use string) bool {
	switch {
	case token.IsKeyword(name):
		c.errs.Add(pos, "%s %q is a Go keyword; names are used as %s in expressions", what, name, use)
	case !token.IsIdentifier(name):
		c.errs.Add(pos, "%s %q is not a Go identifier (letters, digits and _, not starting with a digit); names are used as %s in expressions", what, name, use)
	default:
		return true
	}
	return false
}

// reserved are names a step id or loop variable may not take, with why.
var reserved = map[string]string{
	"env":    "env.NAME reads the environment",
	"cursor": "cursor.NAME reads a cursor",
	"now":    "now() is a builtin",
	"r":      "the generated code uses it",
	"ctx":    "the generated code uses it",
	"err":    "the generated code uses it",
}

// varName checks a name that becomes a Go variable (a step id, a loop
// variable).
func (c *checker) varName(s String, what string) bool {
	name := s.Value
	switch {
	case token.IsKeyword(name):
		c.errs.Add(s.Pos, "%s %q is a Go keyword; choose another name", what, name)
	case !token.IsIdentifier(name):
		c.errs.Add(s.Pos, "%s %q is not a Go identifier (letters, digits and _, not starting with a digit)", what, name)
	case name == "_":
		c.errs.Add(s.Pos, "%s %q is the blank identifier; choose a name", what, name)
	case types.Universe.Lookup(name) != nil:
		c.errs.Add(s.Pos, "%s %q is a predeclared Go name; choose another name", what, name)
	case reserved[name] != "":
		c.errs.Add(s.Pos, "%s %q is reserved (%s); choose another name", what, name, reserved[name])
	default:
		return true
	}
	return false
}

// cursorName checks a string naming a cursor.
func (c *checker) cursorName(s String) bool {
	return c.exprName(s.Value, s.Pos, "cursor name", "cursor.NAME")
}
