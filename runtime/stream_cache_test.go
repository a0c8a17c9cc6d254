package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/resolute/resolute-gen/runtime/pagecache"
)

// cachingSource is a paged source that, like the HTTP sources, looks its
// request up in the page cache and stores its answer's raw bytes there.
type cachingSource struct {
	src     *pagedSource
	fetched chan int // page numbers fetched from the source (not the cache)
}

func (s *cachingSource) fetch(ctx context.Context, token string) (testPage, error) {
	key := pagecache.Key("GET", "https://source/pages?token="+token, nil)
	c := pagecache.FromContext(ctx)
	if c == nil {
		return testPage{}, errors.New("no page cache in the fetch's context")
	}
	if meta, body, ok := c.Get(key); ok {
		if string(meta) != "meta "+token {
			return testPage{}, fmt.Errorf("meta %q", meta)
		}
		items := strings.Split(string(body), ",")
		n, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(items[0], "-")[1], ""))
		p := testPage{Items: items, MaxUpdated: int64(100 * (n + 1))}
		if n+1 < len(s.src.pages) {
			p.NextPageToken = "t" + strconv.Itoa(n+1)
		}
		return p, nil
	}
	p, err := s.src.fetch(ctx, token)
	if err != nil {
		return p, err
	}
	c.Put(key, []byte("meta "+token), []byte(strings.Join(p.Items, ",")))
	n := int(p.MaxUpdated/100) - 1
	select {
	case s.fetched <- n:
	default:
	}
	return p, nil
}

// A run that stops while page 3's body runs and page 4 has been read ahead
// takes both from the page cache when it resumes: every page is fetched
// from the source once. The cache is gone once the run succeeds.
func TestStreamPageCacheSavesTheRefetch(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	src := &cachingSource{src: newPagedSource(8, 3), fetched: make(chan int, 16)}
	failAt := 3
	flow := func(ctx context.Context, r *Run) error {
		_, err := Stream(ctx, r, "pages", StreamOptions{ReadAhead: 1}, src.fetch, pageNext,
			func(ctx context.Context, r *Run, p testPage) error {
				n := int(p.MaxUpdated/100) - 1
				if n == failAt {
					for m := range src.fetched { // page 4 is read ahead and cached
						if m == n+1 {
							break
						}
					}
					return Permanent(errors.New("sink down"))
				}
				return nil
			})
		return err
	}
	if _, err := h.run(flow); err == nil || !strings.Contains(err.Error(), "sink down") {
		t.Fatalf("first run: err = %v", err)
	}
	if n := len(mustGlob(t, filepath.Join(h.e.pageCacheDir("f"), "*"))); n != 2 {
		t.Errorf("%d page cache files, want read_ahead + 1 = 2", n)
	}
	failAt = -1
	if _, err := h.run(flow); err != nil {
		t.Fatal(err)
	}
	for n := range 8 {
		if got := src.src.fetches.get(strconv.Itoa(n)); got != 1 {
			t.Errorf("page %d fetched from the source %d times, want 1", n, got)
		}
	}
	mustContain(t, "logs", h.logs.String(), `msg="stream page read from the page cache"`, "step=pages[3] requests=1", "step=pages[4] requests=1")
	if _, err := os.Stat(h.e.pageCacheDir("f")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the page cache outlived the run: %v", err)
	}
}

// put stores an answer of a page whose fetch succeeded.
func put(p *pageCache, key string, meta, body []byte) {
	p.Put(key, meta, body)
	p.done()
}

