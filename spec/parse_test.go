package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fullSpec is the seed's data sync (generated-example.md) plus one of every
// construct: nested if/then/else, while/do, parallel with a sequence branch,
// for_each with an inline do, merge, reset_cursor, on_error in both forms,
// rollback_cursor, and generic values of every kind in a with table.
const fullSpec = `version = 1
flow = "jira-warehouse-sync"
description = "Sync Jira issues to the warehouse every hour."
schedule = "0 * * * *"

[env]
JIRA_BASE_URL  = { required = true }
JIRA_EMAIL     = { required = true }
JIRA_API_TOKEN = { required = true, secret = true }
WAREHOUSE_URL  = { default = "sqlite://warehouse.db" }
DEBUG          = {}

[cursor.jira_sync]            # names used inside expressions are Go identifiers
initial = "0"                 # epoch milliseconds: the first run fetches everything

[cursor.backfill]

[[step]]
id = "issues"
call = "jira.FetchIssues"
retry = { attempts = 5, backoff = "2s", max_backoff = "1m" }
timeout = "5m"
advance = { cursor = "jira_sync", to = "issues.MaxUpdated" }
on_error = "fail"
rollback_cursor = "backfill"
[step.with]
BaseURL  = "${env.JIRA_BASE_URL}"
Email    = "${env.JIRA_EMAIL}"
APIToken = "${env.JIRA_API_TOKEN}"
JQL      = """project = PLATFORM AND updated >= ${cursor.jira_sync} ORDER BY updated ASC, key ASC"""
Note     = """
fetched by ${env.JIRA_EMAIL}
since ${cursor.jira_sync}"""
PageSize = 100
Fields   = ["key", 'summary']
Since    = 2024-01-02T03:04:05Z
Ratio    = 0.5
Opts     = { verbose = true, depth = [1, [2, 3]] }

[[step]]
if = "len(issues.Items) > 0"

  [[step.then]]
  id = "rows"
  map = "issues.Items"
  as = "it"
  type = "Row"
  [step.then.fields]
  issue_key      = "it.Key"
  project        = "it.Project"
  summary        = "it.Summary"
  status         = "it.Status"
  story_points   = "it.StoryPoints"
  labels         = "it.Labels"
  updated_at     = "it.Updated"
  sync_timestamp = "now()"

  [[step.then]]
  id = "unique"
  unique = "rows"
  key = "issue_key"

  [[step.then]]
  id = "upserted"
  call = "sql.Upsert"
  retry = { attempts = 3, backoff = "1m" }
  on_error = { call = "deadletter.Write", with = { Queue = "failed" }, then = "continue" }
  [step.then.with]
  URL         = "${env.WAREHOUSE_URL}"
  Table       = "jira_issues"
  Rows        = "${unique.Rows}"
  CreateTable = true

  [[step.else]]
  id = "idle"
  call = "log.Info"
  with = { Msg = 'nothing to sync' }

[[step]]
id = "pages"
while = "pages.Next != \"\""
max_iterations = 100

  [[step.do]]
  id = "page"
  call = "jira.FetchPage"
  [step.do.with]
  Token = "${pages.Next}"

[[step]]
id = "fanout"

  [[step.parallel]]
  id = "a"
  call = "x.A"

  [[step.parallel]]

    [[step.parallel.do]]
    id = "b1"
    call = "x.B1"

    [[step.parallel.do]]
    id = "b2"
    filter = "b1.Items"
    as = "x"
    where = "x.Ok"

[[step]]
id = "each"
for_each = "issues.Items"
as = "issue"
concurrency = 4
collect = "comments.Count"
do = [
  { id = "comments", call = "jira.FetchComments", with = { Key = "${issue.Key}" } },
]

[[step]]
id = "all"
merge = ["rows", "unique"]

[[step]]
reset_cursor = "backfill"

[[step]]
id = "manual"
call = "x.Manual"
rollback_cursor = ["jira_sync", "backfill"]
[step.on_error]
call = "alert.Send"
then = "fail"
[step.on_error.with]
Channel = "#ops"
`

// outline prints the shape of a step tree, one step a line, with the
// position of each step and of the key that chose its kind.
func outline(b *strings.Builder, steps []*Step, indent string) {
	for _, s := range steps {
		fmt.Fprintf(b, "%s%d:%d %s@%d:%d", indent, s.Pos.Line, s.Pos.Col, s.Kind, s.KindPos.Line, s.KindPos.Col)
		if s.ID.Set() {
			fmt.Fprintf(b, " id=%s", s.ID.Value)
		}
		for _, f := range []struct {
			name string
			s    String
		}{{"call", s.Call}, {"source", s.Source}, {"as", s.As}, {"type", s.Type}, {"key", s.Key}, {"where", s.Where}, {"cond", s.Cond}, {"collect", s.Collect}, {"reset", s.ResetCursor}, {"timeout", s.Timeout}} {
			if f.s.Set() {
				fmt.Fprintf(b, " %s=%s", f.name, f.s.Value)
			}
		}
		for _, f := range s.Fields {
			fmt.Fprintf(b, " %s:%s", f.Key, f.Value.Str.Value)
		}
		for _, m := range s.Merge {
			fmt.Fprintf(b, " +%s", m.Value)
		}
		if s.MaxIterations.Set() {
			fmt.Fprintf(b, " max=%d", s.MaxIterations.Value)
		}
		if s.Concurrency.Set() {
			fmt.Fprintf(b, " concurrency=%d", s.Concurrency.Value)
		}
		if len(s.With) > 0 {
			var keys []string
			for _, f := range s.With {
				keys = append(keys, f.Key)
			}
			fmt.Fprintf(b, " with(%s)", strings.Join(keys, ","))
		}
		if s.OnError != nil {
			fmt.Fprintf(b, " on_error=%s", s.OnError.Action.Value)
			if s.OnError.Call.Set() {
				fmt.Fprintf(b, "/%s", s.OnError.Call.Value)
			}
		}
		for _, r := range s.RollbackCursor {
			fmt.Fprintf(b, " rollback=%s", r.Value)
		}
		b.WriteString("\n")
		for _, sub := range []struct {
			name  string
			steps []*Step
		}{{"then", s.Then}, {"else", s.Else}, {"do", s.Do}, {"branch", s.Branches}} {
			if len(sub.steps) > 0 {
				fmt.Fprintf(b, "%s  %s:\n", indent, sub.name)
				outline(b, sub.steps, indent+"    ")
			}
		}
	}
}

