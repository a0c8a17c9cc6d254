package journal

import (
	"fmt"
	"sync"
)

// AppendSoon writes rec like Append, but in fsync mode does not wait for
// the fsync: the line is in the file when AppendSoon returns, so a process
// that is killed keeps it, and a background fsync (one at a time, covering
// every Record written before it starts) makes it durable a moment later.
//
// Stream page records use it. A page Record only saves work: it lets a
// resumed run skip the pages before it. Losing the last few to a power
// failure makes the resumed run fetch and store those pages again (their
// steps are idempotent), and nothing is committed from them before close,
// which fsyncs whatever is pending, and before any Record appended with
// append's fsync, which covers the whole file. So the fsync can leave the
// critical path: the next page's body runs while it happens.
func (j *Writer) AppendSoon(rec *Record) error {
	if j.mode != Fsync {
		return j.Append(rec, false) // batch mode syncs on its own clock
	}
	if err := j.write(rec, false); err != nil {
		return err
	}
	j.kickSync()
	return nil
}

// syncer is a journal's background fsync for AppendSoon.
type syncer struct {
	once sync.Once
	kick chan struct{} // a pending request; buffered, size 1
	done chan struct{} // closed when the goroutine has stopped
}

func (j *Writer) kickSync() {
	j.syncer.once.Do(func() {
		j.syncer.kick = make(chan struct{}, 1)
		j.syncer.done = make(chan struct{})
		go j.syncLoop()
	})
	select {
	case j.syncer.kick <- struct{}{}:
	default: // one is pending already: it covers this Record too
	}
}

func (j *Writer) syncLoop() {
	defer close(j.syncer.done)
	for range j.syncer.kick {
		j.mu.Lock()
		if !j.dirty || j.broken != nil {
			j.mu.Unlock()
			continue
		}
		j.dirty = false
		j.mu.Unlock()
		// Without the lock: appends go on while the disk works. A Record
		// written meanwhile sets dirty again and gets the next fsync.
		if err := j.f.Sync(); err != nil {
			j.mu.Lock()
			if j.broken == nil {
				j.broken = fmt.Errorf("journal %s: fsync: %w", j.path, err)
			}
			j.mu.Unlock()
		}
	}
}

// stopSyncer waits for the background fsync to finish; AppendSoon must not
// be called after it.
func (j *Writer) stopSyncer() {
	if j.syncer.kick != nil {
		close(j.syncer.kick)
		<-j.syncer.done
		j.syncer.kick = nil
	}
}
