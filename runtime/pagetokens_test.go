package runtime

import (
	"strings"
	"testing"
)

// TestPageTokens: a token handed back twice (the loop restarted at the
// first page) fails at once, permanently, naming the step and the fix.
func TestPageTokens(t *testing.T) {
	g := NewPageTokens("page", "t1")
	for _, tok := range []string{"t2", "t3", "", ""} {
		if err := g.Next(tok); err != nil {
			t.Fatalf("Next(%q): %v", tok, err)
		}
	}
	err := g.Next("t1")
	if err == nil || !IsPermanent(err) || !strings.Contains(err.Error(), `step "page" returned the page token "t1" a second time`) || !strings.Contains(err.Error(), "Done") {
		t.Fatalf("a repeated token: %v", err)
	}
}
