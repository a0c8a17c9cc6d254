package runtime

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resolute/resolute-gen/runtime/cursorstore"
	"github.com/robfig/cron/v3"
)

// Program is everything a generated program hands to [Main].
type Program struct {
	// Flows are the flows of the program, in spec order. Names are unique.
	Flows []Flow
	// Env declares every environment variable the flows read through [Run.Env].
	Env []EnvVar
	// Cursors declares the persisted cursors the flows share.
	Cursors []CursorSpec
	// SpecHash identifies the spec files the program was generated from
	// ("sha256:..."). An unfinished run of a flow without its own
	// Flow.SpecHash is refused if it began under another hash.
	SpecHash string
	// CursorStore, if set, opens the store that keeps the committed cursors,
	// such as pgstore.Open (PostgreSQL) or redisstore.Open (Redis) from
	// runtime/cursorstore. It is called once, when a command that needs the
	// cursors starts; an error stops the program with exit status 2. The
	// store's URL is then required (--cursor-store, or
	// $RESOLUTE_CURSOR_STORE). Nil keeps the cursors in the state directory
	// (cursors.json).
	CursorStore func(ctx context.Context, cfg cursorstore.Config) (cursorstore.Store, error)
	// RateLimits declare the client-side rate limits that steps name in
	// Options.RateLimit and StreamOptions.RateLimit. Names are unique.
	RateLimits []RateLimit
}

// Flow is one named workflow of a program.
type Flow struct {
	// Name names the flow on the command line and in the state directory.
	Name string
	// Description is shown by help and status.
	Description string
	// Schedule is a standard 5-field cron expression or a descriptor such as
	// "@hourly" or "@every 15m". Empty means the flow only runs with run --once.
	Schedule string
	// Run is the flow's body. Returning nil commits the staged cursors.
	Run func(ctx context.Context, r *Run) error
	// SpecHash identifies what the flow does ("sha256:..."), computed from
	// a canonical form of its steps and the declarations it depends on,
	// without comments, descriptions, whitespace or line positions. An
	// unfinished run begun under another hash is refused; an edit that does
	// not change it (a comment, another flow) resumes. Empty means
	// Program.SpecHash is used.
	SpecHash string
	// Env names the environment variables the flow reads. `run --once
	// FLOW` and `check FLOW` require only those; nil means every declared
	// variable.
	Env []string
	// StepHashes has one "label=hash" entry per top-level step (label: the
	// step's id, or kind#ordinal for an unnamed block). They are recorded in
	// the journal so that a refused resume names the first step that
	// changed.
	StepHashes []string
	// Trigger, if set, lets a signed webhook start the flow when the
	// program runs with --webhook-addr (see [Trigger]).
	Trigger *Trigger
}

// hash is the hash that an unfinished run of f must have been begun under.
func (p *Program) hash(f Flow) string {
	if f.SpecHash != "" {
		return f.SpecHash
	}
	return p.SpecHash
}

// EnvVar declares one environment variable read by the program.
type EnvVar struct {
	// Name is the variable's name.
	Name string
	// Required variables must be set (non-empty) unless Default is non-empty.
	Required bool
	// Secret values are redacted from logs, errors, the journal and status.
	Secret bool
	// Default is used when the variable is unset or empty.
	Default string
}

// CursorSpec declares one persisted cursor.
type CursorSpec struct {
	// Name is the cursor's name, a Go identifier.
	Name string
	// Initial is the value before the first commit and after a reset.
	Initial string
	// Format is the Go time layout of the cursor's time values; empty means
	// RFC 3339. Advance compares times in it, and ignores the zero time.
	Format string
	// Kind is what the cursor holds: [CursorInt], [CursorTime] or
	// [CursorText]; `cursor set` refuses a value of another kind unless
	// forced. Empty means inferred from Format and Initial.
	Kind string
}

// Cursor kinds, for [CursorSpec].Kind.
const (
	CursorInt  = "int"  // a base-10 integer, such as epoch milliseconds
	CursorTime = "time" // a time in the cursor's Format (RFC 3339 without one)
	CursorText = "text" // any text
)

