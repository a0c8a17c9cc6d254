// Package ir is the checked program as data: what the checker (package
// gen) produces and the emitters (package gen/internal/golang, for both the
// standalone and the Temporal target) read. It imports neither: the
// checker builds these values, the emitters render them, and neither calls
// into the other.
//
// Types are go/types types. Expressions are the checked go/ast trees, with
// a side table (Expr.Refs) from each identifier that names something of the
// flow (a step's output, a loop variable, env, cursor, now(), error, input)
// to its Binding: the emitter decides how each is written. Literals are
// data (Literal). Steps keep the spec step they were checked from
// (Base.Spec), for the positions and the spec text quoted in comments.
//
// The IR names things as the spec does (step ids, `as` names, flow names)
// and identifies them by pointer: the emitter chooses the Go names of
// locals and functions. Row types are the exception: their type and field
// names are part of the spec's expression language (a later step reads
// rows[0].IssueKey), so the checker derives them and the IR carries them.
package ir

import (
	"go/ast"
	"go/types"

	"time"

	"github.com/resolute/resolute-gen/spec"
)

// Program is a checked program: every flow of the spec files that form it,
// typed and ready to emit.
type Program struct {
	// FileNames are the base names of the spec files, in the order given.
	FileNames []string
	Flows     []*Flow
	Env       []*EnvVar
	Cursors   []*Cursor
	SpecHash  string
	// CursorStore is where committed cursors live: "" or "file" (the state
	// directory), "postgres" or "redis".
	CursorStore string
	// RateLimits are the [rate_limit] entries of all the files, first
	// declaration first.
	RateLimits []*RateLimit
	// Warnings are what checks but is probably a mistake (a paged node in
	// a loop without its termination field, a secret inside a larger
	// string, data journaled but never read), positioned like errors.
	Warnings spec.ErrorList

	Rows []*RowType // the row types of map steps, declared in the program
	// Main is the generated program's own package (row types live there).
	Main *types.Package
	// Packages are the node packages the calls name, as loaded, in the
	// order of their import patterns: the emitter takes the output's import
	// names from them, and keeps locals clear of their names and of the
	// names of what they import.
	Packages []*types.Package
}

// EnvVar is a declared environment variable.
type EnvVar struct {
	Name       string
	Required   bool
	Secret     bool
	Default    string
	HasDefault bool
}

// Cursor is a declared cursor.
type Cursor struct {
	Name    string
	Initial string
	Format  string // a Go time layout; "" for RFC 3339
	// Kind is "int" or "time" when every advance of the cursor agrees on
	// values of that kind; "" lets the runtime infer it from Initial.
	Kind string
}

// RateLimit is a [rate_limit] entry: Requests per Per, with Burst.
type RateLimit struct {
	Name     string
	Requests int
	Per      time.Duration
	Burst    int
}

// Trigger is a flow's webhook trigger.
type Trigger struct {
	Webhook string // the signature scheme
	Secret  string // the secret env var holding the shared secret
}

// Flow is one checked flow.
type Flow struct {
	// FileName is the base name of the flow's spec file, and Pos the
	// position of its flow key.
	FileName    string
	Pos         spec.Pos
	Trigger     *Trigger
	Name        string
	Description string
	Schedule    string
	// Hash identifies what the flow does (see flowHash); StepHashes has one
	// "label=hash" entry per top-level step.
	Hash       string
	StepHashes []string
	// Env names the env vars the flow's expressions read, declaration
	// order first.
	Env  []string
	Body []Step
}

// Step is one checked step: one of the pointer types below.
type Step interface{ base() *Base }

// Base is what every step has: its id ("" for none) and where it is.
type Base struct {
	ID  string
	Pos spec.Pos
}

func (b *Base) base() *Base { return b }

// Call is a checked call = "pkg.Func": a node call through runtime.Call.
type Call struct {
	Base
	Node      string   // the call as the spec wrote it: "jira.FetchIssues"
	Key       string   // journal key within the run scope
	Out       *Binding // the step's output
	PkgPath   string
	FuncName  string
	InType    types.Type // instantiated input type
	OutType   types.Type
	With      []*WithValue
	Retry     *RetryPolicy // nil: the runtime's default
	Timeout   time.Duration
	RateLimit string // the [rate_limit] entry the step waits for; "" for none
	Advance   *Advance
	OnError   *OnError
	Rollback  []string
	// ReadsInput is set when the on_error handler's expressions read
	// input: the emitter keeps a copy of the input for them.
	ReadsInput bool
}

