package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/jira/jiratest"
)

// syncBuffer is a bytes.Buffer safe for a process's writes and the test's
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const hookSpec = `version = 1
flow = "hooked"
trigger = { webhook = "github", secret = "HOOK_SECRET" }

[env]
JIRA_BASE_URL = { required = true }
HOOK_SECRET   = { secret = true }

[[step]]
id = "issues"
call = "jira.FetchIssues"
with = { BaseURL = "${env.JIRA_BASE_URL}", Email = "bot@example.com", APIToken = "token", JQL = "project = X ORDER BY updated ASC" }
`

const tickSpec = `version = 1
flow = "ticker"
schedule = "@every 1s"

[env]
TICKS = { required = true }

[[step]]
id = "written"
call = "deadletter.Write"
with = { Path = "${env.TICKS}", Step = "tick", Error = "tick", Items = '${[]string{"t"}}' }
`

func sign(secret, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// TestWebhookStartsRuns builds a generated program whose flow "hooked"
// declares a GitHub webhook trigger and runs it with --webhook-addr beside
// a scheduled flow: a signed delivery starts a run, unsigned, wrongly
// signed and oversized ones are refused and start nothing, and a burst of
// 100 deliveries while a run is in progress starts at most one more run.
// The Jira fake is behind a gate, so each run's one request is counted and
// can be held.
func TestWebhookStartsRuns(t *testing.T) {
	bin := tool(t)
	dir := t.TempDir()
	for name, src := range map[string]string{"hook.toml": hookSpec, "tick.toml": tickSpec} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"GOPROXY=off", "GOFLAGS=", "GOWORK=off"}
	if out, code := runCmd(t, dir, env, bin, "build", "hook.toml", "tick.toml", "-o", "prog"); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, out)
	}

	jira := jiratest.NewServer()
	defer jira.Close()
	var requests atomic.Int32
	var held sync.Mutex // held while the test keeps runs in progress
	gate := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		held.Lock()
		held.Unlock()
		jira.ServeHTTP(w, r)
	}))
	defer gate.Close()

	const secret = "s3cret-webhook-key-0123456789"
	ticks := filepath.Join(dir, "ticks.jsonl")
	cmd := exec.Command(filepath.Join(dir, "prog"), "run", "--webhook-addr", "127.0.0.1:0", "--state-dir", filepath.Join(dir, "state"))
	cmd.Env = append(os.Environ(), "JIRA_BASE_URL="+gate.URL, "HOOK_SECRET="+secret, "TICKS="+ticks)
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("program log:\n%s", stderr.String())
		}
	}()
	urlRE := regexp.MustCompile(`url=(http://127\.0\.0\.1:\d+/webhook/hooked)`)
	var url string
	eventually(t, "the program serves webhooks", func() bool {
		m := urlRE.FindStringSubmatch(stderr.String())
		if m != nil {
			url = m[1]
		}
		return m != nil
	})
	runsDone := func() int { return strings.Count(stderr.String(), `msg="run finished" flow=hooked`) }

	post := func(body string, header http.Header) int {
		req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		if err != nil {
			t.Error(err)
			return 0
		}
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"action":"opened","issue":{"number":1}}`
	refused := []struct {
		name   string
		header http.Header
	}{
		{"unsigned", http.Header{}},
		{"wrong secret", http.Header{"X-Hub-Signature-256": {sign("not-the-secret", body)}}},
		{"signature of another body", http.Header{"X-Hub-Signature-256": {sign(secret, body+" ")}}},
		{"not hex", http.Header{"X-Hub-Signature-256": {"sha256=zz"}}},
		{"sha1 form", http.Header{"X-Hub-Signature-256": {strings.Replace(sign(secret, body), "sha256=", "sha1=", 1)}}},
		{"the generic header", http.Header{"X-Signature": {sign(secret, body)}}},
	}
	for _, c := range refused {
		if code := post(body, c.header); code != http.StatusUnauthorized {
			t.Errorf("%s delivery: status %d, want 401", c.name, code)
		}
	}
	// Oversized: refused on its Content-Length, before the body is read.
	req, _ := http.NewRequest(http.MethodPost, url, io.LimitReader(zeros{}, 25<<20+1))
	req.ContentLength = 25<<20 + 1
	req.Header.Set("X-Hub-Signature-256", sign(secret, body))
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Logf("oversized delivery: %v (the server may close early)", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized delivery: status %d, want 413", resp.StatusCode)
		}
	}

	// A signed delivery starts a run.
	if code := post(body, http.Header{"X-Hub-Signature-256": {sign(secret, body)}}); code != http.StatusAccepted {
		t.Fatalf("signed delivery: status %d, want 202", code)
	}
	eventually(t, "the signed delivery's run finished", func() bool { return runsDone() == 1 })
	if n := requests.Load(); n != 1 {
		t.Fatalf("the refused deliveries started runs: the fake saw %d requests, want 1", n)
	}

	// A burst of 100 while a run is held in progress: one run is in
	// progress, the rest coalesce into one pending run.
	held.Lock()
	if code := post(body, http.Header{"X-Hub-Signature-256": {sign(secret, body)}}); code != http.StatusAccepted {
		t.Fatalf("signed delivery: status %d, want 202", code)
	}
	eventually(t, "the second run is in progress", func() bool { return requests.Load() == 2 })
	var wg sync.WaitGroup
	var accepted atomic.Int32
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if post(body, http.Header{"X-Hub-Signature-256": {sign(secret, body)}}) == http.StatusAccepted {
				accepted.Add(1)
			}
		}()
	}
	wg.Wait()
	if accepted.Load() != 100 {
		t.Errorf("%d of 100 signed deliveries were accepted", accepted.Load())
	}
	held.Unlock()
	eventually(t, "the pending run finished", func() bool { return runsDone() >= 3 })
	// The scheduled flow keeps ticking beside the webhooks; a third run of
	// the burst, were one pending, would run before two more ticks.
	before := lines(t, ticks)
	eventually(t, "the scheduled flow ran twice more", func() bool { return lines(t, ticks) >= before+2 })
	if n := runsDone(); n != 3 {
		t.Errorf("the burst started %d runs, want at most 2 (the one in progress and one pending)", n-1)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("the fake saw %d requests, want 3 (one per run)", n)
	}
	if strings.Contains(stderr.String(), secret) {
		t.Error("the webhook secret appears in the log")
	}
	if got := strings.Count(stderr.String(), "webhook refused"); got != len(refused)+1 {
		t.Errorf("%d refusals logged, want %d", got, len(refused)+1)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
