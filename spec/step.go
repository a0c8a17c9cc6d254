package spec

import (
	"go/token"
	"slices"
	"strings"
)

// kindKeys are the keys that choose what a step does, in the order the
// "nothing to do" message lists them.
var kindKeys = []struct {
	key  string
	kind StepKind
}{
	{"call", StepCall},
	{"map", StepMap},
	{"unique", StepUnique},
	{"filter", StepFilter},
	{"merge", StepMerge},
	{"if", StepIf},
	{"while", StepWhile},
	{"parallel", StepParallel},
	{"for_each", StepForEach},
	{"do", StepSequence},
	{"reset_cursor", StepResetCursor},
	{"stream", StepStream},
}

func kindOf(key string) (StepKind, bool) {
	for _, k := range kindKeys {
		if k.key == key {
			return k.kind, true
		}
	}
	return 0, false
}

// stepOptions are the keys that go with some kinds only.
var stepOptions = map[string][]StepKind{
	"with":            {StepCall, StepStream},
	"retry":           {StepCall, StepStream},
	"timeout":         {StepCall, StepStream},
	"advance":         {StepCall, StepStream},
	"on_error":        {StepCall},
	"rollback_cursor": {StepCall},
	"as":              {StepMap, StepFilter, StepForEach, StepStream},
	"fields":          {StepMap},
	"type":            {StepMap},
	"key":             {StepUnique},
	"where":           {StepFilter},
	"then":            {StepIf},
	"else":            {StepIf},
	"do":              {StepWhile, StepForEach, StepStream},
	"max_iterations":  {StepWhile},
	"concurrency":     {StepForEach},
	"collect":         {StepForEach},
	"read_ahead":      {StepStream},
	"rate_limit":      {StepCall, StepStream},
}

// stepKeys is every key a step may hold, for suggestions.
var stepKeys = []string{
	"id", "call", "with", "retry", "timeout", "advance", "on_error", "rollback_cursor",
	"map", "as", "fields", "type", "unique", "key", "filter", "where", "merge",
	"if", "then", "else", "while", "do", "max_iterations", "parallel",
	"for_each", "concurrency", "collect", "reset_cursor", "stream", "read_ahead",
	"rate_limit",
}

