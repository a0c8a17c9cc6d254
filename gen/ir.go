package gen

import (
	"go/ast"
	"go/types"

	"time"

	"github.com/dave/jennifer/jen"

	"github.com/resolute/resolute-gen/spec"
)

// Program is a checked program: every flow of the spec files that form it,
// typed and ready to emit.
type Program struct {
	Files    []*spec.File
	Flows    []*Flow
	Env      []*spec.EnvVar
	Cursors  []*spec.Cursor
	SpecHash string
	// CursorStore is where committed cursors live: "" or "file" (the state
	// directory), "postgres" or "redis".
	CursorStore string
	// RateLimits are the [rate_limit] entries of all the files, first
	// declaration first.
	RateLimits []*spec.RateLimit
	// Warnings are what checks but is probably a mistake (a paged node in
	// a loop without its termination field, a secret inside a larger
	// string, data journaled but never read), positioned like errors.
	Warnings spec.ErrorList

	rows []*rowType
	// main is the generated program's own package (row types live there).
	main *types.Package
	// importNames maps every package path the output may import to its
	// package name, so the output writes `jira`, not an alias guessed from
	// the path.
	importNames map[string]string
	// cursorKinds is the kind ("int" or "time") of the values each cursor
	// is advanced to, when every advance agrees; absent: the runtime infers
	// it from the initial value.
	cursorKinds map[string]string
	// takenNames are the names generated declarations must not take: the
	// locals of every flow, package names, keywords, row types.
	takenNames map[string]bool
}

// Flow is one checked flow.
type Flow struct {
	File        *spec.File
	Name        string
	Description string
	Schedule    string
	FuncName    string // runJiraWarehouseSync
	// Hash identifies what the flow does (see flowHash); StepHashes has one
	// "label=hash" entry per top-level step.
	Hash       string
	StepHashes []string
	// Env names the env vars the flow's expressions read, declaration
	// order first.
	Env  []string
	body []stmt
}

// stmt is one checked step.
type stmt interface{ specStep() *spec.Step }

type base struct{ step *spec.Step }

func (b base) specStep() *spec.Step { return b.step }

// callStmt: call = "pkg.Func".
type callStmt struct {
	base
	key       string   // journal key within the run scope
	out       *binding // the step's output
	pkgPath   string
	fnName    string
	inType    types.Type // instantiated input type
	outType   types.Type
	with      []*withValue
	retry     *retryPolicy // nil: the runtime's default
	timeout   time.Duration
	rateLimit string // the [rate_limit] entry the step waits for; "" for none
	advance   *advanceIR
	onError   *onErrorIR
	rollback  []string
	nowVar    string // set when an expression of the step calls now()
	inVar     string // set when an on_error handler reads input
}

// retryPolicy is a checked retry = { attempts, backoff, max_backoff }:
// durations parsed once; zero means the key was not given.
type retryPolicy struct {
	attempts   int
	backoff    time.Duration
	maxBackoff time.Duration
}

// withValue is one field of a node's input.
type withValue struct {
	field string
	typ   types.Type // the field's type
	lit   *spec.Value
	e     *expr    // exactly "${expr}"
	parts []part   // text with ${expr} inside: a string
	code  jen.Code // the literal's Go code, or set by the checker itself (inferSelect)
	note  string   // a comment for code
	// path is set when field is promoted from an embedded struct: the
	// indexes of the embedded fields that lead to it, outermost first (the
	// input literal then nests their literals; see inputFields).
	path []int
}

// advanceIR is a checked advance: the runtime writes the value in the
// cursor's layout.
type advanceIR struct {
	cursor string
	e      *expr
	kind   string // of the value: "int", "time" or "text"
}

type onErrorIR struct {
	action  string    // "continue" or "fail"
	handler *callStmt // nil for the plain forms
}

// mapStmt: map = "expr", builds a slice of a generated row type.
type mapStmt struct {
	base
	out     *binding
	src     *expr
	loopVar *binding
	row     *rowType
	fields  []*expr // in row field order
	nowVar  string
}

// filterStmt: filter = "expr" where = "cond".
type filterStmt struct {
	base
	out     *binding
	src     *expr
	loopVar *binding
	elem    types.Type
	where   *expr
	nowVar  string
}

// uniqueStmt: unique = "expr" key = "field".
type uniqueStmt struct {
	base
	out      *binding
	src      *expr
	elem     types.Type
	keyField string
	keyType  types.Type
}

// mergeStmt: merge = ["a", "b"].
type mergeStmt struct {
	base
	out  *binding
	srcs []*expr
}

type ifStmt struct {
	base
	cond      *expr
	then, els []stmt
	nowVar    string
}

type whileStmt struct {
	base
	key     string
	cond    *expr
	body    []stmt
	max     int64
	iterVar string
	nowVar  string
}