const wantOutline = `18:1 call@20:1 id=issues call=jira.FetchIssues timeout=5m with(BaseURL,Email,APIToken,JQL,Note,PageSize,Fields,Since,Ratio,Opts) on_error=fail rollback=backfill
40:1 if@41:1 cond=len(issues.Items) > 0
  then:
    43:3 map@45:3 id=rows source=issues.Items as=it type=Row issue_key:it.Key project:it.Project summary:it.Summary status:it.Status story_points:it.StoryPoints labels:it.Labels updated_at:it.Updated sync_timestamp:now()
    58:3 unique@60:3 id=unique source=rows key=issue_key
    63:3 call@65:3 id=upserted call=sql.Upsert with(URL,Table,Rows,CreateTable) on_error=continue/deadletter.Write
  else:
    74:3 call@76:3 id=idle call=log.Info with(Msg)
79:1 while@81:1 id=pages cond=pages.Next != "" max=100
  do:
    84:3 call@86:3 id=page call=jira.FetchPage with(Token)
90:1 parallel@93:10 id=fanout
  branch:
    93:3 call@95:3 id=a call=x.A
    97:3 do@99:21
      do:
        99:5 call@101:5 id=b1 call=x.B1
        103:5 filter@105:5 id=b2 source=b1.Items as=x where=x.Ok
109:1 for_each@111:1 id=each source=issues.Items as=issue collect=comments.Count concurrency=4
  do:
    116:3 call@116:22 id=comments call=jira.FetchComments with(Key)
119:1 merge@121:1 id=all +rows +unique
123:1 reset_cursor@124:1 reset=backfill
126:1 call@128:1 id=manual call=x.Manual on_error=fail/alert.Send rollback=jira_sync rollback=backfill
`

