package gen

import (
	"go/types"

	"github.com/dave/jennifer/jen"
	"time"

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
