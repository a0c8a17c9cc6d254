// Package deadletter records items that a flow could not process, so that a
// failure never loses data silently. It is meant as an on_error handler:
//
//	[[step]]
//	id = "upserted"
//	call = "sql.Upsert"
//	with = { URL = "${env.WAREHOUSE_URL}", Table = "jira_issues", Rows = "${rows}" }
//	  [step.on_error]
//	  call = "deadletter.Write"
//	  then = "continue"
//	  with = { Path = "${env.DEAD_LETTERS}", Step = "upserted", Error = "${error}", Items = "${input.Rows}" }
//
// The file is JSON Lines: one object per item,
//
//	{"time":"2026-03-02T10:00:00.123456789Z","step":"upserted","error":"sqlsink: ...","item":{...}}
//
// Lines are appended with O_APPEND in a single write per call and fsync'd
// before Write returns, so several goroutines and several processes may share
// one file. Read parses such a file and tolerates a torn (half-written) line.
package deadletter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
)

// WriteInput is the input of Write.
type WriteInput[T any] struct {
	// Path is the JSON Lines file to append to. It is created with mode 0600,
	// and its missing parent directories with mode 0700.
	Path string
	// Step names the step whose failure is recorded.
	Step string
	// Error is the failure's message.
	Error string
	// Items are the items that could not be processed; one line is written
	// per item. When Items is empty, one line with "item": null is written so
	// that the failure itself is still recorded.
	Items []T
}

// WriteOutput is the output of Write.
type WriteOutput struct {
	// Written is the number of lines appended (at least 1).
	Written int
	// Path is the file written to, as given in the input.
	Path string
}

// Record is one line of a dead-letter file.
type Record struct {
	// Time is when the record was written.
	Time time.Time `json:"time"`
	// Step names the step that failed.
	Step string `json:"step"`
	// Error is the failure's message.
	Error string `json:"error"`
	// Item is the item's JSON; "null" when the failure had no items.
	Item json.RawMessage `json:"item"`
}

// line is what Write encodes; the time is formatted by hand so that it is
// always RFC 3339 with nanoseconds in UTC.
type line struct {
	Time  string          `json:"time"`
	Step  string          `json:"step"`
	Error string          `json:"error"`
	Item  json.RawMessage `json:"item"`
}

// Hooks replaced by tests.
var (
	now      = time.Now
	syncFile = (*os.File).Sync
)

// locks holds one mutex per cleaned absolute path.
var locks sync.Map // string -> *sync.Mutex

func lockFor(path string) *sync.Mutex {
	m, _ := locks.LoadOrStore(path, new(sync.Mutex))
	return m.(*sync.Mutex)
}

// Write appends one JSON line per item to in.Path and fsyncs the file before
// returning. All lines of one call are written with a single write, so lines
// of concurrent calls never interleave; calls for the same path within a
// process are serialized. If the file does not end in a newline (a writer
// crashed mid-line), Write first ends that torn line so that its own records
// stay readable.
func Write[T any](ctx context.Context, in WriteInput[T]) (WriteOutput, error) {
	if in.Path == "" {
		return WriteOutput{}, nodeerr.Permanent(errors.New("deadletter: Path is empty"))
	}
	if err := ctx.Err(); err != nil {
		return WriteOutput{}, err
	}
	ts := now().UTC().Format(time.RFC3339Nano)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf) // Encode appends the newline
	enc.SetEscapeHTML(false)
	rec := line{Time: ts, Step: in.Step, Error: in.Error, Item: json.RawMessage("null")}
	n := 0
	if len(in.Items) == 0 {
		if err := enc.Encode(rec); err != nil {
			return WriteOutput{}, nodeerr.Permanent(fmt.Errorf("deadletter: %w", err))
		}
		n = 1
	}
	for i := range in.Items {
		item, err := json.Marshal(in.Items[i])
		if err != nil {
			return WriteOutput{}, nodeerr.Permanent(fmt.Errorf("deadletter: item %d: %w", i, err))
		}
		rec.Item = item
		if err := enc.Encode(rec); err != nil {
			return WriteOutput{}, nodeerr.Permanent(fmt.Errorf("deadletter: item %d: %w", i, err))
		}
		n++
	}

	abs, err := filepath.Abs(in.Path)
	if err != nil {
		return WriteOutput{}, fmt.Errorf("deadletter: %w", err)
	}
	mu := lockFor(abs)
	mu.Lock()
	defer mu.Unlock()
	if err := appendSync(abs, buf.Bytes()); err != nil {
		return WriteOutput{}, fmt.Errorf("deadletter: %w", err)
	}
	return WriteOutput{Written: n, Path: in.Path}, nil
}

// appendSync appends data to path with O_APPEND and fsyncs it. A newly
// created file also has its directory fsync'd so that the file survives a
// crash.
func appendSync(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	created := false
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
		created = true
	}
	if err != nil {
		return err
	}
	if !created {
		// Terminate a torn last line left by a writer that crashed.
		if st, err := f.Stat(); err == nil && st.Size() > 0 {
			last := make([]byte, 1)
			if _, err := f.ReadAt(last, st.Size()-1); err == nil && last[0] != '\n' {
				data = append([]byte{'\n'}, data...)
			}
		}
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := syncFile(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if created {
		if d, err := os.Open(dir); err == nil {
			err = syncFile(d)
			d.Close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Read returns the records of a dead-letter file in file order. Lines that are
// not valid records, such as a line torn by a crash mid-write, are skipped;
// only I/O errors are returned.
func Read(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("deadletter: %w", err)
	}
	defer f.Close()
	var out []Record
	r := bufio.NewReader(f)
	for {
		b, err := r.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var rec Record
			if json.Unmarshal(b, &rec) == nil && !rec.Time.IsZero() {
				out = append(out, rec)
			}
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("deadletter: read %s: %w", path, err)
		}
	}
}
