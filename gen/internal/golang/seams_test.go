package golang_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestSeams: the emitters read the checked program (gen/ir) and nothing of
// the checker: neither this package nor gen/ir depends on package gen, and
// gen/ir depends on no emitter and no code writer (jennifer).
func TestSeams(t *testing.T) {
	const mod = "github.com/resolute/resolute-gen"
	for pkg, forbidden := range map[string][]string{
		mod + "/gen/internal/golang": {mod + "/gen"},
		mod + "/gen/ir":              {mod + "/gen", mod + "/gen/internal/golang", "github.com/dave/jennifer/jen"},
	} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		for _, dep := range deps {
			for _, f := range forbidden {
				if dep == f {
					t.Errorf("%s depends on %s", pkg, f)
				}
			}
		}
	}
}

// TestCheckerWritesNoGo: the checker (package gen) builds data, not code:
// it imports no jennifer itself (only through the emitter it calls).
func TestCheckerWritesNoGo(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, "github.com/resolute/resolute-gen/gen").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, imp := range strings.Fields(string(out)) {
		if imp == "github.com/dave/jennifer/jen" {
			t.Errorf("package gen imports %s", imp)
		}
	}
}
