package cli

import (
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string // cmd args once fresh state-dir log-format durability, or the error
	}{
		{"run --once", "run [] true false  text fsync"},
		{"run --once sync --fresh", "run [sync] true true  text fsync"},
		{"--state-dir /s --log-format json run sync --once --durability batch", "run [sync] true false /s json batch"},
		{"cursor set c -- -5", "cursor [set c -5] false false  text fsync"},
		{"status --state-dir=x", "status [] false false x text fsync"},
		{"run", "run [] false false  text fsync"},
		{"", "error: no command given"},
		{"frobnicate", `error: unknown command "frobnicate"`},
		{"run --bogus", "error: flag provided but not defined: -bogus"},
		{"run sync", "error: run without --once takes no flow name"},
		{"run --once a b", "error: run --once takes one flow name, got 2"},
		{"status --once", "error: --once only applies to the run command"},
		{"cursor get", "error: usage: cursor get NAME"},
		{"cursor set c", "error: usage: cursor set NAME VALUE"},
		{"cursor frob c", "error: usage: cursor get NAME | cursor set NAME VALUE | cursor reset NAME"},
		{"run --log-format xml", "error: --log-format must be text or json"},
		{"run --durability none", "error: --durability must be fsync or batch"},
	} {
		inv, err := Parse("prog", strings.Fields(tc.args))
		var got string
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = strings.Join([]string{inv.Cmd, "[" + strings.Join(inv.Args, " ") + "]", boolStr(inv.Once), boolStr(inv.Fresh), inv.StateDir, inv.LogFormat, inv.Durability}, " ")
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.args, got, tc.want)
		}
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