func TestParseFull(t *testing.T) {
	f, err := Parse("sync.toml", []byte(fullSpec))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var b strings.Builder
	outline(&b, f.Steps, "")
	if got := b.String(); got != wantOutline {
		t.Errorf("steps:\n%s\nwant:\n%s", got, wantOutline)
	}

	if f.Path != "sync.toml" || string(f.Source) != fullSpec {
		t.Errorf("Path, Source = %q, %d bytes", f.Path, len(f.Source))
	}
	if f.Version.Value != 1 || f.Flow.Value != "jira-warehouse-sync" || f.Schedule.Value != "0 * * * *" ||
		f.Description.Value != "Sync Jira issues to the warehouse every hour." {
		t.Errorf("header = %d %q %q %q", f.Version.Value, f.Flow.Value, f.Schedule.Value, f.Description.Value)
	}

	var env []string
	for _, e := range f.Env {
		env = append(env, fmt.Sprintf("%s@%s req=%v secret=%v default=%q", e.Name, e.Pos, e.Required.Value, e.Secret.Value, e.Default.Value))
	}
	wantEnv := []string{
		`JIRA_BASE_URL@sync.toml:7:1 req=true secret=false default=""`,
		`JIRA_EMAIL@sync.toml:8:1 req=true secret=false default=""`,
		`JIRA_API_TOKEN@sync.toml:9:1 req=true secret=true default=""`,
		`WAREHOUSE_URL@sync.toml:10:1 req=false secret=false default="sqlite://warehouse.db"`,
		`DEBUG@sync.toml:11:1 req=false secret=false default=""`,
	}
	if strings.Join(env, "\n") != strings.Join(wantEnv, "\n") {
		t.Errorf("env:\n%s\nwant:\n%s", strings.Join(env, "\n"), strings.Join(wantEnv, "\n"))
	}
	if len(f.Cursors) != 2 || f.Cursors[0].Name != "jira_sync" || f.Cursors[0].Initial.Value != "0" ||
		f.Cursors[1].Name != "backfill" || f.Cursors[1].Initial.Set() {
		t.Errorf("cursors = %+v %+v", f.Cursors[0], f.Cursors[1])
	}

	issues := f.Steps[0]
	if r := issues.Retry; r == nil || r.Attempts.Value != 5 || r.Backoff.Value != "2s" || r.MaxBackoff.Value != "1m" {
		t.Errorf("retry = %+v", r)
	}
	if a := issues.Advance; a == nil || a.Cursor.Value != "jira_sync" || a.To.Value != "issues.MaxUpdated" {
		t.Errorf("advance = %+v", a)
	}
	upserted := f.Steps[1].Then[2]
	if o := upserted.OnError; len(o.With) != 1 || o.With[0].Key != "Queue" || o.With[0].Value.Str.Value != "failed" {
		t.Errorf("on_error with = %+v", o.With)
	}
	if r := upserted.Retry; r.Attempts.Value != 3 || r.Backoff.Value != "1m" || r.MaxBackoff.Set() {
		t.Errorf("retry = %+v", r)
	}
	manual := f.Steps[7]
	if o := manual.OnError; len(o.With) != 1 || o.With[0].Value.Str.Value != "#ops" {
		t.Errorf("on_error with = %+v", o.With)
	}

	// Positions of keys and values, as editors count them.
	with := issues.With
	positions := []struct {
		what string
		got  Pos
		want string
	}{
		{"version value", f.Version.Pos, "sync.toml:1:11"},
		{"version key", f.Version.KeyPos, "sync.toml:1:1"},
		{"flow value", f.Flow.Pos, "sync.toml:2:8"},
		{"env required key", f.Env[0].Required.KeyPos, "sync.toml:7:20"},
		{"env required value", f.Env[0].Required.Pos, "sync.toml:7:31"},
		{"env default value", f.Env[3].Default.Pos, "sync.toml:10:30"},
		{"cursor name in header", f.Cursors[0].Pos, "sync.toml:13:9"},
		{"cursor initial", f.Cursors[0].Initial.Pos, "sync.toml:14:11"},
		{"cursor without keys", f.Cursors[1].Pos, "sync.toml:16:9"},
		{"id key", issues.ID.KeyPos, "sync.toml:19:1"},
		{"id value", issues.ID.Pos, "sync.toml:19:6"},
		{"call value", issues.Call.Pos, "sync.toml:20:8"},
		{"retry table", issues.Retry.Pos, "sync.toml:21:9"},
		{"retry attempts", issues.Retry.Attempts.Pos, "sync.toml:21:22"},
		{"retry backoff", issues.Retry.Backoff.Pos, "sync.toml:21:35"},
		{"retry backoff key", issues.Retry.Backoff.KeyPos, "sync.toml:21:25"},
		{"timeout", issues.Timeout.Pos, "sync.toml:22:11"},
		{"advance cursor", issues.Advance.Cursor.Pos, "sync.toml:23:22"},
		{"on_error plain", issues.OnError.Pos, "sync.toml:24:12"},
		{"on_error plain action", issues.OnError.Action.Pos, "sync.toml:24:12"},
		{"rollback single", issues.RollbackCursor[0].Pos, "sync.toml:25:19"},
		{"with header", issues.WithPos, "sync.toml:26:1"},
		{"with key", with[0].KeyPos, "sync.toml:27:1"},
		{"with value", with[0].Value.Pos, "sync.toml:27:12"},
		{"with triple-quoted", with[3].Value.Str.Pos, "sync.toml:30:12"},
		{"array", with[6].Value.Pos, "sync.toml:35:12"},
		{"array element", with[6].Value.Array[1].Pos, "sync.toml:35:20"},
		{"array element key", with[6].Value.Array[1].KeyPos, "sync.toml:35:1"},
		{"inline table", with[9].Value.Pos, "sync.toml:38:12"},
		{"nested array", with[9].Value.Fields[1].Value.Array[1].Pos, "sync.toml:38:42"},
		{"nested array element", with[9].Value.Fields[1].Value.Array[1].Array[1].Pos, "sync.toml:38:46"},
		{"field key", f.Steps[1].Then[0].Fields[7].KeyPos, "sync.toml:56:3"},
		{"field value", f.Steps[1].Then[0].Fields[7].Value.Pos, "sync.toml:56:20"},
		{"type value", f.Steps[1].Then[0].Type.Pos, "sync.toml:47:10"},
		{"inline on_error", upserted.OnError.Pos, "sync.toml:67:14"},
		{"inline on_error then", upserted.OnError.Action.Pos, "sync.toml:67:79"},
		{"inline on_error with", upserted.OnError.WithPos, "sync.toml:67:50"},
		{"inline with", f.Steps[1].Else[0].WithPos, "sync.toml:77:10"},
		{"max_iterations", f.Steps[2].MaxIterations.Pos, "sync.toml:82:18"},
		{"concurrency", f.Steps[4].Concurrency.Pos, "sync.toml:113:15"},
		{"inline step with value", f.Steps[4].Do[0].With[0].Value.Pos, "sync.toml:116:66"},
		{"merge element", f.Steps[5].Merge[1].Pos, "sync.toml:121:18"},
		{"merge element key", f.Steps[5].Merge[1].KeyPos, "sync.toml:121:1"},
		{"reset_cursor", f.Steps[6].ResetCursor.Pos, "sync.toml:124:16"},
		{"rollback array", manual.RollbackCursor[1].Pos, "sync.toml:129:33"},
		{"on_error header", manual.OnError.Pos, "sync.toml:130:1"},
		{"on_error header then", manual.OnError.Action.Pos, "sync.toml:132:8"},
		{"on_error with header", manual.OnError.WithPos, "sync.toml:133:1"},
	}
	for _, p := range positions {
		if p.got.String() != p.want {
			t.Errorf("%s at %s, want %s", p.what, p.got, p.want)
		}
	}

	// A ${...} inside a one-line triple-quoted string: Pos.Col+Offset+index.
	jql := with[3].Value.Str
	i := strings.Index(jql.Value, "${cursor.jira_sync}")
	if jql.Offset != 3 || jql.Literal || jql.Pos.Col+jql.Offset+i != 49 {
		t.Errorf("JQL: Offset %d, Literal %v, ${ at col %d; want 3, false, 49", jql.Offset, jql.Literal, jql.Pos.Col+jql.Offset+i)
	}
	if got := jql.PosAt(i).String(); got != "sync.toml:30:49" {
		t.Errorf("JQL PosAt = %s, want sync.toml:30:49", got)
	}
	// In a multi-line one, PosAt follows the line breaks.
	note := with[4].Value.Str
	if note.Offset != 4 || note.Value != "fetched by ${env.JIRA_EMAIL}\nsince ${cursor.jira_sync}" {
		t.Errorf("Note: Offset %d, Value %q", note.Offset, note.Value)
	}
	if got := note.PosAt(strings.Index(note.Value, "${env")).String(); got != "sync.toml:32:12" {
		t.Errorf("Note ${env at %s, want sync.toml:32:12", got)
	}
	if got := note.PosAt(strings.Index(note.Value, "${cursor")).String(); got != "sync.toml:33:7" {
		t.Errorf("Note ${cursor at %s, want sync.toml:33:7", got)
	}

	// Generic values keep their kinds.
	kinds := []struct {
		i    int
		kind ValueKind
	}{{5, KindInt}, {6, KindArray}, {7, KindDateTime}, {8, KindFloat}, {9, KindTable}}
	for _, k := range kinds {
		if got := with[k.i].Value.Kind; got != k.kind {
			t.Errorf("with %s is %s, want %s", with[k.i].Key, got, k.kind)
		}
	}
	if with[5].Value.Int != 100 || with[8].Value.Float != 0.5 ||
		!with[7].Value.Time.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) || with[7].Value.Raw != "2024-01-02T03:04:05Z" {
		t.Errorf("values: %d %v %v %q", with[5].Value.Int, with[8].Value.Float, with[7].Value.Time, with[7].Value.Raw)
	}
	if arr := with[6].Value.Array; len(arr) != 2 || arr[0].Str.Value != "key" || arr[0].Str.Literal || !arr[1].Str.Literal {
		t.Errorf("Fields = %+v", arr)
	}
	opts := with[9].Value.Fields
	if len(opts) != 2 || opts[0].Key != "verbose" || !opts[0].Value.Bool || opts[1].Value.Array[1].Array[1].Int != 3 {
		t.Errorf("Opts = %+v", opts)
	}
	if ct := upserted.With[3]; ct.Value.Kind != KindBool || !ct.Value.Bool {
		t.Errorf("CreateTable = %+v", ct.Value)
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		src     string // the value of x, on line 1 after "x = "
		value   string
		literal bool
		offset  int
		at      string // PosAt(index of "$"): line relative to the key, column
	}{
		{`"a${b}"`, "a${b}", false, 1, "1:7"},
		{`'a${b}'`, "a${b}", true, 1, "1:7"},
		{`"""a${b}"""`, "a${b}", false, 3, "1:9"},
		{`'''a${b}'''`, "a${b}", true, 3, "1:9"},
		{"\"\"\"\na${b}\"\"\"", "a${b}", false, 4, "2:2"},
		{"'''\na${b}'''", "a${b}", true, 4, "2:2"},
		{"\"\"\"\r\na${b}\"\"\"", "a${b}", false, 5, "2:2"},
		{`"\t\"${b}"`, "\t\"${b}", false, 1, "1:10"},
		{`"\u00e9${b}"`, "é${b}", false, 1, "1:12"},
		{"\"\"\"one \\\n    two ${b}\"\"\"", "one two ${b}", false, 3, "2:9"},
		{"'''a\nbc${b}'''", "a\nbc${b}", true, 3, "2:3"},
	}
	for _, tt := range tests {
		f, err := Parse("s.toml", []byte("version = 1\nflow = \"f\"\n[[step]]\ncall = \"x.Y\"\n[step.with]\nx = "+tt.src+"\n"))
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		s := f.Steps[0].With[0].Value.Str
		if s.Value != tt.value || s.Literal != tt.literal || s.Offset != tt.offset || s.Pos.String() != "s.toml:6:5" || s.Raw != tt.src {
			t.Errorf("%s: got %q literal=%v offset=%d pos=%s raw=%q", tt.src, s.Value, s.Literal, s.Offset, s.Pos, s.Raw)
		}
		at := s.PosAt(strings.Index(s.Value, "$"))
		if got := fmt.Sprintf("%d:%d", at.Line-5, at.Col); got != tt.at {
			t.Errorf("%s: PosAt($) = %s, want %s", tt.src, got, tt.at)
		}
	}
}

