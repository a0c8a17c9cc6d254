package gen_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/gen"
)

// journalKeys are the literal keys generated code hands to Call,
// Iteration, Parallel and ForEach.
var journalKeys = regexp.MustCompile(`runtime\.(?:Call|ForEach|Parallel)\(ctx, r, "([^"]+)"|r\.Iteration\("([^"]+)"`)

// Inserting comment lines and changing the description changes neither
// the flow's hash nor any journal key (issue 6, item 7): the golden cases
// block_keys_structural and block_keys_structural_comment differ only so.
func TestCommentLineChangesNoKey(t *testing.T) {
	pkgs := gen.NewPackages(gen.Config{Dir: goldenDir})
	var hashes [2]string
	var steps, keys [2][]string
	for i, name := range []string{"block_keys_structural", "block_keys_structural_comment"} {
		spec := filepath.Join(goldenDir, name, "sync.toml")
		prog, err := gen.Check([]string{spec}, gen.Config{Packages: pkgs})
		if err != nil {
			t.Fatal(err)
		}
		hashes[i], steps[i] = prog.Flows[0].Hash, prog.Flows[0].StepHashes
		out, err := gen.Generate([]string{spec}, gen.Config{Version: "(test)", Packages: pkgs})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range journalKeys.FindAllStringSubmatch(string(out), -1) {
			keys[i] = append(keys[i], m[1]+m[2])
		}
	}
	if hashes[0] != hashes[1] || !slices.Equal(steps[0], steps[1]) {
		t.Errorf("the flow hash changed with comments:\n%s %v\n%s %v", hashes[0], steps[0], hashes[1], steps[1])
	}
	if !slices.Equal(keys[0], keys[1]) {
		t.Errorf("journal keys changed with comments:\n%v\n%v", keys[0], keys[1])
	}
	for _, want := range []string{"while#1", "parallel#1", "for_each#1"} {
		if !slices.Contains(keys[0], want) {
			t.Errorf("keys %v lack %s", keys[0], want)
		}
	}
}

// A change to what a step does changes its step hash and the flow hash,
// and only that step's.
func TestStepChangeChangesItsHash(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(goldenDir, "block_keys_structural", "sync.toml"))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(filepath.Join(goldenDir, "..", "..", "internal", "testnodes"))
	src = []byte(strings.ReplaceAll(string(src), "../../../internal/testnodes", abs))
	pkgs := gen.NewPackages(gen.Config{Dir: goldenDir})
	check := func(text string) *gen.Flow {
		path := filepath.Join(dir, "sync.toml")
		os.WriteFile(path, []byte(text), 0o644)
		prog, err := gen.Check([]string{path}, gen.Config{Packages: pkgs})
		if err != nil {
			t.Fatal(err)
		}
		return prog.Flows[0]
	}
	a := check(string(src))
	b := check(strings.Replace(string(src), "Size = 5", "Size = 6", 1))
	if a.Hash == b.Hash {
		t.Fatal("a changed with value left the flow hash alone")
	}
	for i := range a.StepHashes {
		if changed := a.StepHashes[i] != b.StepHashes[i]; changed != strings.HasPrefix(a.StepHashes[i], "for_each#1=") {
			t.Errorf("step %s -> %s", a.StepHashes[i], b.StepHashes[i])
		}
	}
}

// Each flow has its own hash: editing one flow of a program leaves the
// other's hash, and so the resumption of its unfinished run, alone.
func TestEditingOneFlowKeepsTheOthersHash(t *testing.T) {
	dir := t.TempDir()
	pkgs := gen.NewPackages(gen.Config{Dir: goldenDir})
	hashes := func(edit func(string) string) map[string]string {
		t.Helper()
		var specs []string
		for _, name := range []string{"reindex.toml", "sync.toml"} {
			src, err := os.ReadFile(filepath.Join(goldenDir, "reindex_two_flows", name))
			if err != nil {
				t.Fatal(err)
			}
			text := string(src)
			if name == "sync.toml" {
				text = edit(text)
			}
			path := filepath.Join(dir, name)
			os.WriteFile(path, []byte(text), 0o644)
			specs = append(specs, path)
		}
		prog, err := gen.Check(specs, gen.Config{Packages: pkgs})
		if err != nil {
			t.Fatal(err)
		}
		h := map[string]string{}
		for _, f := range prog.Flows {
			h[f.Name] = f.Hash
		}
		return h
	}
	a := hashes(func(s string) string { return s })
	b := hashes(func(s string) string {
		return strings.Replace(s, `Name = "${env.WAREHOUSE_URL}"`, `Name = "${env.WAREHOUSE_URL}/x"`, 1)
	})
	if a["full-reindex"] != b["full-reindex"] || a["jira-warehouse-sync"] == b["jira-warehouse-sync"] {
		t.Errorf("before %v\nafter  %v", a, b)
	}
}
