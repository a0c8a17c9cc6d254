package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type item struct {
	Key    string   `json:"key"`
	Labels []string `json:"labels"`
}

func TestWriteContent(t *testing.T) {
	fixed := time.Date(2026, 3, 2, 10, 0, 0, 123456789, time.FixedZone("", 3600))
	now = func() time.Time { return fixed }
	t.Cleanup(func() { now = time.Now })

	path := filepath.Join(t.TempDir(), "sub", "dir", "dead.jsonl")
	out, err := Write(context.Background(), WriteInput[item]{
		Path: path, Step: "upserted", Error: "sqlsink: boom",
		Items: []item{{"PLAT-1", []string{"a"}}, {"PLAT-2", nil}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.Written != 2 || out.Path != path {
		t.Fatalf("out = %+v", out)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-03-02T09:00:00.123456789Z","step":"upserted","error":"sqlsink: boom","item":{"key":"PLAT-1","labels":["a"]}}
{"time":"2026-03-02T09:00:00.123456789Z","step":"upserted","error":"sqlsink: boom","item":{"key":"PLAT-2","labels":null}}
`
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", st.Mode().Perm())
	}

	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[1].Step != "upserted" || !recs[0].Time.Equal(fixed) {
		t.Fatalf("records = %+v", recs)
	}
	var it item
	if err := json.Unmarshal(recs[0].Item, &it); err != nil || it.Key != "PLAT-1" {
		t.Fatalf("item = %s (%v)", recs[0].Item, err)
	}
}

func TestWriteNoItemsRecordsFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	out, err := Write(context.Background(), WriteInput[item]{Path: path, Step: "issues", Error: "jira: 401"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Written != 1 {
		t.Fatalf("Written = %d", out.Written)
	}
	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || string(recs[0].Item) != "null" || recs[0].Error != "jira: 401" {
		t.Fatalf("records = %+v", recs)
	}
}

func TestWriteFsyncs(t *testing.T) {
	var calls atomic.Int32
	syncFile = func(f *os.File) error { calls.Add(1); return f.Sync() }
	t.Cleanup(func() { syncFile = (*os.File).Sync })

	path := filepath.Join(t.TempDir(), "dead.jsonl")
	if _, err := Write(context.Background(), WriteInput[int]{Path: path, Items: []int{1}}); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 2 { // the file, then its directory (new file)
		t.Fatalf("sync calls on create = %d, want 2", got)
	}
	if _, err := Write(context.Background(), WriteInput[int]{Path: path, Items: []int{2}}); err != nil {
		t.Fatal(err)
	}
	if got := calls.Load(); got != 3 {
		t.Fatalf("sync calls after append = %d, want 3", got)
	}

	// A failing fsync is reported: the records are not known to be durable.
	syncFile = func(*os.File) error { return errors.New("EIO") }
	if _, err := Write(context.Background(), WriteInput[int]{Path: path, Items: []int{3}}); err == nil || !strings.Contains(err.Error(), "EIO") {
		t.Fatalf("err = %v, want EIO", err)
	}
}

func TestWriteConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	const writers, perCall = 16, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			items := make([]item, perCall)
			for i := range items {
				items[i] = item{Key: fmt.Sprintf("W%d-%d", w, i), Labels: []string{strings.Repeat("x", 500)}}
			}
			// Through a second path spelling, which must share the lock.
			p := path
			if w%2 == 1 {
				p = filepath.Dir(path) + "/./dead.jsonl"
			}
			if _, err := Write(context.Background(), WriteInput[item]{Path: p, Step: "s", Items: items}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != writers*perCall {
		t.Fatalf("%d records, want %d", len(recs), writers*perCall)
	}
	// Lines of one call are contiguous.
	for i := 0; i < len(recs); i += perCall {
		var first item
		json.Unmarshal(recs[i].Item, &first)
		prefix := first.Key[:strings.Index(first.Key, "-")]
		for j := i; j < i+perCall; j++ {
			var it item
			json.Unmarshal(recs[j].Item, &it)
			if !strings.HasPrefix(it.Key, prefix+"-") {
				t.Fatalf("record %d (%s) interleaved into the call of %s", j, it.Key, prefix)
			}
		}
	}
}

func TestReadToleratesTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	if _, err := Write(context.Background(), WriteInput[int]{Path: path, Step: "a", Items: []int{1, 2}}); err != nil {
		t.Fatal(err)
	}
	// A writer crashes in the middle of a line.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"time":"2026-03-02T09:00:00Z","step":"b","err`)
	f.Close()

	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records before the next write, want 2", len(recs))
	}
	// The next write terminates the torn line first, so its record survives.
	if _, err := Write(context.Background(), WriteInput[int]{Path: path, Step: "c", Items: []int{3}}); err != nil {
		t.Fatal(err)
	}
	recs, err = Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[2].Step != "c" || string(recs[2].Item) != "3" {
		t.Fatalf("records = %+v", recs)
	}
	// Garbage in the middle and blank lines are skipped too.
	os.WriteFile(path, []byte("\n"+`not json`+"\n"+`{"time":"2026-03-02T09:00:00Z","step":"d","error":"","item":4}`+"\n"), 0o600)
	recs, err = Read(path)
	if err != nil || len(recs) != 1 || recs[0].Step != "d" {
		t.Fatalf("records = %+v, %v", recs, err)
	}
}

func TestWriteErrors(t *testing.T) {
	_, err := Write(context.Background(), WriteInput[int]{})
	var p interface{ Permanent() bool }
	if !errors.As(err, &p) || !p.Permanent() {
		t.Fatalf("empty path: err = %v, want permanent", err)
	}
	_, err = Write(context.Background(), WriteInput[chan int]{Path: filepath.Join(t.TempDir(), "x"), Items: []chan int{make(chan int)}})
	if !errors.As(err, &p) || !p.Permanent() {
		t.Fatalf("unencodable item: err = %v, want permanent", err)
	}
	if _, err := Read(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Read missing: %v", err)
	}
}

// TestWriteSeveralProcesses appends from child processes (this test binary
// re-executed) at the same time; O_APPEND keeps every line whole.
func TestWriteSeveralProcesses(t *testing.T) {
	if p := os.Getenv("DEADLETTER_CHILD_PATH"); p != "" {
		for i := range 20 {
			items := []item{{Key: fmt.Sprintf("%s-%d", os.Getenv("DEADLETTER_CHILD_ID"), i), Labels: []string{strings.Repeat("y", 3000)}}}
			if _, err := Write(context.Background(), WriteInput[item]{Path: p, Items: items}); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	path := filepath.Join(t.TempDir(), "dead.jsonl")
	var cmds []*exec.Cmd
	for id := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWriteSeveralProcesses$")
		cmd.Env = append(os.Environ(), "DEADLETTER_CHILD_PATH="+path, fmt.Sprintf("DEADLETTER_CHILD_ID=P%d", id))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 80 {
		t.Fatalf("%d records, want 80", len(recs))
	}
}
