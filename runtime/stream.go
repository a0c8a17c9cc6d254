package runtime

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/resolute/resolute-gen/runtime/pagecache"
)

// recPage is the journal record of one page of a [Stream]: written once the
// page's body has returned, it is the page's only record.
const recPage = "page"

// StreamOptions configure one [Stream].
type StreamOptions struct {
	// Retry is the retry policy of each page fetch; the zero value makes
	// one attempt.
	Retry Retry
	// Timeout bounds each attempt of a page fetch; 0 means no bound.
	Timeout time.Duration
	// ReadAhead is how many pages are fetched ahead while the body handles
	// the current one (0: none, the next fetch starts when the body is done).
	ReadAhead int
	// RateLimit names one of the Program's RateLimits that every attempt of
	// every page fetch waits for (see [Options].RateLimit).
	RateLimit string
}

// StreamResult is the output of a stream step: pages and items read, over
// all the processes that worked on the run (a resumed run counts the pages
// done before the crash).
type StreamResult struct {
	Pages int `json:"pages"`
	Items int `json:"items"`
}

// progressInterval is the least time between two "stream progress" lines.
var progressInterval = 5 * time.Second

// Stream reads a paged source page by page and runs body once per page; it
// returns when the source reports no next page.
//
// fetch is called with the page token "" for the first page, then with the
// token that next returns for the page before, until next returns "" (that
// page was the last). next also returns the number of items of a page, for
// progress and metrics. A token that comes back twice within one walk fails
// the stream at once: the source would loop forever.
//
// The page is the unit of durability. Steps inside the body run in the
// scope "<scope><id>[n]/" of page n and are not journaled one by one: when
// the body returns, one record (fsync'd in the default durability mode)
// saves the page's index, the token of the next page, the cursors staged so
// far by the stream's pages and the counts. A resumed run restores those
// cursors and goes on from the saved token: a crash inside page n fetches
// and handles page n again, so body steps must be idempotent (upserts are).
// [Run.Now] inside the body reads the clock without journaling it, and
// on_error failures of the body are saved in the page's record.
//
// While the body handles page n, up to opts.ReadAhead next pages are
// fetched, one after the other (a token is known only when the page before
// it has arrived); at most ReadAhead+1 pages are in memory at a time. Pages
// are handled and journaled in order.
//
// Each page fetch gets a [pagecache.Cache] in its context: a source that
// stores its answers there (the HTTP sources do) is not asked again, after
// a crash, for the pages the dead process had fetched but not finished. A
// resumed run then fetches at most one page twice: the one whose answer was
// on the wire. See streamCache.
func Stream[Out any](ctx context.Context, r *Run, id string, opts StreamOptions,
	fetch func(ctx context.Context, pageToken string) (Out, error),
	next func(page Out) (token string, items int),
	body func(ctx context.Context, r *Run, page Out) error,
) (StreamResult, error) {
	st := r.st
	key := r.scope + id
	if err := st.claim(key); err != nil {
		return StreamResult{}, err
	}
	if r.page != nil {
		return StreamResult{}, Permanent(fmt.Errorf("stream %q runs inside the page of another stream; streams do not nest", key))
	}
	var res StreamResult
	token := ""
	staged := map[string]string{} // cursors staged by this stream's pages
	if rec, ok := st.done[key]; ok && rec.Type == recPage {
		res = StreamResult{Pages: rec.Page + 1, Items: rec.Items}
		token = rec.Token
		st.mu.Lock()
		for name, v := range rec.Cursors {
			staged[name] = v
			if !st.pinned[name] {
				st.staged[name] = v
			}
		}
		st.mu.Unlock()
		if token == "" {
			st.log.Info("stream completed", "step", key, "replayed", true, "pages", res.Pages, "items", res.Items)
			return res, nil
		}
		st.log.Info("stream resumed", "step", key, "page", res.Pages, "pages_done", res.Pages, "items_done", res.Items)
	}

	cache := newStreamCache(st, key, res.Pages, max(opts.ReadAhead, 0))
	complete := false
	defer func() { cache.close(complete) }()
	fctx, cancel := context.WithCancel(ctx)
	ready := make(chan fetched[Out], max(opts.ReadAhead, 0))
	slots := make(chan struct{}, max(opts.ReadAhead, 0)+1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ready)
		f := &fetcher[Out]{r: r, id: id, key: key, opts: opts, fetch: fetch, next: next, seen: newTokenSet(), cache: cache}
		f.run(fctx, token, res.Pages, slots, ready)
	}()
	defer func() {
		cancel()
		for range ready {
		}
		wg.Wait()
	}()

	start := st.eng.now()
	lastProgress := start
	itemsHere := 0
	var waited time.Duration // for the rate limit, by the fetches of this process
	for p := range ready {
		waited += p.waited
		if p.err != nil {
			st.log.Warn("stream failed", append([]any{"step", key, "page", p.n, "attempts", p.attempts, "pages_done", res.Pages, "error", p.err}, rateAttrs(opts.RateLimit, waited)...)...)
			return res, &StepError{Key: pageKey(key, p.n), Attempts: p.attempts, Err: p.err}
		}
		pr := &Run{st: st, scope: key + "[" + strconv.Itoa(p.n) + "]/", page: &pageState{claimed: map[string]bool{}, staged: map[string]string{}}}
		if err := catchPanic(pr.scope, func() error { return body(ctx, pr, p.out) }); err != nil {
			st.log.Warn("stream failed", "step", key, "page", p.n, "pages_done", res.Pages, "error", err)
			return res, err
		}
		res.Pages++
		res.Items += p.items
		itemsHere += p.items
		st.mu.Lock()
		for name, v := range pr.page.staged {
			staged[name] = v
			if !st.pinned[name] {
				st.staged[name] = v
			}
		}
		st.pages++
		st.mu.Unlock()
		rec := record{Type: recPage, Key: key, Page: p.n, Token: p.next, Cursors: staged, Items: res.Items, Failures: pr.page.failures}
		if err := st.j.AppendSoon(&rec); err != nil {
			st.setFatal(err)
			return res, err
		}
		<-slots // the page is done: its memory may go to the next fetch
		st.eng.metrics.ItemsRead(st.fm, r.scope, id, p.items)
		if now := st.eng.now(); now.Sub(lastProgress) >= progressInterval && p.next != "" {
			lastProgress = now
			elapsed := now.Sub(start)
			st.log.Info("stream progress", "step", key, "pages", res.Pages, "items", res.Items,
				"items_per_sec", rate(itemsHere, elapsed), "elapsed", elapsed.Round(time.Millisecond))
		}
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	complete = true
	elapsed := st.eng.now().Sub(start)
	st.log.Info("stream completed", append([]any{"step", key, "pages", res.Pages, "items", res.Items,
		"items_per_sec", rate(itemsHere, elapsed), "duration", elapsed.Round(time.Millisecond)}, rateAttrs(opts.RateLimit, waited)...)...)
	return res, nil
}

