package runtime

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
)

// CursorStore persists committed cursor values. The file store
// ([FileCursorStore], in the state directory) is the default; a program
// whose [Program.CursorStore] is set uses the store that function opens
// (runtime/cursorstore/pgstore, runtime/cursorstore/redisstore).
//
// A store may also implement io.Closer (called when the program exits) and
// fmt.Stringer (a description for status and logs, such as
// `postgres://etl@db:5432/dw table resolute_cursors, namespace "sync"`; it
// must not contain a password).
type CursorStore interface {
	// Load returns every committed cursor value. A cursor that was never
	// committed is absent. A store that cannot be read returns an error
	// saying how to repair it; it never pretends to be empty.
	Load(ctx context.Context) (map[string]string, error)
	// Commit sets the given cursors atomically (all or none), leaving the
	// others as they are. If check is not nil, Commit first reads the
	// committed values within the same transaction (or under the same
	// lock) and passes them to check; if check returns an error, nothing
	// is committed and Commit returns that error unchanged. check may be
	// called more than once (a store may retry a transaction that lost a
	// race), so it must only compare.
	Commit(ctx context.Context, values map[string]string, check func(committed map[string]string) error) error
}

// CursorStoreConfig is what [Program.CursorStore] is given to open a store.
type CursorStoreConfig struct {
	// URL locates the store: --cursor-store, else $RESOLUTE_CURSOR_STORE.
	// It may contain a password; it is redacted from everything the
	// program prints.
	URL string
	// Namespace separates the cursors of different programs sharing one
	// store: --cursor-namespace, else $RESOLUTE_CURSOR_NAMESPACE, else the
	// program's name (its executable's base name, without ".exe").
	Namespace string
	// Program is the program's name, for repair commands in messages.
	Program string
}

// StateError marks err as a problem with the program's state or
// configuration rather than a failed run: a cursor store that cannot be
// reached when the program starts, or that holds data it does not
// understand. The program then exits with status 2, and a scheduled flow
// does not run until the state is repaired. StateError(nil) is nil.
func StateError(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{2, err}
}

// errStore is the store of a program whose store could not be opened: status
// still shows everything else.
type errStore struct{ err error }

func (s errStore) Load(context.Context) (map[string]string, error) { return nil, s.err }
func (s errStore) Commit(context.Context, map[string]string, func(map[string]string) error) error {
	return s.err
}

// FileCursorStore keeps cursors in a JSON file, replaced atomically on
// every commit.
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
type FileCursorStore struct {
	// Path is the file, normally <state dir>/cursors.json.
	Path string
	// Prog is the program's name, used in repair instructions.
	Prog string
	// Declared are the program's cursors. Nil skips the checks against
	// them (a file of any cursor names is accepted).
	Declared []CursorSpec
	// Log, if set, receives the notes about cursors added to or removed
	// from the program since the file was written.
	Log *slog.Logger

	noted map[string]bool // cursors already logged about
}

// cursorFileVersion is the version of cursors.json this runtime writes.
// Version 1 files (without "declared") are still read.
const cursorFileVersion = 2

type cursorFile struct {
	Version  int               `json:"version"`
	Declared []string          `json:"declared,omitempty"`
	Cursors  map[string]string `json:"cursors"`
}

// Load reads the file. A missing file means no cursor was ever committed.
func (s *FileCursorStore) Load(ctx context.Context) (map[string]string, error) {
	data, err := os.ReadFile(s.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, configError("read cursors: %v", err)
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
		return nil, configError("cursor file %s is corrupt (%v). Nothing was run, so that no data is fetched again from scratch. "+
			"Restore the file from a backup, or move it aside and set each cursor with `%s cursor set NAME VALUE` "+
			"(a cursor not set starts again from its initial value)", s.Path, err, s.Prog)
	}
	return cf.Cursors, nil
}

// checkShape reports a file that parses but cannot have been written by a
// commit, and logs cursors added to or removed from the program since.
func (s *FileCursorStore) checkShape(cf *cursorFile) error {
	switch {
	case cf.Version == 0:
		return errors.New(`it has no "version"`)
	case cf.Version != 1 && cf.Version != cursorFileVersion:
		return fmt.Errorf("unknown version %d; this program reads versions 1 and %d", cf.Version, cursorFileVersion)
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
	for _, n := range sortedKeys(cf.Cursors) {
		switch {
		case cf.Version >= 2 && !declared[n]:
			return fmt.Errorf("it holds cursor %q, which is not in its declared list %s", n, quoteList(cf.Declared))
		case cf.Version == 1 && s.Declared != nil && !prog[n]:
			return fmt.Errorf("it holds cursor %q, which this program does not declare (cursors: %s); if the spec dropped that cursor, delete it from the file", n, quoteList(specNames(s.Declared)))
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
	for _, n := range sortedKeys(cf.Cursors) {
		if !prog[n] {
			s.note(n, "cursor "+n+" is in the cursor file but no longer declared by the program: it is ignored, and dropped at the next commit", "value", cf.Cursors[n])
			delete(cf.Cursors, n)
		}
	}
	return nil
}

func (s *FileCursorStore) note(name, msg string, args ...any) {
	if s.Log == nil || s.noted[name] {
		return
	}
	if s.noted == nil {
		s.noted = map[string]bool{}
	}
	s.noted[name] = true
	s.Log.Info(msg, append([]any{"cursor", name, "file", s.Path}, args...)...)
}

func specNames(cs []CursorSpec) []string {
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.Name
	}
	return names
}

// String describes the store for status and logs.
func (s *FileCursorStore) String() string { return "file " + s.Path }

// Commit merges values into the file: it writes <path>.tmp, fsyncs it,
// renames it over the file and fsyncs the directory. The caller holds the
// state directory's lock, which makes check and the write one atomic step.
// The file written holds every declared cursor (its initial value if it was
// never committed) and the declared list.
func (s *FileCursorStore) Commit(ctx context.Context, values map[string]string, check func(map[string]string) error) error {
	if len(values) == 0 {
		return nil
	}
	cur, err := s.Load(ctx)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(maps.Clone(cur)); err != nil {
			return err
		}
	}
	for k, v := range values {
		cur[k] = v
	}
	declared := sortedKeys(cur)
	if s.Declared != nil {
		declared = specNames(s.Declared)
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
	data, err := json.MarshalIndent(cursorFile{Version: cursorFileVersion, Declared: declared, Cursors: cur}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(s.Path, append(data, '\n'), 0o600); err != nil {
		return configError("cannot commit the cursors: %v. Check that the state dir %s is writable (and not full); nothing was committed", err, filepath.Dir(s.Path))
	}
	return nil
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new content. A new file gets mode perm (before the umask).
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	os.Remove(tmp) // a leftover temp file would keep its old mode
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}
