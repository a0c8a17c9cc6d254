package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/metrics/metricstest"
)

var absent = func() float64 { var z float64; return z / z }()

func TestMetricsOfRuns(t *testing.T) {
	p := Program{Cursors: []CursorSpec{{Name: "ms", Initial: "0"}, {Name: "at", Initial: "2024-01-01T00:00:00Z"}, {Name: "token", Initial: ""}}}
	h := newHarness(t, p, nil)
	clock := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	h.e.now = func() time.Time { clock = clock.Add(time.Second); return clock }
	fail := true
	flow := func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "fetch", Options{}, func(ctx context.Context) (int, error) { return 1, nil })
		if err != nil {
			return err
		}
		for i := range 3 {
			it := r.Iteration("pages", i)
			if _, err := Call(ctx, it, "page", Options{}, func(context.Context) (int, error) { return i, nil }); err != nil {
				return err
			}
		}
		if _, err := Call(ctx, r, "flaky", Options{Retry: Retry{Attempts: 3}, Recover: true}, func(context.Context) (int, error) {
			return 0, errors.New("down")
		}); err != nil {
			r.Failed("flaky", err)
		}
		r.Advance("ms", "1735725600000")
		r.Advance("at", "2025-01-01T10:00:00.5Z")
		r.Advance("token", "opaque-page-token")
		if fail {
			_, err := Call(ctx, r, "boom", Options{}, func(context.Context) (int, error) { return 0, Permanent(errors.New("boom")) })
			return err
		}
		return nil
	}

	if _, err := h.run(flow); err == nil {
		t.Fatal("first run should fail")
	}
	got := metricstest.Parse(t, string(h.e.metrics.Exposition()))
	metricstest.Want(t, got, map[string]float64{
		`resolute_runs_total{flow="f",result="failed"}`:                                1,
		`resolute_runs_total{flow="f",result="succeeded"}`:                             0,
		`resolute_run_in_progress{flow="f"}`:                                           0,
		`resolute_unfinished_run{flow="f"}`:                                            1,
		`resolute_last_run_succeeded{flow="f"}`:                                        0,
		`resolute_last_run_start_timestamp_seconds{flow="f"}`:                          float64(time.Date(2025, 1, 1, 10, 0, 3, 0, time.UTC).Unix()),
		`resolute_last_run_duration_seconds{flow="f"}`:                                 1,
		`resolute_last_success_timestamp_seconds{flow="f"}`:                            absent,
		`resolute_steps_completed_total{flow="f",step="fetch",source="executed"}`:      1,
		`resolute_steps_completed_total{flow="f",step="pages/page",source="executed"}`: 3,
		`resolute_step_attempts_total{flow="f",step="flaky"}`:                          3,
		`resolute_step_retries_total{flow="f",step="flaky"}`:                           2,
		`resolute_step_failures_total{flow="f",step="flaky"}`:                          1,
		`resolute_steps_failed_continued_total{flow="f",step="flaky"}`:                 1,
		`resolute_step_failures_total{flow="f",step="boom"}`:                           1,
		`resolute_step_duration_seconds_count{flow="f",step="pages/page"}`:             3,
		`resolute_step_duration_seconds_bucket{flow="f",step="pages/page",le="+Inf"}`:  3,
		`resolute_step_duration_seconds_bucket{flow="f",step="pages/page",le="3600"}`:  3,
		`resolute_step_duration_seconds_count{flow="f",step="flaky"}`:                  0,      // failures are not timed
		`resolute_cursor_value{cursor="ms"}`:                                           absent, // nothing committed yet
	})

	fail = false
	if _, err := h.run(flow); err != nil {
		t.Fatal(err)
	}
	got = metricstest.Parse(t, string(h.e.metrics.Exposition()))
	finish := float64(time.Date(2025, 1, 1, 10, 0, 6, 0, time.UTC).Unix())
	metricstest.Want(t, got, map[string]float64{
		`resolute_runs_total{flow="f",result="failed"}`:                                1,
		`resolute_runs_total{flow="f",result="succeeded"}`:                             1,
		`resolute_unfinished_run{flow="f"}`:                                            0,
		`resolute_last_run_succeeded{flow="f"}`:                                        1,
		`resolute_last_run_finish_timestamp_seconds{flow="f"}`:                         finish,
		`resolute_last_success_timestamp_seconds{flow="f"}`:                            finish,
		`resolute_steps_completed_total{flow="f",step="fetch",source="executed"}`:      1,
		`resolute_steps_completed_total{flow="f",step="fetch",source="replayed"}`:      1,
		`resolute_steps_completed_total{flow="f",step="pages/page",source="replayed"}`: 3,
		`resolute_step_failures_total{flow="f",step="flaky"}`:                          1, // replayed, not run again
		`resolute_steps_failed_continued_total{flow="f",step="flaky"}`:                 2, // in both runs' summaries
		`resolute_cursor_value{cursor="ms"}`:                                           1735725600000,
		`resolute_cursor_timestamp_seconds{cursor="at"}`:                               1735725600.5,
		`resolute_cursor_value{cursor="token"}`:                                        absent,
	})
	if text := string(h.e.metrics.Exposition()); strings.Contains(text, "opaque-page-token") {
		t.Errorf("a cursor value is in a label:\n%s", text)
	}
}