// kind returns the cursor's kind: Kind if set, else inferred: a Format makes
// a time cursor, an Initial that parses as an integer an integer one, an
// Initial in RFC 3339 a time one; anything else is text.
func (c CursorSpec) kind() string {
	switch {
	case c.Kind != "":
		return c.Kind
	case c.Format != "":
		return CursorTime
	}
	if _, err := strconv.ParseInt(c.Initial, 10, 64); err == nil {
		return CursorInt
	}
	if _, err := time.Parse(time.RFC3339Nano, c.Initial); err == nil {
		return CursorTime
	}
	return CursorText
}

// check reports a value that does not fit the cursor's kind. Cursor values
// end up in queries (a JQL's updated >= ${cursor.x}), so `cursor set`
// accepts only values of the cursor's kind unless forced.
func (c CursorSpec) check(v string) error {
	switch c.kind() {
	case CursorInt:
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("%q is not an integer, and this cursor holds integers (initial value %q)", v, c.Initial)
		}
	case CursorTime:
		if _, err := time.Parse(c.layout(), v); err != nil {
			return fmt.Errorf("%q is not a time in the cursor's format %q (initial value %q)", v, c.layout(), c.Initial)
		}
	}
	return nil
}

// layout is the time layout of the cursor's values.
func (c CursorSpec) layout() string {
	if c.Format != "" {
		return c.Format
	}
	return time.RFC3339Nano
}

// CursorValue is a value an advance stages for a cursor: its text, which
// is what is committed, and the integer or time it stands for in the
// cursor's kind. The runtimes of both targets (this one and Temporal's)
// make them with [CursorSpec.TextValue], [CursorSpec.IntValue] and
// [CursorSpec.TimeValue], so that cursors move forward by the same rules.
type CursorValue struct {
	kind   string // CursorInt, CursorTime, or "" for text, which has no order
	n      int64
	t      time.Time
	layout string
	text   string
}

// Text is the value as it is committed.
func (v CursorValue) Text() string { return v.text }

// Before reports whether v comes before cur, a value of the same cursor in
// its text form, in the order of the cursor's kind; text comes before
// nothing, and neither does anything compared with a cur that does not
// parse.
func (v CursorValue) Before(cur string) bool {
	switch v.kind {
	case CursorInt:
		n, err := strconv.ParseInt(cur, 10, 64)
		return err == nil && v.n < n
	case CursorTime:
		t, err := time.Parse(v.layout, cur)
		return err == nil && v.t.Before(t)
	}
	return false
}

// TextValue is value, a cursor value in its text form, as a value of the
// cursor, or why an advance to it is ignored: it is empty, or the zero
// time in the cursor's layout (what a fetch that found nothing reports).
// A value that does not parse in the cursor's kind is kept as text.
func (c CursorSpec) TextValue(value string) (v CursorValue, ignored string) {
	if value == "" {
		return CursorValue{}, "advance to an empty value ignored"
	}
	t, err := time.Parse(c.layout(), value)
	if err == nil && t.IsZero() {
		return CursorValue{}, "advance to the zero time ignored"
	}
	v = CursorValue{text: value, layout: c.layout()}
	switch c.kind() {
	case CursorInt:
		if n, err := strconv.ParseInt(value, 10, 64); err == nil {
			v.kind, v.n = CursorInt, n
		}
	case CursorTime:
		if err == nil {
			v.kind, v.t = CursorTime, t
		}
	}
	return v, ""
}

// IntValue is n as a value of the cursor, compared as an integer.
func (c CursorSpec) IntValue(n int64) CursorValue {
	return CursorValue{kind: CursorInt, n: n, text: strconv.FormatInt(n, 10)}
}

