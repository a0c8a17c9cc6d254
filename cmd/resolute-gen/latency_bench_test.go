package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkGenLatency times `resolute-gen gen` as a whole process, the way
// go generate and editors run it:
//
//	go test -run '^$' -bench GenLatency -benchtime 20x ./cmd/resolute-gen
//
// builtins generates examples/jira-sync, which calls only built-in nodes
// (the goal: at most 150 ms). usernodes generates examples/quickstart,
// which calls its own ./nodes package besides built-ins, usernodesonly
// the golden case relative_call_local_package, which calls only ./nodes;
// after each run they time `go list -export -deps ./nodes` in the same
// directory, the least any loader of that package's types must do (the
// goal: gen at most 1.3 times that). Besides ns/op (both commands, for
// the user node cases), each reports the wall and CPU (user+system)
// milliseconds of gen, and for the user node cases those of go list and
// the ratios; on a shared machine the CPU ratio is the steadier figure.
func BenchmarkGenLatency(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "resolute-gen")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("building resolute-gen: %v\n%s", err, out)
	}
	b.Run("builtins", func(b *testing.B) {
		var gen timing
		for b.Loop() {
			gen.run(b, "../../examples/jira-sync", bin, "gen", "sync.toml")
		}
		gen.report(b, "gen", b.N)
	})
	for _, c := range []struct{ name, dir string }{
		{"usernodes", "../../examples/quickstart"},
		{"usernodesonly", "../../testdata/golden/relative_call_local_package"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var gen, list timing
			for b.Loop() {
				gen.run(b, c.dir, bin, "gen", "sync.toml")
				list.run(b, c.dir, "go", "list", "-export", "-deps", "./nodes")
			}
			gen.report(b, "gen", b.N)
			list.report(b, "golist", b.N)
			b.ReportMetric(float64(gen.wall)/float64(list.wall), "gen/golist-wall")
			b.ReportMetric(float64(gen.cpu)/float64(list.cpu), "gen/golist-cpu")
		})
	}
}

// timing adds up the wall and CPU time of the commands it ran.
type timing struct{ wall, cpu time.Duration }

func (t *timing) run(b *testing.B, dir, name string, args ...string) {
	b.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v", name, args, err)
	}
	t.wall += time.Since(start)
	t.cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func (t *timing) report(b *testing.B, what string, n int) {
	b.ReportMetric(float64(t.wall.Microseconds())/1000/float64(n), what+"-wall-ms")
	b.ReportMetric(float64(t.cpu.Microseconds())/1000/float64(n), what+"-cpu-ms")
}
