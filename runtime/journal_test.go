package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

func testHeader() record {
	return record{Type: recHeader, Version: journalVersion, Flow: "f", RunID: "r1", SpecHash: "sha256:test", Cursors: map[string]string{"c": "0"}}
}

func writeTestJournal(t *testing.T, path string, keys ...string) {
	t.Helper()
	j, err := createJournal(path, testHeader(), durFsync, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := j.append(&record{Type: recCall, Key: k, Attempts: 1, Out: []byte(`{"k":"` + k + `"}`)}, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.close(); err != nil {
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

func TestJournalRoundTrip(t *testing.T) {
	path := t.TempDir() + "/j.jsonl"
	writeTestJournal(t, path, "a", "b", "loop[0]/c")
	recs, valid, err := readJournal(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if valid != st.Size() {
		t.Errorf("valid = %d, want the whole file (%d)", valid, st.Size())
	}
	if recs[0].RunID != "r1" || recs[0].Cursors["c"] != "0" {
		t.Errorf("header = %+v", recs[0])
	}
	if got := keysOf(recs); got != "a,b,loop[0]/c" {
		t.Errorf("keys = %s", got)
	}
	if string(recs[2].Out) != `{"k":"b"}` {
		t.Errorf("out = %s", recs[2].Out)
	}
}

// A crash in the middle of a write leaves a torn last line: it is ignored,
// cut away when the run resumes, and appends continue on a clean line.
func TestJournalTornLastLine(t *testing.T) {
	for name, tail := range map[string]string{
		"no newline":          `{"crc":"00000000","type":"call","key":"c","out":{"x`,
		"unparsable":          "garbage\n",
		"checksum mismatch":   `{"crc":"00000000","type":"call","key":"c","out":{}}` + "\n",
		"zeros after a crash": "\x00\x00\x00\x00",
	} {
		t.Run(name, func(t *testing.T) {
			path := t.TempDir() + "/j.jsonl"
			writeTestJournal(t, path, "a", "b")
			clean, _ := os.ReadFile(path)
			f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString(tail)
			f.Close()

			recs, valid, err := readJournal(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(recs); got != "a,b" || valid != int64(len(clean)) {
				t.Fatalf("keys = %s, valid = %d, want a,b and %d", got, valid, len(clean))
			}
			j, err := resumeJournal(path, valid, durFsync, nil)
			if err != nil {
				t.Fatal(err)
			}
			if data, _ := os.ReadFile(path); !bytes.Equal(data, clean) {
				t.Fatalf("torn tail not truncated:\n%q", data)
			}
			if err := j.append(&record{Type: recCall, Key: "c", Out: []byte("1")}, false); err != nil {
				t.Fatal(err)
			}
			j.close()
			recs, _, err = readJournal(path, nil)
			if err != nil || keysOf(recs) != "a,b,c" {
				t.Fatalf("after append: %v %v", keysOf(recs), err)
			}
		})
	}
}

func TestJournalCorruptMiddleRecord(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	path := h.e.journalPath("f")
	os.MkdirAll(h.e.dir+"/journal", 0o700)
	writeTestJournal(t, path, "a", "b", "c")
	data, _ := os.ReadFile(path)
	data = bytes.Replace(data, []byte(`"key":"b"`), []byte(`"key":"B"`), 1) // CRC no longer matches
	os.WriteFile(path, data, 0o600)

	_, _, err := readJournal(path, nil)
	if !errors.Is(err, errCorruptJournal) {
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

// Secret values are replaced by placeholders in the file and restored on replay.
func TestJournalNeverHoldsSecrets(t *testing.T) {
	const secret = `s3cr3t<&>"x`
	h := newHarness(t, Program{Env: []EnvVar{{Name: "TOKEN", Secret: true}}}, map[string]string{"TOKEN": secret})
	type out struct{ Echo, Other string }
	var journal []byte
	flow := func(ctx context.Context, r *Run) error {
		got, err := Call(ctx, r, "a", Options{}, func(context.Context) (out, error) {
			return out{Echo: "token=" + r.Env("TOKEN"), Other: "[REDACTED:OTHER]"}, nil
		})
		if err != nil {
			return err
		}
		if got.Echo != "token="+secret || got.Other != "[REDACTED:OTHER]" {
			t.Errorf("got %+v", got)
		}
		_, err = Call(ctx, r, "b", Options{Recover: true}, func(context.Context) (int, error) {
			return 0, Permanent(errors.New("denied for " + secret))
		})
		if err == nil || !strings.Contains(err.Error(), secret) {
			t.Errorf("err = %v", err)
		}
		journal, _ = os.ReadFile(r.st.j.path)
		return errors.New("fail so that the journal stays")
	}
	h.run(flow)
	if bytes.Contains(journal, []byte("s3cr3t")) {
		t.Fatalf("journal holds the secret:\n%s", journal)
	}
	mustContain(t, "journal", string(journal), `token=[REDACTED:TOKEN]`, `denied for [REDACTED:TOKEN]`)
	h.run(flow) // replay: the checks in flow run again against journaled values
	if strings.Contains(h.logs.String(), "s3cr3t") {
		t.Fatalf("logs hold the secret:\n%s", h.logs)
	}
}

func TestBatchDurabilityResumes(t *testing.T) {
	old := batchInterval
	batchInterval = time.Millisecond
	defer func() { batchInterval = old }()
	h := newHarness(t, Program{}, nil)
	h.e.mode = durBatch
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
