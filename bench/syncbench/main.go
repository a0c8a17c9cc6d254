// Command syncbench measures the generated data-sync program against the
// hand-written baseline (../baseline) on the same fake Jira.
//
// It builds both programs, serves n issues from an in-process jiratest
// server, and runs the two alternately, each on a fresh warehouse and an
// empty cursor (a first run: every issue is fetched and stored). For each
// run it reads the child's wall time, CPU time (user + system, from
// rusage) and peak resident set size (rusage maxrss), checks that the
// warehouse holds exactly n rows, and prints the medians and the ratios
// generated / baseline.
//
//	go run ./bench/syncbench -issues 100000 -runs 3
//	go run ./bench/syncbench -issues 1000000 -runs 1 -only generated   # peak RSS at 1M
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "modernc.org/sqlite"
)

const (
	email = "bench@example.com"
	token = "bench-token-0123456789"
)

type sample struct {
	wall, cpu time.Duration
	rssKB     int64
}

func main() {
	issues := flag.Int("issues", 100000, "issues in the fake Jira")
	runs := flag.Int("runs", 3, "runs of each program (alternating)")
	spec := flag.String("spec", "examples/jira-sync/sync.toml", "spec of the generated program")
	only := flag.String("only", "", `run only "generated" or "baseline"`)
	keep := flag.Bool("keep", false, "keep the work directory")
	flag.Parse()
	log.SetFlags(0)

	work, err := os.MkdirTemp("", "syncbench")
	if err != nil {
		log.Fatal(err)
	}
	if *keep {
		log.Printf("work directory: %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	bins := map[string][]string{}
	if *only != "generated" {
		bin := filepath.Join(work, "baseline")
		must(run("go", "build", "-o", bin, "./bench/baseline"))
		bins["baseline"] = []string{bin}
	}
	if *only != "baseline" {
		bin := filepath.Join(work, "generated")
		must(run("go", "run", "./cmd/resolute-gen", "build", *spec, "-o", bin))
		bins["generated"] = []string{bin, "run", "--once"}
	}

	// The fake runs as its own process, so that neither its memory nor its
	// CPU is counted for the programs measured.
	fakeBin := filepath.Join(work, "jirafake")
	must(run("go", "build", "-o", fakeBin, "./runtime/jira/jiratest/cmd/jirafake"))
	fake := exec.Command(fakeBin, "-issues", strconv.Itoa(*issues), "-email", email, "-token", token)
	fake.Stderr = os.Stderr
	stdout, err := fake.StdoutPipe()
	must(err)
	must(fake.Start())
	defer fake.Process.Kill()
	baseURL, err := bufio.NewReader(stdout).ReadString('\n')
	must(err)
	baseURL = strings.TrimSpace(baseURL)
	log.Printf("fake Jira at %s with %d issues", baseURL, *issues)

	order := []string{"baseline", "generated"}
	samples := map[string][]sample{}
	for r := range *runs {
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, name := range order {
			argv, ok := bins[name]
			if !ok {
				continue
			}
			s, err := measure(work, name, r, argv, baseURL, *issues)
			if err != nil {
				log.Fatalf("%s run %d: %v", name, r+1, err)
			}
			log.Printf("%-9s run %d: wall %v  cpu %v  peak RSS %.1f MB", name, r+1,
				s.wall.Round(time.Millisecond), s.cpu.Round(time.Millisecond), float64(s.rssKB)/1024)
			samples[name] = append(samples[name], s)
		}
	}

	fmt.Printf("\n%d issues, %d runs each, medians:\n", *issues, *runs)
	fmt.Printf("%-10s %10s %10s %12s\n", "program", "wall", "cpu", "peak RSS")
	med := map[string]sample{}
	for _, name := range []string{"baseline", "generated"} {
		if len(samples[name]) == 0 {
			continue
		}
		m := median(samples[name])
		med[name] = m
		fmt.Printf("%-10s %10v %10v %9.1f MB\n", name, m.wall.Round(time.Millisecond), m.cpu.Round(time.Millisecond), float64(m.rssKB)/1024)
	}
	if b, ok := med["baseline"]; ok {
		if g, ok := med["generated"]; ok {
			fmt.Printf("ratio generated/baseline: wall %.2fx  cpu %.2fx  peak RSS %.2fx\n",
				g.wall.Seconds()/b.wall.Seconds(), g.cpu.Seconds()/b.cpu.Seconds(), float64(g.rssKB)/float64(b.rssKB))
		}
	}
}

// measure runs one program in a fresh directory and checks the warehouse.
func measure(work, name string, r int, argv []string, baseURL string, want int) (sample, error) {
	dir := filepath.Join(work, fmt.Sprintf("%s-%d", name, r))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return sample{}, err
	}
	db := filepath.Join(dir, "warehouse.db")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"JIRA_BASE_URL="+baseURL, "JIRA_EMAIL="+email, "JIRA_API_TOKEN="+token,
		"WAREHOUSE_URL=sqlite://"+db, "RESOLUTE_STATE_DIR="+filepath.Join(dir, "state"))
	if name == "baseline" {
		cmd.Args = append(cmd.Args, "-db", db, "-cursor", filepath.Join(dir, "cursor.txt"))
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	// Peak RSS is the kernel's high-water mark of the program's own memory
	// (VmHWM), read until it exits. rusage's maxrss would count the memory
	// of this process too: Go starts children with vfork, and the child's
	// maxrss includes its parent's resident set at that moment.
	hwm := make(chan int64)
	go func() { hwm <- pollHWM(cmd.Process.Pid) }()
	err := cmd.Wait()
	wall := time.Since(t0)
	peak := <-hwm
	if err != nil {
		return sample{}, fmt.Errorf("%v\n%s", err, tail(out.String()))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	s := sample{
		wall:  wall,
		cpu:   time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		rssKB: peak,
	}
	n, err := countRows(db)
	if err != nil {
		return s, err
	}
	if n != want {
		return s, fmt.Errorf("warehouse holds %d rows, want %d", n, want)
	}
	return s, nil
}

// pollHWM returns the largest VmHWM (kB) read from /proc/PID/status until
// the process is gone. VmHWM only grows, so the last reading is the peak up
// to a few milliseconds before exit.
func pollHWM(pid int) int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var peak int64
	for {
		b, err := os.ReadFile(path)
		if err != nil {
			return peak
		}
		s := string(b)
		if strings.Contains(s, "State:\tZ") {
			return peak // exited, not yet reaped: its memory is gone
		}
		if i := strings.Index(s, "VmHWM:"); i >= 0 {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(s[i+len("VmHWM:"):]), "%d", &kb)
			peak = max(peak, kb)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func countRows(db string) (int, error) {
	h, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		return 0, err
	}
	defer h.Close()
	var n int
	err = h.QueryRowContext(context.Background(), "SELECT count(*) FROM jira_issues").Scan(&n)
	return n, err
}

func median(s []sample) sample {
	pick := func(f func(sample) int64) int64 {
		v := make([]int64, len(s))
		for i := range s {
			v[i] = f(s[i])
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return sample{
		wall:  time.Duration(pick(func(x sample) int64 { return int64(x.wall) })),
		cpu:   time.Duration(pick(func(x sample) int64 { return int64(x.cpu) })),
		rssKB: pick(func(x sample) int64 { return x.rssKB }),
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "..." + s[len(s)-2000:]
	}
	return s
}

func run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return cmd.Run()
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
