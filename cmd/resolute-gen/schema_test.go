package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/resolute/resolute-gen/spec"
)

// compileSchema compiles what `resolute-gen schema` prints with a real
// JSON Schema validator.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"schema"}, &stdout, &stderr); code != 0 {
		t.Fatalf("schema exited %d: %s", code, stderr.String())
	}
	doc, err := jsonschema.UnmarshalJSON(&stdout)
	if err != nil {
		t.Fatalf("schema output is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("spec.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("spec.schema.json")
	if err != nil {
		t.Fatalf("schema does not compile: %v", err)
	}
	return sch
}

// tomlInstance decodes a spec as an editor's TOML language server does and
// converts it to the JSON data model the schema describes.
func tomlInstance(t *testing.T, src []byte) any {
	t.Helper()
	var doc map[string]any
	if err := toml.Unmarshal(src, &doc); err != nil {
		t.Fatalf("decode TOML: %v", err)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// TestSchemaValidatesSpecs validates every example and every valid golden
// spec against the schema.
func TestSchemaValidatesSpecs(t *testing.T) {
	sch := compileSchema(t)
	examples, _ := filepath.Glob("../../examples/*/*.toml")
	golden, _ := filepath.Glob("../../testdata/golden/*/*.toml")
	if len(examples) == 0 || len(golden) == 0 {
		t.Fatalf("found %d examples and %d golden specs; run from cmd/resolute-gen", len(examples), len(golden))
	}
	n := 0
	for _, path := range append(examples, golden...) {
		if _, err := os.Stat(filepath.Join(filepath.Dir(path), "expected.err")); err == nil {
			continue // a spec with errors
		}
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")) // a BOM, which spec.Parse accepts
		if err := sch.Validate(tomlInstance(t, src)); err != nil {
			t.Errorf("%s does not validate: %v", path, err)
		}
		n++
	}
	t.Logf("validated %d specs", n)
}

// TestSchemaRejectsInvalidSpecs checks that specs the parser rejects for
// their structure are rejected by the schema too, and that the parser does
// reject them (so the cases stay honest).
func TestSchemaRejectsInvalidSpecs(t *testing.T) {
	sch := compileSchema(t)
	const head = "version = 1\nflow = \"f\"\n"
	for _, tc := range []struct{ name, src string }{
		{"missing flow", "version = 1\n"},
		{"version 2", "version = 2\nflow = \"f\"\n"},
		{"bad flow name", "version = 1\nflow = \"1sync\"\n"},
		{"unknown top key", head + "schedul = \"@daily\"\n"},
		{"unknown cursor store", head + "cursor_store = \"mysql\"\n"},
		{"env required with default", head + "[env]\nX = { required = true, default = \"a\" }\n"},
		{"unknown env key", head + "[env]\nX = { requird = true }\n"},
		{"cursor name keyword", head + "[cursor.func]\ninitial = \"0\"\n"},
		{"step with nothing to do", head + "[[step]]\nid = \"a\"\n"},
		{"two kinds", head + "[[step]]\nid = \"a\"\ncall = \"p.F\"\nmap = \"${x}\"\nfields = { A = \"${item}\" }\n"},
		{"option of another kind", head + "[[step]]\nid = \"a\"\ncall = \"p.F\"\nwhere = \"${true}\"\n"},
		{"unknown step key", head + "[[step]]\nid = \"a\"\ncall = \"p.F\"\nwiht = {}\n"},
		{"timeout without unit", head + "[[step]]\nid = \"a\"\ncall = \"p.F\"\ntimeout = \"30\"\n"},
		{"timeout a number", head + "[[step]]\nid = \"a\"\ncall = \"p.F\"\ntimeout = 30\n"},
		{"retry without attempts", head + "[[step]]\nid = \"a\"\ncall = \"p.F\"\nretry = { backoff = \"1s\" }\n"},
		{"on_error unknown action", head + "[[step]]\nid = \"a\"\ncall = \"p.F\"\non_error = \"ignore\"\n"},
		{"on_error handler without call", head + "[[step]]\nid = \"a\"\ncall = \"p.F\"\non_error = { then = \"continue\" }\n"},
		{"advance without to", head + "[cursor.c]\ninitial = \"0\"\n[[step]]\nid = \"a\"\ncall = \"p.F\"\nadvance = { cursor = \"c\" }\n"},
		{"while without max_iterations", head + "[[step]]\nwhile = \"${true}\"\ndo = [{ id = \"a\", call = \"p.F\" }]\n"},
		{"stream without id", head + "[[step]]\nstream = \"jira.FetchPage\"\ndo = [{ id = \"a\", call = \"p.F\" }]\n"},
		{"read_ahead too large", head + "[[step]]\nid = \"s\"\nstream = \"jira.FetchPage\"\nread_ahead = 99\ndo = [{ id = \"a\", call = \"p.F\" }]\n"},
		{"parallel of one branch", head + "[[step]]\nparallel = [{ id = \"a\", call = \"p.F\" }]\n"},
		{"nested unknown key", head + "[[step]]\nif = \"${true}\"\nthen = [{ id = \"a\", call = \"p.F\", retries = 3 }]\n"},
		{"map type not exported", head + "[[step]]\nid = \"m\"\nmap = \"${x}\"\ntype = \"row\"\nfields = { A = \"${item}\" }\n"},
		{"bad id", head + "[[step]]\nid = \"my-step\"\ncall = \"p.F\"\n"},
		{"bad schedule", head + "schedule = \"every day\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := spec.Parse("sync.toml", []byte(tc.src)); err == nil && tc.name != "bad schedule" {
				t.Fatalf("the parser accepts this spec; the case is wrong")
			}
			err := sch.Validate(tomlInstance(t, []byte(tc.src)))
			if err == nil {
				t.Fatalf("schema accepts the invalid spec:\n%s", tc.src)
			}
			t.Logf("%v", strings.ReplaceAll(err.Error(), "\n", " | "))
		})
	}
}
