package redact

import "testing"

func TestReplaceWord(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"e", "X"}, {"ee", "ee"}, {"e e", "X X"}, {"failed", "failed"}, {"e-e_e", "X-e_e"}, {"(e)", "(X)"}, {"é e", "é X"}, {"eé", "eé"},
	} {
		if got := replaceWord(c.in, "e", "X"); got != c.want {
			t.Errorf("replaceWord(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
