package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/resolute/resolute-gen/runtime/internal/journal"
)

// testPage is a page of a fake paged source.
type testPage struct {
	Items         []string
	NextPageToken string
	MaxUpdated    int64
}

// pagedSource serves pages of items; the token of page n is "t<n>".
type pagedSource struct {
	pages   [][]string
	fetches counter
	// next, if set, replaces the token a page returns.
	next func(n int) string
	// onFetch, if set, is called before a page is served.
	onFetch func(n int)
}

func newPagedSource(pages, perPage int) *pagedSource {
	s := &pagedSource{}
	for p := 0; p < pages; p++ {
		var items []string
		for i := 0; i < perPage; i++ {
			items = append(items, fmt.Sprintf("item-%d-%d", p, i))
		}
		s.pages = append(s.pages, items)
	}
	return s
}

func (s *pagedSource) fetch(ctx context.Context, token string) (testPage, error) {
	n := 0
	if token != "" {
		var err error
		if n, err = strconv.Atoi(strings.TrimPrefix(token, "t")); err != nil {
			return testPage{}, Permanent(fmt.Errorf("bad token %q", token))
		}
	}
	s.fetches.inc(strconv.Itoa(n))
	if s.onFetch != nil {
		s.onFetch(n)
	}
	p := testPage{Items: s.pages[n], MaxUpdated: int64(100 * (n + 1))}
	if n+1 < len(s.pages) {
		p.NextPageToken = "t" + strconv.Itoa(n+1)
	}
	if s.next != nil {
		p.NextPageToken = s.next(n)
	}
	return p, nil
}

func pageNext(p testPage) (string, int) { return p.NextPageToken, len(p.Items) }

func TestStreamTokenRepeatFailsAtOnce(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	src := newPagedSource(5, 2)
	src.next = func(n int) string { return []string{"t1", "t2", "t1"}[n] } // page 2 points back at page 1
	var bodies counter
	_, err := h.run(func(ctx context.Context, r *Run) error {
		_, err := Stream(ctx, r, "pages", StreamOptions{Retry: Retry{Attempts: 3}, ReadAhead: 1}, src.fetch, pageNext,
			func(ctx context.Context, r *Run, p testPage) error {
				bodies.inc(p.Items[0])
				return nil
			})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), `the source returned page token "t1" twice: it would loop forever`) {
		t.Fatalf("err = %v", err)
	}
	if got := src.fetches.get("1"); got != 1 {
		t.Errorf("page 1 fetched %d times; a repeated token must fail at once, without retries", got)
	}
	if bodies.get("item-2-0") != 0 {
		t.Errorf("the body ran for the page whose next token repeats")
	}
}

func TestStreamResumesFromPageRecord(t *testing.T) {
	h := newHarness(t, Program{Cursors: []CursorSpec{{Name: "c", Initial: "0"}}}, nil)
	src := newPagedSource(6, 3)
	var bodies counter
	failAt := 3
	flow := func(ctx context.Context, r *Run) error {
		res, err := Stream(ctx, r, "pages", StreamOptions{ReadAhead: 1}, src.fetch, pageNext,
			func(ctx context.Context, r *Run, p testPage) error {
				n := int(p.MaxUpdated/100) - 1
				bodies.inc(strconv.Itoa(n))
				if _, err := Call(ctx, r, "upserted", Options{}, func(context.Context) (int, error) { return len(p.Items), nil }); err != nil {
					return err
				}
				r.AdvanceInt("c", p.MaxUpdated)
				if n == failAt {
					return Permanent(errors.New("sink down"))
				}
				return nil
			})
		if err != nil {
			return err
		}
		if res.Pages != 6 || res.Items != 18 {
			return fmt.Errorf("result %+v, want 6 pages and 18 items", res)
		}
		return nil
	}
	if _, err := h.run(flow); err == nil || !strings.Contains(err.Error(), "sink down") {
		t.Fatalf("first run: err = %v", err)
	}
	failAt = -1
	sum, err := h.run(flow)
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range []int{1, 1, 1, 2, 1, 1} {
		if got := bodies.get(strconv.Itoa(n)); got != want {
			t.Errorf("body of page %d ran %d times, want %d", n, got, want)
		}
	}
	for n := 0; n < 3; n++ {
		if got := src.fetches.get(strconv.Itoa(n)); got != 1 {
			t.Errorf("page %d fetched %d times; the resumed run must start at page 3", n, got)
		}
	}
	if got := h.cursors()["c"]; got != "600" {
		t.Errorf("cursor c = %q, want 600", got)
	}
	if !sum.Resumed || sum.Pages != 3 {
		t.Errorf("summary %+v: want a resumed run that did 3 pages", sum)
	}
}

func TestStreamRestoresStagedCursors(t *testing.T) {
	h := newHarness(t, Program{Cursors: []CursorSpec{{Name: "c", Initial: "0"}}}, nil)
	src := newPagedSource(4, 1)
	failAfter := true
	flow := func(ctx context.Context, r *Run) error {
		if _, err := Stream(ctx, r, "pages", StreamOptions{}, src.fetch, pageNext,
			func(ctx context.Context, r *Run, p testPage) error {
				r.AdvanceInt("c", p.MaxUpdated)
				return nil
			}); err != nil {
			return err
		}
		_, err := Call(ctx, r, "after", Options{}, func(context.Context) (int, error) {
			if failAfter {
				return 0, Permanent(errors.New("later step failed"))
			}
			return 1, nil
		})
		return err
	}
	if _, err := h.run(flow); err == nil {
		t.Fatal("first run succeeded")
	}
	if got := h.cursors()["c"]; got != "" {
		t.Fatalf("a failed run committed cursor c = %q", got)
	}
	failAfter = false
	if _, err := h.run(flow); err != nil {
		t.Fatal(err)
	}
	for n := 0; n < 4; n++ {
		if got := src.fetches.get(strconv.Itoa(n)); got != 1 {
			t.Errorf("page %d fetched %d times: a finished stream must not read again on resume", n, got)
		}
	}
	if got := h.cursors()["c"]; got != "400" {
		t.Errorf("cursor c = %q, want 400 (staged by the stream's pages before the crash)", got)
	}
}

