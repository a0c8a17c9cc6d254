package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/journal"
)

func testHeader() record {
	return record{Type: recHeader, Version: journal.Version, Flow: "f", RunID: "r1", SpecHash: "sha256:test", Cursors: map[string]string{"c": "0"}}
}

func writeTestJournal(t *testing.T, path string, keys ...string) {
	t.Helper()
	j, err := journal.Create(path, testHeader(), journal.Fsync, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := j.Append(&record{Type: recCall, Key: k, Attempts: 1, Out: []byte(`{"k":"` + k + `"}`)}, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

func keysOf(recs []record) string {
	var ks []string
	for _, r := range recs[1:] {
		ks = append(ks, r.Key)
	}
	return strings.Join(ks, ",")
}

func TestJournalCorruptMiddleRecord(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	path := h.e.journalPath("f")
	os.MkdirAll(h.e.dir+"/journal", 0o700)
	writeTestJournal(t, path, "a", "b", "c")
	data, _ := os.ReadFile(path)
	data = bytes.Replace(data, []byte(`"key":"b"`), []byte(`"key":"B"`), 1) // CRC no longer matches
	os.WriteFile(path, data, 0o600)

	_, _, err := journal.Read(path)
	if !errors.Is(err, journal.ErrCorrupt) {
		t.Fatalf("err = %v, want a corrupt journal error", err)
	}
	ran := false
	_, err = h.run(func(ctx context.Context, r *Run) error { ran = true; return nil })
	if ran || exitCode(err) != 2 {
		t.Fatalf("ran = %v, exit code %d (%v); want a refusal with exit code 2", ran, exitCode(err), err)
	}
	mustContain(t, "error", err.Error(), path, "line 3", "checksum mismatch", "prog run --once f --fresh")

	// --fresh is the way out.
	if _, err := h.e.runFlow(context.Background(), Flow{Name: "f", Run: func(context.Context, *Run) error { return nil }}, true); err != nil {
		t.Fatal(err)
	}
}

func TestJournalWithoutCompleteHeaderStartsOver(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	os.MkdirAll(h.e.dir+"/journal", 0o700)
	os.WriteFile(h.e.journalPath("f"), []byte(`{"crc":"12345678","type":"hea`), 0o600)
	n := 0
	if _, err := h.run(func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "a", Options{}, func(context.Context) (int, error) { n++; return 1, nil })
		return err
	}); err != nil || n != 1 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
}

// placeholderTexts are every form of placeholder text an attacker could
// put into data, hoping a replay substitutes a secret for it.
var placeholderTexts = []string{
	"[REDACTED:TOKEN]", "[REDACTED]", "[REDACTED:", "REDACTED:TOKEN]", "[REDACTED:TOKEN",
	`\"[REDACTED:TOKEN]\"`, `\u005bREDACTED:TOKEN\u005d`, "\\[REDACTED:TOKEN]", "[REDACTED:OTHER]",
	"x[REDACTED:TOKEN][REDACTED:TOKEN]y", "<[REDACTED:TOKEN]&>",
}

// A journaled output is replayed byte for byte: placeholder text in data
// never becomes a secret, and the journal holds no secret.
func TestReplayIsByteExactWithPlaceholderText(t *testing.T) {
	const secret = `s3cr3t<&>"x`
	h := newHarness(t, Program{Env: []EnvVar{{Name: "TOKEN", Secret: true}, {Name: "OTHER", Secret: true}}},
		map[string]string{"TOKEN": secret, "OTHER": "other-secret-value"})
	var got [][]string
	var c counter
	flow := func(ctx context.Context, r *Run) error {
		out, err := Call(ctx, r, "fetch", Options{}, func(context.Context) ([]string, error) {
			c.inc("fetch")
			return placeholderTexts, nil
		})
		if err != nil {
			return err
		}
		got = append(got, out)
		if c.inc("upsert") == 1 {
			return errors.New("the upsert failed")
		}
		return nil
	}
	if _, err := h.run(flow); err == nil {
		t.Fatal("the first run should fail")
	}
	journal, err := os.ReadFile(h.e.journalPath("f"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(journal, []byte("s3cr3t")) || bytes.Contains(journal, []byte("other-secret")) {
		t.Fatalf("journal holds a secret:\n%s", journal)
	}
	if _, err := h.run(flow); err != nil {
		t.Fatal(err)
	}
	if c.get("fetch") != 1 || len(got) != 2 {
		t.Fatalf("fetch ran %d times, flow body %d times; want 1 and 2", c.get("fetch"), len(got))
	}
	for i, want := range placeholderTexts {
		if got[1][i] != want {
			t.Errorf("replayed %q, live run saw %q", got[1][i], want)
		}
	}
}

// An output holding a secret is not journaled: the step fails for good,
// naming the step and the variable, and the secret reaches no file.
func TestOutputHoldingSecretFailsStep(t *testing.T) {
	const secret = "tok-9f8e7d6c5b"
	for _, form := range []string{secret, "Bearer " + secret + " in a header"} {
		h := newHarness(t, Program{Env: []EnvVar{{Name: "TOKEN", Secret: true}}}, map[string]string{"TOKEN": secret})
		var c counter
		_, err := h.run(func(ctx context.Context, r *Run) error {
			_, err := Call(ctx, r, "echo", Options{Retry: Retry{Attempts: 3}}, func(context.Context) (map[string]string, error) {
				c.inc("echo")
				return map[string]string{"auth": form}, nil
			})
			return err
		})
		if err == nil || !strings.Contains(err.Error(), `step "echo"`) || !strings.Contains(err.Error(), "secret environment variable TOKEN") {
			t.Fatalf("err = %v", err)
		}
		if c.get("echo") != 1 {
			t.Errorf("a secret in the output is permanent; the node ran %d times", c.get("echo"))
		}
		filepath.Walk(h.e.dir, func(path string, info os.FileInfo, err error) error {
			if err == nil && !info.IsDir() {
				if data, _ := os.ReadFile(path); bytes.Contains(data, []byte(secret)) {
					t.Errorf("%s holds the secret:\n%s", path, data)
				}
			}
			return nil
		})
		if strings.Contains(h.logs.String(), secret) {
			t.Errorf("logs hold the secret")
		}
	}
}

// An error handled by on_error is journaled redacted, and the handler sees
// the same redacted text live and on replay.
func TestRecoveredErrorIsRedacted(t *testing.T) {
	const secret = "s3cr3t-token-value"
	h := newHarness(t, Program{Env: []EnvVar{{Name: "TOKEN", Secret: true}}}, map[string]string{"TOKEN": secret})
	var seen []string
	flow := func(ctx context.Context, r *Run) error {
		_, err := Call(ctx, r, "b", Options{Recover: true}, func(context.Context) (int, error) {
			return 0, Permanent(errors.New("denied for " + secret))
		})
		if len(seen) == 0 && !IsPermanent(err) {
			t.Errorf("the redacted error lost its kind: %v", err)
		}
		seen = append(seen, err.Error())
		if len(seen) == 1 {
			return errors.New("fail so that the journal stays")
		}
		return nil
	}
	h.run(flow)
	journal, _ := os.ReadFile(h.e.journalPath("f"))
	if bytes.Contains(journal, []byte(secret)) {
		t.Fatalf("journal holds the secret:\n%s", journal)
	}
	mustContain(t, "journal", string(journal), `denied for [REDACTED]`)
	if _, err := h.run(flow); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 || seen[0] != seen[1] || strings.Contains(seen[0], secret) {
		t.Errorf("handler saw %q", seen)
	}
}

func TestBatchDurabilityResumes(t *testing.T) {
	old := journal.BatchInterval
	journal.BatchInterval = time.Millisecond
	defer func() { journal.BatchInterval = old }()
	h := newHarness(t, Program{}, nil)
	h.e.mode = journal.Batch
	var c counter
	flow := func(ctx context.Context, r *Run) error {
		for i := range 5 {
			if _, err := Call(ctx, r, fmt.Sprint("s", i), Options{}, func(context.Context) (int, error) {
				if c.inc(fmt.Sprint("s", i)) == 1 && i == 3 {
					return 0, Permanent(errors.New("fail"))
				}
				time.Sleep(time.Millisecond)
				return i, nil
			}); err != nil {
				return err
			}
		}
		return nil
	}
	h.run(flow)
	if _, err := h.run(flow); err != nil {
		t.Fatal(err)
	}
	if c.get("s0") != 1 || c.get("s3") != 2 || c.get("s4") != 1 {
		t.Errorf("counts %v", c.n)
	}
}
