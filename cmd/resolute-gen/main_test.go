package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestUsageErrors runs the command in-process: usage errors exit 2 with a
// message and the command's help; file errors exit 1 naming the file.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage:"},
		{[]string{"bulid"}, 2, `unknown command "bulid"; did you mean "build"?`},
		{[]string{"gen", "-x", "a.toml"}, 2, "unknown flag -x\n"},
		{[]string{"gen", "-o"}, 2, "flag -o needs a value"},
		{[]string{"build", "../../examples/quickstart/sync.toml"}, 2, "build needs -o BIN"},
		{[]string{"check"}, 2, "check needs at least one spec file"},
		{[]string{"check", "nosuch.toml"}, 1, "open nosuch.toml: no such file or directory"},
		{[]string{"gen", "../../examples/quickstart/sync.toml", "-o", "/nonexistent/dir/x.go"}, 1, "cannot write /nonexistent/dir/x.go: no such file or directory"},
		{[]string{"help", "check"}, 0, "Usage: resolute-gen check SPEC..."},
		{[]string{"version"}, 0, "resolute-gen "},
	} {
		var out, errOut bytes.Buffer
		code := run(tc.args, &out, &errOut)
		got := out.String() + errOut.String()
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("resolute-gen %v: exit %d, want %d with %q; output:\n%s", tc.args, code, tc.code, tc.want, got)
		}
	}
}