func rate(items int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(int(float64(items)/d.Seconds()*10)) / 10
}

func pageKey(key string, n int) string { return key + "[" + strconv.Itoa(n) + "]" }

// fetched is one page handed from the fetcher to the body: its output, or
// the error that ended the walk.
type fetched[Out any] struct {
	n        int
	out      Out
	next     string
	items    int
	attempts int
	waited   time.Duration // for the rate limit
	err      error
}

// fetcher walks the pages of one stream, ahead of the body.
type fetcher[Out any] struct {
	r     *Run
	id    string
	key   string
	opts  StreamOptions
	fetch func(context.Context, string) (Out, error)
	next  func(Out) (string, int)
	seen  *tokenSet
	cache *streamCache
}

// run fetches page n with token, then the pages after it, each once a slot
// is free, and sends them to ready in order. It stops after the last page,
// at the first failure (sent to ready), or when ctx is done.
func (f *fetcher[Out]) run(ctx context.Context, token string, n int, slots chan struct{}, ready chan<- fetched[Out]) {
	st := f.r.st
	if token != "" {
		f.seen.add(token)
	}
	for ; ; n++ {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		p := fetched[Out]{n: n}
		start := time.Now()
		pc := f.cache.page(n)
		p.attempts, p.waited, p.err = st.eng.attempt(ctx, st.log, pageKey(f.key, n), Options{Retry: f.opts.Retry, Timeout: f.opts.Timeout, RateLimit: f.opts.RateLimit}, func(ctx context.Context) error {
			var err error
			p.out, err = f.fetch(pagecache.NewContext(ctx, pc), token)
			if err != nil {
				pc.failed()
			} else {
				pc.done()
			}
			return err
		})
		if pc.hits > 0 && p.err == nil {
			// Fetched by the process that died: not asked for again.
			st.log.Info("stream page read from the page cache", "step", pageKey(f.key, n), "requests", pc.hits)
		}
		st.eng.metrics.StepExecuted(st.fm, f.r.scope, f.id, p.attempts, time.Since(start), p.err == nil)
		if p.err == nil {
			p.next, p.items = f.next(p.out)
			if p.next != "" && !f.seen.add(p.next) {
				p.err = Permanent(fmt.Errorf("the source returned page token %s twice: it would loop forever", shortToken(p.next)))
			}
		}
		if ctx.Err() != nil && p.err != nil {
			return // cancelled: the body side has stopped listening
		}
		select {
		case ready <- p:
		case <-ctx.Done():
			return
		}
		if p.err != nil || p.next == "" {
			return
		}
		token = p.next
	}
}