type parallelStmt struct {
	base
	key      string
	branches [][]stmt
	outs     []*binding // declared before the block, assigned by the branches
}

type forEachStmt struct {
	base
	key         string
	out         *binding // nil when the step has no id
	src         *expr
	loopVar     *binding
	elem        types.Type
	body        []stmt
	collect     *expr    // what each item returns; nil: the last step's output
	last        *binding // the last step's output when collect is nil
	result      types.Type
	concurrency int64
}

// seqStmt: a block of steps (a parallel branch of several steps).
type seqStmt struct {
	base
	body []stmt
}

type resetStmt struct {
	base
	cursor string
}

// rowType is a struct type generated for map steps.
type rowType struct {
	name   string
	pos    spec.Pos
	step   *spec.Step
	file   string
	fields []rowField
	named  *types.Named
}

type rowField struct {
	column string // the spec's key: issue_key
	goName string // IssueKey
	typ    types.Type
}

// bindKind says what a name in an expression's scope stands for.
type bindKind int

const (
	bindStep    bindKind = iota // a step's output
	bindLoopVar                 // the `as` variable of map, filter, for_each
	bindEnv                     // env.NAME
	bindCursor                  // cursor.NAME
	bindNow                     // now()
	bindError                   // error, in an on_error handler: the failure's text
	bindInput                   // input, in an on_error handler: the failed step's input
)

// binding is a name visible to expressions.
type binding struct {
	id     string // the name in the spec
	goName string // the Go identifier in generated code
	typ    types.Type
	pos    spec.Pos
	kind   bindKind
	used   bool
	// where is set when the binding's block has closed, to explain why it is
	// no longer visible ("inside the then block of the if at sync.toml:27:1").
	where string
	// block is set for the id of a step without a value: the step's kind
	// ("while").
	block string
	// predeclared is true when the generated code declares the variable
	// before the step that assigns it (parallel branch outputs) or when a
	// step re-binds it inside a loop: such steps assign with =.
	predeclared bool
	// broken marks the output of a step that failed to check: expressions
	// using it are not checked, as the step's own error says enough.
	broken bool
}

// expr is a checked Go expression from the spec, ready to emit.
type expr struct {
	src  string
	pos  spec.Pos
	ast  ast.Expr
	typ  types.Type
	val  types.TypeAndValue
	code string // the Go source to emit, names rewritten for the generated program
	now  bool   // calls now()
}

// part is a piece of an interpolated string: text, or an expression.
type part struct {
	text string
	e    *expr
}

// needsParens reports whether e must be parenthesized as an operand.
func (e *expr) needsParens() bool {
	switch e.ast.(type) {
	case *ast.BinaryExpr, *ast.UnaryExpr, *ast.StarExpr:
		return true
	}
	return false
}

// streamStmt: stream = "pkg.Func", a paged source read page by page with
// a body per page (runtime.Stream).
type streamStmt struct {
	base
	key       string
	out       *binding   // runtime.StreamResult, after the block
	src       *callStmt  // the page fetch: node, input, retry, timeout
	page      *binding   // the page inside the body (as)
	tokenVar  string     // the fetch closure's page token parameter
	items     bool       // Out has an Items slice: count it
	body      []stmt     // run once per page
	advance   *advanceIR // evaluated on each page, after its body
	advNow    string     // the body's now variable when advance calls now()
	readAhead int
}

// convKind says how an interpolated value becomes text.
type convKind int

const (
	convString convKind = iota + 1
	convNamedString
	convInt
	convFloat
	convBool
	convTime
	convStringer
)

// stringConv says how a value of type t becomes text, and whether it can.
func stringConv(t types.Type) (convKind, bool) {
	if isTime(t) {
		return convTime, true
	}
	// A type's own String method says how it reads, before its kind does.
	if n, ok := types.Unalias(t).(*types.Named); ok && hasStringMethod(n) {
		return convStringer, true
	}
	if b, ok := t.Underlying().(*types.Basic); ok {
		switch {
		case b.Info()&types.IsString != 0:
			if types.Identical(t, types.Typ[types.String]) {
				return convString, true
			}
			return convNamedString, true
		case b.Info()&types.IsInteger != 0:
			return convInt, true
		case b.Info()&types.IsFloat != 0:
			return convFloat, true
		case b.Info()&types.IsBoolean != 0:
			return convBool, true
		}
	}
	return 0, false
}

// hasStringMethod reports whether n has the method String() string, on
// its value (an addressable value is not guaranteed in an expression).
func hasStringMethod(n *types.Named) bool {
	obj, _, _ := types.LookupFieldOrMethod(n, false, nil, "String")
	fn, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	sig := fn.Type().(*types.Signature)
	return sig.Params().Len() == 0 && sig.Results().Len() == 1 && types.Identical(sig.Results().At(0).Type(), types.Typ[types.String])
}

// isTime reports whether t is time.Time.
func isTime(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Time"
}