// TimeValue is t as a value of the cursor, written in UTC in the cursor's
// layout and compared as the time that text keeps, or why an advance to it
// is ignored: the zero time is.
func (c CursorSpec) TimeValue(t time.Time) (v CursorValue, ignored string) {
	if t.IsZero() {
		return CursorValue{}, "advance to the zero time ignored"
	}
	text := t.UTC().Format(c.layout())
	kept, err := time.Parse(c.layout(), text)
	if err != nil {
		kept = t
	}
	return CursorValue{kind: CursorTime, t: kept, layout: c.layout(), text: text}, ""
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// validate reports mistakes in the Program itself (a generator or hand-written
// program bug), all at once.
func (p *Program) validate() error {
	var errs []error
	seen := map[string]bool{}
	for i, f := range p.Flows {
		switch {
		case f.Name == "":
			errs = append(errs, fmt.Errorf("flow %d has no name", i))
		case seen[f.Name]:
			errs = append(errs, fmt.Errorf("flow %q is declared twice", f.Name))
		case strings.ContainsAny(f.Name, "/\\ \t\n") || strings.HasPrefix(f.Name, "."):
			errs = append(errs, fmt.Errorf("flow name %q cannot be used as a file name", f.Name))
		}
		seen[f.Name] = true
		if f.Run == nil {
			errs = append(errs, fmt.Errorf("flow %q has no Run function", f.Name))
		}
		if f.Schedule != "" {
			if _, err := cron.ParseStandard(f.Schedule); err != nil {
				errs = append(errs, fmt.Errorf("flow %q: bad schedule %q: %v", f.Name, f.Schedule, err))
			}
		}
	}
	if len(p.Flows) == 0 {
		errs = append(errs, errors.New("the program has no flows"))
	}
	seen = map[string]bool{}
	for _, e := range p.Env {
		if !envNameRE.MatchString(e.Name) {
			errs = append(errs, fmt.Errorf("bad environment variable name %q", e.Name))
		}
		if seen[e.Name] {
			errs = append(errs, fmt.Errorf("environment variable %s is declared twice", e.Name))
		}
		seen[e.Name] = true
	}
	seen = map[string]bool{}
	for _, c := range p.Cursors {
		if c.Name == "" || seen[c.Name] {
			errs = append(errs, fmt.Errorf("cursor %q is empty or declared twice", c.Name))
		}
		seen[c.Name] = true
	}
	seen = map[string]bool{}
	for _, l := range p.RateLimits {
		if err := l.validate(); err != nil {
			errs = append(errs, err)
		} else if seen[l.Name] {
			errs = append(errs, fmt.Errorf("rate limit %q is declared twice", l.Name))
		}
		seen[l.Name] = true
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid program: %w", err)
	}
	return nil
}

func (p *Program) flow(name string) (Flow, bool) {
	i := slices.IndexFunc(p.Flows, func(f Flow) bool { return f.Name == name })
	if i < 0 {
		return Flow{}, false
	}
	return p.Flows[i], true
}

func (p *Program) cursor(name string) (CursorSpec, bool) {
	i := slices.IndexFunc(p.Cursors, func(c CursorSpec) bool { return c.Name == name })
	if i < 0 {
		return CursorSpec{}, false
	}
	return p.Cursors[i], true
}

func (p *Program) flowNames() []string {
	names := make([]string, len(p.Flows))
	for i, f := range p.Flows {
		names[i] = f.Name
	}
	return names
}

func (p *Program) cursorNames() []string {
	names := make([]string, len(p.Cursors))
	for i, c := range p.Cursors {
		names[i] = c.Name
	}
	return names
}

// resolveEnv reads the declared variables through getenv, applying defaults.
// An empty value counts as unset. Every missing required variable is listed
// in one error.
func (p *Program) resolveEnv(getenv func(string) string) (map[string]string, error) {
	vals := make(map[string]string, len(p.Env))
	var missing []string
	for _, e := range p.Env {
		v := getenv(e.Name)
		if v == "" {
			v = e.Default
		}
		if v == "" && e.Required {
			missing = append(missing, e.Name)
		}
		vals[e.Name] = v
	}
	if len(missing) > 0 {
		return vals, fmt.Errorf("missing required environment variables: %s", strings.Join(missing, ", "))
	}
	return vals, nil
}

// secrets returns the values of the secret variables, by name.
func (p *Program) secrets(env map[string]string) map[string]string {
	s := map[string]string{}
	for _, e := range p.Env {
		if e.Secret && env[e.Name] != "" {
			s[e.Name] = env[e.Name]
		}
	}
	return s
}