func mustGlob(t *testing.T, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testCache is the cache of stream "s" of a run of h, resumed at page
// first (or a first run).
func testCache(h *harness, run string, resumed bool, first, readAhead int) *streamCache {
	return newStreamCache(&runState{eng: h.e, flow: "f", id: run, resumed: resumed}, "s", first, readAhead)
}

func TestPageCacheEntries(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	body := bytes.Repeat([]byte(`{"issues":[1,2,3]}`), 100)
	c := testCache(h, "run1", false, 0, 1)
	put(c.page(0), "k0", []byte("200 OK"), body)
	p1 := c.page(1)
	put(p1, "k1a", nil, []byte("first request of page 1"))
	put(p1, "k1b", []byte("m"), []byte("second request of page 1"))
	if _, _, ok := c.page(0).Get("k0"); ok {
		t.Error("a first run looked its pages up")
	}
	c.close(false)

	get := func(c *streamCache, n int, key string) ([]byte, bool) {
		meta, b, ok := c.page(n).Get(key)
		if ok && n == 0 && string(meta) != "200 OK" {
			t.Errorf("meta %q", meta)
		}
		return b, ok
	}
	r := testCache(h, "run1", true, 0, 1)
	if b, ok := get(r, 0, "k0"); !ok || !bytes.Equal(b, body) {
		t.Errorf("page 0: hit %v, %d bytes", ok, len(b))
	}
	if b, ok := get(r, 1, "k1b"); !ok || string(b) != "second request of page 1" {
		t.Errorf("page 1, second request: hit %v, %q", ok, b)
	}
	if _, ok := get(r, 0, "k1a"); ok {
		t.Error("page 0 answered page 1's request")
	}
	if _, ok := get(r, 2, "k0"); ok {
		t.Error("page 2 (slot 0) answered page 0's request")
	}
	r.close(false)
	if _, ok := get(testCache(h, "run2", true, 0, 1), 0, "k0"); ok {
		t.Error("another run read the entry")
	}
	if _, ok := get(testCache(h, "run1", true, 1, 1), 0, "k0"); ok {
		t.Error("a run resumed at page 1 looked page 0 up")
	}

	// Nothing is stored for a fetch that failed.
	f := testCache(h, "run3", false, 0, 0)
	fp := f.page(0)
	fp.Put("k", nil, []byte("HTML, not JSON"))
	fp.failed()
	fp.done() // nothing is pending any more
	f.close(false)
	if _, ok := get(testCache(h, "run3", true, 0, 0), 0, "k"); ok {
		t.Error("the answer of a failed fetch was stored")
	}

	// A failed attempt drops what the page read.
	r = testCache(h, "run1", true, 0, 1)
	p := r.page(0)
	if _, _, ok := p.Get("k0"); !ok {
		t.Fatal("no hit")
	}
	p.failed()
	if _, _, ok := p.Get("k0"); ok {
		t.Error("the page's failed attempt did not stop lookups")
	}
	if _, ok := get(r, 0, "k0"); ok {
		t.Error("the entry of a failed attempt survived")
	}
	r.close(true)
	if m := mustGlob(t, filepath.Join(h.e.pageCacheDir("f"), "*")); len(m) != 0 {
		t.Errorf("close(true) left %v", m)
	}
}

// A torn or corrupt entry is a miss, never wrong data.
func TestPageCacheCorruptEntryIsAMiss(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	body := []byte(strings.Repeat("0123456789", 50))
	write := func() string {
		c := testCache(h, "run1", false, 0, 0)
		put(c.page(0), "k", []byte("meta"), body)
		c.close(false)
		return c.prefix + "0"
	}
	for name, damage := range map[string]func(path string) error{
		"flipped body byte": func(path string) error { return flip(path, -10) },
		"flipped meta byte": func(path string) error { return flip(path, entryHeader+1) },
		"flipped page":      func(path string) error { return flip(path, 8) },
		"torn":              func(path string) error { return os.Truncate(path, entryHeader+200) },
		"header only":       func(path string) error { return os.Truncate(path, entryHeader-1) },
		"empty":             func(path string) error { return os.Truncate(path, 0) },
	} {
		path := write()
		if err := damage(path); err != nil {
			t.Fatal(err)
		}
		if _, b, ok := testCache(h, "run1", true, 0, 0).page(0).Get("k"); ok {
			t.Errorf("%s: hit with %d bytes", name, len(b))
		}
	}
	write()
	if _, _, ok := testCache(h, "run1", true, 0, 0).page(0).Get("k"); !ok {
		t.Error("the undamaged entry is a miss")
	}
}

func flip(path string, at int64) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if at < 0 {
		at += int64(len(b))
	}
	b[at] ^= 0x20
	return os.WriteFile(path, b, 0o600)
}

