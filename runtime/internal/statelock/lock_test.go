package statelock

import (
	"fmt"
	"os"
	"testing"
)

func TestLockContention(t *testing.T) {
	dir := t.TempDir()
	release, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(dir)
	if err == nil {
		t.Fatalf("second lock: %v", err)
	}
	want := fmt.Sprintf("another resolute program (pid %d) holds the state dir %s; wait for it to finish or stop it", os.Getpid(), dir)
	if err.Error() != want {
		t.Errorf("message:\n%s\nwant:\n%s", err, want)
	}
	release()
	release, err = Lock(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	release()
}
