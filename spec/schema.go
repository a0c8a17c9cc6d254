package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/token"
	"slices"
	"sort"
)

// SchemaID is the $id of the JSON Schema JSONSchema returns.
const SchemaID = "https://github.com/resolute/resolute-gen/spec.schema.json"

// Patterns of the JSON Schema. They use only syntax that Go's regexp, Rust's
// regex (Taplo) and ECMA-262 with the u flag read alike.
const (
	// identPattern is a Go identifier (step ids, as, env and cursor names).
	identPattern = `^[\p{L}_][\p{L}\p{Nd}_]*$`
	// exportedPattern is an exported Go identifier (a map step's type).
	exportedPattern = `^\p{Lu}[\p{L}\p{Nd}_]*$`
	// flowNamePattern is what isFlowName accepts.
	flowNamePattern = `^[A-Za-z][A-Za-z0-9_-]*$`
	// durationPattern is a Go duration with units, such as "30s" or "1m30s".
	durationPattern = `^\+?(([0-9]+\.?[0-9]*|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`
	// cronPattern is a schedule: 5 cron fields or a descriptor, optionally
	// after a time zone, or "" for no schedule.
	cronPattern = `^\s*((CRON_TZ|TZ)=\S+\s+)?(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every\s+\S+|\S+(\s+\S+){4})?\s*$`
)

