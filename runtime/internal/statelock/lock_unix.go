//go:build unix

// Package statelock keeps two programs off one state directory: a program
// holds the lock on its state directory while it runs a flow or changes a
// cursor.
package statelock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Lock takes the exclusive, non-blocking flock on the state
// directory itself and writes this process's pid into <dir>/lock for
// people and for the message a second instance prints. The lock is held
// until release is called or the process ends (the kernel drops it even
// after SIGKILL). Locking the directory rather than the lock file means
// that deleting the lock file during a run does not let a second instance
// in: a directory holding a journal cannot be removed, and a new one would
// not hold the journal.
func Lock(dir string) (release func(), err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open state dir: %v", err)
	}
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer d.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another resolute program (pid %s) holds the state dir %s; wait for it to finish or stop it", holderPID(dir, d), dir)
		}
		return nil, fmt.Errorf("lock %s: %v", dir, err)
	}
	path := filepath.Join(dir, "lock")
	if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600); err == nil {
		fmt.Fprintf(f, "%d\n", os.Getpid())
		f.Close()
	}
	return func() { d.Close() }, nil
}

// holderPID returns the pid of the process holding the flock on the state
// directory d: from <dir>/lock, or where that file was deleted or damaged,
// from /proc/locks (Linux); else "unknown".
func holderPID(dir string, d *os.File) string {
	data, _ := os.ReadFile(filepath.Join(dir, "lock"))
	if pid := strings.TrimSpace(string(data)); pid != "" {
		if _, err := strconv.Atoi(pid); err == nil {
			return pid
		}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(int(d.Fd()), &st); err != nil {
		return "unknown"
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return "unknown"
	}
	// "1: FLOCK  ADVISORY  WRITE 4242 08:01:1311767 0 EOF": the file is
	// major:minor:inode, with the device numbers in hex.
	dev := uint64(st.Dev)
	major := (dev>>8)&0xfff | (dev>>32)&^uint64(0xfff)
	minor := dev&0xff | (dev>>12)&^uint64(0xff)
	want := fmt.Sprintf("%02x:%02x:%d", major, minor, uint64(st.Ino))
	for _, line := range strings.Split(string(locks), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "FLOCK" && f[3] == "WRITE" && f[5] == want {
			return f[4]
		}
	}
	return "unknown"
}