func TestValueKinds(t *testing.T) {
	src := `version = 1
flow = "f"
[[step]]
call = "x.Y"
[step.with]
a = 0x1F
b = -1_000
c = inf
d = 1979-05-27T07:32:00-08:00
e = 1979-05-27T07:32:00
f = 1979-05-27
g = 07:32:01.5
h = []
i = {}
[step.with.j]
k = "v"
[[step.with.l]]
m = 1
[[step.with.l]]
m = 2
`
	f, err := Parse("v.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, fl := range f.Steps[0].With {
		v := fl.Value
		s := fmt.Sprintf("%s %s %s", fl.Key, v.Kind, v.Pos)
		switch v.Kind {
		case KindInt:
			s += fmt.Sprint(" ", v.Int)
		case KindFloat:
			s += fmt.Sprint(" ", v.Float)
		case KindDateTime, KindLocalDateTime, KindLocalDate, KindLocalTime:
			s += " " + v.Raw + " " + v.Time.UTC().Format(time.RFC3339Nano)
		case KindArray:
			s += fmt.Sprint(" ", len(v.Array))
			for _, el := range v.Array {
				s += fmt.Sprintf(" [%s %s %d]", el.Kind, el.Pos, el.Fields[0].Value.Int)
			}
		case KindTable:
			s += fmt.Sprint(" ", len(v.Fields))
		}
		got = append(got, s)
	}
	want := []string{
		"a integer v.toml:6:5 31",
		"b integer v.toml:7:5 -1000",
		"c float v.toml:8:5 +Inf",
		"d date-time v.toml:9:5 1979-05-27T07:32:00-08:00 1979-05-27T15:32:00Z",
		"e local date-time v.toml:10:5 1979-05-27T07:32:00 1979-05-27T07:32:00Z",
		"f local date v.toml:11:5 1979-05-27 1979-05-27T00:00:00Z",
		"g local time v.toml:12:5 07:32:01.5 0000-01-01T07:32:01.5Z",
		"h array v.toml:13:5 0",
		"i table v.toml:14:5 0",
		"j table v.toml:15:1 1",
		"l array v.toml:17:1 2 [table v.toml:17:1 1] [table v.toml:19:1 2]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// hdr is the two required lines, so that test inputs start on line 3.
const hdr = "version = 1\nflow = \"f\"\n"

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		// TOML itself.
		{"syntax", hdr + "x = 1 2\n", []string{
			"f.toml:3:7: expected newline but got U+0032 '2'"}},
		{"unterminated string", hdr + "description = \"abc\n", []string{
			"f.toml:3:19: basic strings cannot have new lines"}},
		{"impossible date", hdr + "[[step]]\ncall = \"x.Y\"\nwith = { at = 1979-13-45 }\n", []string{
			"f.toml:5:20: impossible date"}},
		{"every bad value at once", hdr + "[[step]]\ncall = \"x.Y\"\nwith = { A = 9223372036854775808, B = 1e999, C = 10:61:00, D = 0x7fffffffffffffff }\n", []string{
			"f.toml:5:14: integer 9223372036854775808 does not fit in a 64-bit signed integer",
			"f.toml:5:39: float 1e999 is out of range",
			"f.toml:5:53: minutes cannot be greater 59"}},
		{"bad value beside a duplicate key", hdr + "[[step]]\ncall = \"x.Y\"\ncall = \"x.Z\"\nwith = { at = 2026-02-30 }\n", []string{
			"f.toml:5:1: duplicate key call; first set at f.toml:4:1",
			"f.toml:6:23: impossible date"}},
		{"duplicate key", hdr + "[[step]]\nid = \"a\"\ncall = \"x.Y\"\nid = \"b\"\n", []string{
			"f.toml:6:1: duplicate key id; first set at f.toml:4:1"}},
		{"duplicate key in inline table", hdr + "[[step]]\ncall = \"x.Y\"\nwith = { A = 1, A = 2 }\n", []string{
			"f.toml:5:17: duplicate key A; first set at f.toml:5:10"}},
		{"duplicate table", hdr + "[[step]]\ncall = \"x.Y\"\n[step.with]\nA = 1\n[step.with]\nB = 2\n", []string{
			"f.toml:7:1: duplicate table [step.with]; first defined at f.toml:5:1"}},
		{"table after array of tables", hdr + "[[step]]\ncall = \"x.Y\"\n[step]\n", []string{
			"f.toml:5:1: step is an array of tables (first at f.toml:3:1); write [[step]] to add an element"}},
		{"array of tables after array", hdr + "step = []\n[[step]]\n", []string{
			"f.toml:4:1: cannot make step an array of tables: it is already an array set at f.toml:3:1"}},
		{"extending an inline table", hdr + "[[step]]\ncall = \"x.Y\"\nwith = {}\n[step.with.A]\n", []string{
			"f.toml:6:7: cannot add to step.with: it was written as an inline table at f.toml:5:8"}},
		{"dotted key into a header table", hdr + "[cursor.a]\n[cursor]\na.initial = \"0\"\n", []string{
			"f.toml:5:1: cannot add to table a with a dotted key: it is defined by a header at f.toml:3:1"}},
		{"duplicates and other errors together", hdr + "[[step]]\ncall = \"x.Y\"\ncall = \"x.Z\"\nretry = 3\n", []string{
			"f.toml:5:1: duplicate key call; first set at f.toml:4:1",
			"f.toml:6:9: retry must be a table, not an integer"}},

		// The top level.
		{"missing version and flow", "description = \"x\"\n", []string{
			"f.toml:1:1: missing version; add version = 1 at the top of the file",
			"f.toml:1:1: missing flow; add flow = \"name\", the name of the flow"}},
		{"version 2", "version = 2\nflow = \"f\"\n", []string{
			"f.toml:1:11: unsupported spec version 2; this resolute-gen reads version 1"}},
		{"version string", "version = \"1\"\nflow = \"f\"\n", []string{
			"f.toml:1:11: version must be an integer, not a string"}},
		{"flow name", "version = 1\nflow = \"9lives\"\n", []string{
			"f.toml:2:8: flow name \"9lives\" must start with a letter and hold only letters, digits, '-' and '_'"}},
		{"rate limits", hdr + "[rate_limit]\na = { rate = \"10\" }\nb = { rate = \"0/s\" }\nc = { rate = \"5/x\", burst = 0 }\nd = { rate = 10 }\ne = { burst = 2 }\nf = { rate = \"1/2s\", bursts = 3 }\ng = \"10/s\"\nh = { rate = \"2000000/s\" }\n", []string{
			"f.toml:4:14: rate \"10\" must be REQUESTS/PERIOD, such as \"10/s\", \"600/m\", \"5000/h\" or \"1/2s\"",
			"f.toml:5:14: rate \"0/s\" must start with a whole number of requests of at least 1, such as \"10/s\", \"600/m\", \"5000/h\" or \"1/2s\"",
			"f.toml:6:14: rate \"5/x\": the period after / must be s, m, h or a Go duration greater than 0 such as 2s or 500ms, not \"x\"",
			"f.toml:6:29: burst must be at least 1 (1: requests evenly spaced), not 0",
			"f.toml:7:14: rate must be a string REQUESTS/PERIOD such as \"10/s\", not a number",
			"f.toml:8:1: rate limit e needs rate, such as rate = \"10/s\"",
			"f.toml:9:22: unknown key \"bursts\" in rate limit f; did you mean \"burst\"?",
			"f.toml:10:5: rate limit g must be a table such as { rate = \"10/s\", burst = 5 }, not a string",
			"f.toml:11:14: rate \"2000000/s\" is more than a million requests a second; no client-side limit is needed"}},
		{"rate_limit on a map step", hdr + "[[step]]\nid = \"m\"\nmap = \"x\"\nfields = { a = \"it\" }\nrate_limit = \"jira\"\n", []string{
			"f.toml:7:1: rate_limit applies only to call and stream steps"}},
		{"trigger", hdr + "trigger = { webhook = \"gitlab\", secrt = \"S\" }\n", []string{
			"f.toml:3:23: trigger webhook must be one of \"github\", \"jira\", \"confluence\" or \"generic\", not \"gitlab\"; did you mean \"github\"?",
			"f.toml:3:33: unknown key \"secrt\" in trigger; did you mean \"secret\"?"}},
		{"trigger without keys", hdr + "trigger = {}\n", []string{
			"f.toml:3:1: trigger needs webhook, the signature scheme: \"github\", \"jira\", \"confluence\" or \"generic\"",
			"f.toml:3:1: trigger needs secret, the name of a declared env var with secret = true that holds the webhook's secret"}},
		{"unknown top-level keys", hdr + "flw = \"x\"\nzzz = 1\n", []string{
			"f.toml:3:1: unknown key \"flw\"; did you mean \"flow\"?",
			"f.toml:4:1: unknown key \"zzz\""}},
		{"schedule kind", hdr + "schedule = 5\n", []string{
			"f.toml:3:12: schedule must be a string, not an integer"}},
		{"step is a table", hdr + "[step]\ncall = \"x.Y\"\n", []string{
			"f.toml:3:1: step must be an array of steps ([[step]]), not a table"}},
		{"step element not a table", hdr + "step = [\"a\", { call = \"x.Y\" }]\n", []string{
			"f.toml:3:9: each element of step must be a step table, not a string"}},

		// env and cursors.
		{"env required with default", hdr + "[env]\nA = { required = true, default = \"x\" }\n", []string{
			"f.toml:4:24: env A cannot be both required and have a default; a default makes it optional"}},
		{"env names", hdr + "[env]\nJIRA-URL = {}\n\"type\" = {}\n", []string{
			"f.toml:4:1: env name \"JIRA-URL\" is not a Go identifier (letters, digits and _, not starting with a digit); names are used as env.NAME in expressions",
			"f.toml:5:1: env name \"type\" is a Go keyword; names are used as env.NAME in expressions"}},
		{"env not a table", hdr + "[env]\nX = \"y\"\n", []string{
			"f.toml:4:5: env X must be a table such as { required = true } or {}, not a string"}},
		{"env unknown keys", hdr + "[env]\nX = { requried = true, zz = 1 }\n", []string{
			"f.toml:4:7: unknown key \"requried\" in env X; did you mean \"required\"?",
			"f.toml:4:24: unknown key \"zz\" in env X; expected one of required, secret, default"}},
		{"env bool", hdr + "[env]\nX = { required = \"yes\" }\n", []string{
			"f.toml:4:18: required must be a boolean, not a string"}},
		{"cursor name", hdr + "[cursor.jira-sync]\ninitial = \"0\"\n", []string{
			"f.toml:3:9: cursor name \"jira-sync\" is not a Go identifier (letters, digits and _, not starting with a digit); names are used as cursor.NAME in expressions"}},
		{"cursor unknown key", hdr + "[cursor.jira]\ninital = \"0\"\n", []string{
			"f.toml:4:1: unknown key \"inital\" in cursor jira; did you mean \"initial\"?"}},
		{"cursor initial kind", hdr + "[cursor.jira]\ninitial = 0\n", []string{
			"f.toml:4:11: initial must be a string, not an integer"}},

		// Step kinds.
		{"nothing to do", hdr + "[[step]]\nid = \"a\"\n", []string{
			"f.toml:3:1: step has nothing to do; expected one of call, map, unique, filter, merge, if, while, parallel, for_each, do, reset_cursor, stream"}},
		{"two kinds", hdr + "[[step]]\ncall = \"x.Y\"\nmap = \"a\"\nfilter = \"b\"\n", []string{
			"f.toml:5:1: step has both call (f.toml:4:1) and map; a step does one thing",
			"f.toml:6:1: step has both call (f.toml:4:1) and filter; a step does one thing"}},
		{"cursor_store value", "version = 1\nflow = \"f\"\ncursor_store = \"postgress\"\n", []string{
			"f.toml:3:16: cursor_store must be one of \"file\", \"postgres\" or \"redis\", not \"postgress\"; did you mean \"postgres\"?"}},
		{"unknown step key", hdr + "[[step]]\ncalll = \"x.Y\"\n", []string{
			"f.toml:4:1: unknown key \"calll\" in step; did you mean \"call\"?"}},
		{"empty call", hdr + "[[step]]\ncall = \"\"\n", []string{
			"f.toml:4:8: call must not be empty"}},
		{"nested step errors", hdr + "[[step]]\nif = \"true\"\n  [[step.then]]\n  call = \"x.Y\"\n  [[step.else]]\n  id = \"x\"\n  calll = \"x.Y\"\n", []string{
			"f.toml:9:3: unknown key \"calll\" in step; did you mean \"call\"?"}},

		// Step ids and names.
		{"id kind", hdr + "[[step]]\nid = 1\ncall = \"x.Y\"\n", []string{
			"f.toml:4:6: id must be a string, not an integer"}},
		{"bad ids", hdr + "[[step]]\nid = \"type\"\ncall = \"x.Y\"\n[[step]]\nid = \"len\"\ncall = \"x.Y\"\n[[step]]\nid = \"env\"\ncall = \"x.Y\"\n[[step]]\nid = \"foo-bar\"\ncall = \"x.Y\"\n[[step]]\nid = \"ctx\"\ncall = \"x.Y\"\n", []string{
			"f.toml:4:6: id \"type\" is a Go keyword; choose another name",
			"f.toml:7:6: id \"len\" is a predeclared Go name; choose another name",
			"f.toml:10:6: id \"env\" is reserved (env.NAME reads the environment); choose another name",
			"f.toml:13:6: id \"foo-bar\" is not a Go identifier (letters, digits and _, not starting with a digit)",
			"f.toml:16:6: id \"ctx\" is reserved (the generated code uses it); choose another name"}},
		{"type not exported", hdr + "[[step]]\nmap = \"a\"\ntype = \"row\"\nfields = { a = \"b\" }\n", []string{
			"f.toml:5:8: type \"row\" must be an exported Go identifier, such as Row"}},

		// Options on the wrong kind.
		{"retry on map", hdr + "[[step]]\nmap = \"a\"\nretry = { attempts = 1 }\nfields = { a = \"b\" }\n", []string{
			"f.toml:5:1: retry applies only to call and stream steps"}},
		{"with header on filter", hdr + "[[step]]\nfilter = \"a\"\nwhere = \"b\"\n[step.with]\nA = 1\n", []string{
			"f.toml:6:7: with applies only to call and stream steps"}},
		{"as and where on call", hdr + "[[step]]\ncall = \"x.Y\"\nas = \"it\"\nwhere = \"a\"\n", []string{
			"f.toml:5:1: as applies only to map, filter, for_each and stream steps",
			"f.toml:6:1: where applies only to filter steps"}},

		// Required companions.
		{"while without max_iterations", hdr + "[[step]]\nwhile = \"true\"\n[[step.do]]\ncall = \"x.Y\"\n", []string{
			"f.toml:4:1: while needs max_iterations, a bound on the number of iterations"}},
		{"max_iterations 0", hdr + "[[step]]\nwhile = \"true\"\nmax_iterations = 0\ndo = [{ call = \"x.Y\" }]\n", []string{
			"f.toml:5:18: max_iterations must be greater than 0, not 0"}},
		{"one parallel branch", hdr + "[[step]]\n[[step.parallel]]\ncall = \"x.Y\"\n", []string{
			"f.toml:4:8: parallel needs at least 2 branches, not 1"}},
		{"merge", hdr + "[[step]]\nmerge = [\"a\"]\n[[step]]\nmerge = \"a\"\n[[step]]\nmerge = [\"a\", 1]\n", []string{
			"f.toml:4:9: merge needs at least 2 expressions to combine, not 1",
			"f.toml:6:9: merge must be an array of expressions, not a string",
			"f.toml:8:15: each expression of merge must be a string, not an integer"}},
		{"map fields", hdr + "[[step]]\nmap = \"a\"\n[[step]]\nmap = \"a\"\nfields = { x = 1, y = \"\" }\n[[step]]\nmap = \"a\"\n[step.fields]\n", []string{
			"f.toml:4:1: map needs fields, the output columns as name = \"expression\"",
			"f.toml:7:16: field x must be a string holding an expression, not an integer",
			"f.toml:7:23: field y must not be empty",
			"f.toml:10:1: fields must name at least one output column"}},
		{"unique, filter, for_each companions", hdr + "[[step]]\nunique = \"a\"\n[[step]]\nfilter = \"a\"\n[[step]]\nfor_each = \"a\"\n", []string{
			"f.toml:4:1: unique needs key, the field to de-duplicate by",
			"f.toml:6:1: filter needs where, the condition an item must meet to be kept",
			"f.toml:8:1: for_each needs do, the steps to run for each item"}},
		{"if without then, empty then", hdr + "[[step]]\nif = \"true\"\n[[step]]\nif = \"true\"\nthen = []\n", []string{
			"f.toml:4:1: if needs then, the steps to run when the condition holds",
			"f.toml:7:8: then must hold at least one step"}},
		{"then is a table", hdr + "[[step]]\nif = \"true\"\n[step.then]\ncall = \"x.Y\"\n", []string{
			"f.toml:5:1: then must be an array of steps ([[step.then]]), not a table"}},
		{"empty sequence", hdr + "[[step]]\ndo = []\n", []string{
			"f.toml:4:6: do must hold at least one step"}},
		{"for_each options", hdr + "[[step]]\nfor_each = \"a\"\nconcurrency = 0\nas = \"len\"\ndo = [{ call = \"x.Y\" }]\n", []string{
			"f.toml:5:15: concurrency must be at least 1, not 0",
			"f.toml:6:6: as \"len\" is a predeclared Go name; choose another name"}},

		{"stream without id and body", hdr + "[[step]]\nstream = \"jira.FetchPage\"\n", []string{
			"f.toml:4:1: stream needs do, the steps to run for each page",
			"f.toml:4:1: stream needs id, the key its pages are journaled under (and its result's name: pages and items read)"}},
		{"stream options", hdr + "[[step]]\nid = \"pages\"\nstream = \"jira.FetchPage\"\nread_ahead = 17\nwith = { PageToken = \"x\" }\ndo = [{ call = \"x.Y\" }]\n[[step]]\nid = \"p\"\nstream = \"x.Y\"\nread_ahead = -1\nconcurrency = 2\ndo = [{ call = \"x.Y\" }]\n", []string{
			"f.toml:6:14: read_ahead must be between 0 (no page fetched ahead) and 16, not 17",
			"f.toml:7:10: PageToken is set by the stream (\"\" for the first page, then each page's NextPageToken); remove it from with",
			"f.toml:12:14: read_ahead must be between 0 (no page fetched ahead) and 16, not -1",
			"f.toml:13:1: concurrency applies only to for_each steps"}},
		{"read_ahead outside a stream", hdr + "[[step]]\ncall = \"x.Y\"\nread_ahead = 2\n", []string{
			"f.toml:5:1: read_ahead applies only to stream steps"}},

		// Options' values.
		{"retry values", hdr + "[[step]]\ncall = \"x.Y\"\nretry = { attempts = 0, backoff = \"2 s\", max_backoff = \"1s\" }\n[[step]]\ncall = \"x.Y\"\nretry = { backoff = \"2s\", max_backoff = \"1s\", attemps = 3 }\n", []string{
			"f.toml:5:22: attempts must be at least 1, not 0",
			"f.toml:5:35: backoff must be a Go duration such as \"30s\" or \"5m\", not \"2 s\"",
			"f.toml:8:41: max_backoff 1s must be at least backoff 2s",
			"f.toml:8:47: unknown key \"attemps\" in retry; did you mean \"attempts\"?"}},
		{"timeout", hdr + "[[step]]\ncall = \"x.Y\"\ntimeout = \"5 minutes\"\n[[step]]\ncall = \"x.Y\"\ntimeout = \"0s\"\n", []string{
			"f.toml:5:11: timeout must be a Go duration such as \"30s\" or \"5m\", not \"5 minutes\"",
			"f.toml:8:11: timeout must be greater than 0, not \"0s\""}},
		{"advance", hdr + "[[step]]\ncall = \"x.Y\"\nadvance = { cursor = \"jira-sync\" }\n", []string{
			"f.toml:5:1: advance needs to, the expression the cursor moves to",
			"f.toml:5:22: cursor name \"jira-sync\" is not a Go identifier (letters, digits and _, not starting with a digit); names are used as cursor.NAME in expressions"}},
		{"on_error", hdr + "[[step]]\ncall = \"x.Y\"\non_error = \"retry\"\n[[step]]\ncall = \"x.Y\"\non_error = { cal = \"a.B\", then = \"skip\" }\n[[step]]\ncall = \"x.Y\"\non_error = 3\n", []string{
			"f.toml:5:12: on_error must be \"fail\", \"continue\" or a handler table { call = \"...\" }, not \"retry\"",
			"f.toml:8:14: unknown key \"cal\" in on_error; did you mean \"call\"?",
			"f.toml:8:34: then must be \"fail\" or \"continue\", not \"skip\"",
			"f.toml:11:12: on_error must be \"fail\", \"continue\" or a handler table { call = \"...\" }, not an integer"}},
		{"rollback_cursor", hdr + "[[step]]\ncall = \"x.Y\"\nrollback_cursor = 5\n[[step]]\ncall = \"x.Y\"\nrollback_cursor = [\"ok\", \"not ok\", 3]\n", []string{
			"f.toml:5:19: rollback_cursor must be a cursor name or an array of cursor names, not an integer",
			"f.toml:8:26: cursor name \"not ok\" is not a Go identifier (letters, digits and _, not starting with a digit); names are used as cursor.NAME in expressions",
			"f.toml:8:36: each cursor name of rollback_cursor must be a string, not an integer"}},
		{"reset_cursor", hdr + "[[step]]\nreset_cursor = \"a b\"\n", []string{
			"f.toml:4:16: cursor name \"a b\" is not a Go identifier (letters, digits and _, not starting with a digit); names are used as cursor.NAME in expressions"}},

		// Everything at once, in source order.
		{"many errors", "version = 3\nflow = \"f\"\n[env]\nA = { required = true, default = \"x\" }\n[[step]]\nid = \"a\"\n[[step]]\ncall = \"x.Y\"\nmap = \"z\"\ntimout = \"1s\"\n", []string{
			"f.toml:1:11: unsupported spec version 3; this resolute-gen reads version 1",
			"f.toml:4:24: env A cannot be both required and have a default; a default makes it optional",
			"f.toml:5:1: step has nothing to do; expected one of call, map, unique, filter, merge, if, while, parallel, for_each, do, reset_cursor, stream",
			"f.toml:9:1: step has both call (f.toml:8:1) and map; a step does one thing",
			"f.toml:10:1: unknown key \"timout\" in step; did you mean \"timeout\"?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.toml", []byte(tt.src))
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error = %v (%T), want an ErrorList", err, err)
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sync.toml")
	if err := os.WriteFile(path, []byte(fullSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Steps[0].Pos.File != path {
		t.Errorf("positions name %q, want %q", f.Steps[0].Pos.File, path)
	}
	if _, err := ParseFile(filepath.Join(t.TempDir(), "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestAlternativeForms(t *testing.T) {
	// Dotted keys, [table.NAME] headers, inline tables and arrays of inline
	// tables mean the same as the usual forms; [[a.b.c]] and [a.b.c] attach
	// to the last element of every enclosing array of tables.
	src := `version = 1
flow = "f"
env.A = {}
cursor.jira.initial = "5"
[env.B]
secret = true
[[step]]
if = "x"
[[step.then]]
for_each = "a"
[[step.then.do]]
call = "p.A"
[step.then.do.with]
A = 1
[[step.then.do]]
call = "p.B"
[[step.then]]
call = "p.C"
retry.attempts = 2
[step.then.with]
C = 3
[[step.else]]
call = "p.D"
with.D.E = 4
[[step]]
parallel = [
  { call = "p.E" },
  { do = [{ call = "p.F" }, { call = "p.G" }] },
]
`
	f, err := Parse("alt.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Env) != 2 || f.Env[0].Name != "A" || f.Env[0].Pos.String() != "alt.toml:3:5" || f.Env[1].Name != "B" || !f.Env[1].Secret.Value {
		t.Errorf("env = %+v %+v", f.Env[0], f.Env[1])
	}
	if len(f.Cursors) != 1 || f.Cursors[0].Pos.String() != "alt.toml:4:8" || f.Cursors[0].Initial.Value != "5" {
		t.Errorf("cursors = %+v", f.Cursors[0])
	}
	var b strings.Builder
	outline(&b, f.Steps, "")
	want := `7:1 if@8:1 cond=x
  then:
    9:1 for_each@10:1 source=a
      do:
        11:1 call@12:1 call=p.A with(A)
        15:1 call@16:1 call=p.B
    17:1 call@18:1 call=p.C with(C)
  else:
    22:1 call@23:1 call=p.D with(D)
25:1 parallel@26:1
  branch:
    27:3 call@27:5 call=p.E
    28:3 do@28:5
      do:
        28:11 call@28:13 call=p.F
        28:29 call@28:31 call=p.G
`
	if got := b.String(); got != want {
		t.Errorf("steps:\n%s\nwant:\n%s", got, want)
	}
	then1 := f.Steps[0].Then[1]
	if then1.Retry == nil || then1.Retry.Attempts.Value != 2 || then1.Retry.Pos.String() != "alt.toml:19:1" {
		t.Errorf("dotted retry = %+v", then1.Retry)
	}
	if w := f.Steps[0].Then[0].Do[0].WithPos.String(); w != "alt.toml:13:1" {
		t.Errorf("WithPos = %s", w)
	}
	d := f.Steps[0].Else[0].With[0]
	if d.Value.Kind != KindTable || d.Value.Fields[0].Key != "E" || d.Value.Fields[0].Value.Int != 4 || d.Value.Pos.String() != "alt.toml:24:6" {
		t.Errorf("dotted with = %+v", d.Value)
	}
}

// FuzzParse checks that no input makes Parse panic and that every error has
// a position.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullSpec))
	f.Add([]byte(hdr + "[[step]]\nwhile = \"x\"\ndo = [{call=\"a\"}, [1], {x = {y = [{}]}}]\n"))
	f.Add([]byte(hdr + "a.b = 1\n[a]\n[[step]]\ncall = \"\"\"\\\n  x.Y\\u00e9\"\"\"\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("f.toml", src)
		var list ErrorList
		if err != nil && !errors.As(err, &list) {
			t.Fatalf("error %T, want ErrorList", err)
		}
		for _, e := range list {
			if e.Pos.File != "f.toml" || e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Fatalf("error without a position: %v", e)
			}
		}
		for _, s := range file.Steps {
			for _, w := range s.With {
				if w.Value.Kind == KindString {
					for i := 0; i <= len(w.Value.Str.Value); i++ {
						w.Value.Str.PosAt(i)
					}
				}
			}
		}
	})
}

// TestUnstableAPIInOneFile keeps go-toml's unstable parser API in tree.go,
// the one file that builds the document tree.
func TestUnstableAPIInOneFile(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if name != "tree.go" && strings.Contains(string(src), "\"github.com/pelletier/go-toml/v2/unstable\"") {
			t.Errorf("%s imports go-toml's unstable API; only tree.go may", name)
		}
	}
}