// RetryPolicy is a checked retry = { attempts, backoff, max_backoff }:
// durations parsed once; zero means the key was not given.
type RetryPolicy struct {
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
}

// WithValue is one field of a node's input.
type WithValue struct {
	Field string
	Type  types.Type // the field's type
	Expr  *Expr      // exactly "${expr}"
	Parts []Part     // text with ${expr} inside: a string
	Lit   *Literal   // the checked literal, when the spec wrote one
	// Select is set when the checker inferred the field (a Select list of
	// the item fields the program reads): the names, sorted.
	Select []string
	Note   string // a comment for code
	// Path is set when field is promoted from an embedded struct: the
	// indexes of the embedded fields that lead to it, outermost first (the
	// input literal then nests their literals; see InputFields).
	Path []int
}

// Advance is a checked advance: the runtime writes the value in the
// cursor's layout.
type Advance struct {
	Cursor string
	Expr   *Expr
	Kind   string   // of the value: "int", "time" or "text"
	Pos    spec.Pos // of the advance key
}

// OnError is a checked on_error: "continue" or "fail", after an optional
// handler call.
type OnError struct {
	Action  string   // "continue" or "fail"
	Handler *Call    // nil for the plain forms
	Pos     spec.Pos // of the on_error key
}

// Map is a checked map = "expr", builds a slice of a generated row type.
type Map struct {
	Base
	Out     *Binding
	Src     *Expr
	LoopVar *Binding
	Row     *RowType
	Fields  []*Expr // in row field order
}

// Filter is a checked filter = "expr" where = "cond".
type Filter struct {
	Base
	Out     *Binding
	Src     *Expr
	LoopVar *Binding
	Elem    types.Type
	Where   *Expr
}

// Unique is a checked unique = "expr" key = "field".
type Unique struct {
	Base
	Out      *Binding
	Src      *Expr
	Elem     types.Type
	KeyField string
	KeyType  types.Type
	By       string // the key as the spec wrote it
}

// Merge is a checked merge = ["a", "b"].
type Merge struct {
	Base
	Out  *Binding
	Srcs []*Expr
}

// If is a checked if = "cond" with then and else blocks.
type If struct {
	Base
	Cond       *Expr
	Then, Else []Step
}

// While is a checked while = "cond", bounded by max_iterations.
type While struct {
	Base
	Key  string
	Cond *Expr
	Body []Step
	Max  int64
}

// Parallel is a checked parallel block (runtime.Parallel).
type Parallel struct {
	Base
	Key      string
	Branches [][]Step
	Outs     []*Binding // declared before the block, assigned by the branches
}

// ForEach is a checked for_each (runtime.ForEach).
type ForEach struct {
	Base
	Key         string
	Out         *Binding // nil when the step has no id
	Src         *Expr
	LoopVar     *Binding
	Elem        types.Type
	Body        []Step
	Collect     *Expr    // what each item returns; nil: the last step's output
	Last        *Binding // the last step's output when collect is nil
	Result      types.Type
	Concurrency int64
}

// Seq is a block of steps (a parallel branch of several steps).
type Seq struct {
	Base
	Body []Step
}

// Reset is a checked reset_cursor.
type Reset struct {
	Base
	Cursor string
}

// RowType is a struct type generated for map steps. Its name and its
// fields' names are the ones the spec's expressions see (a later step reads
// rows[0].IssueKey, a message says "elements of Issue"): the checker
// derives them by the spec's rule (the type = "..." the spec wrote, or the
// step id made singular and exported; columns exported), and Named carries
// them; the emitter writes them as they are.
type RowType struct {
	Name string
	Pos  spec.Pos
	File string
	// StepID and StepPos are the map step that made the type first.
	StepID  string
	StepPos spec.Pos
	Fields  []RowField
	Named   *types.Named
}

// RowField is one field of a generated row type.
type RowField struct {
	Column string // the spec's key: issue_key
	GoName string // IssueKey, the field's name in Named
	Type   types.Type
}

// BindKind says what a name in an expression's scope stands for.
type BindKind int

const (
	BindStep    BindKind = iota // a step's output
	BindLoopVar                 // the `as` variable of map, filter, for_each
	BindEnv                     // env.NAME
	BindCursor                  // cursor.NAME
	BindNow                     // now()
	BindError                   // error, in an on_error handler: the failure's text
	BindInput                   // input, in an on_error handler: the failed step's input
)