func TestStreamReadAheadIsBoundedAndOrdered(t *testing.T) {
	const readAhead = 2
	h := newHarness(t, Program{}, nil)
	src := newPagedSource(8, 1)
	var mu sync.Mutex
	done := 0 // pages whose body returned
	maxAhead := 0
	allFetched := make(chan struct{})
	src.onFetch = func(n int) {
		mu.Lock()
		defer mu.Unlock()
		maxAhead = max(maxAhead, n-done)
		if n == readAhead {
			close(allFetched)
		}
	}
	var order []int
	_, err := h.run(func(ctx context.Context, r *Run) error {
		_, err := Stream(ctx, r, "pages", StreamOptions{ReadAhead: readAhead}, src.fetch, pageNext,
			func(ctx context.Context, r *Run, p testPage) error {
				n := int(p.MaxUpdated/100) - 1
				if n == 0 {
					<-allFetched // pages 1 and 2 arrive while page 0 is handled
				}
				order = append(order, n)
				mu.Lock()
				done++
				mu.Unlock()
				return nil
			})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(order) != "[0 1 2 3 4 5 6 7]" {
		t.Errorf("bodies ran in order %v", order)
	}
	if maxAhead > readAhead {
		t.Errorf("a fetch started %d pages ahead of the last finished body; read_ahead is %d", maxAhead, readAhead)
	}
}

// TestStreamJournalHoldsNoItems is the memory test: what the journal holds
// per page is what a resumed run needs, never a page's items, and the body's
// steps write no records of their own.
func TestStreamJournalHoldsNoItems(t *testing.T) {
	h := newHarness(t, Program{}, nil)
	src := newPagedSource(5, 4)
	_, err := h.run(func(ctx context.Context, r *Run) error {
		if _, err := Stream(ctx, r, "pages", StreamOptions{ReadAhead: 1}, src.fetch, pageNext,
			func(ctx context.Context, r *Run, p testPage) error {
				r.Now()
				_, err := Call(ctx, r, "upserted", Options{}, func(context.Context) ([]string, error) { return p.Items, nil })
				return err
			}); err != nil {
			return err
		}
		return errors.New("stop here to keep the journal")
	})
	if err == nil {
		t.Fatal("run succeeded")
	}
	recs, _, err := journal.Read(h.e.journalPath("f"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(h.e.journalPath("f"))
	if strings.Contains(string(data), "item-") {
		t.Errorf("the journal holds page items:\n%s", data)
	}
	var types []string
	for _, rec := range recs[1:] {
		types = append(types, rec.Type+":"+rec.Key+":"+strconv.Itoa(rec.Page))
	}
	if got := strings.Join(types, " "); got != "page:pages:0 page:pages:1 page:pages:2 page:pages:3 page:pages:4" {
		t.Errorf("journal records after the header: %s; want one page record per page", got)
	}
}

func TestStreamFailuresAndProgressAndMetrics(t *testing.T) {
	old := progressInterval
	progressInterval = 0
	t.Cleanup(func() { progressInterval = old })
	h := newHarness(t, Program{}, nil)
	src := newPagedSource(3, 2)
	var fetches counter
	fetch := func(ctx context.Context, token string) (testPage, error) {
		if fetches.inc(token) == 1 && token == "t1" {
			return testPage{}, errors.New("connection reset")
		}
		return src.fetch(ctx, token)
	}
	failRun := true
	flow := func(ctx context.Context, r *Run) error {
		if _, err := Stream(ctx, r, "pages", StreamOptions{Retry: Retry{Attempts: 2}}, fetch, pageNext,
			func(ctx context.Context, r *Run, p testPage) error {
				if p.MaxUpdated == 100 {
					r.Failed("upserted", errors.New("row rejected"))
				}
				return nil
			}); err != nil {
			return err
		}
		if failRun {
			return errors.New("stop")
		}
		return nil
	}
	if _, err := h.run(flow); err == nil {
		t.Fatal("run succeeded")
	}
	failRun = false
	sum, err := h.run(flow)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Failures) != 1 || sum.Failures[0].Step != "pages[0]/upserted" {
		t.Errorf("failures %+v: the page's on_error failure must survive the resume", sum.Failures)
	}
	logs := h.logs.String()
	mustContain(t, "logs", logs,
		`step=pages[1] attempt=1 of=2 retry_in=1s error="connection reset"`,
		`msg="stream progress"`, `step=pages pages=1 items=2 items_per_sec=`,
		`msg="stream completed"`, `step=pages pages=3 items=6 items_per_sec=`,
		`step=pages replayed=true pages=3 items=6`)
	mustContain(t, "metrics", string(h.e.metrics.Exposition()),
		`resolute_items_read_total{flow="f",step="pages"} 6`,
		`resolute_step_retries_total{flow="f",step="pages"} 1`)
}
