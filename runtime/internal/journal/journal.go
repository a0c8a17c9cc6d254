// Package journal is the durable record of one run of a flow: a file of
// JSON lines, each protected by a CRC-32C, written as steps complete and
// read back when an unfinished run resumes. It never holds a secret: a
// record that would hold one is refused.
package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/resolute/resolute-gen/runtime/internal/atomicfile"
	"github.com/resolute/resolute-gen/runtime/internal/redact"
)

// Version is the header version this runtime writes and reads.
// Version 2 holds outputs verbatim (version 1 replaced secret values with
// placeholders that a replay substituted back).
const Version = 2

// Record types (Record.Type). A Stream page's record is of type "page".
const (
	TypeHeader = "header" // first line: the run's identity and cursor snapshot
	TypeCall   = "call"   // a completed Call: its JSON output
	TypeNow    = "now"    // a Run.Now reading
	TypeError  = "error"  // the final failure of a Call with Options.Recover
)

// Record is one journal line. Fields are shared between types; unused ones
// are omitted.
type Record struct {
	Type string `json:"type"`
	Key  string `json:"key,omitempty"`

	// header
	Version  int    `json:"version,omitempty"`
	Flow     string `json:"flow,omitempty"`
	RunID    string `json:"run_id,omitempty"`
	SpecHash string `json:"spec_hash,omitempty"`
	// Steps are the flow's Flow.StepHashes when the run began.
	Steps []string `json:"steps,omitempty"`

	// header (start time) and now (the reading), RFC 3339 with nanoseconds
	Time string `json:"time,omitempty"`

	// header: committed cursor values when the run began
	Cursors map[string]string `json:"cursors,omitempty"`

	// call and error
	Attempts int             `json:"attempts,omitempty"`
	Millis   int64           `json:"ms,omitempty"`
	Out      json.RawMessage `json:"out,omitempty"`
	Err      string          `json:"err,omitempty"`

	// page (a Stream page): its index, the next page's token ("" after the
	// last page), items read so far, the page's on_error failures; Cursors
	// holds the cursors staged by the stream's pages so far.
	Page     int       `json:"page,omitempty"`
	Token    string    `json:"token,omitempty"`
	Items    int       `json:"items,omitempty"`
	Failures []Failure `json:"failures,omitempty"`
}

// Failure is a step failure handled by on_error, saved in a page's record
// and shown in the run summary.
type Failure struct {
	Step  string `json:"step"`
	Error string `json:"error"`
}

// A line is `{"crc":"xxxxxxxx",` followed by the rest of the record's JSON
// object; the CRC-32C covers that rest (without the newline).
var (
	crcTable  = crc32.MakeTable(crc32.Castagnoli)
	crcPrefix = []byte(`{"crc":"`)
)

const crcPrefixLen = len(`{"crc":"xxxxxxxx",`)

// Encode returns rec as a journal line (with its newline), or an error if
// the line would hold the value of one of red's secrets.
func Encode(rec *Record, red *redact.Redactor) ([]byte, error) {
	body, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	// The journal never holds a secret: Call refuses outputs that contain
	// one and redacts error texts, so this only catches what slipped past.
	if name := red.Find(body); name != "" {
		return nil, fmt.Errorf("the Record would hold the value of the secret environment variable %s, and the journal must never hold a secret", name)
	}
	body = body[1:] // drop the opening brace
	line := make([]byte, 0, crcPrefixLen+len(body)+1)
	line = fmt.Appendf(line, `{"crc":"%08x",`, crc32.Checksum(body, crcTable))
	line = append(line, body...)
	return append(line, '\n'), nil
}

// Decode parses a journal line (without its newline) and checks its CRC.
func Decode(line []byte) (Record, error) {
	var rec Record
	if len(line) < crcPrefixLen || !bytes.HasPrefix(line, crcPrefix) || line[crcPrefixLen-2] != '"' || line[crcPrefixLen-1] != ',' {
		return rec, errors.New("not a journal record")
	}
	want, err := strconv.ParseUint(string(line[len(crcPrefix):crcPrefixLen-2]), 16, 32)
	if err != nil {
		return rec, errors.New("bad checksum field")
	}
	body := line[crcPrefixLen:]
	if crc32.Checksum(body, crcTable) != uint32(want) {
		return rec, errors.New("checksum mismatch")
	}
	body = append([]byte{'{'}, body...)
	if err := json.Unmarshal(body, &rec); err != nil {
		return rec, err
	}
	if rec.Type == "" {
		return rec, errors.New("Record has no type")
	}
	return rec, nil
}

// ErrCorrupt is wrapped by errors about damaged journals.
var ErrCorrupt = errors.New("corrupt journal")