// Binding is a name visible to expressions.
type Binding struct {
	ID   string // the name in the spec
	Type types.Type
	Pos  spec.Pos
	Kind BindKind
	Used bool
	// Where is set when the binding's block has closed, to explain why it is
	// no longer visible ("inside the then block of the if at sync.toml:27:1").
	Where string
	// Block is set for the id of a step without a value: the step's kind
	// ("while").
	Block string
	// Predeclared is true when the generated code declares the variable
	// before the step that assigns it (parallel branch outputs) or when a
	// step re-binds it inside a loop: such steps assign with =.
	Predeclared bool
	// Broken marks the output of a step that failed to check: expressions
	// using it are not checked, as the step's own error says enough.
	Broken bool
}

// Expr is a checked Go expression from the spec, ready to emit.
type Expr struct {
	Src  string
	Pos  spec.Pos
	AST  ast.Expr
	Type types.Type
	TV   types.TypeAndValue
	Now  bool // calls now()
	// Refs maps each identifier of AST that names something of the flow to
	// it: a step's output, a loop variable, env and cursor (the X of
	// env.NAME, cursor.NAME), now (of now()), error and input. The emitter
	// decides how each is written; other identifiers are Go's.
	Refs map[*ast.Ident]*Binding
}

// EnvNames lists the env vars the expression reads (env.NAME), in order.
func (e *Expr) EnvNames() []string {
	var names []string
	ast.Inspect(e.AST, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && e.Refs[id] != nil && e.Refs[id].Kind == BindEnv {
				names = append(names, sel.Sel.Name)
				return false
			}
		}
		return true
	})
	return names
}

// EnvAlone reports whether the expression is exactly env.NAME.
func (e *Expr) EnvAlone() bool {
	sel, ok := e.AST.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return ok && e.Refs[id] != nil && e.Refs[id].Kind == BindEnv
}

// Part is a piece of an interpolated string: text, or an expression.
type Part struct {
	Text string
	Expr *Expr
}

// NeedsParens reports whether e must be parenthesized as an operand.
func (e *Expr) NeedsParens() bool {
	switch e.AST.(type) {
	case *ast.BinaryExpr, *ast.UnaryExpr, *ast.StarExpr:
		return true
	}
	return false
}

// Stream is a checked stream = "pkg.Func", a paged source read page by page with
// a body per page (runtime.Stream).
type Stream struct {
	Base
	Key       string
	Out       *Binding // runtime.StreamResult, after the block
	Src       *Call    // the page fetch: node, input, retry, timeout
	Page      *Binding // the page inside the body (as)
	Items     bool     // Out has an Items slice: count it
	Body      []Step   // run once per page
	Advance   *Advance // evaluated on each page, after its body
	ReadAhead int
}

// ConvKind says how an interpolated value becomes text.
type ConvKind int

// Conversions of interpolated values to text.
const (
	ConvString ConvKind = iota + 1
	ConvNamedString
	ConvInt
	ConvFloat
	ConvBool
	ConvTime
	ConvStringer
)

// StringConv says how a value of type t becomes text, and whether it can.
func StringConv(t types.Type) (ConvKind, bool) {
	if IsTime(t) {
		return ConvTime, true
	}
	// A type's own String method says how it reads, before its kind does.
	if n, ok := types.Unalias(t).(*types.Named); ok && HasStringMethod(n) {
		return ConvStringer, true
	}
	if b, ok := t.Underlying().(*types.Basic); ok {
		switch {
		case b.Info()&types.IsString != 0:
			if types.Identical(t, types.Typ[types.String]) {
				return ConvString, true
			}
			return ConvNamedString, true
		case b.Info()&types.IsInteger != 0:
			return ConvInt, true
		case b.Info()&types.IsFloat != 0:
			return ConvFloat, true
		case b.Info()&types.IsBoolean != 0:
			return ConvBool, true
		}
	}
	return 0, false
}

// HasStringMethod reports whether n has the method String() string, on
// its value (an addressable value is not guaranteed in an expression).
func HasStringMethod(n *types.Named) bool {
	obj, _, _ := types.LookupFieldOrMethod(n, false, nil, "String")
	fn, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	sig := fn.Type().(*types.Signature)
	return sig.Params().Len() == 0 && sig.Results().Len() == 1 && types.Identical(sig.Results().At(0).Type(), types.Typ[types.String])
}

// IsTime reports whether t is time.Time.
func IsTime(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Time"
}
