package runtime

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestAppendSoon: a record appended with appendSoon is in the file when the
// call returns (a killed process keeps it), and close leaves every record
// readable; normal appends in between keep working.
func TestAppendSoon(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.jsonl")
	j, err := createJournal(path, testHeader(), durFsync, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		rec := record{Type: recPage, Key: "pages", Page: i, Token: "t" + strconv.Itoa(i)}
		if err := j.appendSoon(&rec); err != nil {
			t.Fatal(err)
		}
		// Without closing: the line is already in the file.
		recs, _, err := readJournal(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := recs[len(recs)-1]; got.Type != recPage || got.Page != i {
			t.Fatalf("after appendSoon of page %d the last record is %+v", i, got)
		}
		if i%10 == 0 {
			if err := j.append(&record{Type: recCall, Key: "k" + strconv.Itoa(i), Out: []byte("1")}, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := j.close(); err != nil {
		t.Fatal(err)
	}
	recs, valid, err := readJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	if valid != st.Size() || len(recs) != 1+50+5 {
		t.Fatalf("after close: %d records, valid %d of %d bytes", len(recs), valid, st.Size())
	}
}