// An answer holding a secret's value is never written; the page is then
// fetched again after a crash, like any uncached page.
func TestPageCacheNeverWritesSecrets(t *testing.T) {
	const secret = "tok-9f8e7d6c"
	h := newHarness(t, Program{Env: []EnvVar{{Name: "TOKEN", Secret: true}}}, map[string]string{"TOKEN": secret})
	c := testCache(h, "run1", false, 0, 1)
	put(c.page(0), "k0", nil, []byte(`{"echo":"`+secret+`"}`))
	put(c.page(1), "k1", []byte("X-Token: "+secret), []byte("{}"))
	put(c.page(2), "k2", nil, []byte(`{"fine":true}`))
	c.close(false)
	for _, f := range mustGlob(t, filepath.Join(h.e.pageCacheDir("f"), "*")) {
		if b, _ := os.ReadFile(f); bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the secret", f)
		}
	}
	r := testCache(h, "run1", true, 0, 1)
	if _, _, ok := r.page(0).Get("k0"); ok {
		t.Error("the body with the secret was cached")
	}
	if _, _, ok := r.page(1).Get("k1"); ok {
		t.Error("the meta with the secret was cached")
	}
}

// The cache holds read_ahead + 1 files however many pages go through it,
// each at most one page's answers long.
func TestPageCacheIsBounded(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	c := testCache(h, "run1", false, 0, 2)
	for n := range 50 {
		put(c.page(n), "k"+strconv.Itoa(n), nil, bytes.Repeat([]byte("x"), 1000+n))
	}
	c.close(false)
	files := mustGlob(t, filepath.Join(h.e.pageCacheDir("f"), "*"))
	if len(files) != 3 {
		t.Fatalf("%d files, want read_ahead + 1 = 3: %v", len(files), files)
	}
	for _, f := range files {
		if fi, err := os.Stat(f); err != nil || fi.Size() > entryHeader+1049 {
			t.Errorf("%s: %v bytes (err %v), want at most one page", f, fi.Size(), err)
		}
	}
	// The last pages are there; the ones they replaced are not.
	r := testCache(h, "run1", true, 47, 2)
	for n := 47; n < 50; n++ {
		if _, _, ok := r.page(n).Get("k" + strconv.Itoa(n)); !ok {
			t.Errorf("page %d: miss", n)
		}
	}
	r = testCache(h, "run1", true, 44, 2)
	for n := 44; n < 47; n++ {
		if _, _, ok := r.page(n).Get("k" + strconv.Itoa(n)); ok {
			t.Errorf("page %d: hit after its slot was reused", n)
		}
	}
}

// --fresh discards the page cache with the journal.
func TestPageCacheFreshRemovesIt(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	src := &cachingSource{src: newPagedSource(3, 2), fetched: make(chan int, 16)}
	flow := func(ctx context.Context, r *Run) error {
		_, err := Stream(ctx, r, "pages", StreamOptions{ReadAhead: 1}, src.fetch, pageNext,
			func(ctx context.Context, r *Run, p testPage) error { return Permanent(errors.New("sink down")) })
		return err
	}
	if _, err := h.run(flow); err == nil {
		t.Fatal("the run should fail")
	}
	if _, err := os.Stat(h.e.pageCacheDir("f")); err != nil {
		t.Fatalf("no page cache after the failed run: %v", err)
	}
	h.e.runFlow(context.Background(), Flow{Name: "f", Run: func(context.Context, *Run) error { return nil }}, true)
	if _, err := os.Stat(h.e.pageCacheDir("f")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--fresh kept the page cache: %v", err)
	}
}
