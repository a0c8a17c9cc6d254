package journal

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestAppendSoon: a Record appended with appendSoon is in the file when the
// call returns (a killed process keeps it), and close leaves every Record
// readable; normal appends in between keep working.
func TestAppendSoon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := Create(path, testHeader(), Fsync, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		rec := Record{Type: "page", Key: "pages", Page: i, Token: "t" + strconv.Itoa(i)}
		if err := j.AppendSoon(&rec); err != nil {
			t.Fatal(err)
		}
		// Without closing: the line is already in the file.
		recs, _, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := recs[len(recs)-1]; got.Type != "page" || got.Page != i {
			t.Fatalf("after appendSoon of page %d the last Record is %+v", i, got)
		}
		if i%10 == 0 {
			if err := j.Append(&Record{Type: TypeCall, Key: "k" + strconv.Itoa(i), Out: []byte("1")}, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	recs, valid, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if valid != st.Size() || len(recs) != 1+50+5 {
		t.Fatalf("after close: %d records, valid %d of %d bytes", len(recs), valid, st.Size())
	}
}
