package spec

import (
	"encoding/json"
	"slices"
	"sort"
	"testing"
)

// TestSchemaKeys fails when a key the parser accepts is missing from the
// JSON Schema, or the schema names a key the parser rejects, at each level:
// the top, [env.X], [cursor.X], a step (per kind), retry, advance and an
// on_error handler.
func TestSchemaKeys(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal(JSONSchema(), &s); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	props := func(t *testing.T, m any, path string) []string {
		t.Helper()
		p, ok := m.(map[string]any)["properties"].(map[string]any)
		if !ok {
			t.Fatalf("%s has no properties", path)
		}
		var keys []string
		for k, v := range p {
			keys = append(keys, k)
			if d, _ := v.(map[string]any)["description"].(string); d == "" {
				t.Errorf("%s.%s has no description", path, k)
			}
		}
		sort.Strings(keys)
		return keys
	}
	same := func(t *testing.T, path string, got, want []string) {
		t.Helper()
		want = slices.Clone(want)
		sort.Strings(want)
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: schema has keys %v, parser accepts %v", path, got, want)
		}
	}
	same(t, "top", props(t, s, "top"), topKeys)
	top := s["properties"].(map[string]any)
	same(t, "env", props(t, top["env"].(map[string]any)["additionalProperties"], "env"), envKeys)
	same(t, "cursor", props(t, top["cursor"].(map[string]any)["additionalProperties"], "cursor"), cursorKeys)

	step := s["$defs"].(map[string]any)["step"].(map[string]any)
	stepProps := step["properties"].(map[string]any)
	all := slices.Clone(stepKeys)
	for _, k := range kindKeys {
		all = append(all, k.key)
	}
	same(t, "step", props(t, step, "step"), all)
	same(t, "retry", props(t, stepProps["retry"], "retry"), retryKeys)
	same(t, "advance", props(t, stepProps["advance"], "advance"), advanceKeys)
	handler := stepProps["on_error"].(map[string]any)["oneOf"].([]any)[1]
	same(t, "on_error", props(t, handler, "on_error"), onErrorKeys)

	// Per kind: the keys a step of that kind may hold.
	rules := step["allOf"].([]any)
	if len(rules) != len(kindKeys) {
		t.Fatalf("step has %d kind rules, the parser %d kinds", len(rules), len(kindKeys))
	}
	for i, k := range kindKeys {
		enum := rules[i].(map[string]any)["then"].(map[string]any)["propertyNames"].(map[string]any)["enum"].([]any)
		var got []string
		for _, e := range enum {
			got = append(got, e.(string))
		}
		want := []string{"id", k.key}
		for key, kinds := range stepOptions {
			if slices.Contains(kinds, k.kind) {
				want = append(want, key)
			}
		}
		same(t, "step "+k.key, got, want)
	}
}