// shortToken quotes a page token for a message, cutting a long one.
func shortToken(t string) string {
	if len(t) > 80 {
		return strconv.Quote(t[:80]) + "..."
	}
	return strconv.Quote(t)
}

// tokenSet remembers the page tokens of one walk by 64-bit fingerprint:
// 8 bytes a page (plus the map's overhead), not the tokens themselves,
// which may be long. Two different tokens share a fingerprint with a
// probability of about pages²/2⁶⁵: never, in practice.
type tokenSet struct {
	seed maphash.Seed
	m    map[uint64]struct{}
}

func newTokenSet() *tokenSet { return &tokenSet{seed: maphash.MakeSeed(), m: map[uint64]struct{}{}} }

// add records t and reports whether it was new.
func (s *tokenSet) add(t string) bool {
	h := maphash.String(s.seed, t)
	if _, dup := s.m[h]; dup {
		return false
	}
	s.m[h] = struct{}{}
	return true
}

// pageState is what the steps of one stream page share: it lives in memory
// until the page's record is written.
type pageState struct {
	mu       sync.Mutex
	claimed  map[string]bool   // Call keys used in this page
	staged   map[string]string // cursors advanced by the page, staged with its record
	failures []stepFailure     // on_error failures, saved in the page's record
}

// claim marks key as used in the page.
func (p *pageState) claim(key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.claimed[key] {
		return Permanent(fmt.Errorf("step key %q is used twice in one page; steps in loops and branches need their own scope (Run.Iteration, Parallel, ForEach)", key))
	}
	p.claimed[key] = true
	return nil
}

// callInPage runs a Call inside a stream page: not journaled (the page's
// record stands for all its steps) and not looked up in the journal (a
// page that has a record never runs again).
func callInPage[T any](ctx context.Context, r *Run, id string, opts Options, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	st := r.st
	key := r.scope + id
	if err := r.page.claim(key); err != nil {
		return zero, err
	}
	st.mu.Lock()
	fatal := st.fatal
	st.mu.Unlock()
	if fatal != nil {
		return zero, fatal
	}
	start := time.Now()
	var out T
	attempts, waited, err := st.eng.attempt(ctx, st.log, key, opts, func(ctx context.Context) error {
		var err error
		out, err = fn(ctx)
		return err
	})
	elapsed := time.Since(start)
	st.eng.metrics.StepExecuted(st.fm, r.scope, id, attempts, elapsed, err == nil)
	if err != nil {
		st.log.Warn("step failed", append([]any{"step", key, "duration", elapsed, "attempts", attempts, "permanent", IsPermanent(err), "recovered", opts.Recover, "error", err}, rateAttrs(opts.RateLimit, waited)...)...)
		return zero, &StepError{Key: key, Attempts: attempts, Err: err}
	}
	st.count(false)
	// One line per step per page would be thousands of lines for a large
	// sync; the stream logs its progress every few seconds instead, and
	// --log-level debug shows these.
	if st.log.Enabled(ctx, slog.LevelDebug) {
		st.log.Debug("step completed", append([]any{"step", key, "duration", elapsed, "attempts", attempts, counts(out)}, rateAttrs(opts.RateLimit, waited)...)...)
	}
	return out, nil
}

// pageRecords counts the page records of a journal, for status.
func pageRecords(recs []record) int {
	n := 0
	for _, r := range recs {
		if r.Type == recPage {
			n++
		}
	}
	return n
}