func TestMetricsFile(t *testing.T) {
	fail := false
	p := cliProgram(func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "s", Options{}, func(context.Context) (int, error) {
			if fail {
				return 0, Permanent(errInjected)
			}
			return 1, nil
		})
		r.Advance("jira", "1735725600000")
		return err
	})
	env := map[string]string{"JIRA_BASE_URL": "http://x", "JIRA_API_TOKEN": "t0ken-secret"}
	tmp := t.TempDir()
	file := filepath.Join(tmp, "prog.prom")
	dir := "--state-dir=" + filepath.Join(tmp, "state")

	start := time.Now()
	if code, _, stderr := runCLI(t, p, env, "run", "--once", "reindex", dir, "--metrics-file", file); code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(file); st.Mode().Perm()&0o044 != 0o044 {
		t.Errorf("metrics file mode %v: node_exporter (another user) cannot read it", st.Mode())
	}
	got := metricstest.Parse(t, string(data))
	metricstest.Want(t, got, map[string]float64{
		`resolute_runs_total{flow="reindex",result="succeeded"}`:                    1,
		`resolute_runs_total{flow="jira-sync",result="succeeded"}`:                  0,
		`resolute_last_run_succeeded{flow="reindex"}`:                               1,
		`resolute_last_run_succeeded{flow="jira-sync"}`:                             absent,
		`resolute_unfinished_run{flow="reindex"}`:                                   0,
		`resolute_steps_completed_total{flow="reindex",step="s",source="executed"}`: 1,
		`resolute_step_duration_seconds_count{flow="reindex",step="s"}`:             1,
		`resolute_cursor_value{cursor="jira"}`:                                      1735725600000,
	})
	success := got[`resolute_last_success_timestamp_seconds{flow="reindex"}`]
	if success < float64(start.Unix()) || success > float64(time.Now().Unix()+1) {
		t.Errorf("last success %v, want about now", success)
	}
	entries, _ := os.ReadDir(tmp)
	if len(entries) != 2 {
		t.Errorf("temp files left next to the metrics file: %v", entries)
	}

	// A failed run, in a new process: counters start again, the last
	// success is restored from the state directory.
	fail = true
	if code, _, _ := runCLI(t, p, env, "run", "--once", "reindex", dir, "--metrics-file", file); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	data, _ = os.ReadFile(file)
	if strings.Contains(string(data), "t0ken-secret") {
		t.Errorf("secret in the metrics:\n%s", data)
	}
	got = metricstest.Parse(t, string(data))
	metricstest.Want(t, got, map[string]float64{
		`resolute_runs_total{flow="reindex",result="succeeded"}`:  0,
		`resolute_runs_total{flow="reindex",result="failed"}`:     1,
		`resolute_last_run_succeeded{flow="reindex"}`:             0,
		`resolute_last_success_timestamp_seconds{flow="reindex"}`: success,
		`resolute_unfinished_run{flow="reindex"}`:                 1,
		`resolute_step_failures_total{flow="reindex",step="s"}`:   1,
		`resolute_cursor_value{cursor="jira"}`:                    1735725600000,
	})
	_, out, _ := runCLI(t, p, env, "status", dir)
	mustContain(t, "status", out, "last run: failed", "last success: ")

	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{"run", "--once", "reindex", dir, "--metrics-file", filepath.Join(tmp, "no", "such", "dir", "m.prom")}, "--metrics-file: "},
		{[]string{"status", dir, "--metrics-file", file}, "--metrics-file only applies to the run command"},
		{[]string{"cursor", "get", "jira", dir, "--metrics-addr", "127.0.0.1:0"}, "--metrics-addr only applies to the run command"},
	} {
		if code, _, stderr := runCLI(t, p, env, tc.args...); code != 2 || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s", tc.args, code, tc.msg, stderr)
		}
	}
}

func TestMetricsAddrInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	p := cliProgram(func(context.Context, *Run) error { return nil })
	env := map[string]string{"JIRA_BASE_URL": "http://x", "JIRA_API_TOKEN": "t0ken"}
	code, _, stderr := runCLI(t, p, env, "run", "--once", "reindex", "--state-dir", t.TempDir(), "--metrics-addr", ln.Addr().String())
	if code != 2 || !strings.Contains(stderr, "--metrics-addr: listen tcp "+ln.Addr().String()) {
		t.Errorf("exit %d, want 2\n%s", code, stderr)
	}
}

var metricsURLRE = regexp.MustCompile(`msg="serving metrics" url=(http://\S+/metrics)`)

// metricsURL waits for the program's log line that gives the metrics URL.
func (p *proc) metricsURL(stderr interface{ String() string }) string {
	p.t.Helper()
	var u string
	p.waitFor("the metrics URL in the log", func() bool {
		m := metricsURLRE.FindStringSubmatch(stderr.String())
		if m != nil {
			u = m[1]
		}
		return m != nil
	})
	return u
}

func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		t.Fatalf("GET %s: %s %q\n%s", url, resp.Status, resp.Header.Get("Content-Type"), body)
	}
	if strings.Contains(string(body), "hunter2") {
		t.Errorf("secret in the metrics:\n%s", body)
	}
	return metricstest.Parse(t, string(body))
}

func TestProcessMetricsServedDuringRun(t *testing.T) {
	p := newProc(t)
	p.run(nil, "cursor", "set", "c", "41")
	cmd, _, _ := p.command([]string{"TP_BLOCK=" + p.release}, "run", "--once", "sync", "--metrics-addr", "127.0.0.1:0")
	stderr := &lockedBuffer{} // read while the program writes
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p.waitFor("step two to start", func() bool { return p.counts()["two"] > 0 })
	url := p.metricsURL(stderr)
	metricstest.Want(t, scrape(t, url), map[string]float64{
		`resolute_run_in_progress{flow="sync"}`:                                    1,
		`resolute_unfinished_run{flow="sync"}`:                                     0,
		`resolute_runs_total{flow="sync",result="succeeded"}`:                      0,
		`resolute_steps_completed_total{flow="sync",step="one",source="executed"}`: 1,
		`resolute_step_attempts_total{flow="sync",step="one"}`:                     1,
		`resolute_steps_completed_total{flow="sync",step="two",source="executed"}`: absent,
		`resolute_cursor_value{cursor="c"}`:                                        41,
	})
	resp, err := http.Post(url, "text/plain", nil)
	if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /metrics: %v %v", resp.Status, err)
	}
	os.WriteFile(p.release, nil, 0o600)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("metrics still served after the program exited")
	}
}

func TestProcessMetricsServedByScheduler(t *testing.T) {
	p := newProc(t)
	cmd, _, _ := p.command(nil, "run", "--metrics-addr", "127.0.0.1:0", "--metrics-file", filepath.Join(p.tmp, "m.prom"))
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := p.metricsURL(stderr)
	p.waitFor("a scheduled tick", func() bool { return p.counts()["tick"] > 0 })
	p.waitFor("the tick run to be counted", func() bool {
		return scrape(t, url)[`resolute_runs_total{flow="tick",result="succeeded"}`] >= 1
	})
	got := scrape(t, url)
	metricstest.Want(t, got, map[string]float64{
		`resolute_runs_total{flow="sync",result="succeeded"}`: 0,
		`resolute_last_run_succeeded{flow="tick"}`:            1,
	})
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	data, err := os.ReadFile(filepath.Join(p.tmp, "m.prom"))
	if err != nil {
		t.Fatal(err)
	}
	if n := metricstest.Parse(t, string(data))[`resolute_runs_total{flow="tick",result="succeeded"}`]; n < 1 {
		t.Errorf("metrics file: %v tick runs\n%s", n, data)
	}
}
