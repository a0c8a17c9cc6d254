package journal

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func testHeader() Record {
	return Record{Type: TypeHeader, Version: Version, Flow: "f", RunID: "r1", SpecHash: "sha256:test", Cursors: map[string]string{"c": "0"}}
}

func writeTestJournal(t *testing.T, path string, keys ...string) {
	t.Helper()
	j, err := Create(path, testHeader(), Fsync, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if err := j.Append(&Record{Type: TypeCall, Key: k, Attempts: 1, Out: []byte(`{"k":"` + k + `"}`)}, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

func keysOf(recs []Record) string {
	var ks []string
	for _, r := range recs[1:] {
		ks = append(ks, r.Key)
	}
	return strings.Join(ks, ",")
}

func TestJournalRoundTrip(t *testing.T) {
	path := t.TempDir() + "/j.jsonl"
	writeTestJournal(t, path, "a", "b", "loop[0]/c")
	recs, valid, err := Read(path)
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

			recs, valid, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(recs); got != "a,b" || valid != int64(len(clean)) {
				t.Fatalf("keys = %s, valid = %d, want a,b and %d", got, valid, len(clean))
			}
			j, err := Resume(path, valid, Fsync, nil)
			if err != nil {
				t.Fatal(err)
			}
			if data, _ := os.ReadFile(path); !bytes.Equal(data, clean) {
				t.Fatalf("torn tail not truncated:\n%q", data)
			}
			if err := j.Append(&Record{Type: TypeCall, Key: "c", Out: []byte("1")}, false); err != nil {
				t.Fatal(err)
			}
			j.Close()
			recs, _, err = Read(path)
			if err != nil || keysOf(recs) != "a,b,c" {
				t.Fatalf("after append: %v %v", keysOf(recs), err)
			}
		})
	}
}
