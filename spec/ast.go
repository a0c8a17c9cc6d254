// Package spec reads resolute-gen flow specs (TOML) into a syntax tree in
// which every key and value carries its file:line:col, and checks the
// structure: known keys, value kinds, required keys, one step kind per step.
//
// It knows nothing of Go types; package gen resolves calls and type-checks
// expressions. Data flows one way: spec -> gen -> generated code -> runtime.
package spec

import (
	"fmt"
	"time"
)

// Pos is a position in a spec file. Line and Col start at 1; Col counts
// bytes, as Go's own positions do.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats p as file:line:col, the form editors and Go tools jump to.
func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsValid reports whether p names a place in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String is a string value with the position of the value (its opening
// quote) and of the key that holds it.
type String struct {
	Value  string
	Pos    Pos // position of the value's first byte (the quote)
	KeyPos Pos // position of the key
	// Literal is true when the value was written as a literal string
	// ('...' or '''...'''), so Value maps byte for byte onto the source after
	// the opening quote(s). Basic strings with escapes may not.
	Literal bool
	// Offset is the number of source bytes between Pos and the first byte of
	// Value (1 for "..." and '...', 3 for triple-quoted strings, plus a
	// trimmed leading newline).
	Offset int
	// Raw is the value's source text, quotes included. PosAt uses it to map
	// a byte of Value back to the source, across escapes and line breaks.
	Raw string
}

// Set reports whether the key was present.
func (s String) Set() bool { return s.KeyPos.IsValid() }

// Int is an integer value with its positions.
type Int struct {
	Value  int64
	Pos    Pos
	KeyPos Pos
}

// Set reports whether the key was present.
func (i Int) Set() bool { return i.KeyPos.IsValid() }

// Bool is a boolean value with its positions.
type Bool struct {
	Value  bool
	Pos    Pos
	KeyPos Pos
}

// Set reports whether the key was present.
func (b Bool) Set() bool { return b.KeyPos.IsValid() }

// ValueKind is the TOML kind of a Value.
type ValueKind int

// The kinds of TOML values.
const (
	KindString ValueKind = iota + 1
	KindInt
	KindFloat
	KindBool
	KindDateTime      // offset date-time: Time is set
	KindLocalDateTime // no offset: Time is set in UTC, Raw keeps the text
	KindLocalDate
	KindLocalTime
	KindArray
	KindTable // inline table or table
)

// String names the kind as TOML does, for messages: "string", "integer".
func (k ValueKind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindInt:
		return "integer"
	case KindFloat:
		return "float"
	case KindBool:
		return "boolean"
	case KindDateTime:
		return "date-time"
	case KindLocalDateTime:
		return "local date-time"
	case KindLocalDate:
		return "local date"
	case KindLocalTime:
		return "local time"
	case KindArray:
		return "array"
	case KindTable:
		return "table"
	}
	return "invalid"
}

// Value is any TOML value with its position, kept generic for `with`
// tables, whose keys are fields of a Go struct the spec package does not
// know.
type Value struct {
	Kind   ValueKind
	Pos    Pos
	KeyPos Pos // position of the key that holds it; for array elements, of the array's key

	Str    String    // KindString (Str.Pos == Pos)
	Int    int64     // KindInt
	Float  float64   // KindFloat
	Bool   bool      // KindBool
	Raw    string    // date/time kinds: the source text
	Time   time.Time // date/time kinds; local ones in UTC, a local time on 0000-01-01
	Array  []*Value
	Fields []*Field // KindTable, in source order
}

// Field is one key = value of a table whose keys are not fixed by the spec
// language (`with`, `fields`).
type Field struct {
	Key    string
	KeyPos Pos
	Value  *Value
}

// File is one parsed spec file. Several files may form one program.
type File struct {
	Path        string // as given on the command line; used in positions
	Source      []byte
	Version     Int
	Flow        String // flow name; may contain '-'
	Description String
	Schedule    String // 5-field cron, @hourly, @every 15m; empty = manual only
	// CursorStore is where committed cursors live: "file" (the default, in
	// the state directory), "postgres" or "redis"; the store's URL is given
	// to the program at run time.
	CursorStore String
	Env         []*EnvVar
	Cursors     []*Cursor
	Steps       []*Step
	// RateLimits are the [rate_limit] table's named limits.
	RateLimits []*RateLimit
	// Trigger, if set, lets a signed webhook start the flow.
	Trigger *Trigger
}

