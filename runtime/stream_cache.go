package runtime

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"

	"github.com/resolute/resolute-gen/runtime/internal/redact"
	"github.com/resolute/resolute-gen/runtime/pagecache"
)

// streamCache is the page cache of one stream (see package pagecache): what
// the source answered for the pages the stream has fetched but not yet
// finished, kept in read_ahead + 1 files under <state>/pages/<flow>/, one
// per page in memory, reused in turn. A run killed while the body handles
// page n and page n+1 is read ahead takes both from these files when it
// resumes, instead of fetching them again.
//
// The files hold the answers' bytes as the source sent them (no encoding
// work) and are written without fsync: they only save requests. A killed
// process keeps what it wrote (the OS has it); after a power failure an
// entry may be missing or torn, and a torn entry fails its checksum: either
// way the page is fetched again. An answer holding a secret's value is
// never written (redact.Redactor.Find, the journal's rule).
//
// Slot files are overwritten in place, never truncated or renamed, so a
// page costs one or two writes into the OS's cache and no metadata work.
// Only the first read_ahead + 1 pages of a resumed process look anything
// up: no page after them can have been fetched by the process that died
// (page n + read_ahead + 1 is fetched only once page n's record is written).
// A first run never reads the files.
type streamCache struct {
	prefix string // path prefix: <state>/pages/<flow>/<stream key>.
	run    string
	slots  int
	red    *redact.Redactor
	first  int // the first page of this process
	lookup int // pages first <= n < lookup may be in the files (a resumed run)

	mu     sync.Mutex
	files  []*os.File
	broken bool // the directory or a file cannot be made: cache nothing
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// pageCacheDir is the directory of the page caches of flow's streams.
func (e *engine) pageCacheDir(flow string) string { return filepath.Join(e.dir, "pages", flow) }

// newStreamCache returns the cache of the stream key of run st, which
// starts (or resumes) at page first with readAhead.
func newStreamCache(st *runState, key string, first, readAhead int) *streamCache {
	h := sha256.Sum256([]byte(key))
	name := unsafeFileChars.ReplaceAllString(key, "_")
	if len(name) > 64 {
		name = name[:64]
	}
	c := &streamCache{
		prefix: filepath.Join(st.eng.pageCacheDir(st.flow), name+"-"+strconv.FormatUint(binary.BigEndian.Uint64(h[:8]), 36)+"."),
		run:    st.id, slots: readAhead + 1, red: st.eng.red, first: first,
		files: make([]*os.File, readAhead+1),
	}
	if st.resumed {
		c.lookup = first + c.slots
	}
	return c
}

// file returns the file of slot i, opening (creating) it on first use.
func (c *streamCache) file(i int) *os.File {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.broken {
		return nil
	}
	if c.files[i] == nil {
		path := c.prefix + strconv.Itoa(i)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if errors.Is(err, fs.ErrNotExist) {
			if err = os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
				f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
			}
		}
		if err != nil {
			c.broken = true
			return nil
		}
		c.files[i] = f
	}
	return c.files[i]
}

// close closes the files; with remove, it also removes them (the stream is
// complete: nothing in them can be asked for again).
func (c *streamCache) close(remove bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, f := range c.files {
		if f != nil {
			f.Close()
			c.files[i] = nil
		}
		if remove {
			os.Remove(c.prefix + strconv.Itoa(i))
		}
	}
}

// page returns the cache of the fetch of page n.
func (c *streamCache) page(n int) *pageCache {
	return &pageCache{c: c, n: n, lookup: n >= c.first && n < c.lookup}
}

// Entries of a slot file follow each other from offset 0; each is
//
//	magic "rpc1" | crc32c of the rest | page int64 | sha256(run, key) |
//	len(meta) uint32 | len(body) uint64 | meta | body
//
// (integers little-endian). Reading stops at the first header without the
// magic; an entry of another page, run or request is skipped, one whose
// checksum fails is a miss.
const (
	entryMagic  = "rpc1"
	entryHeader = 4 + 4 + 8 + sha256.Size + 4 + 8
	// maxEntries bounds the requests one page's fetch may cache.
	maxEntries = 16
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// pageCache is the pagecache.Cache of one page fetch.
type pageCache struct {
	c      *streamCache
	n      int
	lookup bool // an earlier process may have cached this page

	mu      sync.Mutex
	pending []pendingEntry
	off     int64 // where the next entry is written
	entries int
	hits    int
}

var _ pagecache.Cache = (*pageCache)(nil)

func (p *pageCache) id(key string) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(p.c.run))
	h.Write([]byte{0})
	h.Write([]byte(key))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// Get implements pagecache.Cache.