// keysFor lists the keys a step of kind k may hold (every step key when the
// kind is unknown), so an unknown key is matched against what fits.
func keysFor(k StepKind) []string {
	if k == 0 {
		return stepKeys
	}
	keys := []string{"id"}
	for _, kk := range kindKeys {
		keys = append(keys, kk.key)
	}
	for key, kinds := range stepOptions {
		if slices.Contains(kinds, k) {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	return keys
}

// steps reads an array of step tables: [[path]] headers or an array of
// inline tables.
func (c *checker) steps(e *tentry, path string) []*Step {
	v := e.val
	if v.kind != tArray {
		c.errs.Add(v.pos, "%s must be an array of steps ([[%s]]), not %s", e.key, path, describe(v))
		return nil
	}
	var out []*Step
	for _, el := range v.elems {
		if el.kind != tTable {
			c.errs.Add(el.pos, "each element of %s must be a step table, not %s", e.key, describe(el))
			continue
		}
		out = append(out, c.step(el, path))
	}
	return out
}

// step reads one step table.
func (c *checker) step(t *tnode, path string) *Step {
	s := &Step{Pos: t.pos}

	// Choose the kind. `do` is the body of while, for_each and stream, and
	// a kind of its own (a sequence) only without them.
	loop := t.get("while") != nil || t.get("for_each") != nil || t.get("stream") != nil
	var kindEntry *tentry
	for _, e := range t.entries {
		k, ok := kindOf(e.key)
		if !ok || (k == StepSequence && loop) {
			continue
		}
		if kindEntry == nil {
			kindEntry = e
			s.Kind, s.KindPos = k, e.keyPos
			continue
		}
		c.errs.Add(e.keyPos, "step has both %s (%s) and %s; a step does one thing", kindEntry.key, kindEntry.keyPos, e.key)
	}
	if kindEntry == nil {
		keys := make([]string, len(kindKeys))
		for i, k := range kindKeys {
			keys[i] = k.key
		}
		misspeltKind := false
		for _, k := range keys {
			misspeltKind = misspeltKind || misspelt(t, k, stepKeys)
		}
		if !misspeltKind {
			c.errs.Add(t.pos, "step has nothing to do; expected one of %s", strings.Join(keys, ", "))
		}
	}

	for _, e := range t.entries {
		if e.key == "id" {
			if id, ok := c.str(e); ok {
				s.ID = id
				c.varName(id, "id")
			}
			continue
		}
		if _, isKind := kindOf(e.key); isKind && !(e.key == "do" && loop) {
			if e == kindEntry {
				c.kind(s, e, path)
			}
			continue
		}
		kinds, isOption := stepOptions[e.key]
		if !isOption {
			c.unknown(e, " in step", keysFor(s.Kind))
			continue
		}
		if s.Kind != 0 && !slices.Contains(kinds, s.Kind) {
			names := make([]string, len(kinds))
			for i, k := range kinds {
				names[i] = k.String()
			}
			c.errs.Add(e.keyPos, "%s applies only to %s steps", e.key, andList(names))
			continue
		}
		c.option(s, e, path)
	}

	if kindEntry == nil {
		return s
	}
	need := func(key, what string) {
		if t.get(key) == nil && !misspelt(t, key, stepKeys) {
			c.errs.Add(s.KindPos, "%s needs %s, %s", kindEntry.key, key, what)
		}
	}
	switch s.Kind {
	case StepMap:
		need("fields", "the output columns as name = \"expression\"")
	case StepUnique:
		need("key", "the field to de-duplicate by")
	case StepFilter:
		need("where", "the condition an item must meet to be kept")
	case StepIf:
		need("then", "the steps to run when the condition holds")
	case StepWhile:
		need("do", "the steps to repeat")
		need("max_iterations", "a bound on the number of iterations")
	case StepForEach:
		need("do", "the steps to run for each item")
	case StepStream:
		need("do", "the steps to run for each page")
		if !s.ID.Set() && t.get("id") == nil {
			c.errs.Add(s.KindPos, "stream needs id, the key its pages are journaled under (and its result's name: pages and items read)")
		}
		for _, w := range s.With {
			if w.Key == "PageToken" {
				c.errs.Add(w.KeyPos, "PageToken is set by the stream (\"\" for the first page, then each page's NextPageToken); remove it from with")
			}
		}
	}
	return s
}

// kind reads the key that chose the step's kind.
func (c *checker) kind(s *Step, e *tentry, path string) {
	switch s.Kind {
	case StepCall:
		s.Call, _ = c.expr(e)
	case StepMap, StepUnique, StepFilter, StepForEach:
		s.Source, _ = c.expr(e)
	case StepIf, StepWhile:
		s.Cond, _ = c.expr(e)
	case StepMerge:
		s.Merge = c.merge(e)
	case StepParallel:
		s.Branches = c.steps(e, path+".parallel")
		if e.val.kind == tArray && len(e.val.elems) < 2 {
			c.errs.Add(e.keyPos, "parallel needs at least 2 branches, not %d", len(e.val.elems))
		}
	case StepSequence:
		s.Do = c.nonEmptySteps(e, path+".do")
	case StepStream:
		s.Stream, _ = c.expr(e)
	case StepResetCursor:
		var ok bool
		if s.ResetCursor, ok = c.expr(e); ok {
			c.cursorName(s.ResetCursor)
		}
	}
}

func (c *checker) nonEmptySteps(e *tentry, path string) []*Step {
	steps := c.steps(e, path)
	if e.val.kind == tArray && len(e.val.elems) == 0 {
		c.errs.Add(e.val.pos, "%s must hold at least one step", e.key)
	}
	return steps
}

func (c *checker) merge(e *tentry) []String {
	v := e.val
	if v.kind != tArray {
		c.wrongKind(e, "an array of expressions")
		return nil
	}
	out := c.strings(e, "expression")
	if len(v.elems) < 2 {
		c.errs.Add(v.pos, "merge needs at least 2 expressions to combine, not %d", len(v.elems))
	}
	return out
}

// strings reads the elements of an array of strings.
func (c *checker) strings(e *tentry, what string) []String {
	var out []String
	for _, el := range e.val.elems {
		if el.kind != tScalar || el.sk != sString {
			c.errs.Add(el.pos, "each %s of %s must be a string, not %s", what, e.key, describe(el))
			continue
		}
		s := makeString(el, e.keyPos)
		if s.Value == "" {
			c.errs.Add(s.Pos, "%s of %s must not be empty", what, e.key)
		}
		out = append(out, s)
	}
	return out
}

// option reads a key that goes with the step's kind.
func (c *checker) option(s *Step, e *tentry, path string) {
	switch e.key {
	case "with":
		if t, ok := c.table(e); ok {
			s.With, s.WithPos = makeFields(t), t.pos
		}
	case "retry":
		s.Retry = c.retry(e)
	case "timeout":
		s.Timeout, _, _ = c.duration(e)
	case "rate_limit":
		s.RateLimit, _ = c.expr(e)
	case "advance":
		s.Advance = c.advance(e)
	case "on_error":
		s.OnError = c.onError(e)
	case "rollback_cursor":
		s.RollbackCursor = c.rollback(e)
	case "as":
		if as, ok := c.str(e); ok {
			s.As = as
			c.varName(as, "as")
		}
	case "fields":
		s.Fields = c.fields(e)
	case "type":
		if typ, ok := c.str(e); ok {
			s.Type = typ
			if !token.IsIdentifier(typ.Value) || !token.IsExported(typ.Value) {
				c.errs.Add(typ.Pos, "type %q must be an exported Go identifier, such as Row", typ.Value)
			}
		}
	case "key":
		s.Key, _ = c.expr(e)
	case "where":
		s.Where, _ = c.expr(e)
	case "then":
		s.Then = c.nonEmptySteps(e, path+".then")
	case "else":
		s.Else = c.steps(e, path+".else")
	case "do":
		s.Do = c.nonEmptySteps(e, path+".do")
	case "max_iterations":
		if n, ok := c.integer(e); ok {
			s.MaxIterations = n
			if n.Value <= 0 {
				c.errs.Add(n.Pos, "max_iterations must be greater than 0, not %d", n.Value)
			}
		}
	case "concurrency":
		if n, ok := c.integer(e); ok {
			s.Concurrency = n
			if n.Value < 1 {
				c.errs.Add(n.Pos, "concurrency must be at least 1, not %d", n.Value)
			}
		}
	case "collect":
		s.Collect, _ = c.expr(e)
	case "read_ahead":
		if n, ok := c.integer(e); ok {
			s.ReadAhead = n
			if n.Value < 0 || n.Value > MaxReadAhead {
				c.errs.Add(n.Pos, "read_ahead must be between 0 (no page fetched ahead) and %d, not %d", MaxReadAhead, n.Value)
			}
		}
	}
}

// MaxReadAhead bounds a stream's read_ahead: each page fetched ahead is
// held in memory until the body takes it.
const MaxReadAhead = 16

var retryKeys = []string{"attempts", "backoff", "max_backoff"}

func (c *checker) retry(e *tentry) *Retry {
	t, ok := c.table(e)
	if !ok {
		return nil
	}
	r := &Retry{Pos: t.pos}
	var backoff, maxBackoff int64
	for _, k := range t.entries {
		switch k.key {
		case "attempts":
			if n, ok := c.integer(k); ok {
				r.Attempts = n
				if n.Value < 1 {
					c.errs.Add(n.Pos, "attempts must be at least 1, not %d", n.Value)
				}
			}
		case "backoff":
			s, d, _ := c.duration(k)
			r.Backoff, backoff = s, int64(d)
		case "max_backoff":
			s, d, _ := c.duration(k)
			r.MaxBackoff, maxBackoff = s, int64(d)
		default:
			c.unknown(k, " in retry", retryKeys)
		}
	}
	if t.get("attempts") == nil && !misspelt(t, "attempts", retryKeys) {
		c.errs.Add(e.keyPos, "retry needs attempts, the number of tries including the first")
	}
	if backoff > 0 && maxBackoff > 0 && maxBackoff < backoff {
		c.errs.Add(r.MaxBackoff.Pos, "max_backoff %s must be at least backoff %s", r.MaxBackoff.Value, r.Backoff.Value)
	}
	return r
}

var advanceKeys = []string{"cursor", "to"}

func (c *checker) advance(e *tentry) *Advance {
	t, ok := c.table(e)
	if !ok {
		return nil
	}
	a := &Advance{Pos: t.pos}
	for _, k := range t.entries {
		switch k.key {
		case "cursor":
			if name, ok := c.expr(k); ok {
				a.Cursor = name
				c.cursorName(name)
			}
		case "to":
			a.To, _ = c.expr(k)
		default:
			c.unknown(k, " in advance", advanceKeys)
		}
	}
	if t.get("cursor") == nil && !misspelt(t, "cursor", advanceKeys) {
		c.errs.Add(e.keyPos, "advance needs cursor, the name of the cursor to move")
	}
	if t.get("to") == nil && !misspelt(t, "to", advanceKeys) {
		c.errs.Add(e.keyPos, "advance needs to, the expression the cursor moves to")
	}
	return a
}

var onErrorKeys = []string{"call", "with", "then"}

func (c *checker) onError(e *tentry) *OnError {
	v := e.val
	switch {
	case v.kind == tScalar && v.sk == sString:
		s := makeString(v, e.keyPos)
		if s.Value != "fail" && s.Value != "continue" {
			c.errs.Add(s.Pos, "on_error must be \"fail\", \"continue\" or a handler table { call = \"...\" }, not %q", s.Value)
		}
		return &OnError{Pos: s.Pos, Action: s}
	case v.kind == tTable:
	default:
		c.errs.Add(v.pos, "on_error must be \"fail\", \"continue\" or a handler table { call = \"...\" }, not %s", describe(v))
		return nil
	}
	o := &OnError{Pos: v.pos, Action: String{Value: "fail"}}
	for _, k := range v.entries {
		switch k.key {
		case "call":
			o.Call, _ = c.expr(k)
		case "with":
			if t, ok := c.table(k); ok {
				o.With, o.WithPos = makeFields(t), t.pos
			}
		case "then":
			if s, ok := c.str(k); ok {
				o.Action = s
				if s.Value != "fail" && s.Value != "continue" {
					c.errs.Add(s.Pos, "then must be \"fail\" or \"continue\", not %q", s.Value)
				}
			}
		default:
			c.unknown(k, " in on_error", onErrorKeys)
		}
	}
	if v.get("call") == nil && !misspelt(v, "call", onErrorKeys) {
		c.errs.Add(e.keyPos, "on_error needs call, the handler to run when the step fails")
	}
	return o
}

func (c *checker) rollback(e *tentry) []String {
	v := e.val
	var names []String
	switch {
	case v.kind == tScalar && v.sk == sString:
		s := makeString(v, e.keyPos)
		if s.Value == "" {
			c.errs.Add(s.Pos, "rollback_cursor must not be empty")
			return nil
		}
		names = []String{s}
	case v.kind == tArray:
		names = c.strings(e, "cursor name")
	default:
		c.wrongKind(e, "a cursor name or an array of cursor names")
		return nil
	}
	for _, n := range names {
		if n.Value != "" {
			c.cursorName(n)
		}
	}
	return names
}

// fields reads a map step's output columns: name = "expression".
func (c *checker) fields(e *tentry) []*Field {
	t, ok := c.table(e)
	if !ok {
		return nil
	}
	if len(t.entries) == 0 {
		c.errs.Add(t.pos, "fields must name at least one output column")
		return nil
	}
	var out []*Field
	for _, k := range t.entries {
		v := k.val
		if v.kind != tScalar || v.sk != sString {
			c.errs.Add(v.pos, "field %s must be a string holding an expression, not %s", k.key, describe(v))
			continue
		}
		if v.data == "" {
			c.errs.Add(v.pos, "field %s must not be empty", k.key)
		}
		out = append(out, &Field{Key: k.key, KeyPos: k.keyPos, Value: makeValue(v, k.keyPos)})
	}
	return out
}
