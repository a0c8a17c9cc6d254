package cursorstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/resolute/resolute-gen/runtime/internal/atomicfile"
)

// File keeps cursors in a JSON file, replaced atomically on every commit.
//
// The file is validated by its shape, not only its syntax: a file exists
// only once a cursor was committed, so one that parses but holds no cursors,
// lacks its version, or names a cursor outside the set it was written for is
// as corrupt as a truncated one, and stops the program instead of silently
// starting every cursor again from its initial value. Each file records the
// set of cursors declared by the program that wrote it ("declared"), and
// holds a value for every one of them (the initial value for one never
// committed). So a cursor the program declares that is missing from the file
// is either new (not in the file's declared set: it starts from its initial
// value, with a log line) or lost (in the declared set: the file is
// corrupt).
//
// Commits to one file are serialized within a process; between processes,
// the program's lock on its state directory serializes them.
type File struct {
	// Path is the file, normally <state dir>/cursors.json.
	Path string
	// Prog is the program's name, used in repair instructions.
	Prog string
	// Declared are the program's cursors. Nil skips the checks against
	// them (a file of any cursor names is accepted).
	Declared []Cursor
	// Log, if set, receives the notes about cursors added to or removed
	// from the program since the file was written.
	Log *slog.Logger

	mu    sync.Mutex      // guards noted
	noted map[string]bool // cursors already logged about
}

// Cursor is a cursor a program declares, as the file store needs it.
type Cursor struct {
	Name    string // the cursor's name
	Initial string // its value before the first commit
}

// fileVersion is the version of cursors.json this package writes. Version 1
// files (without "declared") are still read.
const fileVersion = 2

type cursorFile struct {
	Version  int               `json:"version"`
	Declared []string          `json:"declared,omitempty"`
	Cursors  map[string]string `json:"cursors"`
}

// Load reads the file. A missing file means no cursor was ever committed.
func (s *File) Load(ctx context.Context) (map[string]string, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, StateError(fmt.Errorf("read cursors: %v", err))
	}
	var cf cursorFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err = dec.Decode(&cf)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err == nil {
		err = s.checkShape(&cf)
	}
	if err != nil {
		return nil, StateError(fmt.Errorf("cursor file %s is corrupt (%v). Nothing was run, so that no data is fetched again from scratch. "+
			"Restore the file from a backup, or move it aside and set each cursor with `%s cursor set NAME VALUE` "+
			"(a cursor not set starts again from its initial value)", s.Path, err, s.Prog))
	}
	return cf.Cursors, nil
}

// checkShape reports a file that parses but cannot have been written by a
// commit, and logs cursors added to or removed from the program since.
func (s *File) checkShape(cf *cursorFile) error {
	switch {
	case cf.Version == 0:
		return errors.New(`it has no "version"`)
	case cf.Version != 1 && cf.Version != fileVersion:
		return fmt.Errorf("unknown version %d; this program reads versions 1 and %d", cf.Version, fileVersion)
	case len(cf.Cursors) == 0:
		return errors.New(`it holds no cursors, but the file is only written when a cursor is committed`)
	case cf.Version >= 2 && cf.Declared == nil:
		return errors.New(`it has no "declared" list of cursors`)
	}
	declared := map[string]bool{}
	for _, n := range cf.Declared {
		declared[n] = true
	}
	prog := map[string]bool{}
	for _, c := range s.Declared {
		prog[c.Name] = true
	}
	for _, n := range slices.Sorted(maps.Keys(cf.Cursors)) {
		switch {
		case cf.Version >= 2 && !declared[n]:
			return fmt.Errorf("it holds cursor %q, which is not in its declared list %s", n, quoteList(cf.Declared))
		case cf.Version == 1 && s.Declared != nil && !prog[n]:
			return fmt.Errorf("it holds cursor %q, which this program does not declare (cursors: %s); if the spec dropped that cursor, delete it from the file", n, quoteList(s.names()))
		}
	}
	for _, n := range cf.Declared {
		if _, ok := cf.Cursors[n]; !ok {
			return fmt.Errorf("cursor %q is in its declared list but has no value", n)
		}
	}
	if s.Declared == nil {
		return nil
	}
	for _, c := range s.Declared {
		if _, ok := cf.Cursors[c.Name]; !ok {
			s.note(c.Name, "cursor "+c.Name+" is not in the cursor file, which was written before the spec declared it: it starts from its initial value", "initial", c.Initial)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(cf.Cursors)) {
		if !prog[n] {
			s.note(n, "cursor "+n+" is in the cursor file but no longer declared by the program: it is ignored, and dropped at the next commit", "value", cf.Cursors[n])
			delete(cf.Cursors, n)
		}
	}
	return nil
}

func (s *File) note(name, msg string, args ...any) {
	if s.Log == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.noted[name] {
		return
	}
	if s.noted == nil {
		s.noted = map[string]bool{}
	}
	s.noted[name] = true
	s.Log.Info(msg, append([]any{"cursor", name, "file", s.Path}, args...)...)
}

func (s *File) names() []string {
	names := make([]string, len(s.Declared))
	for i, c := range s.Declared {
		names[i] = c.Name
	}
	return names
}

// String describes the store for status and logs.
func (s *File) String() string { return "file " + s.Path }

// fileLocks serializes the commits to one path within the process.
var fileLocks sync.Map // absolute path -> *sync.Mutex

func lockFile(path string) func() {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	m, _ := fileLocks.LoadOrStore(path, new(sync.Mutex))
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Commit merges values into the file: it writes <path>.tmp, fsyncs it,
// renames it over the file and fsyncs the directory. Check and the write
// are one atomic step: commits to the file are serialized within the
// process, and the caller holds the state directory's lock, which excludes
// other processes. The file written holds every declared cursor (its
// initial value if it was never committed) and the declared list.
func (s *File) Commit(ctx context.Context, values map[string]string, check func(map[string]string) error) error {
	if len(values) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("cannot commit the cursors: %w; nothing was committed", err)
	}
	defer lockFile(s.Path)()
	cur, err := s.Load(ctx)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(maps.Clone(cur)); err != nil {
			return err
		}
	}
	maps.Copy(cur, values)
	declared := slices.Sorted(maps.Keys(cur))
	if s.Declared != nil {
		declared = s.names()
		for _, c := range s.Declared {
			if _, ok := cur[c.Name]; !ok {
				cur[c.Name] = c.Initial
			}
		}
		for k := range cur {
			if !slices.Contains(declared, k) {
				delete(cur, k)
			}
		}
	}
	data, err := json.MarshalIndent(cursorFile{Version: fileVersion, Declared: declared, Cursors: cur}, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(s.Path, append(data, '\n'), 0o600); err != nil {
		return StateError(fmt.Errorf("cannot commit the cursors: %v. Check that the state dir %s is writable (and not full); nothing was committed", err, filepath.Dir(s.Path)))
	}
	return nil
}

// quoteList formats names for messages: "a", "b".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