// EnvVar is one entry of [env].
type EnvVar struct {
	Name     string
	Pos      Pos // the key
	Required Bool
	Secret   Bool
	Default  String
}

// Cursor is one [cursor.NAME] table.
type Cursor struct {
	Name    string
	Pos     Pos // the NAME part of the header (or dotted key)
	Initial String
	// Format is a Go time layout: advancing the cursor with a time.Time
	// writes it in this layout (in UTC) instead of RFC 3339.
	Format String
}

// StepKind says what a step does. Exactly one kind key is allowed per step.
type StepKind int

// The kinds of steps.
const (
	StepCall        StepKind = iota + 1 // call = "pkg.Func"
	StepMap                             // map = "expr" (+ as, fields, type)
	StepUnique                          // unique = "expr" (+ key)
	StepFilter                          // filter = "expr" (+ as, where)
	StepMerge                           // merge = ["expr", ...]
	StepIf                              // if = "cond" (+ then, else)
	StepWhile                           // while = "cond" (+ do, max_iterations)
	StepParallel                        // [[step.parallel]] branches
	StepForEach                         // for_each = "expr" (+ as, concurrency, do, collect)
	StepSequence                        // do = [...] without while or for_each: a block (a parallel branch of several steps)
	StepResetCursor                     // reset_cursor = "name"
	StepStream                          // stream = "pkg.Func" (+ as, read_ahead, with, retry, timeout, advance, do): a paged source, a body per page
)

// String returns the key that chooses the kind: "call", "for_each"; "do"
// for a sequence.
func (k StepKind) String() string {
	switch k {
	case StepCall:
		return "call"
	case StepMap:
		return "map"
	case StepUnique:
		return "unique"
	case StepFilter:
		return "filter"
	case StepMerge:
		return "merge"
	case StepIf:
		return "if"
	case StepWhile:
		return "while"
	case StepParallel:
		return "parallel"
	case StepForEach:
		return "for_each"
	case StepSequence:
		return "do"
	case StepResetCursor:
		return "reset_cursor"
	case StepStream:
		return "stream"
	}
	return "invalid"
}

// Step is one [[step]] table (or a nested [[step.then]], [[step.do]], ...).
// Kind tells which of the kind-specific fields are meaningful.
type Step struct {
	Pos  Pos // the [[...]] header, or the position of the inline table
	Kind StepKind
	// KindPos is the position of the key that chose the kind (e.g. `call`).
	KindPos Pos

	ID String

	// call
	Call String
	With []*Field // the [step.with] table, in source order
	// WithPos is the position of the `with` key or [step.with] header.
	WithPos Pos

	// common options
	Retry          *Retry
	Timeout        String // Go duration, per attempt
	Advance        *Advance
	OnError        *OnError
	RollbackCursor []String // cursor names

	// map, filter, for_each
	Source String   // the expression after map =, unique =, filter =, for_each =
	As     String   // loop variable name; default "it"
	Fields []*Field // map: output columns in source order, values are expression strings
	Type   String   // map: name of the generated row type (shared between map steps)
	Key    String   // unique: the field to de-duplicate by
	Where  String   // filter: the condition
	Merge  []String // merge: the expressions to concatenate

	// if, while
	Cond          String // the condition after if = or while =
	Then          []*Step
	Else          []*Step
	Do            []*Step // while, for_each, sequence
	MaxIterations Int     // while

	// parallel
	Branches []*Step

	// for_each
	Concurrency Int
	Collect     String // optional: what each item contributes to the result

	// reset_cursor
	ResetCursor String

	// stream: Stream names the paged source (like Call); With, Retry,
	// Timeout and Advance apply to it, As names the page in Do.
	Stream    String
	ReadAhead Int // pages fetched ahead while the body runs; unset means 1

	// RateLimit names a [rate_limit] entry (call, stream): every attempt
	// waits for its shared token bucket.
	RateLimit String
}

// Retry is retry = { attempts, backoff, max_backoff }.
type Retry struct {
	Pos        Pos
	Attempts   Int
	Backoff    String
	MaxBackoff String
}

// Advance is advance = { cursor, to }.
type Advance struct {
	Pos    Pos
	Cursor String
	To     String // an expression, with or without ${...}
}

// OnError is on_error = "fail" | "continue" | { call, with, then }.
type OnError struct {
	Pos     Pos
	Action  String // "fail" or "continue": the plain form, or the handler's then (default "fail")
	Call    String // handler node; empty for the plain form
	With    []*Field
	WithPos Pos
}