// JSONSchema returns a JSON Schema (draft 2020-12) of the spec format, for
// TOML editors (Taplo, Even Better TOML) to complete and validate specs.
//
// The keys come from the parser's own tables (the step kinds, the options
// each kind takes, the keys of retry, advance, on_error, env and cursor), so
// the schema names every key the parser accepts and no other. It checks
// structure only: that a call names a real function, or that an expression
// type-checks, is for `resolute-gen check`.
func JSONSchema() []byte {
	var buf bytes.Buffer
	encodeOrdered(&buf, schema())
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		panic(err) // maps, slices and scalars only
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// keyOrder puts a schema's keys in reading order: what it is before what it
// holds, the definitions last. Other keys follow alphabetically.
var keyOrder = []string{"$schema", "$id", "$ref", "title", "description", "type", "const", "enum", "pattern",
	"minLength", "minimum", "maximum", "minItems", "minProperties", "not", "oneOf", "required",
	"properties", "propertyNames", "additionalProperties", "items", "anyOf", "allOf", "if", "then", "$defs"}

func encodeOrdered(buf *bytes.Buffer, v any) {
	m, ok := v.(obj)
	if !ok {
		if l, ok := v.([]any); ok {
			buf.WriteByte('[')
			for i, e := range l {
				if i > 0 {
					buf.WriteByte(',')
				}
				encodeOrdered(buf, e)
			}
			buf.WriteByte(']')
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		buf.Write(b)
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if i := slices.Index(keyOrder, k); i >= 0 {
			return i
		}
		return len(keyOrder)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		encodeOrdered(buf, m[k])
	}
	buf.WriteByte('}')
}

type obj = map[string]any

func desc(t obj, d string) obj { t["description"] = d; return t }

func str(d string) obj { return obj{"type": "string", "description": d} }

func nonEmpty(d string) obj {
	return obj{"type": "string", "minLength": 1, "pattern": `\S`, "description": d}
}

func ident(d string) obj {
	return obj{"$ref": "#/$defs/identifier", "description": d}
}

func steps(min int, d string) obj {
	t := obj{"type": "array", "items": obj{"$ref": "#/$defs/step"}, "description": d}
	if min > 0 {
		t["minItems"] = min
	}
	return t
}

func goKeywords() []string {
	var kw []string
	for t := token.BREAK; t <= token.VAR; t++ {
		if t.IsKeyword() {
			kw = append(kw, t.String())
		}
	}
	return kw
}

// closed makes a table schema that takes exactly the keys of props.
func closed(props obj, keys []string, required []string, d string) obj {
	p := obj{}
	for _, k := range keys {
		s, ok := props[k]
		if !ok {
			panic(fmt.Sprintf("spec: no schema for key %q", k))
		}
		p[k] = s
	}
	t := obj{"type": "object", "properties": p, "additionalProperties": false, "description": d}
	if len(required) > 0 {
		t["required"] = required
	}
	return t
}

// stepKeySchemas describes every step key. A key the parser accepts but that
// is missing here makes JSONSchema panic (and TestSchemaKeys fail).
func stepKeySchemas() obj {
	return obj{
		"id": ident("The step's name: later steps read its result in expressions by this name (issues.Items). A Go identifier; required on call steps whose result is used, and on streams."),
		// Kinds.
		"call":         nonEmpty(`Call a node: "pkg.Func" for a built-in node (jira.FetchPage, sql.Upsert), or a function of your own ("./nodes.Enrich", "example.com/acme/nodes.Enrich") taking (context.Context, In) and returning (Out, error).`),
		"map":          nonEmpty(`Turn each item of a slice into a new row: the expression giving the slice, such as "issues.Items". Needs fields.`),
		"unique":       nonEmpty(`De-duplicate a slice by key, keeping the last of each key in first-seen order: the expression giving the slice, such as "rows". Needs key.`),
		"filter":       nonEmpty(`Keep the items of a slice for which where holds: the expression giving the slice. Needs where.`),
		"merge":        obj{"type": "array", "minItems": 2, "items": nonEmpty("An expression giving a slice."), "description": "Concatenate two or more slices of the same element type, in order."},
		"if":           nonEmpty(`Run then when the boolean expression holds, else otherwise, such as "len(issues.Items) > 0".`),
		"while":        nonEmpty(`Repeat do while the boolean expression holds (checked before each iteration), at most max_iterations times.`),
		"parallel":     steps(2, "Run two or more branches at once; each branch is a step (often a do block). The step fails if a branch fails."),
		"for_each":     nonEmpty(`Run do once per item of a slice, with the item bound to as (default it): the expression giving the slice.`),
		"do":           steps(1, "The steps of a block: the body of while, for_each and stream, or, on its own, a sequence of steps (for a parallel branch)."),
		"reset_cursor": ident("Set the named cursor back to its initial value when this step runs (committed with the run)."),
		"stream":       nonEmpty(`Read a paged source page by page, running do for each page (bound to as, default page), with the next page fetched while do runs: a paged node such as "jira.FetchPage". Needs id.`),
		// Options.
		"with":            obj{"type": "object", "description": "The node's input: fields of its input struct, each a TOML value or a string with ${expressions}."},
		"retry":           closed(retrySchemas(), retryKeys, []string{"attempts"}, "Retry the call when it fails with a retryable error, with exponential backoff."),
		"timeout":         obj{"type": "string", "pattern": durationPattern, "description": `The time one attempt may take, a Go duration greater than 0 such as "30s" or "5m".`},
		"advance":         closed(advanceSchemas(), advanceKeys, []string{"cursor", "to"}, "Move a cursor when the call succeeds; the cursor is committed when the run finishes."),
		"on_error":        onErrorSchema(),
		"rollback_cursor": obj{"description": "Cursors set back to their last committed value when this call fails: a cursor name or an array of them.", "oneOf": []any{ident("A cursor name."), obj{"type": "array", "items": ident("A cursor name.")}}},
		"as":              ident("The name each item (or page, for a stream) is bound to in the step's expressions."),
		"fields":          obj{"type": "object", "minProperties": 1, "additionalProperties": nonEmpty("An expression giving the column's value."), "description": `The output columns of a map step: Name = "expression".`},
		"type":            obj{"type": "string", "pattern": exportedPattern, "description": "The Go type name of a map step's rows (an exported identifier such as Row); map steps with the same type share it."},
		"key":             nonEmpty("The field the rows are de-duplicated by: a column of a map step's rows or a Go field name, such as \"issue_key\"."),
		"where":           nonEmpty("The boolean expression an item must meet to be kept."),
		"then":            steps(1, "The steps run when the if condition holds."),
		"else":            steps(0, "The steps run when the if condition does not hold."),
		"max_iterations":  obj{"type": "integer", "minimum": 1, "description": "The most iterations a while loop may run; the run fails beyond it."},
		"concurrency":     obj{"type": "integer", "minimum": 1, "description": "How many items a for_each runs at once (default 1)."},
		"collect":         nonEmpty("An expression evaluated per item after do; the for_each step's result is the slice of these values."),
		"rate_limit":      ident("The name of a limit of the top-level [rate_limit] table this call or stream waits on before every attempt; steps naming one limit share its budget."),
		"read_ahead":      obj{"type": "integer", "minimum": 0, "maximum": MaxReadAhead, "description": fmt.Sprintf("How many pages a stream fetches ahead of do (0 to %d).", MaxReadAhead)},
	}
}

func retrySchemas() obj {
	return obj{
		"attempts":    obj{"type": "integer", "minimum": 1, "description": "The number of tries, including the first."},
		"backoff":     obj{"type": "string", "pattern": durationPattern, "description": `The wait before the first retry, doubled each time, a Go duration such as "1s".`},
		"max_backoff": obj{"type": "string", "pattern": durationPattern, "description": "The longest wait between tries, at least backoff."},
	}
}

func advanceSchemas() obj {
	return obj{
		"cursor": ident("The name of the cursor to move (declared in [cursor.NAME])."),
		"to":     nonEmpty(`The expression the cursor moves to, such as "issues.MaxUpdated" (the newest updated time of the fetched issues).`),
	}
}

func onErrorSchema() obj {
	action := obj{"enum": []any{"fail", "continue"}}
	handler := obj{
		"call": nonEmpty("The handler to run when the step fails (a node, as for call); it reads ${error} and ${input}."),
		"with": obj{"type": "object", "description": "The handler's input."},
		"then": desc(obj{"enum": []any{"fail", "continue"}}, "What the step does after the handler ran: fail (default) or continue."),
	}
	return obj{
		"description": `What a failed call does: "fail" (the default: the run fails), "continue" (the step's result is its zero value), or a handler table { call = "...", with = {...}, then = "fail" | "continue" }.`,
		"oneOf": []any{
			desc(action, `"fail" or "continue".`),
			closed(handler, onErrorKeys, []string{"call"}, "A handler run when the step fails."),
		},
	}
}

// stepSchema is one step: a table with exactly one kind key and the options
// of that kind.
func stepSchema() obj {
	props := stepKeySchemas()
	all := slices.Clone(stepKeys)
	for _, k := range kindKeys {
		if !slices.Contains(all, k.key) {
			all = append(all, k.key)
		}
	}
	sort.Strings(all)
	t := closed(props, all, nil, "A step. It does one thing, chosen by its kind key: "+kindList()+".")

	var kinds []any
	var rules []any
	loops := []string{}
	for _, k := range kindKeys {
		if k.kind == StepWhile || k.kind == StepForEach || k.kind == StepStream {
			loops = append(loops, k.key)
		}
	}
	for _, k := range kindKeys {
		kinds = append(kinds, obj{"required": []string{k.key}})
		allowed := []string{"id", k.key}
		for key, kinds := range stepOptions {
			if slices.Contains(kinds, k.kind) {
				allowed = append(allowed, key)
			}
		}
		sort.Strings(allowed)
		cond := obj{"required": []string{k.key}}
		if k.kind == StepSequence {
			// do is a kind of its own only without a loop key.
			var not []any
			for _, l := range loops {
				not = append(not, obj{"required": []string{l}})
			}
			cond = obj{"required": []string{"do"}, "not": obj{"anyOf": not}}
		}
		then := obj{"propertyNames": obj{"enum": allowed}}
		if req := requiredOptions(k.kind); len(req) > 0 {
			then["required"] = req
		}
		rules = append(rules, obj{"if": cond, "then": then})
	}
	t["anyOf"] = kinds
	t["allOf"] = rules
	return t
}

// requiredOptions are the keys a kind needs besides its own (the parser's
// need calls in step).
func requiredOptions(k StepKind) []string {
	switch k {
	case StepMap:
		return []string{"fields"}
	case StepUnique:
		return []string{"key"}
	case StepFilter:
		return []string{"where"}
	case StepIf:
		return []string{"then"}
	case StepWhile:
		return []string{"do", "max_iterations"}
	case StepForEach:
		return []string{"do"}
	case StepStream:
		return []string{"do", "id"}
	}
	return nil
}

func kindList() string {
	var keys []string
	for _, k := range kindKeys {
		keys = append(keys, k.key)
	}
	return joinList(keys, "or")
}

func topSchemas() obj {
	env := closed(obj{
		"required": obj{"type": "boolean", "description": "The run fails at start when the variable is unset or empty."},
		"secret":   obj{"type": "boolean", "description": "The value is redacted from logs and journals and may not enter data."},
		"default":  str("The value used when the variable is unset; not with required = true."),
	}, envKeys, nil, "An environment variable the flow reads as ${env.NAME}: { required = true }, { secret = true }, { default = \"...\" } or {}.")
	env["not"] = obj{"required": []string{"required", "default"}, "properties": obj{"required": obj{"const": true}}}
	cursor := closed(obj{
		"initial": str(`The value before the first run, such as "0" or "2024-01-01T00:00:00Z".`),
		"format":  str(`A Go time layout when the cursor is a time, such as "2006-01-02T15:04:05Z07:00" (the reference time Mon Jan 2 15:04:05 MST 2006).`),
	}, cursorKeys, nil, "A cursor: a value remembered between runs, read as ${cursor.NAME} and moved by advance.")
	return obj{
		"version":      obj{"const": 1, "type": "integer", "description": "The spec format version: 1."},
		"flow":         obj{"type": "string", "pattern": flowNamePattern, "description": "The flow's name, used by `run --once NAME`: a letter, then letters, digits, '-' and '_'."},
		"description":  str("What the flow does, shown by the program's help."),
		"schedule":     obj{"type": "string", "pattern": cronPattern, "description": `When run (without --once) runs the flow: 5 cron fields (minute hour day-of-month month day-of-week), "@hourly", "@daily", "@every 15m"; optionally after "TZ=Europe/Paris ".`},
		"cursor_store": obj{"enum": CursorStores, "description": "Where committed cursors live: file (the state directory, default), postgres or redis."},
		"env":          obj{"type": "object", "propertyNames": ident("An environment variable name."), "additionalProperties": env, "description": "The environment variables the flow reads, as [env] NAME = { ... }."},
		"cursor":       obj{"type": "object", "propertyNames": ident("A cursor name."), "additionalProperties": cursor, "description": "The flow's cursors, as [cursor.NAME] tables."},
		"step":         steps(0, "The flow's steps, run in order: [[step]] tables."),
		"rate_limit": obj{"type": "object", "propertyNames": ident("A limit's name, named by a step's rate_limit."),
			"additionalProperties": closed(obj{
				"rate":  obj{"type": "string", "pattern": `^[0-9]+/([0-9]*(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`, "description": `Requests per period: "10/s", "600/m", "1/2s", "3/500ms".`},
				"burst": obj{"type": "integer", "minimum": 1, "description": "How many requests may go at once after a pause (default 1)."},
			}, rateLimitKeys, []string{"rate"}, "A client-side rate limit shared by every step that names it."),
			"description": "Named client-side rate limits, as [rate_limit] NAME = { rate = \"10/s\", burst = 5 }."},
		"trigger": closed(obj{
			"webhook": obj{"enum": WebhookSchemes, "description": "How a delivery is signed: github (X-Hub-Signature-256), jira and confluence (X-Hub-Signature), generic (X-Signature), each sha256=<hex HMAC>."},
			"secret":  ident("The declared secret = true environment variable holding the webhook's shared secret."),
		}, triggerKeys, triggerKeys, "Also run the flow when a signed webhook arrives (prog run --webhook-addr)."),
	}
}

func schema() obj {
	s := closed(topSchemas(), topKeys, []string{"version", "flow"}, "A resolute-gen flow spec: one flow, its environment, cursors and steps.")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = SchemaID
	s["title"] = "resolute-gen flow spec"
	s["$defs"] = obj{
		"step":       stepSchema(),
		"identifier": obj{"type": "string", "pattern": identPattern, "not": obj{"enum": goKeywords()}, "description": "A Go identifier that is not a keyword."},
	}
	return s
}