// Read reads the journal at path. It returns its records (the header
// first) and the length of the valid prefix of the file: a torn or unparsable
// last line is left out of both. A bad line before the last one is an error.
// A missing file, or one without a complete header, yields no records.
func Read(path string) (recs []Record, valid int64, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	for off := 0; off < len(data); {
		n := bytes.IndexByte(data[off:], '\n')
		if n < 0 {
			break // torn: no newline
		}
		line := data[off : off+n]
		rec, derr := Decode(line)
		last := off+n+1 == len(data)
		if derr != nil && last {
			break // torn: the last line did not make it to disk whole
		}
		if derr == nil && (len(recs) == 0) != (rec.Type == TypeHeader) {
			derr = fmt.Errorf("unexpected %q record", rec.Type)
		}
		if derr != nil {
			return nil, 0, fmt.Errorf("%w %s: line %d: %v", ErrCorrupt, path, len(recs)+1, derr)
		}
		recs = append(recs, rec)
		off += n + 1
		valid = int64(off)
	}
	if len(recs) > 0 && recs[0].Version != Version {
		return nil, 0, fmt.Errorf("%w %s: journal version %d, this program reads version %d", ErrCorrupt, path, recs[0].Version, Version)
	}
	return recs, valid, nil
}

// Durability says when the journal is fsync'd.
type Durability string

const (
	Fsync Durability = "fsync" // before every Append returns
	Batch Durability = "batch" // every BatchInterval and when the run ends
)

// Writer appends records to the file of one run. It is safe for concurrent use.
type Writer struct {
	path string
	red  *redact.Redactor
	mode Durability

	mu     sync.Mutex
	f      *os.File
	size   int64 // length of the valid content
	dirty  bool  // written since the last fsync
	broken error // set when the file can no longer be trusted for appends

	stop chan struct{}
	done chan struct{}

	syncer // background fsync of records appended with appendSoon
}

// Create starts a new journal at path with the given header.
func Create(path string, hdr Record, mode Durability, red *redact.Redactor) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	j := newWriter(path, f, 0, mode, red)
	if err := j.Append(&hdr, true); err != nil {
		f.Close()
		return nil, err
	}
	if err := atomicfile.SyncDir(filepath.Dir(path)); err != nil {
		f.Close()
		return nil, err
	}
	j.start()
	return j, nil
}

// Path returns the journal's file.
func (j *Writer) Path() string { return j.path }

// Resume reopens the journal at path for appending, cutting it to its
// valid prefix (as returned by Read) first.
func Resume(path string, valid int64, mode Durability, red *redact.Redactor) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Size() != valid {
		if err := f.Truncate(valid); err != nil {
			f.Close()
			return nil, fmt.Errorf("cut the torn end off %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
	}
	j := newWriter(path, f, valid, mode, red)
	j.start()
	return j, nil
}

func newWriter(path string, f *os.File, size int64, mode Durability, red *redact.Redactor) *Writer {
	return &Writer{path: path, red: red, mode: mode, f: f, size: size}
}

// BatchInterval is how often a batch-mode journal is fsync'd.
var BatchInterval = time.Second

func (j *Writer) start() {
	if j.mode != Batch {
		return
	}
	j.stop, j.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(j.done)
		t := time.NewTicker(BatchInterval)
		defer t.Stop()
		for {
			select {
			case <-j.stop:
				return
			case <-t.C:
				j.mu.Lock()
				j.syncLocked()
				j.mu.Unlock()
			}
		}
	}()
}

// Append writes rec as one line with a single write, then fsyncs if the mode
// (or forceSync) asks for it.
func (j *Writer) Append(rec *Record, forceSync bool) error {
	return j.write(rec, j.mode == Fsync || forceSync)
}

// write writes rec as one line with a single write, and fsyncs if sync.
func (j *Writer) write(rec *Record, sync bool) error {
	line, err := Encode(rec, j.red)
	if err != nil {
		return fmt.Errorf("journal Record for %q: %w", rec.Key, err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.broken != nil {
		return j.broken
	}
	if _, err := j.f.Write(line); err != nil {
		// Do not leave a torn line in the middle of the file.
		if terr := j.f.Truncate(j.size); terr != nil {
			j.broken = fmt.Errorf("journal %s: write failed (%v) and could not be repaired: %w", j.path, err, terr)
			return j.broken
		}
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	j.size += int64(len(line))
	j.dirty = true
	if sync {
		return j.syncLocked()
	}
	return nil
}

func (j *Writer) syncLocked() error {
	if !j.dirty || j.broken != nil {
		return j.broken
	}
	if err := j.f.Sync(); err != nil {
		// After a failed fsync the page cache state is unknown: stop appending.
		j.broken = fmt.Errorf("journal %s: fsync: %w", j.path, err)
		return j.broken
	}
	j.dirty = false
	return nil
}

// Close fsyncs what is pending and closes the file.
func (j *Writer) Close() error {
	j.stopSyncer()
	if j.stop != nil {
		close(j.stop)
		<-j.done
		j.stop = nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	err := j.syncLocked()
	if cerr := j.f.Close(); err == nil {
		err = cerr
	}
	return err
}
