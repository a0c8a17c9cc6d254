package httpsource

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/resolute/resolute-gen/runtime/nodeerr"
	"github.com/resolute/resolute-gen/runtime/pagecache"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2015, 10, 21, 7, 27, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		" 5 ":                           5 * time.Second,
		"1.5":                           1500 * time.Millisecond,
		"0":                             0,
		"-3":                            0,
		"soon":                          0,
		"Wed, 21 Oct 2015 07:28:00 GMT": time.Minute,
		"Wed, 21 Oct 2015 07:26:00 GMT": 0, // in the past
	} {
		if got := ParseRetryAfter(v, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestStatusMarks(t *testing.T) {
	s := &Source{Name: "x", Secrets: []string{"tok"}}
	cases := []struct {
		name                     string
		err                      error
		permanent, config, hasRA bool
	}{
		{"configuration", s.Status(401, "x: 401 tok", false, true, 0), true, true, false},
		{"permanent", s.Status(404, "x: 404", false, false, time.Second), true, false, false},
		{"transient", s.Status(503, "x: 503", true, false, 0), false, false, false},
		{"retry after", s.Status(429, "x: 429", true, false, time.Second), false, false, true},
	}
	for _, c := range cases {
		_, ra := nodeerr.RetryAfterOf(c.err)
		if nodeerr.IsPermanent(c.err) != c.permanent || nodeerr.IsConfiguration(c.err) != c.config || ra != c.hasRA {
			t.Errorf("%s: permanent %v, configuration %v, retry after %v; want %v, %v, %v", c.name,
				nodeerr.IsPermanent(c.err), nodeerr.IsConfiguration(c.err), ra, c.permanent, c.config, c.hasRA)
		}
		var se *StatusError
		if !errors.As(c.err, &se) || strings.Contains(se.Error(), "tok") {
			t.Errorf("%s: %v is not a redacted *StatusError", c.name, c.err)
		}
	}
}

// TestGetClassifiesTransportFailures makes real requests to local servers:
// a plain HTTP server addressed as https://, a TLS server addressed as
// http://, a TLS server whose certificate the client does not trust, and a
// server that does not answer within the deadline.
func TestGetClassifiesTransportFailures(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer tlsSrv.Close()
	block := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer hang.Close()
	defer close(block)

	// The servers that answer get a deadline no loaded machine misses (a
	// TLS handshake can take longer than the hanging server's 100ms).
	const answers = 10 * time.Second
	cases := []struct {
		target    string
		timeout   time.Duration
		permanent bool
		want      string
	}{
		{strings.Replace(plain.URL, "http://", "https://", 1), answers, true, "answered plain HTTP to a TLS handshake"},
		{strings.Replace(tlsSrv.URL, "https://", "http://", 1), answers, false, "status 400 Bad Request"}, // Go's TLS server answers 400
		{tlsSrv.URL, answers, true, "TLS certificate is not valid"},
		{hang.URL, 100 * time.Millisecond, false, "no complete answer within RequestTimeout 100ms"},
	}
	for _, c := range cases {
		s := &Source{Name: "x", Where: "GET /q", Timeout: c.timeout, MaxBody: 1 << 20}
		status := func(resp *http.Response, body []byte) error {
			return errors.New("x: GET /q: status " + StatusText(resp))
		}
		_, _, err := s.Get(context.Background(), NewClient(), c.target+"/q?secret=1", nil, status)
		if err == nil || nodeerr.IsPermanent(err) != c.permanent || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "x: GET /q: ") {
			t.Errorf("%s: err = %v (permanent %v); want permanent %v, saying %q", c.target, err, nodeerr.IsPermanent(err), c.permanent, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret=1") {
			t.Errorf("%s: the message quotes the query string: %v", c.target, err)
		}
	}
}

func TestSnippetRedactsAndBounds(t *testing.T) {
	s := &Source{Secrets: []string{"hunter2"}}
	if got := s.Snippet([]byte("  <html>\n token hunter2 </html> ")); got != `"<html> token [REDACTED] </html>"` {
		t.Errorf("Snippet = %s", got)
	}
	if got := s.Snippet(nil); got != "(empty body)" {
		t.Errorf("Snippet(nil) = %s", got)
	}
	if got := BodyText([]byte(strings.Repeat("é", 150))); len(got) > 203 || !strings.HasSuffix(got, "...") || strings.ContainsRune(got, '\uFFFD') {
		t.Errorf("BodyText cut badly: %q", got)
	}
}

func TestCollect(t *testing.T) {
	// Pages of (id, version) items; the token of page i is "i+1", "" after
	// the last. Item 2 changed while paging and comes back on page 1.
	type item struct{ id, v int }
	pagesOf := [][]item{{{1, 0}, {2, 0}}, {{3, 0}, {2, 1}}, {{4, 0}}}
	page := func(loopAt int) func(int) ([]item, string, int, error) {
		return func(i int) ([]item, string, int, error) {
			switch {
			case i == loopAt:
				return pagesOf[i], "1", 1, nil
			case i+1 < len(pagesOf):
				return pagesOf[i], string(rune('0' + i + 1)), i + 1, nil
			}
			return pagesOf[i], "", 0, nil
		}
	}
	id := func(it item) int { return it.id }

	items, n, more, err := Collect("x", 0, 0, id, page(-1))
	if err != nil || n != 3 || more || len(items) != 4 || items[1] != (item{2, 1}) || items[2].id != 3 {
		t.Errorf("all pages: %v %d %v %v", items, n, more, err)
	}
	items, n, more, err = Collect("x", 2, 0, id, page(-1))
	if err != nil || n != 2 || !more || len(items) != 3 {
		t.Errorf("MaxPages 2: %v %d %v %v", items, n, more, err)
	}
	// Page 2 points back to page 1, whose token was read already.
	if _, _, _, err := Collect("x", 0, 0, id, page(2)); err == nil || !strings.HasPrefix(err.Error(), "x: page 3: the walk came back") {
		t.Errorf("loop: err = %v", err)
	}
}

// memCache is a pagecache.Cache in memory.
type memCache struct {
	meta, body map[string][]byte
	puts       int
}

func (c *memCache) Get(key string) ([]byte, []byte, bool) {
	b, ok := c.body[key]
	return c.meta[key], b, ok
}

func (c *memCache) Put(key string, meta, body []byte) {
	c.puts++
	c.meta[key], c.body[key] = append([]byte(nil), meta...), append([]byte(nil), body...)
}

// Inside a page fetch, a 2xx answer is stored with its status and headers,
// and the same request is then answered from the cache, headers included
// (GitHub's next page is in its Link header), without reaching the server.
// An answer that is not 2xx is not stored.
func TestGetUsesThePageCache(t *testing.T) {
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("Link", `<https://x/next?page=2>; rel="next"`)
		w.Write([]byte(`{"issues":[]}`))
	}))
	defer srv.Close()
	s := &Source{Name: "x", Where: "GET x", Timeout: 5 * time.Second, MaxBody: 1 << 20}
	status := func(resp *http.Response, body []byte) error { return errors.New(StatusText(resp)) }
	c := &memCache{meta: map[string][]byte{}, body: map[string][]byte{}}
	ctx := pagecache.NewContext(context.Background(), c)
	for i := range 2 {
		resp, body, err := s.Get(ctx, srv.Client(), srv.URL+"/search?q=1", nil, status)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != `{"issues":[]}` || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" ||
			resp.Header.Get("Link") != `<https://x/next?page=2>; rel="next"` {
			t.Errorf("answer %d: %d %v %q", i, resp.StatusCode, resp.Header, body)
		}
	}
	if requests != 1 || c.puts != 1 {
		t.Errorf("%d requests and %d puts, want 1 of each", requests, c.puts)
	}
	if _, _, err := s.Get(ctx, srv.Client(), srv.URL+"/search?fail=1", nil, status); err == nil {
		t.Error("503 is not an error")
	}
	if c.puts != 1 {
		t.Error("a 503 answer was stored")
	}
	// Without a cache in the context, every Get is a request.
	s.Get(context.Background(), srv.Client(), srv.URL+"/search?q=1", nil, status)
	if requests != 3 {
		t.Errorf("%d requests, want 3", requests)
	}
}
