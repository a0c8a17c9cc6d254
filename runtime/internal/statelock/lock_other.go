//go:build !unix

package statelock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Lock creates <dir>/lock exclusively where flock(2) is not
// available. Unlike the flock version, a lock left by a crashed process must
// be removed by hand; the message says so.
func Lock(dir string) (release func(), err error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		data, _ := os.ReadFile(path)
		return nil, fmt.Errorf("another resolute program (pid %s) holds the state dir %s; wait for it to finish or stop it (if it is no longer running, remove %s)",
			strings.TrimSpace(string(data)), dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %v", path, err)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	f.Close()
	return func() { os.Remove(path) }, nil
}
