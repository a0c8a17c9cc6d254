package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// CursorStore persists committed cursor values. The file store is the
// default; other stores (Postgres, Redis) implement the same two methods.
type CursorStore interface {
	// Load returns every committed cursor value. A cursor that was never
	// committed is absent. A store that cannot be read returns an error
	// saying how to repair it; it never pretends to be empty.
	Load(ctx context.Context) (map[string]string, error)
	// Commit sets the given cursors atomically (all or none), leaving the
	// others as they are.
	Commit(ctx context.Context, values map[string]string) error
}

// FileCursorStore keeps cursors in a JSON file, replaced atomically on
// every commit.
type FileCursorStore struct {
	// Path is the file, normally <state dir>/cursors.json.
	Path string
	// Prog is the program's name, used in repair instructions.
	Prog string
}

type cursorFile struct {
	Version int               `json:"version"`
	Cursors map[string]string `json:"cursors"`
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
	if err = dec.Decode(&cf); err == nil && cf.Version != 1 {
		err = fmt.Errorf("unknown version %d", cf.Version)
	}
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err != nil {
		return nil, configError("cursor file %s is corrupt (%v). Nothing was run, so that no data is fetched again from scratch. "+
			"Restore the file from a backup, or move it aside and set each cursor with `%s cursor set NAME VALUE` "+
			"(a cursor not set starts again from its initial value)", s.Path, err, s.Prog)
	}
	if cf.Cursors == nil {
		cf.Cursors = map[string]string{}
	}
	return cf.Cursors, nil
}

// Commit merges values into the file: it writes <path>.tmp, fsyncs it,
// renames it over the file and fsyncs the directory.
func (s *FileCursorStore) Commit(ctx context.Context, values map[string]string) error {
	if len(values) == 0 {
		return nil
	}
	cur, err := s.Load(ctx)
	if err != nil {
		return err
	}
	for k, v := range values {
		cur[k] = v
	}
	data, err := json.MarshalIndent(cursorFile{Version: 1, Cursors: cur}, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(s.Path, append(data, '\n'))
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new content.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
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