func (p *pageCache) Get(key string) (meta, body []byte, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.lookup {
		return nil, nil, false
	}
	f := p.c.file(p.n % p.c.slots)
	if f == nil {
		return nil, nil, false
	}
	st, err := f.Stat()
	if err != nil {
		return nil, nil, false
	}
	size := st.Size()
	id := p.id(key)
	var h [entryHeader]byte
	for off, i := int64(0), 0; i < maxEntries*(p.c.slots+1) && off+entryHeader <= size; i++ {
		if _, err := f.ReadAt(h[:], off); err != nil || string(h[:4]) != entryMagic {
			return nil, nil, false
		}
		page := int64(binary.LittleEndian.Uint64(h[8:]))
		mlen := int64(binary.LittleEndian.Uint32(h[16+sha256.Size:]))
		blen := binary.LittleEndian.Uint64(h[20+sha256.Size:])
		if blen > uint64(size) || off+entryHeader+mlen+int64(blen) > size {
			return nil, nil, false
		}
		next := off + entryHeader + mlen + int64(blen)
		if page != int64(p.n) || [sha256.Size]byte(h[16:16+sha256.Size]) != id {
			off = next
			continue
		}
		data := make([]byte, mlen+int64(blen))
		if _, err := f.ReadAt(data, off+entryHeader); err != nil {
			return nil, nil, false
		}
		crc := crc32.Update(crc32.Checksum(h[8:], castagnoli), castagnoli, data)
		if crc != binary.LittleEndian.Uint32(h[4:]) {
			return nil, nil, false
		}
		p.hits++
		return data[:mlen:mlen], data[mlen:], true
	}
	return nil, nil, false
}

// Put implements pagecache.Cache. The answer is written once the page's
// fetch has succeeded (done): a 2xx answer that the source then refused
// (not the JSON it expects) is not kept to be refused again.
func (p *pageCache) Put(key string, meta, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) < maxEntries {
		p.pending = append(p.pending, pendingEntry{key, meta, body})
	}
}

// pendingEntry is an answer Put until the page's fetch returns.
type pendingEntry struct {
	key        string
	meta, body []byte
}

// done writes the answers of the page's successful fetch.
func (p *pageCache) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.pending {
		p.write(e.key, e.meta, e.body)
	}
	p.pending = nil
}

func (p *pageCache) write(key string, meta, body []byte) {
	if p.entries >= maxEntries || len(meta) > 1<<30 || p.c.red.Find(body) != "" || p.c.red.Find(meta) != "" {
		return
	}
	f := p.c.file(p.n % p.c.slots)
	if f == nil {
		return
	}
	hb := make([]byte, entryHeader, entryHeader+len(meta))
	copy(hb, entryMagic)
	binary.LittleEndian.PutUint64(hb[8:], uint64(p.n))
	id := p.id(key)
	copy(hb[16:], id[:])
	binary.LittleEndian.PutUint32(hb[16+sha256.Size:], uint32(len(meta)))
	binary.LittleEndian.PutUint64(hb[20+sha256.Size:], uint64(len(body)))
	hb = append(hb, meta...)
	crc := crc32.Update(crc32.Checksum(hb[8:], castagnoli), castagnoli, body)
	binary.LittleEndian.PutUint32(hb[4:], crc)
	if _, err := f.WriteAt(hb, p.off); err != nil {
		return
	}
	if _, err := f.WriteAt(body, p.off+int64(len(hb))); err != nil {
		p.invalidate()
		return
	}
	p.off += int64(len(hb) + len(body))
	p.entries++
}

// failed is called when an attempt of the page's fetch failed: what it
// read from the cache may be the cause, so the page's entries are dropped
// and the next attempt asks the source.
func (p *pageCache) failed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = nil
	if p.off > 0 || p.lookup {
		p.invalidate()
	}
	p.lookup = false
	p.off, p.entries = 0, 0
}

// invalidate overwrites the magic of the slot's first entry: the file then
// holds nothing.
func (p *pageCache) invalidate() {
	if f := p.c.file(p.n % p.c.slots); f != nil {
		f.WriteAt(make([]byte, 4), 0)
	}
}

// removePageCaches removes the page caches of flow (a finished or
// discarded run).
func (e *engine) removePageCaches(flow string) {
	os.RemoveAll(e.pageCacheDir(flow))
}
